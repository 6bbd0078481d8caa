"""Stored data on a terminal: shown escaped, never obeyed, never read as markup.

Ids with control characters are refused when a case is made, so the rows here are
forged by hand in SQL, as someone with database access could: a case renamed to an id
that erases its line and prints " ok", and re-hashed so that its chain verifies. The
CLI must show that id as the characters it holds.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
import structlog
from typer.testing import CliRunner

from regiekaart import Case, Escalate
from regiekaart.cli import app
from regiekaart.store import open_store
from regiekaart.store.audit import GENESIS, link
from store_support import UNIVERSEEL, Backend, new_case, policy, quiet_logs

FORGED = "gezin-9\x1b[2K\r\u202egezin-1  1  ok [bold red]x[/]\x9b"
"""Erase the line, return to its start, reverse what follows, fake a row, try markup."""
SHOWN = "gezin-9\\x1b[2K\\r\\u202egezin-1  1  ok [bold red]x[/]\\x9b"
ESCALATE = '{"type": "escalate", "actor": "wijkteam", "to": "fase2", "criteria": ["hulpbehoefte"]}'

runner = CliRunner(env={"COLUMNS": "400", "NO_COLOR": "1", "TERM": "dumb"})


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    quiet_logs()
    saved = structlog.get_config()
    yield
    structlog.configure(**saved)


def forge(db: Backend, case_id: str, reason: str = "") -> None:
    """Store a case under ``gezin-7``, then rename it to ``case_id`` in SQL and re-hash
    its chain, so that it verifies as a case written under that id would."""
    case = new_case("gezin-7")
    with open_store(db.url) as store:
        store.create(case)
        store.send(
            policy(),
            "gezin-7",
            Escalate(actor="wijkteam", to="fase2", criteria=("hulpbehoefte",), reason=reason),
        )
        events = [row.event() for row in store.history("gezin-7")]
    replayed = Case.replay(policy(), "gezin-7", events)
    states = [replayed.state_at(event.seq) for event in events]
    rows = link(case_id, policy().digest, events, states, GENESIS)
    db.drop_guards()
    if db.name == "postgres":
        db.execute("ALTER TABLE events DROP CONSTRAINT events_case_id_fkey")
        snapshot = "jsonb_set(snapshot, '{case}', to_jsonb(?::text))"
    else:
        snapshot = "json_set(snapshot, '$.case', ?)"
    db.execute(
        f"UPDATE cases SET case_id = ?, head_hash = ?, snapshot = {snapshot}"
        " WHERE case_id = 'gezin-7'",
        (case_id, rows[-1].hash, case_id),
    )
    for row in rows:
        db.execute(
            "UPDATE events SET case_id = ?, prev_hash = ?, hash = ? WHERE seq = ?",
            (case_id, row.prev_hash, row.hash, row.seq),
        )


def cli(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


def assert_nothing_raw(text: str) -> None:
    for char in ("\x1b", "\r", "\u202e", "\x9b"):
        assert char not in text, f"{char!r} reached the terminal"


def test_a_forged_id_in_audit_verify_is_shown_escaped_and_forges_no_line(db: Backend) -> None:
    forge(db, FORGED)
    code, out, err = cli("audit", "verify", "--db", db.url)
    assert code == 1, out + err  # the chain verifies; no case could be opened with that id
    assert_nothing_raw(out + err)
    [line] = [line for line in out.splitlines() if "gezin-9" in line]
    assert SHOWN in line, "the id is shown whole, escaped, with its markup as text"
    assert line.index("gezin-9") < line.index("\\x1b"), "nothing erases the start of the row"
    assert "the case cannot be replayed" in line
    assert "1 case, 1 broken" in out


def test_a_forged_id_in_case_list_is_shown_escaped(db: Backend) -> None:
    forge(db, FORGED)
    code, out, err = cli("case", "list", "--db", db.url)
    assert code == 0, (out, err)
    assert_nothing_raw(out + err)
    assert SHOWN in out


def test_a_forged_reason_in_case_show_and_history_is_shown_escaped(db: Backend) -> None:
    forge(db, "gezin-9", reason="eerste regel\n\u202etweede [bold]regel[/]")
    for args in (("case", "show", "gezin-9"), ("case", "history", "gezin-9")):
        code, out, err = cli(*args, "--db", db.url)
        assert code == 0, (args, out, err)
        assert_nothing_raw(out + err)
        assert "gezin-9" in out, args
    assert "\\u202etweede [bold]regel[/]" in out, "a reason keeps its lines, not its controls"


@pytest.mark.parametrize("command", ["show", "history"])
def test_a_forged_id_given_on_the_command_line_is_bad_input(db: Backend, command: str) -> None:
    """No case can have that id: it is refused before the store is read, shown escaped."""
    forge(db, FORGED)
    code, out, err = cli("case", command, FORGED, "--db", db.url)
    assert code == 2, (out, err)
    assert_nothing_raw(out + err)
    assert "case id 'gezin-9\\x1b[2K\\r\\u202e" in err
    assert "a control character" in " ".join(err.split())


def test_a_forged_id_in_json_output_is_escaped_and_still_reads_back(db: Backend) -> None:
    forge(db, FORGED)
    code, out, _ = cli("case", "list", "--db", db.url, "--json")
    assert code == 0
    assert_nothing_raw(out)
    assert json.loads(out)[0]["case"] == FORGED


def test_an_unknown_id_is_named_escaped(db: Backend) -> None:
    with open_store(db.url):
        pass
    code, _, err = cli("case", "show", "gezin-[bold]9[/]", "--db", db.url)
    assert code == 4
    assert "case gezin-[bold]9[/]: no such case" in " ".join(err.split())


@pytest.mark.parametrize(
    "args",
    [
        ("case", "show", "gezin-\udcff"),
        ("case", "history", "gezin-\udcff"),
        ("case", "send", "gezin-\udcff", ESCALATE, "--policy", str(UNIVERSEEL)),
        ("audit", "verify", "--case", "gezin-\udcff"),
    ],
    ids=["show", "history", "send", "verify"],
)
def test_an_id_with_an_invalid_byte_is_bad_input(db: Backend, args: tuple[str, ...]) -> None:
    """A byte that is not UTF-8 in argv arrives as a lone surrogate: exit 2, as for
    ``case new``, not a store error."""
    with open_store(db.url):
        pass
    code, out, err = cli(*args, "--db", db.url)
    assert code == 2, out + err
    assert "case id 'gezin-\\udcff': contains \\udcff (a lone surrogate)" in " ".join(err.split())


def test_case_new_refuses_an_id_it_cannot_show(db: Backend) -> None:
    code, out, err = cli(
        "case", "new", "gezin-7", "--actor", "wijk\x1bteam", "--db", db.url,
        "--policy", str(UNIVERSEEL),
    )  # fmt: skip
    assert code == 2, out + err
    assert_nothing_raw(out + err)
    assert "party id 'wijk\\x1bteam'" in err


@pytest.mark.parametrize(
    "case_id",
    ["gezin\x1b[2K7", "x" * 100_000, "gezin-\udcff", " "],
    ids=["escape", "long", "byte", "blank"],
)
def test_case_new_refuses_a_case_id_it_cannot_show(db: Backend, case_id: str) -> None:
    code, out, err = cli(
        "case", "new", case_id, "--actor", "wijkteam", "--db", db.url, "--policy", str(UNIVERSEEL)
    )
    assert code == 2, out + err
    assert_nothing_raw(out + err)
    assert "case id" in err
    assert len(err) < 1000
    with open_store(db.url) as store:
        assert store.cases() == []


def test_json_output_escapes_what_json_dumps_leaves_raw(db: Backend) -> None:
    forge(db, "gezin-\x7f\u202e\x85\U000e0001")
    code, out, _ = cli("case", "list", "--db", db.url, "--json")
    assert code == 0
    assert "gezin-\\u007f\\u202e\\u0085\\udb40\\udc01" in out
    assert json.loads(out)[0]["case"] == "gezin-\x7f\u202e\x85\U000e0001"
