"""The vocabulary of one policy as hypothesis strategies, and how a command is picked.

Every command the state machine draws is built from these: the policy's own parties,
criteria, roles, states and measures, and ids no policy should use (prefix
:data:`UNKNOWN`) for the commands that must be refused as invalid. The strategies are
built once per policy and kept, since a host suite draws from them for every step.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Literal

import attrs
from hypothesis import strategies as st

from regiekaart.policy.cardinality import bounds
from regiekaart.policy.model import Policy
from regiekaart.runtime.commands import ChangeLevel, Command, Deescalate, Escalate, RecordDecision

UNKNOWN = "onbekend-"
"""Prefix of the ids the ill-formed commands use; no policy id should start with it."""
REASON = "vrije tekst met persoonsgegevens {}"
"""The free-text reason every generated command carries; it must never reach a log."""


def pick(data: st.DataObject, candidates: Sequence[Command]) -> Command:
    """One of ``candidates``: first what to do (the command type and where to), then how.

    The explorer lists a step once per holder choice; drawing among the steps first
    keeps a step with many holder choices (the calamity into fase 4) from crowding out
    the others.
    """
    groups: dict[tuple[object, ...], list[Command]] = {}
    for command in candidates:
        key = (command.type, *(getattr(command, f, None) for f in WHAT))
        groups.setdefault(key, []).append(command)
    keys = list(groups)
    chosen = groups[keys[data.draw(st.integers(0, len(keys) - 1))]]
    return chosen[data.draw(st.integers(0, len(chosen) - 1))]


DIRECTIONS: tuple[Literal["up", "down"], ...] = ("up", "down")

WHAT = ("to", "direction", "decision", "measure", "member", "role", "recipient")

MOVES = (Escalate, Deescalate, ChangeLevel, RecordDecision)
"""Commands that move the case across the card (a decision may be what a move needs)."""

PARTS = ("actor", "together", "criteria", "holders", "reason")


@attrs.frozen
class Draws:
    """The strategies over one policy's vocabulary, built once per policy."""

    party: st.SearchStrategy[str]
    parties: st.SearchStrategy[list[str]]
    holders: Mapping[str, st.SearchStrategy[list[str]]]
    """Per role: parties some cell of the card admits for it, or any party."""
    criteria: st.SearchStrategy[list[str]]
    role: st.SearchStrategy[str]
    state: st.SearchStrategy[str]
    dominance: st.SearchStrategy[str | None]
    measure: st.SearchStrategy[str]
    decision: st.SearchStrategy[str]
    kind: st.SearchStrategy[str]
    direction: st.SearchStrategy[Literal["up", "down"]]
    flaw: st.SearchStrategy[str]
    perturb: st.SearchStrategy[str]
    unknown: st.SearchStrategy[str]


_MADE: dict[tuple[str, str], Draws] = {}


def _most_drawn(policy: Policy, role: str) -> int:
    """How many holders a drawn choice names at most: two, or one more than the most
    any cell of the card allows for the role (or needs at least), so a draw can meet the
    bounds and break them."""
    counts = [2]
    for state in policy.states.values():
        cell = state.roles.get(role)
        if cell is not None:
            limits = bounds(policy, cell)
            counts.append((limits.most or limits.least) + 1)
    return max(counts)


def draws_for(policy: Policy) -> Draws:
    """The strategies over ``policy``, built on first use and kept for its id and digest."""
    key = (policy.id, policy.digest)
    found = _MADE.get(key)
    if found is not None:
        return found
    party = st.sampled_from(sorted(policy.parties))
    criteria = sorted(policy.criteria)
    made = Draws(
        party=party,
        parties=st.lists(party, max_size=2, unique=True),
        holders={
            role: st.lists(
                _admitted(policy, role) | party,
                min_size=1,
                max_size=_most_drawn(policy, role),
                unique=True,
            )
            for role in policy.roles
        },
        criteria=st.lists(st.sampled_from(criteria), max_size=2, unique=True)
        if criteria
        else st.just([]),
        role=st.sampled_from(sorted(policy.roles)),
        state=st.sampled_from(sorted(policy.states)),
        dominance=st.none() | st.sampled_from(sorted(policy.dominance))
        if policy.dominance
        else st.none(),
        measure=st.sampled_from(sorted(policy.measures) or [UNKNOWN + "maatregel"]),
        decision=st.sampled_from(sorted(policy.decisions) or [UNKNOWN + "besluit"]),
        kind=st.sampled_from(sorted(KINDS)),
        direction=st.sampled_from(DIRECTIONS),
        flaw=st.sampled_from(sorted(FLAWS)),
        perturb=st.sampled_from(["actor", "together", "criteria", "holders", "dominance"]),
        unknown=st.sampled_from([UNKNOWN + s for s in ("x", "partij", "fase9", "rol")]),
    )
    _MADE[key] = made
    return made


def _admitted(policy: Policy, role: str) -> st.SearchStrategy[str]:
    """The parties any cell of the card admits for ``role`` (so that holder choices are
    often plausible and reach the card's corners), or any party if none is named."""
    admitted = sorted(
        {
            p
            for state in policy.states.values()
            if role in state.roles
            for p in state.roles[role].eligible_set
        }
    )
    return st.sampled_from(admitted) if admitted else st.sampled_from(sorted(policy.parties))


KINDS = frozenset(
    {
        "escalate",
        "deescalate",
        "change",
        "impose_measure",
        "end_measure",
        "expire",
        "extend",
        "decision",
        "appoint",
        "inform",
        "advice",
        "melding",
        "signal",
        "open",
        "close",
    }
)
FLAWED_PARTS = frozenset({"actor", "together", "criterion", "role", "holder", "no-holders"})
FLAWS = frozenset(
    {
        "actor",
        "together",
        "criterion",
        "role",
        "holder",
        "no-holders",
        "phase",
        "dominance",
        "measure",
        "member",
        "decision",
        "activity",
        "appoint",
        "recipient",
    }
)
