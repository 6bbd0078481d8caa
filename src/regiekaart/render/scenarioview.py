"""A played scenario as a terminal table: one row per step.

Each row shows what was asked (the command, who acted and on which criteria), what the
case did with it (accepted by which rule, or refused and why, with the handreiking
section), the configuration and role holders afterwards, and whether the step's
expectations held. A reader can follow the story and see at which step a card and the
handreiking part ways. Like :mod:`regiekaart.render.cardview`, this builds renderables only,
laid out when drawn: one table when the terminal is wide enough for six columns, else
one small table per step (:class:`~regiekaart.render.widths.ByWidth`).

Layer: render. It may import store, scenario, analysis, runtime, policy and the
foundation modules; never verify, simulate, testing or cli.
"""

from __future__ import annotations

from collections.abc import Mapping

from rich.console import Group
from rich.table import Table
from rich.text import Text

from regiekaart.render.widths import ByWidth, labelled
from regiekaart.runtime.commands import Command, unstructure_command
from regiekaart.scenario.model import ScenarioResult, StepResult

__all__ = [
    "STEPS_WIDTH",
    "command_text",
    "outcome_text",
    "roles_text",
    "scenario_view",
    "steps_table",
    "verdict",
]

_SHOWN_SEPARATELY = {"type", "actor", "together", "criteria", "holders", "reason"}


STEPS_WIDTH = 140
"""The narrowest terminal the steps are shown in as one table; below it, one at a time."""


def scenario_view(result: ScenarioResult) -> Group:
    """The step table with the scenario's title above (print :func:`verdict` below it)."""
    scenario = result.scenario
    heading = Text(scenario.title or scenario.file, style="bold")
    heading.append(
        f"\n{scenario.file} · case {scenario.case_id} · policy {result.policy.id}", style="dim"
    )
    if result.policy.version:
        heading.append(f" {result.policy.version}", style="dim")
    return Group(heading, steps_table(result))


def verdict(result: ScenarioResult) -> Text:
    """One line: passed, or which step failed and what differed."""
    return Text(result.summary(), style="bold green" if result.passed else "bold red")


def steps_table(result: ScenarioResult) -> ByWidth:
    """One row per step, the opening of the case first; one table per step when narrow."""
    return ByWidth(lambda: _wide(result), lambda: _stacked(result), STEPS_WIDTH)


def _wide(result: ScenarioResult) -> Table:
    table = Table(show_lines=True, expand=True)
    table.add_column("#", justify="right", no_wrap=True)
    table.add_column("Command", ratio=3, overflow="fold")
    table.add_column("Outcome", ratio=3, overflow="fold")
    table.add_column("Configuration", ratio=2, overflow="fold", min_width=18)
    table.add_column("Role holders", ratio=4, overflow="fold")
    table.add_column("Expected", ratio=1, overflow="fold", min_width=8)
    previous: Mapping[str, tuple[str, ...]] = {}
    for step in (result.opening, *result.steps):
        table.add_row(
            _index(step),
            command_text(step.command),
            outcome_text(step),
            Text("\n".join(step.configuration)),
            roles_text(step.roles, previous),
            _expected(step),
        )
        previous = step.roles
    return table


def _stacked(result: ScenarioResult) -> Group:
    parts = []
    previous: Mapping[str, tuple[str, ...]] = {}
    for step in (result.opening, *result.steps):
        title = Text(f"step {step.index}" if step.index else "opening", style="bold")
        if step.line is not None:
            title.append(f" · line {step.line}", style="dim")
        rows = [
            ("Command", command_text(step.command)),
            ("Outcome", outcome_text(step)),
            ("Configuration", Text(", ".join(step.configuration))),
            ("Role holders", roles_text(step.roles, previous)),
        ]
        if step.index:
            rows.append(("Expected", _expected(step)))
        parts.append(labelled(title, rows, label_width=len("Configuration")))
        previous = step.roles
    return Group(*parts)


def _index(step: StepResult) -> Text:
    text = Text(str(step.index) if step.index else "open")
    if step.line is not None:
        text.append(f"\n:{step.line}", style="dim")
    return text


def command_text(command: Command) -> Text:
    """The command as a reader would say it: type, who (with whom), what, on which criteria."""
    data = unstructure_command(command)
    text = Text(command.type, style="bold")
    text.append(f" by {command.actor}")
    if command.together:
        text.append(f" with {', '.join(command.together)}")
    for key, value in data.items():
        if key in _SHOWN_SEPARATELY or value in (None, "", (), []):
            continue
        if key == "members":
            value = ", ".join(f"{m['id']} ({m['group']})" for m in value)
        text.append(f"\n{key}: {value}")
    if command.criteria:
        text.append(f"\ncriteria: {', '.join(command.criteria)}", style="cyan")
    for role, holders in command.holders.items():
        text.append(f"\n{role} ← {', '.join(holders)}")
    if command.reason:
        text.append(f"\n{' '.join(command.reason.split())}", style="dim italic")
    return text


def outcome_text(step: StepResult) -> Text:
    """Accepted by which rule, or refused with which error and why; with the § source."""
    if step.refusal is not None:
        text = Text(f"✗ {type(step.refusal).__name__}", style="bold red")
        text.append(f"\n{step.refusal.message}")
    else:
        text = Text("✓ accepted", style="bold green")
    if step.rule:
        text.append(f"\nrule {step.rule}", style="dim")
        if step.source:
            text.append(f" ({step.source})", style="dim")
    informed = [i for i in (step.event.informed if step.event else ()) if i.done]
    for item in informed:
        text.append(f"\ninformed {item.recipient} (by {', '.join(item.by) or '—'})", style="dim")
    for duty in step.open_obligations:
        if step.event is not None and duty.since == step.event.seq:
            text.append(
                f"\nto inform: {duty.recipient} (by {', '.join(duty.due_by) or '—'})",
                style="yellow",
            )
    return text


def roles_text(
    roles: Mapping[str, tuple[str, ...]], previous: Mapping[str, tuple[str, ...]] | None = None
) -> Text:
    """``role: holders``, one role a line; holders that changed since ``previous`` in bold."""
    text = Text()
    for index, (role, holders) in enumerate(roles.items()):
        if index:
            text.append("\n")
        text.append(f"{role}: ", style="dim")
        changed = previous is not None and tuple(previous.get(role, ())) != tuple(holders)
        text.append(", ".join(holders), style="bold yellow" if changed else "")
    return text


def _expected(step: StepResult) -> Text:
    if not step.index:
        return Text("")
    if step.failures:
        text = Text("✗", style="bold red")
        for failure in step.failures:
            text.append(f"\n{failure}", style="red")
        return text
    return Text("✓", style="green")
