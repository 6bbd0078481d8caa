"""What exhaustive verification costs, against the bare explorer in the same run.

(a) Baseline: :func:`regiekaart.analysis.search.bfs` alone over the same scope and bound, in one
process — every command enumerated and applied to the real case, no checks, no log
kept. This is the raw enumerate + apply throughput the verifier stands on.

(b) :func:`regiekaart.verify.explore` in one process: the same walk with the event log
kept (for the shortest stories), every invariant checked after every accepted command,
the decider check on every accepted command, and the graph analysis (dead ends,
coverage).

(c) The same verification with each breadth-first level spread over ``--workers``
processes (default: one per CPU), as ``regiekaart verify`` runs it.

All run in one process tree, interleaved, ``--repeat`` times; the medians and their
ratios to (a) are printed, with situations, commands tried and situations per second,
and whether the bound was hit. (b) and (c) must agree on everything they found.
Run: ``python benchmarks/bench_verify.py [--policy P] [--max-states N] [--workers W]``.
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import time
from pathlib import Path

import structlog

from regiekaart import load_policy
from regiekaart.analysis.enumeration import Scope
from regiekaart.analysis.search import bfs
from regiekaart.policy.model import Policy
from regiekaart.verify import VERIFY_SCOPE, Exploration, explore, start_case

ROOT = Path(__file__).resolve().parents[1]


def baseline(policy: Policy, scope: Scope, max_states: int) -> tuple[float, float, int, int]:
    """Seconds (wall and this process's CPU), situations and commands tried by the bare
    explorer."""
    tried = 0

    def edge(*_: object) -> None:
        nonlocal tried
        tried += 1

    case = start_case(policy)
    began, cpu = time.perf_counter(), time.process_time()
    steps = bfs(policy, case, edge=edge, scope=scope, keep_log=False, max_states=max_states)
    return time.perf_counter() - began, time.process_time() - cpu, len(steps), tried


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--policy", default=str(ROOT / "machines" / "west-brabant.yaml"))
    parser.add_argument("--max-states", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--workers", type=int, default=len(os.sched_getaffinity(0)))
    parser.add_argument(
        "--measure-order", action="store_true", help="keep the order of measures in the key"
    )
    args = parser.parse_args()
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    policy = load_policy(args.policy)
    scope = Scope(measure_order=True) if args.measure_order else VERIFY_SCOPE
    times: dict[str, list[float]] = {"baseline": [], "serial": [], "parallel": []}
    cpu: dict[str, list[float]] = {"baseline": [], "serial": []}
    base_states = base_tried = 0
    runs: dict[str, Exploration] = {}
    for _ in range(args.repeat):
        seconds, used, base_states, base_tried = baseline(policy, scope, args.max_states)
        times["baseline"].append(seconds)
        cpu["baseline"].append(used)
        for name, workers in (("serial", 1), ("parallel", args.workers)):
            began = time.process_time()
            runs[name] = explore(policy, scope=scope, max_states=args.max_states, workers=workers)
            times[name].append(runs[name].seconds)
            if name in cpu:
                cpu[name].append(time.process_time() - began)
    serial, parallel = runs["serial"], runs["parallel"]
    assert _verdict(serial) == _verdict(parallel), "a parallel search must find the same"
    base = statistics.median(times["baseline"])
    print(f"policy {policy.id} {policy.version}; scope {scope}")
    print(
        f"baseline bfs (1 process):   {base_states} situations, {base_tried} commands in "
        f"{base:.1f} s ({base_states / base:.0f} situations/s, {base_tried / base:.0f} commands/s)"
    )
    for name, label in (("serial", "1 process"), ("parallel", f"{args.workers} processes")):
        run, took = runs[name], statistics.median(times[name])
        print(
            f"verify ({label}):{' ' * (15 - len(label))}{run.situations} situations, "
            f"{run.tried} commands ({run.accepted} accepted) in {took:.1f} s "
            f"({run.situations / took:.0f} situations/s); {took / base:.2f}x the baseline"
        )
    ratio = statistics.median(times["serial"]) / statistics.median(times["parallel"])
    print(f"speed-up of {args.workers} processes over 1: {ratio:.2f}x")
    print(
        "CPU seconds of this process (steadier than wall time on a shared machine): "
        + ", ".join(f"{name} {statistics.median(used):.1f}" for name, used in cpu.items())
    )
    print(f"bound hit: {parallel.bound_hit}; findings: {len(parallel.findings)}")
    for finding in parallel.findings:
        print(f"  {finding.check}: {finding.detail}")


def _verdict(run: Exploration) -> tuple[object, ...]:
    return (
        run.situations,
        run.tried,
        run.accepted,
        run.reached,
        run.fired,
        [(f.check, f.detail, f.trace) for f in run.findings],
    )


if __name__ == "__main__":
    main()
