"""The tables of ``case`` at 80 and at 200 columns: stacked when narrow, never cut.

The audit trail has ten columns; at 80 columns each event is its own small table, its
field names down the left, and at 200 the trail is one table. No word is cut to "…"
and no line is wider than the terminal, since a case id or a reason cut short is a
different id or reason.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from regiekaart.cli import app

ROOT = Path(__file__).resolve().parents[2]
UNIVERSEEL = str(ROOT / "machines" / "universeel.yaml")
ESCALATE = json.dumps(
    {
        "type": "escalate",
        "actor": "wijkteam",
        "to": "fase2",
        "criteria": ["hulpbehoefte"],
        "reason": "Zorgen over de thuissituatie van het gezin",
    }
)


def _at(width: int, *args: str) -> str:
    runner = CliRunner(env={"COLUMNS": str(width), "NO_COLOR": "1", "TERM": "dumb"})
    done = runner.invoke(app, list(args))
    assert done.exit_code == 0, done.output
    return done.stdout


@pytest.fixture
def store(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'cases.db'}"
    _at(200, "case", "new", "gezin-7", "--db", url, "--policy", UNIVERSEEL,
        "--actor", "wijkteam", "--member", "kind-1:jeugd")  # fmt: skip
    return url


@pytest.mark.parametrize("width", [80, 200])
def test_send_and_history_cut_nothing_at_80_or_200_columns(store: str, width: int) -> None:
    sent = _at(width, "case", "send", "gezin-7", ESCALATE, "--db", store, "--policy", UNIVERSEEL)
    history = _at(width, "case", "history", "gezin-7", "--db", store)
    shown = _at(width, "case", "show", "gezin-7", "--db", store)
    for text in (sent, history, shown):
        assert "…" not in text
        assert max(len(line) for line in text.splitlines()) <= width
    assert "Zorgen over de thuissituatie van het gezin" in " ".join(history.split())
    assert "operationeel_verantwoordelijk" in shown


def test_the_trail_is_one_table_at_200_and_one_table_an_event_at_80(store: str) -> None:
    _at(200, "case", "send", "gezin-7", ESCALATE, "--db", store, "--policy", UNIVERSEEL)
    wide = _at(200, "case", "history", "gezin-7", "--db", store)
    header = next(line for line in wide.splitlines() if "configuration after" in line)
    assert all(head in header for head in ("seq", "time", "actor", "command", "reason"))
    narrow = _at(80, "case", "history", "gezin-7", "--db", store).splitlines()
    assert [line.split()[:2] for line in narrow if line.startswith("seq ")] == [
        ["seq", "1"],
        ["seq", "2"],
    ]
    assert sum("configuration after" in line for line in narrow) == 2
