"""What a simulation reports, derived from the kernel's integer counts and the tables.

The kernel only counts households per situation and draws per (situation, attempt);
phases, transitions, caseloads, refusals, informing and the accepted steps per tag of
the card (a calamity, stalled co-operation) are read off those counts with
the compiled tables, so every figure is a sum of whole households and the same under
any partitioning. Replications give means with 95% intervals (Student's t).

May import: ``regiekaart.render``, ``regiekaart.testing``, ``regiekaart.store``,
``regiekaart.scenario``, ``regiekaart.analysis``, ``regiekaart.runtime``,
``regiekaart.policy`` and the foundation (never ``regiekaart.cli`` or ``regiekaart.verify``).
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs

from regiekaart.simulate.kernel import Run
from regiekaart.simulate.model import Model, Situation

__all__ = [
    "Tables",
    "headline",
    "interval",
    "steps_per_tag",
    "summarise",
    "tables",
    "write_parquet",
    "write_summary",
]

_T975 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
         2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
         2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042]  # fmt: skip
"""Student's t, two-sided 95%, for 1-30 degrees of freedom (beyond: 1.96)."""


def interval(values: Sequence[float]) -> dict[str, float]:
    """Mean and 95% interval over replications (a single run has a zero-width interval)."""
    n = len(values)
    mean = sum(values) / n
    if n < 2:
        return {"mean": mean, "low": mean, "high": mean}
    sd = math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1))
    t = _T975[n - 2] if n - 1 <= len(_T975) else 1.96
    half = t * sd / math.sqrt(n)
    return {"mean": mean, "low": mean - half, "high": mean + half}


@attrs.define
class Tables:
    """The report of one replication as long tables (column name → list)."""

    phases: dict[str, list[Any]]
    transitions: dict[str, list[Any]]
    caseload: dict[str, list[Any]]
    refusals: dict[str, list[Any]]
    informed: dict[str, list[Any]]
    households: dict[str, Any]
    tags: dict[str, list[Any]]
    """Accepted steps per week by tag (a step with two tags counts once for each)."""


def tables(model: Model, run: Run, replication: int) -> Tables:
    """Long tables of one replication (per week; per household)."""
    import numpy as np

    phases = _occupancy(
        model, run, replication, ("phase", "state"), lambda s: [(s.phase, s.label)], keep_zero=True
    )
    caseload = _occupancy(
        model,
        run,
        replication,
        ("role", "party"),
        lambda s: [(role, party) for role, parties in s.roles for party in parties],
        keep_zero=False,
    )
    transitions, refusals, informed = _flows(model, run, replication)
    per_household: dict[str, Any] = {
        "replication": np.full(len(run.kind), replication, dtype=np.int32),
        "household": np.arange(len(run.kind), dtype=np.int64),
        "composition": np.array([c.name for c in model.scenario.mix])[run.kind],
    }
    for pi, phase in enumerate(model.phases):
        per_household[f"weeks_{phase}"] = run.weeks_in_phase[:, pi]
        per_household[f"ever_{phase}"] = run.ever[:, pi]
    tags = _tagged(model, run, replication)
    return Tables(phases, transitions, caseload, refusals, informed, per_household, tags)


def _occupancy(
    model: Model,
    run: Run,
    replication: int,
    names: tuple[str, str],
    keys: Callable[[Situation], list[tuple[str, str]]],
    *,
    keep_zero: bool,
) -> dict[str, list[Any]]:
    """Households per key and week: the situation counts times a 0/1 membership matrix."""
    import numpy as np

    situations = model.situations
    labels = sorted({key for s in situations for key in keys(s)})
    position = {key: i for i, key in enumerate(labels)}
    member = np.zeros((len(situations), len(labels)), dtype=np.int64)
    for s in situations:
        for key in keys(s):
            member[s.index, position[key]] = 1
    counts = run.occupancy @ member
    table: dict[str, list[Any]] = {"replication": [], "week": [], names[0]: [], names[1]: []}
    table["households"] = []
    for week, row in enumerate(counts.tolist()):
        for (first, second), value in zip(labels, row, strict=True):
            if value or keep_zero:
                _append(table, replication, week, **{names[0]: first, names[1]: second},
                        households=value)  # fmt: skip
    return table


