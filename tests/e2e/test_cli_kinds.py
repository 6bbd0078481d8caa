"""A file given to a command that does not take its kind: one line, what it is, who takes it.

Cards, scenarios and simulation files each say what they are in a top-level key. A
command given another kind says so in one line, with the commands that do take it,
instead of reading the file as the kind it expected and listing that kind's schema
errors. The examples hold each kind in a folder of its own.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from regiekaart.cli import app
from regiekaart.cli._kinds import kind_of

ROOT = Path(__file__).resolve().parents[2]
CARD = ROOT / "machines" / "universeel.yaml"
SCENARIO = ROOT / "examples" / "scenarios" / "calamiteit.yaml"
SIMULATION = ROOT / "examples" / "simulations" / "west-brabant.yaml"
runner = CliRunner(env={"COLUMNS": "200", "NO_COLOR": "1"})

MISPLACED = {
    "validate a simulation": (["validate", SIMULATION], "a simulation file", "simulate"),
    "run a simulation": (["run", SIMULATION], "a simulation file", "simulate"),
    "run a card as the scenario": (["run", CARD, CARD], "a card", "show"),
    "show a scenario": (["show", SCENARIO], "a scenario", "run"),
    "verify a simulation": (["verify", SIMULATION], "a simulation file", "simulate"),
    "simulate a card": (["simulate", CARD], "a card", "verify"),
    "simulate a scenario": (["simulate", SCENARIO], "a scenario", "run"),
    "draw a timeline of a card": (["render-timeline", CARD], "a card", "show"),
}


@pytest.mark.parametrize(("args", "what", "taker"), MISPLACED.values(), ids=MISPLACED.keys())
def test_a_file_of_another_kind_is_named_in_one_line(
    args: list[str | Path], what: str, taker: str
) -> None:
    done = runner.invoke(app, [str(a) for a in args])
    assert done.exit_code == 2, done.output
    said = [line for line in (done.stdout + done.stderr).splitlines() if what in line]
    assert len(said) == 1, done.output
    assert taker in said[0]
    assert "schema" not in done.output
    assert "is a required property" not in done.output


def test_validate_checks_the_others_and_names_the_simulation() -> None:
    done = runner.invoke(app, ["validate", str(CARD), str(SIMULATION), str(SCENARIO)])
    assert done.exit_code == 2
    lines = done.stdout.splitlines()
    assert lines[0].startswith(f"OK {CARD}")
    assert lines[1] == f"INVALID {SIMULATION}"
    assert "a simulation file (simulation: at the top)" in lines[2]
    assert lines[3].startswith(f"OK {SCENARIO}")


def test_schema_prints_the_schema_of_simulation_files() -> None:
    from regiekaart.simulate.attempts import simulation_schema

    done = runner.invoke(app, ["schema", "--simulation"])
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout) == simulation_schema()


FOLDERS = {"scenarios": "steps", "simulations": "simulation", "policy-changes": "regiekaart"}


@pytest.mark.parametrize(("folder", "key"), FOLDERS.items())
def test_the_examples_hold_each_kind_in_its_own_folder(folder: str, key: str) -> None:
    files = sorted((ROOT / "examples" / folder).rglob("*.yaml"))
    assert files
    assert {str(f.relative_to(ROOT)): kind_of(f) for f in files} == {
        str(f.relative_to(ROOT)): key for f in files
    }
