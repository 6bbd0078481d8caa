"""The reference engine: one real :class:`~regiekaart.runtime.case.Case` per household.

Every week each household's uniform picks an attempt from its current state's table,
and the command goes through :meth:`Case.apply` — deciders, criteria, hand-overs and
informing duties happen exactly as in the embedded runtime. It is slow on purpose and
serves as the yardstick the kernel is proven equal to.

May import: ``regiekaart.render``, ``regiekaart.testing``, ``regiekaart.store``,
``regiekaart.scenario``, ``regiekaart.analysis``, ``regiekaart.runtime``,
``regiekaart.policy`` and the foundation (never ``regiekaart.cli`` or ``regiekaart.verify``).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import attrs

from regiekaart.clock import StepClock
from regiekaart.errors import CommandRefused
from regiekaart.runtime.case import Case
from regiekaart.simulate import draws
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
    cases: list[Case] = []
    for offset, (kind, situation) in enumerate(zip(kinds.tolist(), starts.tolist(), strict=True)):
        case = Case.create(
            policy,
            f"household-{start + offset}",
            actor=scenario.opened_by,
            members=scenario.mix[kind].members(),
            clock=StepClock(),
        )
        for command in model.paths[situation]:
            case.apply(command)
        cases.append(case)
    tables: dict[str | None, Any] = {}
    run = ReferenceRun(trajectory=[[snapshot(c) for c in cases]], refusals=[], informed=[])
    for week in range(horizon):
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
        run.refusals.append(refused)
        run.informed.append(informed)
        run.tags.append(tagged)
        run.trajectory.append([snapshot(c) for c in cases])
    return run
