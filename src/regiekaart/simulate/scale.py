"""Household partitions on a ``dask.distributed`` cluster, with results identical to one process.

The compiled tables are scattered to every worker once; each task simulates one range
of households ``[a, b)`` over all weeks (one task per range keeps the per-task overhead
out of the weekly loop). Random numbers are keyed by the household's global index, so a
range draws the same numbers wherever it runs, and the ranges' runs are joined in
household order with integer sums only: the result equals the single-process run.
``dask.array.random`` is deliberately not used — it seeds per chunk, so its numbers
change with the chunking.

May import: ``regiekaart.render``, ``regiekaart.testing``, ``regiekaart.store``,
``regiekaart.scenario``, ``regiekaart.analysis``, ``regiekaart.runtime``,
``regiekaart.policy`` and the foundation (never ``regiekaart.cli`` or ``regiekaart.verify``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from regiekaart.simulate.kernel import Run, simulate_range
from regiekaart.simulate.model import Model

__all__ = [
    "simulate_on_cluster",
]


def _task(model: Model, a: int, b: int, replication: int, weeks: int) -> Run:
    return simulate_range(model, a, b, replication=replication, weeks=weeks)


def simulate_on_cluster(
    client: Any,
    model: Model,
    households: int,
    *,
    replication: int,
    weeks: int,
    partitions: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> Run:
    """One replication, split into ``partitions`` household ranges (default: two per
    worker), run as futures on ``client`` (a ``distributed.Client``)."""
    from distributed import as_completed

    if partitions is None:
        partitions = max(1, 2 * len(client.scheduler_info().get("workers", {})))
    size = -(-households // partitions)
    ranges = [(a, min(households, a + size)) for a in range(0, households, size)]
    shared = client.scatter(model, broadcast=True, hash=False)  # a fresh key per call
    futures = [
        client.submit(_task, shared, a, b, replication, weeks, pure=False) for a, b in ranges
    ]
    runs: dict[int, Run] = {}
    index = {future.key: i for i, future in enumerate(futures)}
    for future in as_completed(futures):  # type: ignore[no-untyped-call]
        runs[index[future.key]] = future.result()
        if progress is not None:
            a, b = ranges[index[future.key]]
            progress(b - a)
    out = runs[0]
    for i in range(1, len(ranges)):
        out = out.merge(runs[i])
    return out