def _flows(
    model: Model, run: Run, replication: int
) -> tuple[dict[str, list[Any]], dict[str, list[Any]], dict[str, list[Any]]]:
    """Transitions, refusals by rule and informing by recipient, per week."""
    import numpy as np

    transitions: dict[str, list[Any]] = {
        "replication": [], "week": [], "source": [], "target": [], "attempt": [], "count": []
    }  # fmt: skip
    refusals: dict[str, list[Any]] = {"replication": [], "week": [], "rule": [], "count": []}
    informed: dict[str, list[Any]] = {"replication": [], "week": [], "recipient": [], "count": []}
    columns = model.width + 1
    for week, row in enumerate(run.edges):
        moves: Counter[tuple[str, str, str]] = Counter()
        refused: Counter[str] = Counter()
        told: Counter[str] = Counter()
        for flat in np.flatnonzero(row).tolist():
            count = int(row[flat])
            si, j = divmod(flat, columns)
            rule = int(model.refusal[si, j])
            if rule >= 0:
                refused[model.rules[rule]] += count
                continue
            for recipient in model.informed[si][j]:
                told[recipient] += count
            source, target = model.situations[si], model.situations[int(model.target[si, j])]
            if source.label != target.label or source.roles != target.roles:
                attempt = model.attempt_labels(si)[j].split(":", 1)[1]
                moves[(source.label, target.label, attempt)] += count
        _expiry_flows(model, run, week, moves, told)
        for (source_label, target_label, attempt), count in sorted(moves.items()):
            _append(transitions, replication, week, source=source_label, target=target_label,
                    attempt=attempt, count=count)  # fmt: skip
        for rule_id, count in sorted(refused.items()):
            _append(refusals, replication, week, rule=rule_id, count=count)
        for recipient, count in sorted(told.items()):
            _append(informed, replication, week, recipient=recipient, count=count)
    return transitions, refusals, informed


def _expiry_flows(
    model: Model,
    run: Run,
    week: int,
    moves: Counter[tuple[str, str, str]],
    told: Counter[str],
) -> None:
    """Add the expiries of ``week`` to its moves and its informing."""
    for si, k, count in _expiries(model, run, week):
        target = model.situations[int(model.expiries.target[si, k])]
        for recipient in model.expiries.informed[si][k]:
            told[recipient] += count
        source = model.situations[si]
        if source.label != target.label or source.roles != target.roles:
            moves[(source.label, target.label, "expire")] += count


def _tagged(model: Model, run: Run, replication: int) -> dict[str, list[Any]]:
    """Accepted steps by tag, per week: the draws of each (situation, attempt) whose
    event records the tag."""
    import numpy as np

    table: dict[str, list[Any]] = {"replication": [], "week": [], "tag": [], "count": []}
    columns = model.width + 1
    for week, row in enumerate(run.edges):
        counted: Counter[str] = Counter()
        for flat in np.flatnonzero(row).tolist():
            si, j = divmod(flat, columns)
            for tag in model.tags[si][j]:
                counted[tag] += int(row[flat])
        for si, k, count in _expiries(model, run, week):
            for tag in model.expiries.tags[si][k]:
                counted[tag] += count
        for tag, count in sorted(counted.items()):
            _append(table, replication, week, tag=tag, count=count)
    return table


def _expiries(model: Model, run: Run, week: int) -> list[tuple[int, int, int]]:
    """The expiries of ``week``: (situation, slot, households), none without terms."""
    import numpy as np

    if run.expired is None:
        return []
    slots, row = len(model.expiries.slots), run.expired[week]
    return [(*divmod(flat, slots), int(row[flat])) for flat in np.flatnonzero(row).tolist()]


