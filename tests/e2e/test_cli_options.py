"""One name per idea, and a help text for every option, across the whole command tree.

The tree is walked as click builds it, so a command added later is held to the same
rules without being listed here: every option and argument says what it is for, every
option that takes a value shows a placeholder in capitals (``--db URL``, never
``<str>`` or ``<bool>``), and an option that means the same on two commands is the same
option, with the same help.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer.main
from typer.testing import CliRunner

from regiekaart.cli import app
from regiekaart.terminal import counted

ROOT = Path(__file__).resolve().parents[2]
runner = CliRunner(env={"COLUMNS": "100", "NO_COLOR": "1", "TERM": "dumb"})


def _commands() -> Iterator[tuple[list[str], Any]]:
    """Every command and group of the tree with its path, the root first."""

    def walk(command: Any, path: list[str]) -> Iterator[tuple[list[str], Any]]:
        yield path, command
        for name, sub in getattr(command, "commands", {}).items():
            yield from walk(sub, [*path, name])

    yield from walk(typer.main.get_command(app), [])


COMMANDS = list(_commands())
OPTIONS = [
    (" ".join(path) or "regiekaart", param)
    for path, command in COMMANDS
    for param in command.params
    if not getattr(param, "hidden", False)
]


def _name(param: Any) -> str:
    return "/".join(param.opts + param.secondary_opts)


@pytest.mark.parametrize(("where", "param"), OPTIONS, ids=[f"{w} {_name(p)}" for w, p in OPTIONS])
def test_every_option_and_argument_says_what_it_is_for(where: str, param: Any) -> None:
    assert (param.help or "").strip(), f"{where} {_name(param)} has no help"


@pytest.mark.parametrize(
    ("where", "param"),
    [(w, p) for w, p in OPTIONS if p.param_type_name == "option" and not p.is_flag],
    ids=[f"{w} {_name(p)}" for w, p in OPTIONS if p.param_type_name == "option" and not p.is_flag],
)
def test_every_option_with_a_value_shows_a_placeholder_in_capitals(where: str, param: Any) -> None:
    """``--db URL``, ``--holders none|deciding|all``; never typer's ``<str>`` or ``<int range>``."""
    assert param.metavar, f"{where} {_name(param)}"
    assert re.fullmatch(r"[A-Z][A-Z:._]*|[a-z]+(\|[a-z]+)+", param.metavar), param.metavar


@pytest.mark.parametrize(
    ("where", "param"),
    [(w, p) for w, p in OPTIONS if p.param_type_name == "argument"],
    ids=[f"{w} {_name(p) or p.name}" for w, p in OPTIONS if p.param_type_name == "argument"],
)
def test_every_argument_is_named_in_capitals(where: str, param: Any) -> None:
    assert param.metavar, f"{where} {param.name}"
    assert param.metavar.strip("[]").isupper(), f"{where} {param.name}"


@pytest.mark.parametrize(
    "path", [p for p, _ in COMMANDS], ids=[" ".join(p) or "-" for p, _ in COMMANDS]
)
def test_no_help_page_shows_a_bool_placeholder(path: list[str]) -> None:
    done = runner.invoke(app, [*path, "--help"])
    assert done.exit_code == 0, done.output
    assert "<bool>" not in done.stdout
    options = done.stdout.partition("Options:")[2]
    assert re.search(r"^\s+-\S.*<\w", options, re.M) is None, options


SHARED = ("--json", "--db", "--path", "--output", "--refusals", "--holders", "--max-states")
"""Options that mean the same wherever they appear, so their help is the same too."""


def test_an_option_that_means_the_same_is_the_same_option_everywhere() -> None:
    helps: dict[str, set[str]] = defaultdict(set)
    for _, param in OPTIONS:
        if param.param_type_name == "option":
            helps[param.opts[0]].add(param.help)
    for name in SHARED:
        assert name in helps, name
    assert {name: len(helps[name]) for name in SHARED} == dict.fromkeys(SHARED, 1)


def test_a_store_is_named_by_db_on_every_command() -> None:
    named = {
        where: _name(param)
        for where, param in OPTIONS
        if param.param_type_name == "option" and "URL" in (param.metavar or "")
    }
    assert named, "no command takes a store"
    assert set(named.values()) == {"--db"}, named
    assert {"case new", "case send", "audit verify", "render-timeline"} <= set(named)
    every_name = {name for _, param in OPTIONS for name in param.opts + param.secondary_opts}
    assert "--store" not in every_name  # still read by render-timeline, but not offered


def test_counts_take_the_singular_for_one() -> None:
    assert counted(1, "case") == "1 case"
    assert counted(0, "case") == "0 cases"
    assert counted(2, "party", "parties") == "2 parties"
    assert counted(1, "party", "parties") == "1 party"
    assert counted(12_000, "situation") == "12,000 situations"


def test_one_stored_case_is_listed_and_audited_as_one_case(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cases.db'}"
    card = str(ROOT / "machines" / "universeel.yaml")
    opened = runner.invoke(
        app, ["case", "new", "gezin-1", "--db", url, "--policy", card, "--actor", "wijkteam"]
    )
    assert opened.exit_code == 0, opened.output
    listed = runner.invoke(app, ["case", "list", "--db", url])
    assert listed.exit_code == 0, listed.output
    assert listed.stdout.split()[:2] == ["1", "case"]
    audited = runner.invoke(app, ["audit", "verify", "--db", url])
    assert audited.exit_code == 0, audited.output
    assert "1 case, 0 broken" in audited.stdout
    assert re.search(r"(?<![\d.,])1 cases", listed.stdout + audited.stdout) is None
