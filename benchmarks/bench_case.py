"""What the Case runtime costs on top of python-statemachine's own dispatch.

(a) Commands per second through ``Case.apply`` against the raw compiled ``StateChart``
driven with ``chart.send(event)`` over the same transitions, with the same guards
satisfied and the same entry actions running: the raw side gets, per step, the
:class:`~regiekaart.runtime.guards.Work` the runtime would build, prepared outside the timed
loop. The difference is what the runtime adds: command checks, candidate rules, the
look-ahead, role settlement, obligations, the event record and the log call.

(b) Case creation (``Case.create``) against instantiating the compiled chart class.

Both sides run interleaved in one process, several repeats, and the medians are
compared, so the ratio holds on a busy machine. structlog is configured with
``make_filtering_bound_logger(WARNING)``: the runtime still makes its one log call per
command, and the logger drops the event, as a host that logs at WARNING would.

Run: ``python benchmarks/bench_case.py`` (``make bench``); ``--profile`` adds a cProfile
breakdown of ``Case.apply``.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import logging
import pstats
import statistics
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import attrs
import structlog

from regiekaart import (
    Case,
    ChangeLevel,
    Command,
    Deescalate,
    Escalate,
    Facts,
    Member,
    OpenCase,
    Policy,
    StepClock,
    compile_policy,
    load_policy,
)
from regiekaart.runtime import roles as role_rules
from regiekaart.runtime.chart import ChartModel, CompiledPolicy
from regiekaart.runtime.guards import Work
from regiekaart.runtime.records import CaseState

ROOT = Path(__file__).resolve().parent.parent
MEMBERS = (Member(id="m1", group="jeugd"), Member(id="m2", group="volwassen"))

# One round trip over the card, back to where it started so it can repeat:
# fase1 → fase2 → (procesregie added) → fase3 (zorg dominant) → fase2 → fase1.
CYCLE: tuple[Command, ...] = (
    Escalate(actor="wijkteam", to="fase2", criteria=["hulpbehoefte"]),
    ChangeLevel(actor="wijkteam", direction="up", criteria=["complexere-problematiek"]),
    Escalate(
        actor="wijkteam",
        together=["gemeentelijk-procesregisseur"],
        to="fase3",
        criteria=["overlast"],
        dominance="zorg",
    ),
    Deescalate(actor="mass-oggz", to="fase2", criteria=["hulp-effectief"]),
    Deescalate(actor="wijkteam", to="fase1", criteria=["draagkracht-in-balans"]),
)


@attrs.frozen
class RawStep:
    """One transition of the cycle as the chart sees it: the event and the work it judges."""

    event: str
    work: Work
    roles: dict[str, tuple[str, ...]]
    after: tuple[str, ...]
    settled: dict[str, tuple[str, ...]]


def new_case(policy: Policy, name: str) -> Case:
    return Case.create(policy, name, actor="wijkteam", members=MEMBERS, clock=StepClock())


def raw_steps(policy: Policy, compiled: CompiledPolicy) -> list[RawStep]:
    """The work the runtime builds for each command of the cycle (see ``Case._transition``)."""
    case = new_case(policy, "probe")
    steps = []
    for command in CYCLE:
        state = case.state
        event = case.apply(command)
        rule = policy.transitions[event.rule]
        facts = state.facts
        dominance = getattr(command, "dominance", None)
        if dominance is not None:
            facts = attrs.evolve(facts, dominance=dominance)
        work = Work(
            policy=policy,
            command=command,
            before=state,
            facts=facts,
            rule=rule,
            chosen=dict(command.holders),
            assigned=dict(rule.assign),
            roles=dict(state.roles),
        )
        if rule.target_state is None:
            work.target = frozenset(state.configuration)
        else:
            work.target = role_rules.target_configuration(policy, rule.target_state, facts)
        steps.append(
            RawStep(
                event=compiled.event_of[rule.id],
                work=work,
                roles=dict(state.roles),
                after=event.after,
                settled=dict(case.roles),
            )
        )
    return steps


def drive_raw(chart: Any, model: ChartModel, steps: list[RawStep], cycles: int) -> None:
    """Send the cycle's events straight to the chart, each with its prepared work."""
    for _ in range(cycles):
        for step in steps:
            work = step.work
            work.roles = dict(step.roles)
            work.entered.clear()
            model.work = work
            chart.send(step.event)


def drive_case(case: Case, cycles: int) -> None:
    apply = case.apply
    for _ in range(cycles):
        for command in CYCLE:
            apply(command)