def _append(table: dict[str, list[Any]], replication: int, week: int, **values: Any) -> None:
    table["replication"].append(replication)
    table["week"].append(week)
    for key, value in values.items():
        table[key].append(value)


def headline(model: Model, run: Run) -> dict[str, float]:
    """The figures a replication is summarised by (compared across replications and
    policies): households per phase at the horizon, mean weekly caseload per (role,
    party), refusals per rule, accepted steps per tag, share ever in each phase, mean
    weeks per phase."""
    out: dict[str, float] = {}
    end = run.occupancy[-1]
    for pi, phase in enumerate(model.phases):
        mask = model.phase_of == pi
        out[f"households at horizon/{phase}"] = float(end[mask].sum())
        out[f"share ever in/{phase}"] = float(run.ever[:, pi].mean())
        out[f"mean weeks in/{phase}"] = float(run.weeks_in_phase[:, pi].mean())
    mean_occupancy = run.occupancy[:-1].mean(axis=0)
    for s in model.situations:
        for role, parties in s.roles:
            for party in parties:
                key = f"mean caseload/{role}/{party}"
                out[key] = out.get(key, 0.0) + float(mean_occupancy[s.index])
    totals = run.edges.sum(axis=0).reshape(len(model.situations), model.width + 1)
    for ri, rule in enumerate(model.rules):
        out[f"refusals/{rule}"] = float(totals[model.refusal == ri].sum())
    for tag, count in _steps_tagged(model, run, totals).items():
        out[f"steps tagged/{tag}"] = float(count)
    return {key: out[key] for key in sorted(out)}


def _steps_tagged(model: Model, run: Run, totals: Any) -> dict[str, int]:
    """:func:`steps_per_tag`, with the expiries' tags (every one named, zero or not)."""
    tagged = steps_per_tag(model, totals)
    for tag in {t for row in model.expiries.tags for tags in row for t in tags}:
        tagged.setdefault(tag, 0)
    for week in range(len(run.edges)):
        for si, k, count in _expiries(model, run, week):
            for tag in model.expiries.tags[si][k]:
                tagged[tag] += count
    return dict(sorted(tagged.items()))


def steps_per_tag(model: Model, counts: Any) -> dict[str, int]:
    """Accepted steps per tag, from draws per (situation, attempt) as a (situations,
    width + 1) array; every tag the explored steps can record is named, zero or not, so
    replications and policies are compared on the same keys."""
    out: dict[str, int] = {}
    for si, row in enumerate(model.tags):
        for j, tags in enumerate(row):
            for tag in tags:
                out[tag] = out.get(tag, 0) + int(counts[si, j])
    return dict(sorted(out.items()))


def summarise(runs: Sequence[Mapping[str, float]]) -> dict[str, dict[str, float]]:
    keys = sorted({key for run in runs for key in run})
    return {key: interval([run.get(key, 0.0) for run in runs]) for key in keys}


def write_parquet(out: Path, parts: Sequence[Tables]) -> list[Path]:
    """One Parquet file per table, all replications together."""
    import numpy as np
    import pyarrow as pa  # type: ignore[import-untyped]
    import pyarrow.parquet as pq  # type: ignore[import-untyped]

    out.mkdir(parents=True, exist_ok=True)
    written = []
    names = ("phases", "transitions", "caseload", "refusals", "informed", "households", "tags")
    for name in names:
        merged: dict[str, Any] = {}
        for part in parts:
            for column, values in getattr(part, name).items():
                merged.setdefault(column, []).append(np.asarray(values))
        table = pa.table(
            {column: pa.array(np.concatenate(chunks)) for column, chunks in merged.items()}
        )
        path = out / f"{name}.parquet"
        pq.write_table(table, path)
        written.append(path)
    return written


def write_summary(path: Path, summary: Mapping[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(summary, indent=2, ensure_ascii=False, default=str) + "\n", "utf-8")
