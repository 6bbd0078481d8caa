"""Running a scenario: replications, common random numbers, files that reproduce a run.

A replication differs from another only in the ``replication`` entry of every random
key, so replication ``r`` of two policies draws the same uniforms for the same
households: the difference between the policies is then a paired difference, and its
interval is much narrower than that of two independent runs.

May import: ``regiekaart.render``, ``regiekaart.testing``, ``regiekaart.store``,
``regiekaart.scenario``, ``regiekaart.analysis``, ``regiekaart.runtime``,
``regiekaart.policy`` and the foundation (never ``regiekaart.cli`` or ``regiekaart.verify``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import attrs

from regiekaart import __version__
from regiekaart.simulate.attempts import PopulationScenario
from regiekaart.simulate.kernel import simulate_range
from regiekaart.simulate.model import Model, compile_model
from regiekaart.simulate.output import (
    Tables,
    headline,
    summarise,
    tables,
    write_parquet,
    write_summary,
)

__all__ = [
    "Progress",
    "SimulationResult",
    "compare",
    "simulate",
    "total_work",
    "write",
]

Progress = Callable[[int], None]
"""Called with the number of household-weeks just finished."""


@attrs.define
class SimulationResult:
    """Tables and headline figures of every replication of one policy."""

    model: Model
    households: int
    weeks: int
    tables: list[Tables]
    headlines: list[dict[str, float]]
    seconds: float

    def summary(self) -> dict[str, Any]:
        """What a reader needs to reproduce the run exactly, and its results."""
        scenario = self.model.scenario
        policy = scenario.policy
        return {
            "regiekaart": __version__,
            "scenario": {
                "file": scenario.file,
                "title": scenario.title,
                "content": dict(scenario.raw),
            },
            "policy": {
                "id": policy.id,
                "version": policy.version,
                "digest": policy.digest,
                "file": str(scenario.policy_path),
            },
            "seed": scenario.seed,
            "households": self.households,
            "weeks": self.weeks,
            "replications": len(self.headlines),
            "situations": len(self.model.situations),
            "seconds": round(self.seconds, 3),
            "results": summarise(self.headlines),
        }


def simulate(
    scenario: PopulationScenario,
    *,
    households: int | None = None,
    weeks: int | None = None,
    replications: int | None = None,
    progress: Progress | None = None,
    client: Any = None,
) -> SimulationResult:
    """Compile the scenario and run every replication on the kernel — in this process,
    or as household partitions on a ``distributed.Client`` (identical results)."""
    began = time.perf_counter()
    model = compile_model(scenario)
    n = scenario.households if households is None else households
    horizon = scenario.horizon_weeks if weeks is None else weeks
    count = scenario.replications if replications is None else replications
    parts: list[Tables] = []
    heads: list[dict[str, float]] = []
    for replication in range(count):
        advance = None
        if progress is not None:
            report = progress

            def advance(done: int, report: Progress = report) -> None:
                report(done * horizon)

        if client is not None:
            from regiekaart.simulate.scale import simulate_on_cluster

            run = simulate_on_cluster(
                client, model, n, replication=replication, weeks=horizon, progress=advance
            )
        else:
            run = simulate_range(
                model, 0, n, replication=replication, weeks=horizon, progress=advance
            )
        parts.append(tables(model, run, replication))
        heads.append(headline(model, run))
    return SimulationResult(model, n, horizon, parts, heads, time.perf_counter() - began)


def compare(base: SimulationResult, other: SimulationResult) -> dict[str, dict[str, float]]:
    """Paired differences (other minus base) per headline figure, with 95% intervals."""
    from regiekaart.simulate.output import interval

    keys = sorted({key for head in (*base.headlines, *other.headlines) for key in head})
    out = {}
    for key in keys:
        diffs = [
            b.get(key, 0.0) - a.get(key, 0.0)
            for a, b in zip(base.headlines, other.headlines, strict=True)
        ]
        out[key] = interval(diffs)
    return out


def write(result: SimulationResult, out: Path, extra: dict[str, Any] | None = None) -> list[Path]:
    """Parquet tables and ``summary.json`` under ``out``."""
    written = write_parquet(out, result.tables)
    summary = result.summary()
    if extra:
        summary.update(extra)
    write_summary(out / "summary.json", summary)
    return [*written, out / "summary.json"]


def total_work(scenario: PopulationScenario, households: int, weeks: int, replications: int,
               policies: Sequence[object] = (None,)) -> int:  # fmt: skip
    """Household-weeks a run will simulate (for the progress bar)."""
    del scenario
    return households * weeks * replications * len(policies)
