"""What a command loads before it starts: only what it needs.

Start-up time is measured in ``benchmarks/bench_cli.py``; what is tested here is the
deterministic part of it, which modules a command imports. ``--help`` reads no card,
so the card layer, the runtime, the store and the renderers stay unloaded; checking a
card loads the card layer and nothing that runs cases or draws them. Each check runs
in a fresh interpreter, since this one has long imported everything.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
UNIVERSEEL = ROOT / "machines" / "universeel.yaml"

NEVER_FOR_HELP = (
    "regiekaart.policy",
    "regiekaart.runtime",
    "regiekaart.store",
    "regiekaart.scenario",
    "regiekaart.render",
    "regiekaart.analysis",
    "regiekaart.verify",
    "regiekaart.simulate",
    "regiekaart.limits",
    "attrs",
    "cattrs",
    "jinja2",
    "jsonschema",
    "pydot",
    "statemachine",
    "structlog",
    "yaml",
    "rich.console",  # only when something is printed through rich
    "typer.rich_utils",  # the boxed help: markdown-it, pygments and rich's tracebacks
)
"""Modules ``--help`` of any command must not import."""

NEVER_FOR_A_CARD = (
    "regiekaart.runtime",
    "regiekaart.store",
    "regiekaart.scenario",
    "regiekaart.render",
    "regiekaart.analysis",
    "regiekaart.verify",
    "regiekaart.simulate",
    "cattrs",
    "jinja2",
    "pydot",
    "statemachine",
    "structlog",
    "typer.rich_utils",
)
"""Modules ``validate CARD`` must not import: checking a card runs no case and draws nothing."""

_PROBE = """
import json, sys
from regiekaart.cli import app
for args in json.loads(sys.argv[1]):
    try:
        app(args, prog_name="regiekaart", standalone_mode=False)
    except SystemExit:
        pass
print(json.dumps(sorted(sys.modules)))
"""


def _loaded_by(*commands: list[str]) -> set[str]:
    """The modules loaded in a fresh interpreter after running ``commands`` in turn."""
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, json.dumps(commands)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
        cwd=ROOT,
    )
    return set(json.loads(done.stdout.splitlines()[-1]))


def _offending(loaded: set[str], forbidden: tuple[str, ...]) -> list[str]:
    return sorted(
        name for name in loaded if any(name == f or name.startswith(f + ".") for f in forbidden)
    )


def _every_command() -> list[list[str]]:
    """The path of every command and group, as ``[group, command]`` lists."""
    import typer.main

    from regiekaart.cli import app

    root = typer.main.get_command(app)
    paths: list[list[str]] = []

    def walk(command: object, path: list[str]) -> None:
        paths.append(path)
        for name, sub in getattr(command, "commands", {}).items():
            walk(sub, [*path, name])

    walk(root, [])
    return paths


def test_help_of_every_command_loads_no_card_reader_runtime_store_or_renderer() -> None:
    commands = [[*path, "--help"] for path in _every_command()]
    assert len(commands) > 10
    loaded = _loaded_by(*commands)
    assert "regiekaart.cli.main" in loaded
    assert _offending(loaded, NEVER_FOR_HELP) == []


def test_checking_a_card_loads_the_card_layer_and_nothing_that_runs_or_draws() -> None:
    loaded = _loaded_by(["validate", str(UNIVERSEEL)])
    assert "regiekaart.policy.loader" in loaded
    assert _offending(loaded, NEVER_FOR_A_CARD) == []


@pytest.mark.parametrize(
    "command",
    [["schema"], ["schema", "--scenario"], ["show", str(UNIVERSEEL)]],
    ids=["schema", "schema-scenario", "show"],
)
def test_schema_and_show_load_neither_the_store_nor_the_file_renderers(
    command: list[str],
) -> None:
    loaded = _loaded_by(command)
    assert _offending(loaded, ("regiekaart.store", "jinja2", "pydot")) == []


_LOGGING_PROBE = """
import sys
from regiekaart.cli._logging import configure_logging
undo = configure_logging(enabled=False)
assert "structlog" not in sys.modules
import structlog
structlog.get_logger().error("must.not.print")
undo()
print(repr(structlog.get_config()["processors"][-1]))
"""


def test_logging_is_set_up_when_structlog_is_first_imported_and_events_are_dropped() -> None:
    """Dropping events does not import structlog up front; whatever imports it later
    finds the set-up made, so no event reaches stdout, and undoing it gives the
    defaults back."""
    done = subprocess.run(
        [sys.executable, "-c", _LOGGING_PROBE],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert "must.not.print" not in done.stdout + done.stderr
    assert "ConsoleRenderer" in done.stdout  # structlog's default, put back


def test_the_kind_of_a_file_is_told_as_the_scenario_reader_tells_it(tmp_path: Path) -> None:
    """The first look of :mod:`regiekaart.cli._kinds` and the scenario reader agree on
    every shipped file and on files that hide or mix their top-level keys."""
    from regiekaart.cli._kinds import is_scenario
    from regiekaart.scenario.reader import is_scenario_file

    written = {
        "flow.yaml": "{steps: [], policy: universeel}\n",
        "both.yaml": "steps: []\nregiekaart: 1\n",
        "quoted.yaml": '"steps": []\n',
        "comment.yaml": "# steps: not a key\nregiekaart: 1\n",
        "empty.yaml": "",
        "list.yaml": "- steps\n",
        "binary.yaml": "\x00\x01",
    }
    for name, text in written.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    files = [
        *ROOT.glob("machines/*.yaml"),
        *ROOT.glob("examples/**/*.yaml"),
        *(tmp_path / name for name in written),
        tmp_path,  # a directory
        tmp_path / "missing.yaml",
    ]
    for file in files:
        assert is_scenario(file) == is_scenario_file(file), file


def test_the_formats_render_help_names_are_the_formats_it_renders() -> None:
    from regiekaart.cli.render import HELP_FORMATS
    from regiekaart.render.formats import FORMATS

    assert HELP_FORMATS == FORMATS
