"""The fast engine: all households advance a week at a time over the compiled tables.

Per week a household's uniform is compared with its situation's cumulative table one
column at a time (``take`` + ``>=`` + add into preallocated buffers — fresh temporaries per
step cost more than the arithmetic), the chosen (situation, attempt) pair is counted, and
the outcome table gives the next situation. At the end of the week the measures whose
term is over expire, by the expiry table (:mod:`.expiry`). Households are processed in
blocks that fit the cache; only integer counts are summed across blocks, so any split
of the households gives identical results.

May import: ``regiekaart.render``, ``regiekaart.testing``, ``regiekaart.store``,
``regiekaart.scenario``, ``regiekaart.analysis``, ``regiekaart.runtime``,
``regiekaart.policy`` and the foundation (never ``regiekaart.cli`` or ``regiekaart.verify``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import attrs

from regiekaart.simulate import draws
from regiekaart.simulate.expiry import NEVER
from regiekaart.simulate.model import Model, households

__all__ = [
    "BLOCK",
    "Run",
    "simulate_range",
]

BLOCK = 131_072


@attrs.define
class Run:
    """Counts of one replication; everything reported is derived from these."""

    occupancy: Any
    """int64 (weeks + 1, situations): households per situation at the start of each week
    (the last row is the end of the horizon)."""
    edges: Any
    """int64 (weeks, situations * (width + 1)): how often each (situation, attempt) was drawn."""
    weeks_in_phase: Any
    """uint16 (households, phases): weeks spent in each phase (state at the start of a week)."""
    ever: Any
    """bool (households, phases): whether the household was ever in the phase."""
    kind: Any
    """int32 (households,): the household's composition index."""
    trajectory: Any = None
    """int32 (weeks + 1, households) of situation indices, when asked for."""
    expired: Any = None
    """int64 (weeks, situations * slots): how often each (situation, slot) expired, when
    the card gives measures a term."""

    def merge(self, other: Run) -> Run:
        """Join the run of the next block of households."""
        import numpy as np

        trajectory = None
        if self.trajectory is not None and other.trajectory is not None:
            trajectory = np.concatenate([self.trajectory, other.trajectory], axis=1)
        expired = None
        if self.expired is not None and other.expired is not None:
            expired = self.expired + other.expired
        return Run(
            occupancy=self.occupancy + other.occupancy,
            edges=self.edges + other.edges,
            expired=expired,
            weeks_in_phase=np.concatenate([self.weeks_in_phase, other.weeks_in_phase]),
            ever=np.concatenate([self.ever, other.ever]),
            kind=np.concatenate([self.kind, other.kind]),
            trajectory=trajectory,
        )


def simulate_range(
    model: Model,
    start: int,
    stop: int,
    *,
    replication: int = 0,
    weeks: int | None = None,
    trajectory: bool = False,
    progress: Callable[[int], None] | None = None,
    block: int = BLOCK,
) -> Run:
    """Simulate households ``[start, stop)`` over the horizon, block by block."""
    out: Run | None = None
    for a in range(start, stop, block):
        b = min(stop, a + block)
        part = _block(model, a, b, replication, weeks, trajectory)
        out = part if out is None else out.merge(part)
        if progress is not None:
            progress(b - a)
    assert out is not None, "no households to simulate"
    return out


