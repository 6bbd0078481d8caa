"""What exhaustive verification costs, against the bare explorer in the same run.

(a) Baseline: :func:`regiekaart.explore.bfs` alone over the same scope and bound — every
command enumerated and applied to the real case, no checks, no log kept. This is the
raw enumerate + apply throughput the verifier stands on.

(b) :func:`regiekaart.verify.explore`: the same walk with the event log kept (for the
shortest stories), every invariant checked after every accepted command, the decider
check on every accepted command, and the graph analysis (dead ends, coverage).

Both run in one process, interleaved, ``--repeat`` times; the medians and their ratio
are printed, with situations, commands tried and situations per second, and whether
the bound was hit. Run: ``python benchmarks/bench_verify.py [--policy P] [--max-states N]``.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import time
from pathlib import Path

import structlog

from regiekaart import load_policy
from regiekaart.explore import Scope, bfs
from regiekaart.policy import Policy
from regiekaart.verify import VERIFY_SCOPE, explore, start_case

ROOT = Path(__file__).resolve().parents[1]


def baseline(policy: Policy, scope: Scope, max_states: int) -> tuple[float, int, int]:
    """Seconds, situations and commands tried by the bare explorer."""
    tried = 0

    def edge(*_: object) -> None:
        nonlocal tried
        tried += 1

    case = start_case(policy)
    began = time.perf_counter()
    steps = bfs(policy, case, edge=edge, scope=scope, keep_log=False, max_states=max_states)
    return time.perf_counter() - began, len(steps), tried


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--policy", default=str(ROOT / "machines" / "west-brabant.yaml"))
    parser.add_argument("--max-states", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument(
        "--measure-order", action="store_true", help="keep the order of measures in the key"
    )
    args = parser.parse_args()
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    policy = load_policy(args.policy)
    scope = Scope(measure_order=True) if args.measure_order else VERIFY_SCOPE
    base_times, verify_times = [], []
    base_states = base_tried = 0
    run = None
    for _ in range(args.repeat):
        seconds, base_states, base_tried = baseline(policy, scope, args.max_states)
        base_times.append(seconds)
        run = explore(policy, scope=scope, max_states=args.max_states)
        verify_times.append(run.seconds)
    assert run is not None
    base = statistics.median(base_times)
    full = statistics.median(verify_times)
    print(f"policy {policy.id} {policy.version}; scope {scope}")
    print(
        f"baseline bfs:  {base_states} situations, {base_tried} commands in {base:.1f} s "
        f"({base_states / base:.0f} situations/s, {base_tried / base:.0f} commands/s)"
    )
    print(
        f"verify:        {run.situations} situations, {run.tried} commands "
        f"({run.accepted} accepted) in {full:.1f} s ({run.situations / full:.0f} situations/s)"
    )
    print(f"ratio verify/baseline: {full / base:.2f}x the time")
    print(f"bound hit: {run.bound_hit}; findings: {len(run.findings)}")
    for finding in run.findings:
        print(f"  {finding.check}: {finding.detail}")


if __name__ == "__main__":
    main()