def check_same_transitions(policy: Policy, compiled: CompiledPolicy, steps: list[RawStep]) -> None:
    """The raw side must reach the configurations and role holders the runtime reaches."""
    model = ChartModel()
    chart = compiled.new_chart(model)
    for step in steps:
        drive_raw(chart, model, [step], 1)
        after = compiled.configuration(chart)
        settled = role_rules.settle(policy, step.work.roles, frozenset(after))
        if after != step.after or settled != step.settled:
            raise SystemExit(f"raw dispatch diverged at {step.event}: {after} {settled}")


def timed(action: Callable[[], object]) -> float:
    gc.collect()
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def bench_commands(
    policy: Policy, compiled: CompiledPolicy, cycles: int, repeats: int
) -> tuple[float, float]:
    """Median seconds per command: (Case.apply, raw chart.send)."""
    steps = raw_steps(policy, compiled)
    check_same_transitions(policy, compiled, steps)
    per_run = cycles * len(CYCLE)
    case_times: list[float] = []
    raw_times: list[float] = []
    for repeat in range(repeats):
        case = new_case(policy, f"bench-{repeat}")
        model = ChartModel()
        chart = compiled.new_chart(model)
        sides = [
            (case_times, partial(drive_case, case, cycles)),
            (raw_times, partial(drive_raw, chart, model, steps, cycles)),
        ]
        if repeat % 2:
            sides.reverse()
        for times, action in sides:
            times.append(timed(action) / per_run)
    return statistics.median(case_times), statistics.median(raw_times)


def bench_creation(
    policy: Policy, compiled: CompiledPolicy, count: int, repeats: int
) -> tuple[float, float]:
    """Median seconds per new case: (Case.create, chart class instantiated with its work)."""
    command = OpenCase(actor="wijkteam", members=MEMBERS)
    empty = CaseState(configuration=(), roles={}, members=MEMBERS)

    def raw() -> None:
        for _ in range(count):
            model = ChartModel()
            model.work = Work(policy=policy, command=command, before=empty, facts=Facts())
            compiled.chart_class(model=model)

    def create() -> None:
        for index in range(count):
            new_case(policy, f"c{index}")

    case_times: list[float] = []
    raw_times: list[float] = []
    for repeat in range(repeats):
        sides = [(case_times, create), (raw_times, raw)]
        if repeat % 2:
            sides.reverse()
        for times, action in sides:
            times.append(timed(action) / count)
    return statistics.median(case_times), statistics.median(raw_times)


def profile_apply(policy: Policy, cycles: int) -> str:
    """Where ``Case.apply`` spends its time: the heaviest functions by own and total time."""
    case = new_case(policy, "profile")
    profiler = cProfile.Profile()
    profiler.runcall(drive_case, case, cycles)
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("cumulative").print_stats(30)
    stats.sort_stats("tottime").print_stats(20)
    return out.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--policy", default=str(ROOT / "machines" / "universeel.yaml"))
    parser.add_argument("--cycles", type=int, default=300, help="cycles of 5 commands per run")
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--cases", type=int, default=300, help="cases created per run")
    parser.add_argument("--profile", action="store_true", help="print a cProfile of Case.apply")
    args = parser.parse_args()

    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    policy = load_policy(args.policy)
    compiled = compile_policy(policy)

    case_cmd, raw_cmd = bench_commands(policy, compiled, args.cycles, args.repeats)
    case_new, raw_new = bench_creation(policy, compiled, args.cases, args.repeats)

    print(f"policy: {policy.id} ({args.policy})")
    print(f"cycle: {' → '.join(type(c).__name__ for c in CYCLE)} ({len(CYCLE)} transitions)")
    print("structlog: make_filtering_bound_logger(WARNING), so the info events are dropped")
    print(f"medians of {args.repeats} interleaved runs\n")
    print("(a) commands")
    for name, seconds in (("Case.apply", case_cmd), ("raw chart.send", raw_cmd)):
        print(f"    {name:<17} {1 / seconds:>10,.0f} commands/s  {seconds * 1e6:8.1f} µs/command")
    ratio = case_cmd / raw_cmd
    verdict = "within" if ratio <= 2.0 else "ABOVE"
    print(f"    overhead ratio    {ratio:10.2f}x  ({verdict} the 2x target)")
    print("(b) case creation")
    print(f"    Case.create       {case_new * 1e6:10.1f} µs/case")
    print(f"    raw chart class() {raw_new * 1e6:10.1f} µs/case")
    print(f"    creation ratio    {case_new / raw_new:10.2f}x")
    if args.profile:
        print("\ncProfile of Case.apply over", args.cycles * len(CYCLE), "commands")
        print(profile_apply(policy, args.cycles))


if __name__ == "__main__":
    main()
