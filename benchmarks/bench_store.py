"""What durability costs: committed commands per second, against the same commands in memory.

The workload is fixed before anything is timed: per writer, its own cases, each with a
sequence of commands the policy accepts one after the other (drawn with a seeded random
walk over :func:`regiekaart.analysis.enumeration.enumerate_commands`). Then, in one run:

- **memory**: the same commands through ``Case.apply`` on cases held in memory (one
  process): the baseline every ratio is against;
- per backend (SQLite file in WAL mode with ``synchronous=FULL``; PostgreSQL on loopback)
  and for 1 and for 4 writer processes started together:
  - **send**: ``store.send(policy, case_id, command)`` per command: read the snapshot,
    apply, commit in one transaction: what a stateless host process does;
  - **commit**: the writer keeps its cases in memory and commits after each command: the
    cost of the transaction alone.

Every command is its own transaction, so "committed commands per second" is also
transactions per second. Elapsed time runs from the first writer's start to the last
writer's end. The machine has 2 cores: 4 writers measure contention, not scale-out.

Each figure is the median of ``--repeat`` runs (3), each on a fresh database. After each
4-writer ``send`` run, ``audit verify`` checks the whole store (every chain walked, every
case replayed under its stored card) and its cases and events per second are printed.

Run: ``python benchmarks/bench_store.py`` (PostgreSQL from ``REGIEKAART_TEST_PG`` or
``--pg URL``; ``scripts/with-postgres python benchmarks/bench_store.py`` starts one).
"""

from __future__ import annotations

import argparse
import json
import logging
import multiprocessing
import os
import random
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

import structlog

from regiekaart import Case, CloseCase, Command, Policy, StepClock, load_policy
from regiekaart.analysis.enumeration import enumerate_commands
from regiekaart.analysis.situations import default_household
from regiekaart.store import open_store

ROOT = Path(__file__).resolve().parent.parent
POLICY = ROOT / "machines" / "universeel.yaml"


def _quiet() -> None:
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))


def _new_case(policy: Policy, case_id: str) -> Case:
    return Case.create(
        policy, case_id, actor="wijkteam", members=default_household(policy), clock=StepClock()
    )


def workload(policy: Policy, writers: int, cases: int, commands: int, seed: int) -> list[
    dict[str, list[Command]]
]:  # fmt: skip
    """Per writer: case id -> commands accepted in order (``commands`` per writer in all)."""
    rng = random.Random(seed)
    out = []
    for writer in range(writers):
        plan: dict[str, list[Command]] = {}
        for n in range(cases):
            case_id = f"w{writer}-c{n}"
            case = _new_case(policy, case_id)
            sequence: list[Command] = []
            while len(sequence) < commands // cases:
                options = [
                    c
                    for c in enumerate_commands(policy, case.state, refusals=False)
                    if not isinstance(c, CloseCase)
                ]
                command = rng.choice(options)
                try:
                    case.apply(command)
                except Exception:  # a variant the policy refuses here: draw again
                    continue
                sequence.append(command)
            plan[case_id] = sequence
        out.append(plan)
    return out


def _interleaved(plan: dict[str, list[Command]]) -> Iterator[tuple[str, Command]]:
    """Round-robin over the writer's cases, as a host serving several households would."""
    for step in range(max(len(s) for s in plan.values())):
        for case_id, sequence in plan.items():
            if step < len(sequence):
                yield case_id, sequence[step]


def in_memory(policy: Policy, plans: list[dict[str, list[Command]]]) -> tuple[int, float]:
    """Apply every writer's commands in memory, one process; (commands, seconds)."""
    cases = {cid: _new_case(policy, cid) for plan in plans for cid in plan}
    steps = [step for plan in plans for step in _interleaved(plan)]
    started = time.perf_counter()
    for case_id, command in steps:
        cases[case_id].apply(command)
    return len(steps), time.perf_counter() - started


def _writer(url: str, plan: dict[str, list[Command]], mode: str, barrier: Any, out: Any) -> None:
    _quiet()
    policy = load_policy(POLICY)
    with open_store(url) as store:
        held = {cid: store.load(policy, cid, history=False) for cid in plan}
        steps = list(_interleaved(plan))
        barrier.wait()
        started = time.perf_counter()
        for case_id, command in steps:
            if mode == "send":
                store.send(policy, case_id, command)
            else:
                case = held[case_id]
                version = case.version
                case.apply(command)
                store.commit(case, expected=version)
        ended = time.perf_counter()
    out.put((len(steps), started, ended))


