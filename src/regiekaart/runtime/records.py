"""The case's state and its audit records, as immutable values.

A :class:`CaseState` is everything that decides what may happen next; an
:class:`Event` is one accepted command with what it changed, in the words of the
policy (rule ids, role hand-overs, obligations). Both (un)structure with cattrs, so a
snapshot is plain JSON and restoring it gives back identical values.

May import: ``regiekaart.policy`` and the foundation (besides this package).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import attrs
import cattrs
from attrs import frozen
from cattrs.gen import make_dict_unstructure_fn, override

from regiekaart.runtime.commands import Command, Member, structure_command, unstructure_command

__all__ = [
    "ActiveMeasure",
    "CaseState",
    "Event",
    "Facts",
    "Handover",
    "Informed",
    "OpenObligation",
    "StateTimer",
    "converter",
    "evolve_facts",
    "structure_event",
    "structure_state",
    "unstructure",
]


@frozen
class ActiveMeasure:
    """A compulsory measure in force for one household member.

    A measure the card gives a longest term records when it was imposed and when it
    ends (extended, when it was); these are what it was decided under, so a later card
    with another term changes no measure in force.
    """

    measure: str
    member: str
    since: datetime | None = None
    """When it was imposed (``None``: a measure without a term)."""
    until: datetime | None = None
    """When it ends unless extended: from then on it is due to expire."""

    def same(self, measure: str, member: str) -> bool:
        """Whether this is ``measure`` for ``member``, whatever its term."""
        return self.measure == measure and self.member == member


@frozen
class Facts:
    """What the policy's rules look at besides the configuration."""

    measures: tuple[ActiveMeasure, ...] = ()
    dominance: str | None = None
    flags: tuple[tuple[str, str], ...] = ()
    """Facts set by decisions, each with the phase it was taken in (it lapses on leaving)."""

    def has(self, fact: str) -> bool:
        """Whether a decision has set ``fact`` and it has not lapsed."""
        return any(name == fact for name, _ in self.flags)


def evolve_facts(facts: Facts, **changes: Any) -> Facts:
    """Facts with some fields replaced."""
    return attrs.evolve(facts, **changes)


@frozen
class OpenObligation:
    """Someone must still be informed; ``due_by`` are the parties who must do it."""

    obligation: str
    recipient: str
    due_by: tuple[str, ...]
    since: int
    """The sequence number of the event that created it."""
    due: datetime | None = None
    """When it must be done by, for a duty the card gives a deadline."""


@frozen
class StateTimer:
    """An active state the card gives a longest stay: when it was entered, when the
    stay is up, and the rule the card expects then (the card's words when it was
    entered, like a measure's term)."""

    state: str
    since: datetime
    until: datetime
    on_expiry: str = ""


@frozen
class CaseState:
    """The case between two commands."""

    configuration: tuple[str, ...]
    """Active states, qualified ids (a phase ``p``, its sub-state ``p.s``), sorted."""
    roles: Mapping[str, tuple[str, ...]]
    facts: Facts = Facts()
    obligations: tuple[OpenObligation, ...] = ()
    members: tuple[Member, ...] = ()
    seq: int = 0
    """The sequence number of the last accepted event (the case's version)."""
    timers: tuple[StateTimer, ...] = ()
    """The active states with a longest stay, in the order they were entered."""


@frozen
class Handover:
    """A role changed hands: ``to`` was in place before ``released`` let go."""

    role: str
    released: tuple[str, ...]
    to: tuple[str, ...]


@frozen
class Informed:
    """A party was informed (or, for a task, must be): who, by whom, under which duty."""

    recipient: str
    by: tuple[str, ...]
    obligation: str = ""
    about: str = ""
    done: bool = True


@frozen
class Event:
    """One accepted command, as the audit trail shows it."""

    seq: int
    at: datetime
    command: Command
    rule: str = ""
    source: str = ""
    before: tuple[str, ...] = ()
    after: tuple[str, ...] = ()
    handovers: tuple[Handover, ...] = ()
    informed: tuple[Informed, ...] = ()
    fulfilled: tuple[str, ...] = ()
    """Obligations this event fulfilled, as ``obligation:recipient``."""
    tags: tuple[str, ...] = ()
    """The tags of the rule that accepted it and of the criteria it invokes, sorted."""
    lapsed: tuple[str, ...] = ()
    """Open duties this event closed as moot because the case left the state that called
    for them, as ``obligation:recipient``."""


converter = cattrs.Converter(forbid_extra_keys=True)
converter.register_unstructure_hook(datetime, lambda dt: dt.isoformat())
converter.register_structure_hook(datetime, lambda value, _: datetime.fromisoformat(value))
converter.register_unstructure_hook(Command, unstructure_command)
converter.register_structure_hook(Command, lambda value, _: structure_command(value))
converter.register_unstructure_hook_func(
    lambda cls: isinstance(cls, type) and issubclass(cls, Command), unstructure_command
)
# An event without tags (or lapsed duties) is written without the key, exactly as before
# events had them:
# stored events are hash-chained over their JSON, so every existing link stays valid,
# and a tagged event is chained over its tags like over any other field.
converter.register_unstructure_hook(
    Event,
    make_dict_unstructure_fn(
        Event,
        converter,
        tags=override(omit_if_default=True),
        lapsed=override(omit_if_default=True),
    ),
)
# Likewise the times a card with time limits records: a state, a measure or a duty
# without them is written as before, so every stored state digest stays valid.
_OMITTED = override(omit_if_default=True)
converter.register_unstructure_hook(
    ActiveMeasure,
    make_dict_unstructure_fn(ActiveMeasure, converter, since=_OMITTED, until=_OMITTED),
)
converter.register_unstructure_hook(
    OpenObligation, make_dict_unstructure_fn(OpenObligation, converter, due=_OMITTED)
)
converter.register_unstructure_hook(
    StateTimer, make_dict_unstructure_fn(StateTimer, converter, on_expiry=_OMITTED)
)
converter.register_unstructure_hook(
    CaseState, make_dict_unstructure_fn(CaseState, converter, timers=_OMITTED)
)


def unstructure(value: Any) -> Any:
    """Plain JSON-able data for a record."""
    return converter.unstructure(value)


def structure_state(data: Any) -> CaseState:
    """A :class:`CaseState` back from :func:`unstructure` output."""
    return converter.structure(data, CaseState)


def structure_event(data: Any) -> Event:
    """An :class:`Event` back from :func:`unstructure` output."""
    return converter.structure(data, Event)
