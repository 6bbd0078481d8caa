"""The ``regiekaart`` command line: a thin skin over the library.

Every command parses its arguments, calls the same functions a host system would
(:func:`~regiekaart.policy.loader.load_policy`, :func:`~regiekaart.scenario.play`, the views
of :mod:`regiekaart.render.cardview` and :mod:`regiekaart.render.scenarioview`) and prints.
Bad input is a message on stderr naming file, line and path, with exit code 2, never a
traceback.
The library's log events stay out of the output: with ``--log`` they go to stderr as
JSON lines, otherwise they are dropped (:mod:`regiekaart.cli._logging`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from regiekaart import __version__
from regiekaart.cli._exits import BAD_INPUT, FAILED, complain, fail
from regiekaart.cli._input import SearchPathOption, policy_or_exit, search_path
from regiekaart.cli._kinds import explained, is_scenario
from regiekaart.cli._logging import configure_logging
from regiekaart.cli._options import AsJson
from regiekaart.terminal import counted

if TYPE_CHECKING:
    from rich.console import Console

    from regiekaart.policy.model import Policy
    from regiekaart.scenario.model import ScenarioResult

__all__ = ["app", "main", "run", "schema", "show", "validate"]

app = typer.Typer(
    name="regiekaart",
    help="The de-escaleren regiekaart as an executable, checkable statechart.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
    rich_markup_mode=None,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"regiekaart {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    ctx: typer.Context,
    log: Annotated[
        bool, typer.Option("--log", help="Write the library's log events to stderr as JSON lines.")
    ] = False,
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """The de-escaleren regiekaart as an executable, checkable statechart."""
    ctx.call_on_close(configure_logging(enabled=log))


def _out() -> Console:
    from rich.console import Console

    return Console(highlight=False)


def _err() -> Console:
    from rich.console import Console

    return Console(stderr=True, highlight=False)


@app.command()
def validate(
    files: Annotated[
        list[Path], typer.Argument(metavar="FILE", help="Card or scenario files (YAML).")
    ],
    policy: Annotated[
        Path | None,
        typer.Option(
            metavar="POLICY",
            help="Check scenarios against this card instead of the one each names.",
        ),
    ] = None,
    path: SearchPathOption = None,
) -> None:
    """Check cards and scenarios, and name every problem.

    A card is checked against the schema and for sense, a scenario also against its
    card. Prints OK or every problem; exits 1 if any file is invalid, 2 if one cannot be
    used at all (missing, not UTF-8 text, too large, not a card)."""
    from rich.text import Text

    from regiekaart.errors import InputRefused, PolicyError

    out = _out()
    invalid = 0
    unusable = False
    for file in files:
        try:
            summary = _check(file, policy, search_path(path))
        except PolicyError as error:
            invalid += 1
            unusable = unusable or isinstance(error, InputRefused)
            out.print(Text.assemble(("INVALID ", "bold red"), str(file)))
            for line in str(explained(file, error, "regiekaart", "steps")).splitlines():
                out.print(Text(f"  {line}"), soft_wrap=True)
            continue
        out.print(
            Text.assemble(("OK ", "bold green"), str(file), (f"  {summary}", "dim")), soft_wrap=True
        )
    if invalid:
        raise typer.Exit(BAD_INPUT if unusable else FAILED)


def _check(file: Path, policy: Path | None, dirs: tuple[Path, ...]) -> str:
    if is_scenario(file):
        from regiekaart.scenario.reader import validate_scenario

        scenario, resolved = validate_scenario(file, policy, search_path=dirs)
        steps = counted(len(scenario.steps), "step")
        return f"scenario {scenario.case_id}: {steps} on policy {resolved.id}"
    from regiekaart.policy.loader import load_policy

    loaded = load_policy(file, search_path=dirs)
    extends = f", extends {' → '.join(loaded.extends)}" if loaded.extends else ""
    return (
        f"policy {loaded.id}: {counted(len(loaded.phases()), 'phase')}, "
        f"{counted(len(loaded.transitions), 'transition')}, "
        f"{counted(len(loaded.parties), 'party', 'parties')}{extends}"
    )


@app.command()
def show(
    policy: Annotated[Path, typer.Argument(metavar="POLICY", help="The card file (YAML).")],
    path: SearchPathOption = None,
) -> None:
    """Print a card as the table of §2.3.

    Roles down, phases across, then the transitions with their deciders and criteria."""
    from regiekaart.render.cardview import card_view

    loaded = policy_or_exit(policy, path)
    _out().print(card_view(loaded))


@app.command()
def schema(
    scenario: Annotated[
        bool, typer.Option("--scenario", help="Print the schema of scenario files instead.")
    ] = False,
    simulation: Annotated[
        bool,
        typer.Option("--simulation", help="Print the schema of simulation files instead."),
    ] = False,
    command: Annotated[
        bool,
        typer.Option("--command", help="Print the schema of the commands case send takes instead."),
    ] = False,
) -> None:
    """Print a JSON Schema: of card files, or of another kind.

    Without an option the schema of card files; with --scenario that of scenario files,
    with --simulation that of simulation files; with --command that of every command a
    host sends a case (docs/commands.md)."""
    if scenario + simulation + command > 1:
        fail(BAD_INPUT, "give one of --scenario, --simulation and --command")
    if simulation:
        from regiekaart.simulate.attempts import simulation_schema

        document = simulation_schema()
    elif command:
        from regiekaart.runtime.command_schema import command_schema

        document = command_schema()
    elif scenario:
        from regiekaart.scenario.reader import scenario_schema

        document = scenario_schema()
    else:
        from regiekaart.policy.loader import policy_schema

        document = policy_schema()
    typer.echo(json.dumps(document, indent=2, ensure_ascii=False))


@app.command(no_args_is_help=True)
def run(
    files: Annotated[
        list[Path],
        typer.Argument(
            metavar="FILE",
            help="An optional card, which overrides the one each scenario names, "
            "then one or more scenario files (YAML).",
            show_default=False,
        ),
    ],
    as_json: AsJson = False,
    path: SearchPathOption = None,
) -> None:
    """Play case stories and check what each step expects.

    regiekaart run [POLICY] SCENARIO...: an optional card, then the scenarios. Exits 1
    if an expectation fails, 2 on bad input.
    """
    from regiekaart.errors import PolicyError
    from regiekaart.render.scenarioview import scenario_view, verdict
    from regiekaart.scenario.play import play
    from regiekaart.scenario.reader import validate_scenario

    dirs = search_path(path)
    policy, scenarios = _card_and_stories(files, dirs)
    results: list[ScenarioResult] = []
    documents: list[dict[str, Any]] = []
    bad = False
    out, err = _out(), _err()
    for file in scenarios:
        try:
            scenario, resolved = validate_scenario(file, policy, search_path=dirs)
        except PolicyError as error:
            bad = True
            complain(explained(file, error, "steps"))
            documents.append({"scenario": str(file), "passed": False, "error": str(error)})
            continue
        result = play(scenario, resolved)
        results.append(result)
        documents.append(result.as_json())
        if as_json:
            if not result.passed:
                err.print(verdict(result), soft_wrap=True)
        else:
            out.print(scenario_view(result))
            out.print(verdict(result), soft_wrap=True)
            out.print()
    if as_json:
        passed = not bad and all(r.passed for r in results)
        document = {"passed": passed, "scenarios": documents}
        typer.echo(json.dumps(document, indent=2, ensure_ascii=False))
    if bad:
        raise typer.Exit(BAD_INPUT)
    if not all(r.passed for r in results):
        raise typer.Exit(FAILED)


def _card_and_stories(
    files: list[Path], dirs: tuple[Path, ...]
) -> tuple[Policy | None, list[Path]]:
    """``run``'s files as the card that overrides the scenarios' (if the first is one)
    and the scenarios."""
    scenarios = list(files)
    policy: Policy | None = None
    if not is_scenario(scenarios[0]):
        policy = policy_or_exit(scenarios.pop(0), dirs, kinds=("regiekaart", "steps"))
    if not scenarios:
        fail(BAD_INPUT, "give at least one scenario file after the policy")
    return policy, scenarios


def _mount_subapps(root: typer.Typer) -> None:
    """Mount the other command groups: case, audit, render, verify, diff, simulate.

    This is the one place they are added: an import and a ``root.add_typer(...)`` (or
    ``root.command(...)``) line each, between the markers. Nothing else in this module
    changes when a group is added.
    """
    # >>> sub-apps (keep one block per group)
    from regiekaart.cli.case import case_app

    root.add_typer(case_app, name="case")
    from regiekaart.cli.audit import audit_app

    root.add_typer(audit_app, name="audit")
    from regiekaart.cli.render import register as register_render

    register_render(root)
    from regiekaart.cli.simulate import register as register_simulate

    register_simulate(root)
    from regiekaart.cli.verify import register as register_verify

    register_verify(root)
    # <<< sub-apps


_mount_subapps(app)


def main() -> None:
    """The ``regiekaart`` console script."""
    app()
