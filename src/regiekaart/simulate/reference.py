"""The reference engine: one real :class:`~regiekaart.runtime.case.Case` per household.

Every week each household's uniform picks an attempt from its current state's table,
and the command goes through :meth:`Case.apply` — deciders, criteria, hand-overs and
informing duties happen exactly as in the embedded runtime. At the end of the week
every measure whose term is over is recorded as expired (:mod:`.expiry`). It is slow on
purpose and serves as the yardstick the kernel is proven equal to.

May import: ``regiekaart.render``, ``regiekaart.testing``, ``regiekaart.store``,
``regiekaart.scenario``, ``regiekaart.analysis``, ``regiekaart.runtime``,
``regiekaart.policy`` and the foundation (never ``regiekaart.cli`` or ``regiekaart.verify``).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import attrs

from regiekaart.errors import CommandRefused
from regiekaart.runtime.case import Case
from regiekaart.runtime.records import Event
from regiekaart.simulate import draws
from regiekaart.simulate.expiry import WeekClock, expire_command
from regiekaart.simulate.model import Model, households

__all__ = [
    "ReferenceRun",
    "Snapshot",
    "simulate_reference",
    "snapshot",
]

Snapshot = tuple[tuple[str, ...], tuple[tuple[str, tuple[str, ...]], ...]]
"""Where a household is: its active states and its role holders."""


@attrs.define
class ReferenceRun:
    """Per week (index 0 is the start): each household's configuration and role holders;
    per week of the horizon: refusals by rule, informing by recipient and accepted steps
    by tag."""

    trajectory: list[list[Snapshot]]
    refusals: list[Counter[str]]
    informed: list[Counter[str]]
    tags: list[Counter[str]] = attrs.field(factory=list)


def snapshot(case: Case) -> Snapshot:
    return case.configuration, tuple(sorted(case.roles.items()))


def simulate_reference(
    model: Model, start: int, stop: int, *, replication: int = 0, weeks: int | None = None
) -> ReferenceRun:
    """Drive households ``[start, stop)`` through real cases for the horizon."""
    scenario = model.scenario
    policy = scenario.policy
    horizon = scenario.horizon_weeks if weeks is None else weeks
    kinds, starts = households(model, replication, start, stop)
    clock = WeekClock()
    cases: list[Case] = []
    for offset, (kind, situation) in enumerate(zip(kinds.tolist(), starts.tolist(), strict=True)):
        case = Case.create(
            policy,
            f"household-{start + offset}",
            actor=scenario.opened_by,
            members=scenario.mix[kind].members(),
            clock=clock,
        )
        for command in model.paths[situation]:
            case.apply(command)
        cases.append(case)
    tables: dict[str | None, Any] = {}
    run = ReferenceRun(trajectory=[[snapshot(c) for c in cases]], refusals=[], informed=[])
    for week in range(horizon):
        clock.week = week
        refused: Counter[str] = Counter()
        informed: Counter[str] = Counter()
        tagged: Counter[str] = Counter()
        u = draws.uniforms(scenario.seed, replication, week, draws.WEEKLY, start, stop).tolist()
        for case, value in zip(cases, u, strict=True):
            key = scenario.table_key(case.configuration)
            attempts = scenario.attempts(case.configuration)
            if key not in tables:
                tables[key] = draws.cumulative([a.p for a in attempts], model.width)
            j = draws.pick(value, tables[key])
            if j >= len(attempts):
                continue
            made = attempts[j].command(case.state)
            if made is None:
                continue
            try:
                event = case.apply(made)
            except CommandRefused as refusal:
                refused[refusal.rule or type(refusal).__name__] += 1
                continue
            informed.update(i.recipient for i in event.informed)
            tagged.update(event.tags)
        clock.week = week + 1
        for event in _expiries(model, cases, clock):
            informed.update(i.recipient for i in event.informed)
            tagged.update(event.tags)
        run.refusals.append(refused)
        run.informed.append(informed)
        run.tags.append(tagged)
        run.trajectory.append([snapshot(c) for c in cases])
    return run


def _expiries(model: Model, cases: list[Case], clock: WeekClock) -> list[Event]:
    """Every measure whose term is over by ``clock``'s week, recorded as expired, slot by
    slot; an expiry the runtime refuses (a closed case) changes nothing and is not
    counted as a refusal: no one attempted it."""
    policy, now, out = model.policy, clock(), []
    for case in cases:
        for slot in model.expiries.slots:
            ends = [m.until for m in case.facts.measures if m.same(*slot) and m.until]
            if not ends or ends[0] > now:
                continue
            try:
                out.append(case.apply(expire_command(policy, slot)))
            except CommandRefused:
                continue
    return out
