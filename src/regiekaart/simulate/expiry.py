"""Measures whose term runs out, in a simulation that counts in weeks.

A card gives some measures a longest term (:mod:`regiekaart.policy.durations`). Both
engines read it the same way: a household's week ``w`` happens at
``START + w`` weeks; a measure imposed in week ``w`` is recorded as expired at the end
of the first week by whose end its term is over — at the latest after its term in
weeks, rounded up — by an ``expire`` command like any other, which the runtime may
refuse (a closed case). The kernel knows, per situation and measure, whether it is in
force and where its expiry leads (found by the explorer, through the real runtime), and
per household the week each term ends.

May import: ``regiekaart.render``, ``regiekaart.testing``, ``regiekaart.store``,
``regiekaart.scenario``, ``regiekaart.analysis``, ``regiekaart.runtime``,
``regiekaart.policy`` and the foundation (never ``regiekaart.cli`` or ``regiekaart.verify``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import attrs

from regiekaart.analysis.search import Outcome
from regiekaart.policy.model import Policy
from regiekaart.runtime.commands import ExpireMeasure, Member
from regiekaart.runtime.records import CaseState

__all__ = [
    "NEVER",
    "START",
    "WEEK",
    "Expiries",
    "Slot",
    "WeekClock",
    "expire_command",
    "expiring",
    "slots_of",
]

START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
"""When week 0 of every simulated household happens."""
WEEK = timedelta(weeks=1)
NEVER = 2**31 - 1
"""The week a measure that is not in force expires in."""

Slot = tuple[str, str]
"""A measure with a term, and the household member (by id) it can be in force for."""


class WeekClock:
    """The reference engine's clock: every event of week ``week`` happens at its start."""

    def __init__(self) -> None:
        self.week = 0

    def __call__(self) -> datetime:
        return START + WEEK * self.week


def slots_of(policy: Policy, households: Sequence[Sequence[Member]]) -> tuple[Slot, ...]:
    """Every (measure, member) of the households whose measure has a term, in order."""
    found = {
        (measure.id, member.id)
        for members in households
        for member in members
        for measure in policy.measures.values()
        if measure.duration is not None and measure.group == member.group
    }
    return tuple(sorted(found))


def expire_command(policy: Policy, slot: Slot) -> ExpireMeasure:
    """The expiry both engines record for ``slot``: in the name of who may end it."""
    measure = policy.measures[slot[0]]
    actor = (measure.ended_by or measure.imposed_by)[0]
    return ExpireMeasure(actor=actor, measure=slot[0], member=slot[1])


def expiring(state: CaseState, slot: Slot) -> bool:
    """Whether ``slot``'s measure is in force in ``state`` with a term."""
    return any(m.same(*slot) and m.until is not None for m in state.facts.measures)


@attrs.define
class Expiries:
    """What the kernel needs to let terms run out (empty for a card without terms)."""

    policy: Policy
    slots: tuple[Slot, ...] = ()
    in_force: Any = None
    """bool (situations, slots): whether the slot's measure is in force there."""
    accepted: Any = None
    """bool (situations, slots): whether its expiry is accepted there."""
    target: Any = None
    """int32 (situations, slots): the situation its expiry leads to (same when refused)."""
    informed: list[list[tuple[str, ...]]] = attrs.field(factory=list)
    """Per situation and slot: the recipients the expiry's event informed."""
    tags: list[list[tuple[str, ...]]] = attrs.field(factory=list)
    """Per situation and slot: the tags the expiry's event records."""

    def fill(self, states: Sequence[CaseState], outcomes: dict[tuple[int, int], Outcome]) -> None:
        """The tables, from each situation's state and the outcome of each expiry tried."""
        import numpy as np

        count, width = len(states), len(self.slots)
        self.in_force = np.zeros((count, width), dtype=bool)
        self.accepted = np.zeros((count, width), dtype=bool)
        self.target = np.repeat(np.arange(count, dtype=np.int32)[:, None], width, axis=1)
        self.informed = [[() for _ in self.slots] for _ in states]
        self.tags = [[() for _ in self.slots] for _ in states]
        for si, state in enumerate(states):
            for k, slot in enumerate(self.slots):
                self.in_force[si, k] = expiring(state, slot)
                tried = outcomes.get((si, k))
                if tried is None or tried.event is None:
                    continue
                assert isinstance(tried.target, int)
                self.accepted[si, k] = True
                self.target[si, k] = tried.target
                self.informed[si][k] = tuple(i.recipient for i in tried.event.informed)
                self.tags[si][k] = tried.event.tags

    def weeks(self, horizon: int) -> Any:
        """int32 (slots, horizon + 1): for a measure imposed in week ``w``, the week by
        whose start its term is over (its expiry is recorded at the end of the week
        before)."""
        import numpy as np

        out = np.full((len(self.slots), horizon + 1), NEVER, dtype=np.int64)
        for k, (measure_id, _) in enumerate(self.slots):
            limit = self.policy.measures[measure_id].duration
            assert limit is not None
            for week in range(horizon + 1):
                begun = START + WEEK * week
                out[k, week] = week + -(-(limit.max.after(begun) - begun) // WEEK)
        return np.minimum(out, NEVER).astype(np.int32)
