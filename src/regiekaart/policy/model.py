"""The policy model: one municipality's regiekaart as frozen values.

Everything the engine knows about the domain arrives here, read from a policy file by
:mod:`regiekaart.policy.loader`; nothing below this model names a phase, a party or a
criterion. The compiler, the case runtime, the invariants and every renderer read this
model and nothing else, so a new file format only needs a new reader.

May import: the foundation (``regiekaart.errors``, ``ids``, ``limits``, ``clock``,
``terminal``) and this package, nothing else of regiekaart.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Literal

import attrs
from attrs import frozen

from regiekaart.policy.criteria import Expression

__all__ = [
    "Activity",
    "Agreement",
    "Criterion",
    "Decision",
    "Direction",
    "DominanceOption",
    "InvariantDef",
    "Measure",
    "Obligation",
    "Party",
    "PartyKind",
    "Policy",
    "Prohibition",
    "RoleCell",
    "RoleDef",
    "StateDef",
    "TransitionKind",
    "TransitionRule",
]

PartyKind = Literal["client", "community", "professional", "official", "court"]
TransitionKind = Literal["escalate", "deescalate", "change", "close"]
Direction = Literal["up", "down"]


@frozen
class Party:
    """An organisation or official that can hold a role, decide, or be informed."""

    id: str
    name: str
    kind: PartyKind
    description: str = ""


@frozen
class RoleDef:
    """A kind of regie or responsibility: a row of the card."""

    id: str
    title: str
    description: str = ""
    source: str = ""
    max_holders: int = 0
    """How many parties may hold it at once (0: no limit). Joint holders count each."""


@frozen
class RoleCell:
    """One cell of the card: who holds a role while a state is active.

    Holder resolution, first that applies: holders chosen by the command; holders the
    transition assigns; the holders of active measures (``from_measures``); the holders
    the dominance names (``from_dominance``); the current holders if all are eligible
    (``keep``); the default ``holders``. An ``optional`` role is only held when chosen
    or kept.
    """

    role: str
    holders: tuple[str, ...] = ()
    eligible: tuple[str, ...] = ()
    optional: bool = False
    keep: bool = True
    from_measures: bool = False
    from_dominance: bool = False
    appoint: tuple[tuple[str, ...], ...] = ()
    text: str = ""
    source: str = ""

    @property
    def eligible_set(self) -> frozenset[str]:
        """Who may hold the role here: the eligible list, or the default holders."""
        return frozenset(self.eligible or self.holders)


@frozen
class StateDef:
    """A phase, a sub-state of a phase, or a final state of the chart."""

    id: str
    """Qualified id: a phase ``p`` or its sub-state ``p.s``."""
    title: str
    order: int = 0
    colour: str = ""
    situation: str = ""
    parent: str | None = None
    initial: bool = False
    final: bool = False
    parallel: bool = False
    """For a phase: its sub-states are regions that are all active at once."""
    when_measures: Literal["some", "none"] | None = None
    """For a sub-state: entered automatically when compulsory measures are (not) active."""
    roles: Mapping[str, RoleCell] = attrs.field(factory=dict)
    children: tuple[str, ...] = ()
    source: str = ""

    @property
    def is_phase(self) -> bool:
        """A top-level, non-final state: a column of the card."""
        return self.parent is None and not self.final


@frozen
class Criterion:
    """A criterion of Bijlage 2 or §2.3.x a decider may invoke."""

    id: str
    text: str
    source: str = ""


@frozen
class TransitionRule:
    """A step the card allows: from where to where, decided by whom, on which criteria."""

    id: str
    kind: TransitionKind
    source_state: str
    target_state: str | None
    """``None`` for a step within a state (change of level within a phase)."""
    deciders: tuple[tuple[str, ...], ...]
    """Alternatives; each is a group of slots that must all be filled by distinct parties.
    A slot is a party id, ``role:ROLE`` (a current holder) or ``any:ID|ID|…``."""
    criteria: tuple[str, ...] = ()
    """Every criterion the rule names, in its expression or as optional: the ones a
    command may invoke. A rule that names none accepts any criterion (and needs none)."""
    requirement: Expression | None = None
    """What the invoked criteria must satisfy (:mod:`regiekaart.policy.criteria`);
    ``None``: nothing is required."""
    optional_criteria: tuple[str, ...] = ()
    """Criteria a decider may invoke besides the requirement: recorded, never required."""
    requires: tuple[str, ...] = ()
    """Facts that must be set, e.g. a plan decided before leaving a phase."""
    needs_dominance: bool = False
    direction: Direction | None = None
    assign: Mapping[str, tuple[str, ...]] = attrs.field(factory=dict)
    release: tuple[str, ...] = ()
    title: str = ""
    description: str = ""
    source: str = ""


@frozen
class Measure:
    """A compulsory measure; while one is active the case is in the compulsory frame."""

    id: str
    title: str
    group: str
    imposed_by: tuple[str, ...]
    roles: Mapping[str, tuple[str, ...]]
    """Role → the parties that hold it while the measure is in force, in the role cells
    that take their holders from the measures (``from_measures``)."""
    ended_by: tuple[str, ...] = ()
    description: str = ""
    source: str = ""


@frozen
class DominanceOption:
    """What dominates the problems, and so who takes which role."""

    id: str
    title: str
    roles: Mapping[str, tuple[str, ...]]
    source: str = ""


@frozen
class Activity:
    """A recordable step that changes no phase: a signal, an advice, a melding."""

    id: str
    command: Literal["signal", "advice", "melding"]
    title: str
    in_states: tuple[str, ...]
    by: tuple[str, ...] = ()
    by_kinds: tuple[str, ...] = ()
    to: tuple[str, ...] = ()
    description: str = ""
    source: str = ""


@frozen
class Decision:
    """A formal decision a party records; it may set a fact and oblige informing."""

    id: str
    title: str
    by: tuple[tuple[str, ...], ...]
    in_states: tuple[str, ...]
    sets: str | None = None
    """The fact it sets; it holds until the case leaves the phase it was taken in."""
    inform: tuple[str, ...] = ()
    description: str = ""
    source: str = ""


@frozen
class Obligation:
    """An informing duty: when its trigger fires, recipients must be informed."""

    id: str
    title: str
    inform: tuple[str, ...] = ()
    by_role: str | None = None
    on_enter: str | None = None
    when_role: str | None = None
    when_holders: tuple[str, ...] = ()
    mutual_role: str | None = None
    """When this role has two or more holders, each is informed of the others."""
    mode: Literal["task", "record"] = "task"
    source: str = ""


@frozen
class Prohibition:
    """A step the card rules out explicitly ("afschalen niet aan de orde")."""

    id: str
    kind: TransitionKind
    source_state: str
    title: str
    description: str = ""
    source: str = ""


@frozen
class Agreement:
    """An existing working agreement, route or guideline that applies in some phases.

    The card lists them per phase ("Bestaande werkafspraken, routes en richtlijnen") so
    that professionals know which protocol or covenant governs their work there; the
    engine does not enforce them, it carries them for rendering and reports.
    """

    id: str
    title: str
    phases: tuple[str, ...]
    source: str = ""
    description: str = ""


@frozen
class InvariantDef:
    """A declared obligation of the handreiking that must hold in every situation."""

    id: str
    title: str
    checks: tuple[tuple[str, Mapping[str, object]], ...]
    """Each a generic check of :mod:`regiekaart.analysis.invariants` with its parameters."""
    source: str = ""
    description: str = ""


@frozen
class Policy:
    """A whole regiekaart, resolved through its ``extends:`` chain."""

    id: str
    title: str
    version: str
    parties: Mapping[str, Party]
    roles: Mapping[str, RoleDef]
    states: Mapping[str, StateDef]
    transitions: Mapping[str, TransitionRule]
    criteria: Mapping[str, Criterion]
    measures: Mapping[str, Measure] = attrs.field(factory=dict)
    member_groups: Mapping[str, str] = attrs.field(factory=dict)
    dominance: Mapping[str, DominanceOption] = attrs.field(factory=dict)
    dominance_in: tuple[str, ...] = ()
    measures_in: tuple[str, ...] = ()
    activities: Mapping[str, Activity] = attrs.field(factory=dict)
    decisions: Mapping[str, Decision] = attrs.field(factory=dict)
    obligations: Mapping[str, Obligation] = attrs.field(factory=dict)
    invariants: Mapping[str, InvariantDef] = attrs.field(factory=dict)
    prohibitions: Mapping[str, Prohibition] = attrs.field(factory=dict)
    agreements: Mapping[str, Agreement] = attrs.field(factory=dict)
    extends: tuple[str, ...] = ()
    """The chain of policies this one extends, nearest first."""
    overrides: tuple[str, ...] = ()
    """Dotted paths this file sets over the policy it extends (for rendering)."""
    sources: Mapping[str, str] = attrs.field(factory=dict)
    """Dotted path to ``file:line`` of where each value came from."""
    description: str = ""
    digest: str = ""
    """A hash of the resolved content, recorded on snapshots and simulation runs."""
    document: str = attrs.field(default="", eq=False, repr=False, hash=False)
    """The JSON of the resolved document, in its written order, that ``digest`` is
    computed from: what a store keeps, so an audit can replay a case under the card it
    was decided under (:func:`~regiekaart.policy.loader.load_policy_document`)."""
    _cells: dict[tuple[frozenset[str], str], RoleCell | None] = attrs.field(
        factory=dict, init=False, eq=False, repr=False, hash=False
    )
    """Memo of :meth:`role_cell`: the policy is immutable, and the runtime, the guards and
    the checks ask the same question for every command."""

    def phases(self) -> list[StateDef]:
        """The columns of the card, in their order."""
        return sorted((s for s in self.states.values() if s.is_phase), key=lambda s: s.order)

    def agreements_in(self, phase: str) -> list[Agreement]:
        """The working agreements that apply in ``phase``, in their order in the file."""
        return [a for a in self.agreements.values() if phase in a.phases]

    def initial_state(self) -> StateDef:
        """The top-level state a new case starts in."""
        for state in self.states.values():
            if state.parent is None and state.initial:
                return state
        return self.phases()[0]

    def phase_of(self, state_id: str) -> StateDef:
        """The top-level state that contains ``state_id``."""
        state = self.states[state_id]
        while state.parent is not None:
            state = self.states[state.parent]
        return state

    def ancestors(self, state_id: str) -> Iterator[StateDef]:
        """The state and its parents, innermost first."""
        current: str | None = state_id
        while current is not None:
            state = self.states[current]
            yield state
            current = state.parent

    def role_cell(self, active: frozenset[str], role: str) -> RoleCell | None:
        """The cell that governs ``role`` under the active states (innermost wins)."""
        try:
            return self._cells[active, role]
        except KeyError:
            pass
        best: RoleCell | None = None
        best_depth = -1
        for state_id in active:
            depth = sum(1 for _ in self.ancestors(state_id))
            cell = self.states[state_id].roles.get(role)
            if cell is not None and depth > best_depth:
                best, best_depth = cell, depth
        self._cells[active, role] = best
        return best

    def party_kind(self, party: str) -> str:
        """The kind of a party (``client``, ``professional`` …), or ``""`` if unknown."""
        found = self.parties.get(party)
        return found.kind if found else ""
