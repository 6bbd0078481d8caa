"""``regiekaart case due``: what a host's daily run asks the store, from the shell.

A case under a card with terms (``tests/cards/termijnen.yaml``: an IBS lasts at most
three days) is opened and given an IBS through ``case send``; ``case due`` then says
when it runs out, an early ``expire`` is refused by name, and bad options are told.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import structlog
from typer.testing import CliRunner

from regiekaart.cli import app

CARD = Path(__file__).resolve().parents[1] / "cards" / "termijnen.yaml"
runner = CliRunner(env={"COLUMNS": "320", "NO_COLOR": "1", "TERM": "dumb"})


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    saved = structlog.get_config()
    yield
    structlog.configure(**saved)


def invoke(*args: str | Path) -> tuple[int, str, str]:
    result = runner.invoke(app, [str(a) for a in args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def db(tmp_path: Path) -> str:
    """A store with one case under an IBS imposed now."""
    url = f"sqlite:///{tmp_path / 'cases.db'}"
    code, _, err = invoke(
        "case", "new", "c-1", "--db", url, "--policy", CARD, "--actor", "wijkteam",
        "--member", "ouder:volwassen", "--json",
    )  # fmt: skip
    assert code == 0, err
    batch = [
        {"type": "escalate", "actor": "wijkteam", "to": "fase2", "criteria": ["hulpbehoefte"]},
        {"type": "impose_measure", "actor": "burgemeester", "measure": "ibs", "member": "ouder"},
    ]
    code, _, err = invoke("case", "send", "c-1", json.dumps(batch), "--db", url, "--policy", CARD)
    assert code == 0, err
    return url


def test_case_due_lists_a_measure_by_when_it_runs_out(db: str) -> None:
    code, out, _ = invoke("case", "due", "--db", db)
    assert code == 0
    assert "due at" in out
    assert "c-1" not in out  # three days to go
    code, out, _ = invoke("case", "due", "--db", db, "--within", "3d", "--json")
    assert code == 0
    (item,) = json.loads(out)["due"]
    assert (item["case"], item["kind"], item["what"], item["member"]) == (
        "c-1",
        "measure",
        "ibs",
        "ouder",
    )
    assert (item["status"], item["action"]) == ("upcoming", "expire")
    end = datetime.fromisoformat(item["at"])
    assert end - datetime.fromisoformat(item["since"]) == timedelta(days=3)
    later = (end + timedelta(hours=1)).astimezone(UTC).isoformat()
    code, out, _ = invoke("case", "due", "--db", db, "--at", later)
    assert code == 0
    assert "overdue" in out
    assert "expire" in out
    code, out, _ = invoke("case", "due", "--db", db, "--at", later, "--json")
    assert json.loads(out)["at"] == later
    assert json.loads(out)["due"][0]["status"] == "overdue"


def test_an_early_expiry_is_refused_by_name(db: str) -> None:
    expire = {"type": "expire", "actor": "wijkteam", "measure": "ibs", "member": "ouder"}
    code, out, _ = invoke(
        "case", "send", "c-1", json.dumps(expire), "--db", db, "--policy", CARD, "--json"
    )
    assert code == 1
    refusal = json.loads(out)
    assert (refusal["accepted"], refusal["error"], refusal["rule"]) == (False, "NotExpired", "ibs")
    assert "has not expired" in refusal["message"]


@pytest.mark.parametrize(
    ("option", "said"),
    [
        (("--at", "2026-03-05T09:00"), "has no time zone"),
        (("--at", "morgen"), "is not a time"),
        (("--at", "0001-01-01T00:00+00:00"), "outside the range"),
        (("--within", "1mo"), "weeks, days or hours"),
        (("--within", "3 dagen"), "is not a duration"),
    ],
)
def test_a_bad_option_is_told_with_exit_code_2(db: str, option: tuple[str, str], said: str) -> None:
    code, out, err = invoke("case", "due", "--db", db, *option)
    assert code == 2
    assert said in err
    assert not out


def test_case_due_refuses_a_store_that_is_not_there(tmp_path: Path) -> None:
    code, _, err = invoke("case", "due", "--db", f"sqlite:///{tmp_path / 'nergens.db'}")
    assert code == 4
    assert "no store at" in err


def test_case_show_gives_a_measure_s_end(db: str) -> None:
    code, out, _ = invoke("case", "show", "c-1", "--db", db)
    assert code == 0
    assert "measure ibs for ouder until" in out