def stored(
    url: str, policy: Policy, plans: list[dict[str, list[Command]]], mode: str
) -> tuple[int, float]:
    """Run one writer process per plan against ``url``; (commands, seconds)."""
    with open_store(url) as store:
        for plan in plans:
            for case_id in plan:
                store.create(_new_case(policy, case_id))
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(len(plans))
    results = context.Queue()
    processes = [
        context.Process(target=_writer, args=(url, plan, mode, barrier, results)) for plan in plans
    ]
    for process in processes:
        process.start()
    done = [results.get(timeout=600) for _ in processes]
    for process in processes:
        process.join()
        if process.exitcode != 0:
            raise SystemExit(f"a writer failed with exit code {process.exitcode}")
    count = sum(d[0] for d in done)
    return count, max(d[2] for d in done) - min(d[1] for d in done)


@contextmanager
def database(backend: str, pg: str | None, folder: Path) -> Iterator[str]:
    """A fresh empty store URL; a PostgreSQL schema is dropped afterwards."""
    if backend == "sqlite":
        path = folder / f"{uuid.uuid4().hex}.db"
        yield f"sqlite:///{path}"
        return
    import psycopg

    assert pg is not None
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(pg, autocommit=True) as db:
        db.execute(f"CREATE SCHEMA {schema}")  # type: ignore[arg-type]
    try:
        separator = "&" if "?" in pg else "?"
        yield f"{pg}{separator}options={quote(f'-csearch_path={schema}')}"
    finally:
        with psycopg.connect(pg, autocommit=True) as db:
            db.execute(f"DROP SCHEMA {schema} CASCADE")  # type: ignore[arg-type]


def audited(url: str) -> tuple[int, int, float]:
    """``audit verify`` over every case in ``url``: (cases, events, seconds). Each case's
    chain is walked and its events replayed under the card the store keeps."""
    with open_store(url) as store:
        started = time.perf_counter()
        reports = store.verify()
        seconds = time.perf_counter() - started
    if not all(report.ok and report.replayed for report in reports):
        raise SystemExit("audit verify found a problem in a store the benchmark wrote")
    return len(reports), sum(report.events for report in reports), seconds


def _median(runs: list[tuple[int, float]]) -> tuple[int, float]:
    """The run of median duration (all runs do the same number of commands)."""
    ordered = sorted(runs, key=lambda run: run[1])
    return ordered[len(ordered) // 2]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--commands", type=int, default=400, help="commands per writer")
    parser.add_argument("--cases", type=int, default=4, help="cases per writer")
    parser.add_argument("--pg", default=os.environ.get("REGIEKAART_TEST_PG"), help="PostgreSQL URL")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure; the median counts")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args()
    _quiet()
    policy = load_policy(POLICY)
    plans = {n: workload(policy, n, args.cases, args.commands, args.seed) for n in (1, 4)}
    runs = [in_memory(policy, plans[4]) for _ in range(args.repeat)]
    count, seconds = _median(runs)
    baseline = count / seconds
    rows: list[dict[str, Any]] = [
        {"backend": "memory", "mode": "apply", "writers": 1, "commands": count,
         "seconds": seconds, "per_second": baseline, "ratio": 1.0}
    ]  # fmt: skip
    backends = ["sqlite"] + (["postgres"] if args.pg else [])
    audits: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as folder:
        for backend in backends:
            for mode in ("send", "commit"):
                for writers in (1, 4):
                    runs = []
                    for _ in range(args.repeat):
                        with database(backend, args.pg, Path(folder)) as url:
                            runs.append(stored(url, policy, plans[writers], mode))
                            if (mode, writers) == ("send", 4):
                                cases, events, took = audited(url)
                                audits.append(
                                    {"backend": backend, "cases": cases, "events": events,
                                     "seconds": took}
                                )  # fmt: skip
                    count, seconds = _median(runs)
                    rate = count / seconds
                    rows.append(
                        {"backend": backend, "mode": mode, "writers": writers, "commands": count,
                         "seconds": seconds, "per_second": rate, "ratio": rate / baseline}
                    )  # fmt: skip
    if args.json:
        print(json.dumps({"throughput": rows, "audit": audits}, indent=2))
        return
    print(f"{'backend':<9} {'mode':<7} {'writers':>7} {'commands':>8} {'seconds':>8} "
          f"{'cmd/s':>9} {'vs memory':>10}")  # fmt: skip
    for row in rows:
        print(
            f"{row['backend']:<9} {row['mode']:<7} {row['writers']:>7} {row['commands']:>8} "
            f"{row['seconds']:>8.2f} {row['per_second']:>9.0f} {row['ratio']:>10.3f}"
        )
    print(f"\n{'audit verify':<12} {'cases':>6} {'events':>7} {'seconds':>8} {'cases/s':>8} "
          f"{'events/s':>9}")  # fmt: skip
    for audit in audits:
        print(
            f"{audit['backend']:<12} {audit['cases']:>6} {audit['events']:>7} "
            f"{audit['seconds']:>8.2f} {audit['cases'] / audit['seconds']:>8.1f} "
            f"{audit['events'] / audit['seconds']:>9.0f}"
        )
    if not args.pg:
        print("PostgreSQL skipped: set REGIEKAART_TEST_PG or pass --pg URL")


if __name__ == "__main__":
    main()
