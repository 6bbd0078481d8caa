"""A stored case's card, read back from the store: ``case send`` without ``--policy``.

The store keeps the resolved text of every card a case was written under; a host (and
the command line) can decide the next command under that card without finding the file
again. A case stored before the store kept cards says so and asks for the card; a kept
card whose text is not the card its digest names is a store error, not a silent guess.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from regiekaart import load_policy, open_store
from regiekaart.cli import app
from regiekaart.errors import CorruptRecord
from store_support import Backend, new_case

ROOT = Path(__file__).resolve().parents[1]
WEST_BRABANT = ROOT / "machines" / "west-brabant.yaml"
ESCALATE = json.dumps(
    {"type": "escalate", "actor": "wijkteam", "to": "fase2", "criteria": ["hulpbehoefte"]}
)
runner = CliRunner(env={"COLUMNS": "200", "NO_COLOR": "1"})


def cli(*args: str) -> tuple[int, str, str]:
    done = runner.invoke(app, list(args))
    assert done.exception is None or isinstance(done.exception, SystemExit), done.exception
    return done.exit_code, done.stdout, done.stderr


@pytest.fixture
def stored(tmp_path: Path) -> Backend:
    """A SQLite store holding gezin-7, opened under West-Brabant's card."""
    path = tmp_path / "cases.db"
    url = f"sqlite:///{path}"
    code, _, err = cli("case", "new", "gezin-7", "--db", url, "--policy", str(WEST_BRABANT),
                       "--actor", "wijkteam", "--member", "kind-1:jeugd")  # fmt: skip
    assert code == 0, err
    return Backend("sqlite", url, path=path)


def test_the_store_gives_back_the_card_a_case_was_written_under(db: Backend) -> None:
    case = new_case("gezin-1")
    with open_store(db.url) as store:
        store.create(case)
        card = store.case_card("gezin-1")
    assert card is not None
    assert card.digest == case.policy.digest
    assert card.id == case.policy.id


def test_a_kept_card_that_is_not_its_digest_is_a_corrupt_record(db: Backend) -> None:
    with open_store(db.url) as store:
        store.create(new_case("gezin-1"))
    db.drop_guards()
    db.execute("UPDATE cards SET document = ?", (json.dumps({"regiekaart": 1, "id": "x"}),))
    with open_store(db.url) as store, pytest.raises(CorruptRecord, match="gezin-1"):
        store.case_card("gezin-1")


def test_case_send_without_policy_decides_under_the_kept_card(stored: Backend) -> None:
    url = stored.url
    code, out, err = cli("case", "send", "gezin-7", ESCALATE, "--db", url, "--json")
    assert code == 0, err
    sent = json.loads(out)
    assert sent["version"] == 2
    code, out, _ = cli("case", "show", "gezin-7", "--db", url, "--json")
    shown = json.loads(out)
    assert shown["policy"]["digest"] == load_policy(WEST_BRABANT).digest
    assert shown["phase"] == "fase2"


def test_a_case_whose_card_is_not_kept_asks_for_it(stored: Backend) -> None:
    url = stored.url
    stored.drop_guards()
    stored.execute("DELETE FROM cards")
    code, _, err = cli("case", "send", "gezin-7", ESCALATE, "--db", url)
    assert code == 2
    assert "--policy" in err
    code, _, err = cli("case", "send", "gezin-7", ESCALATE, "--db", url,
                       "--policy", str(WEST_BRABANT))  # fmt: skip
    assert code == 0, err


def test_a_forged_kept_card_is_a_store_error_and_nothing_is_sent(stored: Backend) -> None:
    url = stored.url
    stored.drop_guards()
    stored.execute("UPDATE cards SET document = '{}'")
    code, _, err = cli("case", "send", "gezin-7", ESCALATE, "--db", url)
    assert code == 4
    assert "gezin-7" in err
    _, out, _ = cli("case", "show", "gezin-7", "--db", url, "--json")
    assert json.loads(out)["version"] == 1


def test_the_timeline_of_a_stored_case_needs_no_card_either(
    stored: Backend, tmp_path: Path
) -> None:
    url = stored.url
    cli("case", "send", "gezin-7", ESCALATE, "--db", url)
    page = tmp_path / "tijdlijn.html"
    code, _, err = cli("render-timeline", "--db", url, "--case", "gezin-7", "-o", str(page))
    assert code == 0, err
    assert page.read_text(encoding="utf-8").count('<tr class="entry') == 2
