"""The obligations of the handreiking as checkable invariants.

A policy declares its invariants (``invariants:`` in the policy file), each with its
title, its section of the handreiking and one or more *checks*. The checks are generic
predicates over a case — a role is held, its holders are of a kind, informing was
recorded on entry, a phase is left only after a fact was decided — parameterised by
the policy's own ids, so the engine stays free of domain words and a municipality can
state its own obligations. A host adds check kinds with :func:`register_check`.

Every check reads only what a case exposes (its policy, state and event log), so the
same invariants serve the property tests, the verifier and a host's own monitoring.
The built-in predicates live in :mod:`regiekaart.analysis._checks`; this module binds
them to the vocabulary and checks a case against a policy's invariants.

May import: ``regiekaart.runtime``, ``regiekaart.policy`` and the foundation.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Literal, Protocol

import attrs

from regiekaart.analysis._checks import BUILT_IN, role_history
from regiekaart.policy import checks
from regiekaart.policy.checks import Params, ParamType
from regiekaart.policy.model import InvariantDef, Policy
from regiekaart.runtime.records import CaseState, Event

__all__ = [
    "CHECKS",
    "CaseView",
    "CheckKind",
    "Invariant",
    "Predicate",
    "Violation",
    "invariants_for",
    "predicate_of",
    "register_check",
    "role_history",
    "violations",
]


class CaseView(Protocol):
    """What an invariant may look at: a :class:`~regiekaart.runtime.case.Case` provides it."""

    @property
    def policy(self) -> Policy: ...

    @property
    def state(self) -> CaseState: ...

    @property
    def events(self) -> tuple[Event, ...]: ...


Predicate = Callable[[Policy, Params, CaseView], str | None]
"""Returns ``None`` when the check holds, else what is wrong, in words."""


@attrs.frozen
class CheckKind(checks.CheckKind):
    """A check kind of the card's vocabulary with its meaning: the predicate over a case."""

    predicate: Predicate = attrs.field(kw_only=True)


CHECKS: dict[str, CheckKind] = {}
"""Every check kind with a predicate, by name (the vocabulary itself is
:data:`regiekaart.policy.checks.KINDS`)."""


def register_check(
    name: str,
    params: Mapping[str, ParamType],
    optional: Sequence[str] = (),
    *,
    reads: Literal["state", "log"] = "log",
) -> Callable[[Predicate], Predicate]:
    """Register a check kind, usable in any policy's ``invariants:`` by its name.

    It is declared in the card's vocabulary (:func:`regiekaart.policy.checks.declare_check`)
    and bound to the decorated predicate. ``reads="state"`` promises what
    :attr:`~regiekaart.policy.checks.CheckKind.reads` describes; leave it at ``"log"`` for
    a check that reads the event log, the open obligations or the order of holders.
    """

    def deco(predicate: Predicate) -> Predicate:
        declared = checks.declare_check(
            checks.CheckKind(
                name=name,
                params=dict(params),
                optional=tuple(optional),
                doc=(predicate.__doc__ or "").strip(),
                reads=reads,
            )
        )
        _bind(declared, predicate)
        return predicate

    return deco


def predicate_of(name: str) -> Predicate:
    """The predicate of check kind ``name``; a kind declared in the vocabulary but never
    given a meaning is an error of the host that declared it, named here."""
    kind = CHECKS.get(name)
    if kind is None:
        raise LookupError(
            f"check kind {name!r} has no predicate: register it with register_check, "
            "not only with regiekaart.policy.checks.declare_check"
        )
    return kind.predicate


def _bind(kind: checks.CheckKind, predicate: Predicate) -> None:
    CHECKS[kind.name] = CheckKind(
        name=kind.name,
        params=kind.params,
        optional=kind.optional,
        doc=kind.doc,
        reads=kind.reads,
        predicate=predicate,
    )


def _bind_built_in() -> None:
    """Give every built-in kind of the vocabulary its predicate."""
    for name, predicate in BUILT_IN.items():
        _bind(checks.KINDS[name], predicate)


_bind_built_in()


@attrs.frozen
class Violation:
    """An invariant that does not hold, with what was wrong."""

    invariant: str
    title: str
    source: str
    check: str
    detail: str

    def __str__(self) -> str:
        return f"{self.title} ({self.source}): {self.detail}"


@attrs.frozen
class Invariant:
    """A named obligation with its handreiking section: a predicate over a case."""

    id: str
    title: str
    source: str
    checks: tuple[tuple[str, Params], ...]
    description: str = ""

    def violations(self, case: CaseView) -> list[Violation]:
        """Every failed check of this invariant on ``case``."""
        out = []
        for name, params in self.checks:
            detail = predicate_of(name)(case.policy, params, case)
            if detail is not None:
                out.append(Violation(self.id, self.title, self.source, name, detail))
        return out

    def holds(self, case: CaseView) -> bool:
        """Whether every check holds on ``case``."""
        return not self.violations(case)

    @classmethod
    def from_def(cls, definition: InvariantDef) -> Invariant:
        """The invariant a policy file declares."""
        return cls(
            id=definition.id,
            title=definition.title,
            source=definition.source,
            checks=definition.checks,
            description=definition.description,
        )


def invariants_for(policy: Policy) -> tuple[Invariant, ...]:
    """The invariants ``policy`` declares, in their order in the file."""
    return tuple(Invariant.from_def(d) for d in policy.invariants.values())


def violations(case: CaseView, extra: Sequence[Invariant] = ()) -> list[Violation]:
    """Every violated invariant of the case's policy (and ``extra`` ones) on ``case``."""
    out: list[Violation] = []
    for invariant in (*invariants_for(case.policy), *extra):
        out.extend(invariant.violations(case))
    return out
