"""``regiekaart render`` and ``regiekaart render-timeline``: the renderings on the command line.

A thin skin over :mod:`regiekaart.render.formats` and :mod:`regiekaart.render.timeline`:
parse the options, call the library, write the file or print. Unusable input is one
message on stderr naming file, line and path, exit code 2; a missing tool (Graphviz,
Chromium) is a message naming the Debian package to install, exit code 3.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from regiekaart.cli._exits import BAD_INPUT, MISSING_TOOL, fail
from regiekaart.cli._input import SearchPathOption, policy_or_exit, search_path
from regiekaart.cli._options import OptionalDb, OutputFile, deprecated_store
from regiekaart.errors import PolicyError, StoreError

if TYPE_CHECKING:
    from regiekaart.policy.model import Policy

__all__ = ["HELP_FORMATS", "register", "render", "render_timeline_command"]

HELP_FORMATS = ("html", "md", "svg", "mermaid", "dot", "scxml", "png")
"""The formats ``--help`` names. Written out because the help is built when the command
starts, and the renderers (jinja2, graphviz) must not load for it; a test holds it equal
to :data:`regiekaart.render.formats.FORMATS`, which the command itself checks against."""


def _write(content: str | bytes, output: Path | None) -> None:
    if output is None:
        if isinstance(content, bytes):
            sys.stdout.buffer.write(content)
        else:
            sys.stdout.write(content)
        return
    output.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        output.write_bytes(content)
    else:
        output.write_text(content, encoding="utf-8")
    from rich.console import Console
    from rich.text import Text

    Console(stderr=True, highlight=False).print(Text(f"wrote {output}", style="dim"))


def render(
    policy: Annotated[Path, typer.Argument(metavar="POLICY", help="The card file (YAML).")],
    fmt: Annotated[
        str,
        typer.Option(
            "--format",
            "-f",
            metavar="FORMAT",
            help=f"Output format: {', '.join(HELP_FORMATS)}.",
            show_default=True,
        ),
    ] = "html",
    output: OutputFile = None,
    path: SearchPathOption = None,
) -> None:
    """Render a card as a page, a diagram or an SCXML chart.

    html and md give the card of §2.3; svg, mermaid and dot the statechart diagram; scxml
    the compiled chart for other engines; png a picture of the HTML card.
    """
    from regiekaart.render.browser import BrowserError
    from regiekaart.render.diagram import DiagramError
    from regiekaart.render.formats import FORMATS, SUFFIXES, card_png, render_card

    if fmt not in FORMATS:
        fail(BAD_INPUT, f"unknown format {fmt!r}; use one of: {', '.join(FORMATS)}")
    if fmt == "png" and output is None and sys.stdout.isatty():
        fail(BAD_INPUT, "a PNG is not for the terminal; give -o FILE" + SUFFIXES["png"])
    loaded = policy_or_exit(policy, path)
    try:
        content: str | bytes = card_png(loaded) if fmt == "png" else render_card(loaded, fmt)
    except (DiagramError, BrowserError) as error:
        fail(MISSING_TOOL, error)
    _write(content, output)


def render_timeline_command(
    source: Annotated[
        Path | None,
        typer.Argument(
            metavar="[SCENARIO]",
            help="A scenario file (YAML) to play and draw.",
            show_default=False,
        ),
    ] = None,
    policy: Annotated[
        Path | None,
        typer.Option(
            metavar="POLICY",
            help="The card file (YAML): overrides the scenario's, or the one the store "
            "kept for the case.",
        ),
    ] = None,
    db: OptionalDb = None,
    case: Annotated[
        str | None,
        typer.Option(metavar="ID", help="Draw this stored case instead (with --db)."),
    ] = None,
    output: OutputFile = None,
    path: SearchPathOption = None,
    store: Annotated[
        str | None,
        typer.Option(
            hidden=True, callback=deprecated_store, help="The earlier name of --db (deprecated)."
        ),
    ] = None,
) -> None:
    """Draw one case's history as an HTML timeline.

    Phases over time in the card's colours, role holders as lanes, every decision with
    its actor, criteria and reason, refusals marked. From a scenario file
    (render-timeline SCENARIO) or a stored case (--db URL --case ID).
    """
    db = store if store is not None else db
    if case is not None:
        if source is not None or db is None:
            fail(BAD_INPUT, "with --case give --db URL, and no scenario")
        page = _stored_timeline(db, case, policy_or_exit(policy, path) if policy else None)
    else:
        if source is None:
            fail(BAD_INPUT, "give a scenario file, or --db URL --case ID")
        page = _scenario_timeline(source, policy, search_path(path))
    _write(page, output)


def _scenario_timeline(source: Path, policy: Path | None, dirs: tuple[Path, ...]) -> str:
    from regiekaart.render.timeline import render_timeline, timeline_from_scenario
    from regiekaart.scenario.play import play
    from regiekaart.scenario.reader import validate_scenario

    try:
        scenario, resolved = validate_scenario(
            source, policy_or_exit(policy, dirs) if policy else None, search_path=dirs
        )
    except PolicyError as error:
        from regiekaart.cli._kinds import explained

        fail(BAD_INPUT, explained(source, error, "steps"))
    return render_timeline(timeline_from_scenario(play(scenario, resolved)))


def _stored_timeline(url: str, case_id: str, policy: Policy | None) -> str:
    from regiekaart.render.timeline import render_timeline, timeline_from_events
    from regiekaart.store import open_store

    try:
        store = open_store(url, create=False)
    except StoreError as error:
        fail(BAD_INPUT, error)
    try:
        events = [row.event() for row in store.history(case_id)]
        policy = policy or store.case_card(case_id)
    except StoreError as error:
        fail(BAD_INPUT, error)
    finally:
        store.close()
    if policy is None:
        fail(BAD_INPUT, f"the store keeps no card for case {case_id}; give it with --policy")
    return render_timeline(timeline_from_events(policy, case_id, events))


def register(root: typer.Typer) -> None:
    """Add ``render`` and ``render-timeline`` to the ``regiekaart`` command."""
    root.command("render", no_args_is_help=True)(render)
    root.command("render-timeline")(render_timeline_command)
