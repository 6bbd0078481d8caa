"""Playing a scenario: the story told on a real case, each step compared with what must hold.

A policy officer checks a card the way the handreiking explains it: by telling a case.
Playing a scenario runs a real :class:`~regiekaart.runtime.case.Case`, so a scenario that
passes is evidence about the engine and the card together, and a scenario that fails
says which step and what differed.

May import: ``regiekaart.analysis``, ``regiekaart.runtime``, ``regiekaart.policy`` and
the foundation.
"""

from __future__ import annotations

from pathlib import Path

import attrs

from regiekaart.clock import StepClock
from regiekaart.errors import CommandRefused, PolicyErrors
from regiekaart.policy.model import Policy
from regiekaart.policy.sourcemap import KeyPath
from regiekaart.runtime.case import Case
from regiekaart.runtime.commands import Command
from regiekaart.runtime.records import Event
from regiekaart.scenario.model import Scenario, ScenarioResult, StepResult, open_by_obligation
from regiekaart.scenario.reader import check_scenario, scenario_policy

__all__ = ["open_by_obligation", "play"]


def play(scenario: Scenario, policy: Policy | str | Path | None = None) -> ScenarioResult:
    """Play ``scenario`` on a fresh case and compare every step with its expectations.

    ``policy`` overrides the policy the scenario names. Times come from a step clock
    starting at the scenario's ``start`` (one hour per event, or a step's ``at``), so a
    run is reproducible. Raises :class:`PolicyError` when the scenario does not fit the
    policy; a refused step is a result, not an error.
    """
    resolved = scenario_policy(scenario, policy)
    problems = check_scenario(scenario, resolved)
    if problems:
        raise PolicyErrors(problems)
    clock = StepClock(scenario.start) if scenario.start is not None else StepClock()
    try:
        case = Case.create(
            resolved,
            scenario.case_id,
            actor=scenario.opener,
            members=scenario.household,
            clock=clock,
        )
    except CommandRefused as refused:
        where: KeyPath = ("opened_by",) if scenario.opened_by else ("household",)
        raise scenario.error(where, f"the case cannot be opened: {refused}") from None
    opening = _result(case, 0, case.events[0].command, case.events[0], None, None)
    results = []
    banned: dict[str, int] = {}
    for step in scenario.steps:
        if step.at is not None:
            clock.set(step.at)
        event: Event | None = None
        refusal: CommandRefused | None = None
        try:
            event = case.apply(step.command)
        except CommandRefused as error:
            refusal = error
        result = _result(case, step.index, step.command, event, refusal, step.line)
        banned.update({kind: step.index for kind in step.expect.not_recorded if kind not in banned})
        failures = (*step.expect.failures(result), *_banned(banned, event))
        results.append(attrs.evolve(result, failures=failures))
    return ScenarioResult(scenario=scenario, policy=resolved, opening=opening, steps=tuple(results))


def _result(
    case: Case,
    index: int,
    command: Command,
    event: Event | None,
    refusal: CommandRefused | None,
    line: int | None,
) -> StepResult:
    return StepResult(
        index=index,
        command=command,
        event=event,
        refusal=refusal,
        configuration=case.configuration,
        phase=case.phase,
        roles=dict(case.roles),
        open_obligations=case.open_obligations,
        line=line,
        facts=case.facts,
        recorded=tuple(e.command.type for e in case.events),
    )


def _banned(banned: dict[str, int], event: Event | None) -> tuple[str, ...]:
    """The step's event, when a step up to this one said its kind may not be recorded."""
    if event is None or event.command.type not in banned:
        return ()
    kind = event.command.type
    return (f"not_recorded: a {kind} was recorded, which step {banned[kind]} ruled out",)
