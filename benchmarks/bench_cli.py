"""What a ``regiekaart`` command costs before and while it does its work: CPU seconds.

Each command runs as a child process, as a shell starts it, and its CPU time (user +
system, from ``wait4``) is measured, not its wall time: a busy machine makes a command
wait longer, not work more. The baseline is an interpreter that does nothing
(``python -c pass``) in the same run, so the ratios say how many empty interpreters a
command costs; the budgets are the CPU seconds a user waits for at most on a quiet
machine: ``--help`` 0.3 s, checking the universal card 0.8 s.

The children run with byte-code caching on (in a temporary ``PYTHONPYCACHEPREFIX``, so
nothing is written beside the sources), as an installed package runs, and each command
runs once before it is measured. Rounds interleave the commands, so a burst of load
touches all of them alike; the medians are reported.

Run: ``python benchmarks/bench_cli.py`` (``make bench``); ``--rounds N`` for more
rounds, ``--check`` to exit 1 when a budget is exceeded.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

ENTRY = "from regiekaart.cli import main; main()"
"""What the ``regiekaart`` console script runs."""

COMMANDS: dict[str, tuple[list[str], float | None]] = {
    "python -c pass": (["-c", "pass"], None),
    "regiekaart --help": (["-c", ENTRY, "--help"], 0.3),
    "regiekaart validate universeel": (
        ["-c", ENTRY, "validate", "machines/universeel.yaml"],
        0.8,
    ),
    "regiekaart schema": (["-c", ENTRY, "schema"], None),
    "regiekaart show universeel": (["-c", ENTRY, "show", "machines/universeel.yaml"], None),
    "regiekaart run calamiteit": (["-c", ENTRY, "run", "examples/scenarios/calamiteit.yaml"], None),
}
"""Name → (interpreter arguments, CPU budget in seconds or None)."""

BASELINE = "python -c pass"


def cpu_seconds(args: list[str], env: dict[str, str]) -> float:
    """User + system CPU seconds of one child ``python args``, output discarded."""
    child = subprocess.Popen(
        [sys.executable, *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(args)} exited {child.returncode}")
    return usage.ru_utime + usage.ru_stime


def measure(rounds: int, cache: str) -> dict[str, list[float]]:
    """Each command's CPU seconds in ``rounds`` interleaved rounds, after one warm-up."""
    env = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = cache
    env["PYTHONPATH"] = os.pathsep.join(
        [str(ROOT / "src"), *filter(None, [os.environ.get("PYTHONPATH")])]
    )
    env.update(COLUMNS="120", NO_COLOR="1", TERM="dumb")
    for args, _ in COMMANDS.values():
        cpu_seconds(args, env)
    times: dict[str, list[float]] = {name: [] for name in COMMANDS}
    for _ in range(rounds):
        for name, (args, _) in COMMANDS.items():
            times[name].append(cpu_seconds(args, env))
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7, help="Interleaved rounds measured.")
    parser.add_argument(
        "--check", action="store_true", help="Exit 1 when a command exceeds its CPU budget."
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-cli-pyc-") as cache:
        times = measure(args.rounds, cache)
    base = statistics.median(times[BASELINE])
    print(f"CPU seconds per command, median of {args.rounds} rounds (user + system)")
    print(f"{'command':<34} {'median':>8} {'min':>8} {'× baseline':>11}  budget")
    over = []
    for name, (_, budget) in COMMANDS.items():
        median = statistics.median(times[name])
        verdict = ""
        if budget is not None:
            verdict = f"{budget:.1f} s " + ("ok" if median <= budget else "EXCEEDED")
            if median > budget:
                over.append(name)
        print(
            f"{name:<34} {median:>7.3f}s {min(times[name]):>7.3f}s "
            f"{median / base:>10.1f}×  {verdict}"
        )
    if over and args.check:
        raise SystemExit(f"over budget: {', '.join(over)}")


if __name__ == "__main__":
    main()
