"""What a story may claim beyond an exact list: who may hold a role, which facts stand,
and what the log holds.

A story about a card often knows less than an exact answer: "one of these two parties
holds it", "this party among the holders, that one not", "no melding from the advice
on". These claims say that much and no more, so a story does not break when the
card changes something it does not speak about.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from attrs import frozen

from regiekaart.errors import PolicyError
from regiekaart.policy.model import Policy
from regiekaart.policy.sourcemap import KeyPath
from regiekaart.runtime.commands import COMMAND_TYPES
from regiekaart.runtime.records import Facts

EVENT_KINDS: tuple[str, ...] = tuple(COMMAND_TYPES)
"""The kinds of event ``recorded`` and ``not_recorded`` name: the command types."""


@frozen(kw_only=True)
class HolderClaim:
    """What a story claims about the holders of one role, short of listing them."""

    one_of: frozenset[str] | None = None
    """Exactly one holder, and it is one of these."""
    includes: frozenset[str] = frozenset()
    excludes: frozenset[str] = frozenset()
    empty: bool = False

    @classmethod
    def read(cls, raw: Mapping[str, Any]) -> HolderClaim:
        """The claim a story's ``{one_of:, includes:, excludes:, empty:}`` states."""
        one_of = raw.get("one_of")
        return cls(
            one_of=None if one_of is None else frozenset(_listed(one_of)),
            includes=frozenset(_listed(raw.get("includes"))),
            excludes=frozenset(_listed(raw.get("excludes"))),
            empty=bool(raw.get("empty", False)),
        )

    def parties(self) -> frozenset[str]:
        """Every party the claim names."""
        return (self.one_of or frozenset()) | self.includes | self.excludes

    def failures(self, role: str, holders: Sequence[str]) -> Iterator[str]:
        """What the holders of ``role`` fail of the claim, in words."""
        held = set(holders)
        got = ", ".join(sorted(held)) or "no holder"
        if self.empty and held:
            yield f"{role}: expected no holder, got {got}"
        if self.one_of is not None and (len(held) != 1 or not held <= self.one_of):
            yield f"{role}: expected one holder of {', '.join(sorted(self.one_of))}, got {got}"
        missing = sorted(self.includes - held)
        if missing:
            yield f"{role}: expected {', '.join(missing)} among the holders, got {got}"
        present = sorted(self.excludes & held)
        if present:
            yield f"{role}: expected {', '.join(present)} not to hold it, got {got}"


def _listed(value: str | Sequence[str] | None) -> tuple[str, ...]:
    if value is None:
        return ()
    return (value,) if isinstance(value, str) else tuple(value)


def fact_failures(
    facts: Facts,
    expected_facts: Mapping[str, bool],
    measures: frozenset[str] | None,
    dominance: tuple[str | None] | None,
) -> Iterator[str]:
    """What the case's facts fail of a story's ``facts:``, ``measures:`` and ``dominance:``."""
    for fact, wanted in expected_facts.items():
        if facts.has(fact) != wanted:
            yield f"fact {fact}: expected {'set' if wanted else 'not set'}, got " + (
                "set" if facts.has(fact) else "not set"
            )
    if measures is not None:
        in_force = frozenset(m.measure for m in facts.measures)
        if in_force != measures:
            yield (
                f"measures: expected {', '.join(sorted(measures)) or 'none'} in force, "
                f"got {', '.join(sorted(in_force)) or 'none'}"
            )
    if dominance is not None and facts.dominance != dominance[0]:
        yield f"dominance: expected {dominance[0] or 'none'}, got {facts.dominance or 'none'}"


def log_failures(recorded: Sequence[str], kinds: Sequence[str]) -> Iterator[str]:
    """The kinds a story says the log holds by now, and it does not."""
    for kind in kinds:
        if kind not in recorded:
            yield f"recorded: no {kind} in the log so far"


def check_claims(
    policy: Policy,
    base: KeyPath,
    claims: Mapping[str, HolderClaim],
    facts: Mapping[str, bool],
    measures: frozenset[str] | None,
    dominance: tuple[str | None] | None,
    error: Callable[[KeyPath, str], PolicyError],
    party: Callable[[KeyPath, str], None],
) -> list[PolicyError]:
    """What the claims of one step name that the policy does not know."""
    problems = []
    for role, claim in claims.items():
        if role not in policy.roles:
            known = ", ".join(policy.roles)
            message = f"unknown role {role!r} (known: {known})"
            problems.append(error((*base, "roles", role), message))
        for holder in sorted(claim.parties()):
            party((*base, "roles", role), holder)
    known_facts = sorted({d.sets for d in policy.decisions.values() if d.sets})
    for fact in facts:
        if fact not in known_facts:
            names = ", ".join(known_facts) or "none: no decision sets a fact"
            message = f"unknown fact {fact!r} (known: {names})"
            problems.append(error((*base, "facts", fact), message))
    for measure in sorted(measures or ()):
        if measure not in policy.measures:
            known = ", ".join(policy.measures) or "none declared"
            problems.append(
                error((*base, "measures"), f"unknown measure {measure!r} (known: {known})")
            )
    if dominance is not None and dominance[0] is not None and dominance[0] not in policy.dominance:
        known = ", ".join(policy.dominance) or "none declared"
        problems.append(
            error((*base, "dominance"), f"unknown dominance {dominance[0]!r} (known: {known})")
        )
    return problems
