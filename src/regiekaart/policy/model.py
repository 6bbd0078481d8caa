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
from typing import Any, Literal

import attrs
from attrs import frozen

from regiekaart.policy._duties import (
    Activity,
    Agreement,
    Decision,
    InvariantDef,
    Obligation,
    Prohibition,
    Tag,
)
from regiekaart.policy._holders import Choice, DominanceOption, choose
from regiekaart.policy._kinds import Direction, PartyKind, TransitionKind
from regiekaart.policy._timing import Extension, TimeLimit
from regiekaart.policy.conditions import Situation
from regiekaart.policy.criteria import Expression

__all__ = [
    "Activity",
    "Agreement",
    "Choice",
    "Criterion",
    "Decision",
    "Direction",
    "DominanceOption",
    "Extension",
    "InvariantDef",
    "Measure",
    "Obligation",
    "Party",
    "PartyGroup",
    "PartyKind",
    "Policy",
    "Prohibition",
    "RoleCell",
    "RoleDef",
    "StateDef",
    "Tag",
    "TimeLimit",
    "TransitionKind",
    "TransitionRule",
    "choose",
]


@frozen
class Party:
    """An organisation or official that can hold a role, decide, or be informed."""

    id: str
    name: str
    kind: PartyKind
    description: str = ""


@frozen
class PartyGroup:
    """A named collective of parties, such as officials who decide together.

    A card names it once and uses it wherever its members would stand: as a decider
    (``group:ID``, any one member; ``all:ID``, every member together) and as the holders
    or eligible parties of a role cell or a transition's ``assign`` (``group:ID``, the
    members). Naming the collective once keeps the rules that name it in step when its
    membership changes, and lets refusals and renderings say the collective's name.
    """

    id: str
    title: str
    members: tuple[str, ...]
    description: str = ""
    source: str = ""


@frozen
class RoleDef:
    """A kind of regie or responsibility: a row of the card."""

    id: str
    title: str
    description: str = ""
    source: str = ""
    max_holders: int = 0
    """How many parties may hold it at once (0: no limit). Joint holders count each."""
    min_holders: int = 0
    """How many parties hold it at least whenever it is held (0: one). A cell may say
    otherwise for its state (:attr:`RoleCell.min_holders`)."""
    chair: str | None = None
    """The role whose holders chair the group of this role's holders: when two or more
    parties hold it, the chairing role must be held too (a regiegroep of casusregisseurs
    chaired by the procesregisseur)."""
    order: int = 0
    """Where its row stands on the card (0: after the rows that give one, in the order of
    the file)."""


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
    written: Mapping[str, tuple[str, ...]] = attrs.field(factory=dict)
    """``holders`` and ``eligible`` as the card writes them, where they name a party
    group (``group:ID``); the fields above hold the members, which is what a case reads.
    Kept for the words of renderings and for located errors."""
    min_holders: int = 0
    """How many hold the role at least while this state is active (0: the role's own)."""
    max_holders: int = 0
    """How many hold it at most here (0: the role's own)."""
    chair: str | None = None
    """The role that chairs this role's holders here (``None``: the role's own)."""
    choices: tuple[Choice, ...] = ()
    """Default holders that depend on the case, first that applies; ``holders`` is then
    the choice without a condition (or empty)."""

    @property
    def eligible_set(self) -> frozenset[str]:
        """Who may hold the role here: the eligible list, or the default holders (every
        choice's)."""
        if self.eligible:
            return frozenset(self.eligible)
        return frozenset(self.holders).union(*(c.holders for c in self.choices))

    def default_holders(self, situation: Situation) -> tuple[str, ...]:
        """The default holders for a case in ``situation``."""
        if not self.choices:
            return self.holders
        chosen = choose(self.choices, situation)
        return () if chosen is None else chosen


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
    duration: TimeLimit | None = None
    """Its longest stay (``None``: none), past which it is due; see :class:`TimeLimit`."""

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
    tags: tuple[str, ...] = ()
    """Tags that classify it (ids of :attr:`Policy.tags`); recorded on its events."""


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
    A slot is a party id, ``role:ROLE`` (a current holder), ``group:GROUP`` (any member
    of a party group), several of those joined by ``|`` (any one of them), or
    ``all:GROUP`` (every member of the group, each filling a slot of its own)."""
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
    assign_written: Mapping[str, tuple[str, ...]] = attrs.field(factory=dict)
    """The ``assign`` lists as the card writes them, where they name a party group;
    ``assign`` holds the members."""
    tags: tuple[str, ...] = ()
    """Tags that classify it (ids of :attr:`Policy.tags`); recorded on its events."""


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
    tags: tuple[str, ...] = ()
    """Tags that classify it (ids of :attr:`Policy.tags`); recorded on its events."""
    duration: TimeLimit | None = None
    """Its longest term and how it may be extended (``None``: it lasts until ended)."""


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
    party_groups: Mapping[str, PartyGroup] = attrs.field(factory=dict)
    """The card's ``groups:``: named collectives of parties."""
    tags: Mapping[str, Tag] = attrs.field(factory=dict)
    """The tags the card declares; empty when it uses tags without declaring them."""
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
    _memos: dict[str, dict[Any, Any]] = attrs.field(
        factory=dict, init=False, eq=False, repr=False, hash=False
    )
    """The tables of :meth:`memo`."""

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

    def memo(self, name: str) -> dict[Any, Any]:
        """A table, named ``name``, in which a module keeps what it derives from this card
        alone (whether a rule's deciders name groups, which roles a configuration bounds),
        so that a question asked for every command is answered once per card. The card is
        immutable, so nothing kept here goes stale; a copy made with ``attrs.evolve``
        starts with empty tables."""
        table = self._memos.get(name)
        if table is None:
            table = self._memos[name] = {}
        return table

    def tag_title(self, tag: str) -> str:
        """The words of a tag: its declared title, or its id when the card declares none."""
        found = self.tags.get(tag)
        return found.title if found is not None else tag

    def party_kind(self, party: str) -> str:
        """The kind of a party (``client``, ``professional`` …), or ``""`` if unknown."""
        found = self.parties.get(party)
        return found.kind if found else ""