def _block(model: Model, a: int, b: int, replication: int, weeks: int | None, record: bool) -> Run:
    """One block of households over the whole horizon.

    Most household-weeks see no attempt at all, so each week first compares every
    household's uniform with its situation's total chance (one gather, one comparison);
    only the few below it go through the column passes and the outcome table. The count
    for those few equals the full column count for everyone, and a household above its
    total gets the "nothing" column, which is what the full count would give it too.
    """
    import numpy as np

    scenario = model.scenario
    horizon = scenario.horizon_weeks if weeks is None else weeks
    n = b - a
    count = len(model.situations)
    columns = model.width + 1
    kind, state = households(model, replication, a, b)
    attempts = model.attempts_per_situation
    total = model.total_chance
    cum_columns = [np.ascontiguousarray(model.cum[:, j]) for j in range(model.width)]
    target_flat = np.ascontiguousarray(model.target.reshape(-1))
    phase_of = model.phase_of.astype(np.intp)
    phases = len(model.phases)
    occupancy = np.zeros((horizon + 1, count), dtype=np.int64)
    edges = np.zeros((horizon, count, columns), dtype=np.int64)
    weeks_in_phase = np.zeros((phases, n), dtype=np.uint16)
    ever = np.zeros((phases, n), dtype=bool)
    phase = phase_of[state]
    since = np.zeros(n, dtype=np.uint16)
    ever[phase, np.arange(n)] = True
    trajectory = np.empty((horizon + 1, n), dtype=np.int32) if record else None
    bound = np.empty(n, dtype=np.float64)
    hit = np.empty(n, dtype=bool)
    situation_rows = np.arange(count)

    def moved(households: Any, week: int) -> None:
        """Bookkeeping of the households whose situation just changed in ``week``."""
        new_phase = phase_of[state[households]]
        changed = households[new_phase != phase[households]]
        if len(changed):
            old = phase[changed]
            weeks_in_phase[old, changed] += week + 1 - since[changed]
            since[changed] = week + 1
            phase[changed] = phase_of[state[changed]]
            ever[phase[changed], changed] = True

    terms = _Terms(model, state, horizon)
    for week in range(horizon):
        if trajectory is not None:
            trajectory[week] = state
        occupancy[week] = np.bincount(state, minlength=count)
        u = draws.uniforms(scenario.seed, replication, week, draws.WEEKLY, a, b)
        np.take(total, state, out=bound)
        np.less(u, bound, out=hit)
        moving = np.flatnonzero(hit)
        here = state[moving]
        mine = u[moving]
        choice = np.zeros(len(moving), dtype=np.intp)
        for column in cum_columns:
            choice += mine >= column[here]
        flat = here * columns + choice
        tried = np.bincount(flat, minlength=count * columns).reshape(count, columns)
        edges[week] = tried
        edges[week, situation_rows, attempts] += occupancy[week] - tried.sum(axis=1)
        after = target_flat[flat]
        state[moving] = after
        moved(moving, week)
        terms.after_attempts(moving, here, after, week)
        terms.expire(state, week, moved)
    weeks_in_phase[phase, np.arange(n)] += horizon - since
    if trajectory is not None:
        trajectory[horizon] = state
    occupancy[horizon] = np.bincount(state, minlength=count)
    return Run(
        occupancy=occupancy,
        edges=edges.reshape(horizon, count * columns),
        weeks_in_phase=np.ascontiguousarray(weeks_in_phase.T),
        ever=np.ascontiguousarray(ever.T),
        kind=kind,
        trajectory=trajectory,
        expired=terms.expired,
    )


class _Terms:
    """The weeks each household's measures with a term end in, and their expiry at the
    end of a week: nothing at all for a card without terms."""

    def __init__(self, model: Model, state: Any, horizon: int) -> None:
        import numpy as np

        tables = model.expiries
        self.slots = len(tables.slots)
        self.expired: Any = None
        if not self.slots:
            return
        self.tables = tables
        self.ends = tables.weeks(horizon)
        self.count = len(model.situations)
        self.expired = np.zeros((horizon, self.count * self.slots), dtype=np.int64)
        started = tables.in_force[state]
        self.deadline = np.where(started, self.ends[:, 0][None, :], NEVER).astype(np.int32)

    def after_attempts(self, moving: Any, before: Any, after: Any, week: int) -> None:
        """A measure imposed this week ends when its term says; one ended, never."""
        if not self.slots:
            return
        import numpy as np

        was, now = self.tables.in_force[before], self.tables.in_force[after]
        current = self.deadline[moving]
        current = np.where(now & ~was, self.ends[:, week][None, :], current)
        self.deadline[moving] = np.where(~now, NEVER, current)

    def expire(self, state: Any, week: int, moved: Callable[[Any, int], None]) -> None:
        """Every term over by the start of next week expires, slot by slot, as the
        reference engine records them; a refused expiry (a closed case) changes nothing."""
        if not self.slots:
            return
        import numpy as np

        tables = self.tables
        for k in range(self.slots):
            due = np.flatnonzero(self.deadline[:, k] <= week + 1)
            if not len(due):
                continue
            before = state[due]
            taken = tables.accepted[before, k]
            due, before = due[taken], before[taken]
            self.expired[week] += np.bincount(
                before * self.slots + k, minlength=self.count * self.slots
            )
            state[due] = tables.target[before, k]
            self.deadline[due, k] = NEVER
            moved(due, week)
