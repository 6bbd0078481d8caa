"""What the simulation kernel buys over driving real cases, and what a million households cost.

(a) Household-weeks per second: the reference engine (one real ``Case`` per household,
every attempt through ``Case.apply``) against the kernel (numpy over the compiled tables)
on the same households, weeks and draws of the shipped West-Brabant scenario, in one
run; the ratio is the figure. The reference engine is run on a small population (it
manages a few thousand household-weeks per second), the kernel on a large one, each
timed over several repeats (median).

(b) 1,000,000 households × 52 weeks on the kernel: wall-clock seconds of the weekly
loop (the tables compiled beforehand, compile time reported apart) and the peak resident
memory of this process (``ru_maxrss``) after the run.

(c) The same million households on a Dask ``LocalCluster`` with 2 worker processes
(tables scattered once, one task per household range, all weeks inside a task) against
the single-process run of (b): results are checked identical, and the ratio reported.
On a 2-core machine the scheduler and nannies compete with the workers; Dask's worth is
a cluster beyond one machine.

structlog drops events below WARNING, as a host that logs at WARNING would; the runtime
still makes its one log call per command.

Run: ``python benchmarks/bench_simulate.py`` (``--households``, ``--repeats`` to change).
"""

from __future__ import annotations

import argparse
import logging
import resource
import statistics
import time
from pathlib import Path

import structlog

from regiekaart.simulate.attempts import load_population
from regiekaart.simulate.kernel import simulate_range
from regiekaart.simulate.model import compile_model
from regiekaart.simulate.reference import simulate_reference
from regiekaart.simulate.scale import simulate_on_cluster

SCENARIO = Path(__file__).resolve().parents[1] / "examples" / "simulations" / "west-brabant.yaml"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=1_000_000)
    parser.add_argument("--weeks", type=int, default=52)
    parser.add_argument("--reference-households", type=int, default=400)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--no-dask", action="store_true", help="Skip (c).")
    args = parser.parse_args()
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))

    began = time.perf_counter()
    model = compile_model(load_population(SCENARIO))
    compile_seconds = time.perf_counter() - began
    print(f"compiled {len(model.situations)} situations × {model.width + 1} columns "
          f"in {compile_seconds:.2f} s")  # fmt: skip

    small, weeks = args.reference_households, args.weeks
    reference_times, kernel_small_times = [], []
    for _ in range(args.repeats):
        t = time.perf_counter()
        simulate_reference(model, 0, small, weeks=weeks)
        reference_times.append(time.perf_counter() - t)
        t = time.perf_counter()
        simulate_range(model, 0, 100_000, weeks=weeks)
        kernel_small_times.append(time.perf_counter() - t)
    reference_rate = small * weeks / statistics.median(reference_times)
    kernel_rate = 100_000 * weeks / statistics.median(kernel_small_times)
    print(f"(a) reference engine: {reference_rate:,.0f} household-weeks/s "
          f"({small} households × {weeks} weeks)")  # fmt: skip
    print(f"    kernel:           {kernel_rate:,.0f} household-weeks/s (100,000 × {weeks})")
    print(f"    ratio kernel / reference: {kernel_rate / reference_rate:,.0f}×")

    big_times = []
    for _ in range(args.repeats):
        t = time.perf_counter()
        simulate_range(model, 0, args.households, weeks=weeks)
        big_times.append(time.perf_counter() - t)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"(b) kernel, {args.households:,} households × {weeks} weeks: "
          f"median {statistics.median(big_times):.2f} s (runs: "
          f"{', '.join(f'{x:.2f}' for x in big_times)}), peak RSS {peak:,.0f} MiB")  # fmt: skip
    if args.no_dask:
        return
    import distributed
    import numpy as np

    size = args.households
    alone = simulate_range(model, 0, size, weeks=weeks)
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        simulate_on_cluster(client, model, 10_000, replication=0, weeks=2)  # warm the workers
        dask_times = []
        for _ in range(args.repeats):
            t = time.perf_counter()
            spread = simulate_on_cluster(client, model, size, replication=0, weeks=weeks)
            dask_times.append(time.perf_counter() - t)
    same = all(
        np.array_equal(getattr(alone, name), getattr(spread, name))
        for name in ("occupancy", "edges", "weeks_in_phase", "ever", "kind")
    )
    single, spread_s = statistics.median(big_times), statistics.median(dask_times)
    print(f"(c) Dask LocalCluster, 2 workers: median {spread_s:.2f} s; "
          f"single / Dask = {single / spread_s:.2f}; identical results: {same}")  # fmt: skip


if __name__ == "__main__":
    main()
