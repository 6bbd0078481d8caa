"""``regiekaart case …`` and ``regiekaart audit verify`` as a person and a script use them.

Most tests go through typer's runner on the real ``regiekaart`` app; the audit tests
start the installed console script as a child process after someone has changed rows by
hand in the database, and check that the first broken link of the case is named.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import structlog
from typer.testing import CliRunner

from regiekaart import Escalate
from regiekaart.analysis.enumeration import enumerate_commands
from regiekaart.analysis.search import try_command
from regiekaart.cli import app
from regiekaart.store import open_store
from regiekaart.store.audit import chain_hash
from store_support import BACKENDS, UNIVERSEEL, Backend, backend, new_case, policy, quiet_logs

SCRIPT = Path(sys.executable).parent / "regiekaart"
ESCALATE = '{"type": "escalate", "actor": "wijkteam", "to": "fase2", "criteria": ["hulpbehoefte"]}'
REFUSED = '{"type": "deescalate", "actor": "client", "to": "fase1"}'

runner = CliRunner(env={"COLUMNS": "240", "NO_COLOR": "1", "TERM": "dumb"})


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    """The CLI configures structlog for its process; give later tests theirs back."""
    saved = structlog.get_config()
    yield
    structlog.configure(**saved)


def case_cli(db: Backend, *args: str) -> tuple[int, str, str]:
    """``regiekaart case ARGS --db URL`` (and ``--policy`` where the command takes one)."""
    extra = ["--db", db.url]
    if args[0] in ("new", "send"):
        extra += ["--policy", str(UNIVERSEEL)]
    result = runner.invoke(app, ["case", *args, *extra])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


def test_a_case_is_opened_commanded_shown_listed_and_its_history_read(db: Backend) -> None:
    code, out, _ = case_cli(
        db, "new", "gezin-7", "--actor", "wijkteam", "--member", "kind-1:jeugd", "--json"
    )
    assert code == 0, out
    opened = json.loads(out)
    assert (opened["case"], opened["phase"], opened["version"]) == ("gezin-7", "fase1", 1)
    assert opened["policy"]["id"] == "universeel"

    code, out, _ = case_cli(db, "send", "gezin-7", ESCALATE, "--json")
    assert code == 0, out
    sent = json.loads(out)
    assert (sent["accepted"], sent["version"]) == (True, 2)
    assert sent["events"][0]["rule"] == "opschalen-1-2"

    code, out, _ = case_cli(db, "send", "gezin-7", REFUSED, "--json")
    assert code == 1
    refused = json.loads(out)
    assert (refused["accepted"], refused["error"], refused["rule"]) == (
        False,
        "NotAuthorized",
        "afschalen-2-1",
    )
    code, _, err = case_cli(db, "send", "gezin-7", REFUSED)
    assert code == 1
    assert "refused (NotAuthorized)" in err
    assert "afschalen-2-1" in err

    code, out, _ = case_cli(db, "show", "gezin-7")
    assert code == 0
    assert "case gezin-7 · phase fase2" in out
    assert "casusregie" in out
    assert "wijkteam" in out
    code, out, _ = case_cli(db, "show", "gezin-7", "--json")
    shown = json.loads(out)
    assert shown["version"] == 2
    assert shown["state"]["configuration"] == [
        "fase2",
        "fase2.vrijwillig",
    ]

    code, out, _ = case_cli(db, "list", "--json")
    assert [c["case"] for c in json.loads(out)] == ["gezin-7"]
    code, out, _ = case_cli(db, "list")
    assert "gezin-7" in out
    assert "universeel 2018-05" in out

    code, out, _ = case_cli(db, "history", "gezin-7")
    assert code == 0
    for column in ("seq", "time", "actor", "command", "rule", "§ source", "criteria", "reason"):
        assert column in out
    assert "configuration after" in out
    assert "opschalen-1-2" in out
    assert "§2.3.1" in out
    assert "hulpbehoefte" in out
    assert "members=kind-1:jeugd" in out
    assert "hash chain verified" in out
    code, out, _ = case_cli(db, "history", "gezin-7", "--json")
    assert code == 0
    trail = json.loads(out)
    assert trail["case"] == "gezin-7"
    assert [e["seq"] for e in trail["events"]] == [1, 2]
    assert trail["events"][1]["prev_hash"] == trail["events"][0]["hash"]
    assert trail["chain"] == {
        "ok": True,
        "broken_at": None,
        "detail": None,
        "head_hash": trail["events"][1]["hash"],
    }


def test_a_batch_is_applied_whole_or_not_at_all(db: Backend) -> None:
    case_cli(db, "new", "gezin-7", "--actor", "wijkteam")
    code, _, _ = case_cli(db, "send", "gezin-7", f"[{ESCALATE}, {REFUSED}]")
    assert code == 1
    code, out, _ = case_cli(db, "show", "gezin-7", "--json")
    assert json.loads(out)["version"] == 1

    batch = _two_accepted_after_escalate()
    code, out, _ = case_cli(
        db, "send", "gezin-7", json.dumps([json.loads(ESCALATE), *batch]), "--json"
    )
    assert code == 0, out
    assert json.loads(out)["version"] == 4


def _two_accepted_after_escalate() -> list[dict[str, Any]]:
    from regiekaart import unstructure_command

    case = new_case("scratch")
    case.apply(Escalate(actor="wijkteam", to="fase2", criteria=("hulpbehoefte",)))
    out = []
    while len(out) < 2:
        for command in enumerate_commands(policy(), case.state, refusals=False):
            if try_command(case, command).event is not None:
                out.append(unstructure_command(command))
                break
    return out


def test_commands_from_a_file_and_from_stdin(db: Backend, tmp_path: Path) -> None:
    case_cli(db, "new", "gezin-7", "--actor", "wijkteam")
    command_file = tmp_path / "escalate.json"
    command_file.write_text(ESCALATE, encoding="utf-8")
    code, out, _ = case_cli(db, "send", "gezin-7", f"@{command_file}", "--json")
    assert code == 0
    assert json.loads(out)["version"] == 2
    result = runner.invoke(
        app,
        ["case", "send", "gezin-7", "-", "--db", db.url, "--policy", str(UNIVERSEEL)],
        input=REFUSED,
    )
    assert result.exit_code == 1
    assert "NotAuthorized" in result.stderr


@pytest.mark.parametrize(
    ("args", "code", "said"),
    [
        (("send", "gezin-7", "{not json"), 2, "the command is not JSON"),
        (
            ("send", "gezin-7", '{"type": "teleport", "actor": "wijkteam"}'),
            2,
            "unknown command type 'teleport'",
        ),
        (("send", "gezin-7", '{"type": "escalate", "actor": "wijkteam"}'), 2, "command escalate"),
        (("send", "gezin-7", "[]"), 2, "no command given"),
        (("send", "gezin-7", "@/no/such/file.json"), 2, "cannot read /no/such/file.json"),
        (("send", "gezin-9", ESCALATE), 4, "case gezin-9: no such case"),
        (("show", "gezin-9"), 4, "case gezin-9: no such case"),
        (("new", "gezin-7", "--actor", "wijkteam"), 4, "already stored"),
        (("new", "gezin-8", "--actor", "wijkteam", "--member", "kind"), 2, "write ID:GROUP"),
        (("new", "gezin-8", "--actor", "nobody"), 1, "unknown party 'nobody'"),
    ],
)
def test_bad_input_is_named_with_its_exit_code(
    db: Backend, args: tuple[str, ...], code: int, said: str
) -> None:
    case_cli(db, "new", "gezin-7", "--actor", "wijkteam")
    got, _, err = case_cli(db, *args)
    assert got == code
    assert said in " ".join(err.split())


def test_an_unknown_store_url_is_named(tmp_path: Path) -> None:
    result = runner.invoke(app, ["case", "list", "--db", "mysql://x/y"])
    assert result.exit_code == 4
    assert "unknown store URL scheme 'mysql'" in result.stderr
    result = runner.invoke(app, ["case", "list", "--db", "cases.db"])
    assert result.exit_code == 4
    assert "not a store URL" in result.stderr


@pytest.mark.parametrize(
    "args",
    [
        ("audit", "verify"),
        ("audit", "verify", "--case", "gezin-7"),
        ("case", "list"),
        ("case", "show", "gezin-7"),
        ("case", "history", "gezin-7"),
        ("case", "send", "gezin-7", ESCALATE, "--policy", str(UNIVERSEEL)),
    ],
    ids=["verify", "verify-case", "list", "show", "history", "send"],
)
def test_a_mistyped_path_is_no_store_and_creates_none(
    tmp_path: Path, args: tuple[str, ...]
) -> None:
    """Only ``case new`` makes a store; an audit of a typo does not pass as "0 cases"."""
    typo = tmp_path / "typo.db"
    result = runner.invoke(app, [*args, "--db", f"sqlite:///{typo}"])
    assert result.exit_code == 4, result.output
    assert f"no store at {typo}" in " ".join(result.stderr.split())
    assert "0 cases" not in result.stdout
    assert list(tmp_path.iterdir()) == []


def test_case_new_creates_the_store(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'new.db'}"
    result = runner.invoke(
        app,
        ["case", "new", "gezin-7", "--actor", "wijkteam", "--db", url, "--policy", str(UNIVERSEEL)],
    )
    assert result.exit_code == 0, result.output
    assert runner.invoke(app, ["audit", "verify", "--db", url]).exit_code == 0


# -- audit verify against rows changed by hand --------------------------------------------


def _swap(db: Backend, case: str) -> None:
    db.execute("UPDATE events SET seq = 1000 WHERE case_id = ? AND seq = 3", (case,))
    db.execute("UPDATE events SET seq = 3 WHERE case_id = ? AND seq = 4", (case,))
    db.execute("UPDATE events SET seq = 4 WHERE case_id = ? AND seq = 1000", (case,))


def _alter_reason(db: Backend, case: str) -> None:
    if db.name == "sqlite":
        db.execute(
            'UPDATE events SET body = replace(body, \'"reason":""\', \'"reason":"forged"\')'
            " WHERE case_id = ? AND seq = 3",
            (case,),
        )
    else:
        db.execute(
            "UPDATE events SET body = jsonb_set(body, '{command,reason}', '\"forged\"')"
            " WHERE case_id = ? AND seq = 3",
            (case,),
        )


def _alter_and_rehash(db: Backend, case: str) -> None:
    """A careful forger: alters event 3 and gives it a matching hash."""
    _alter_reason(db, case)
    digest, body, prev, state = db.execute(
        "SELECT policy_digest, body, prev_hash, state_digest FROM events"
        " WHERE case_id = ? AND seq = 3",
        (case,),
    )[0]
    parsed = json.loads(body) if isinstance(body, str) else body
    db.execute(
        "UPDATE events SET hash = ? WHERE case_id = ? AND seq = 3",
        (chain_hash(prev, case, digest, parsed, state), case),
    )


def _alter_rule_column(db: Backend, case: str) -> None:
    db.execute("UPDATE events SET rule = 'forged' WHERE case_id = ? AND seq = 2", (case,))


def _delete(seq: int) -> Callable[[Backend, str], None]:
    def delete(db: Backend, case: str) -> None:
        db.execute("DELETE FROM events WHERE case_id = ? AND seq = ?", (case, seq))

    return delete


def _forge_snapshot(db: Backend, case: str) -> None:
    """The observed attack: the current state changed in place, no trigger in the way."""
    if db.name == "sqlite":
        db.execute(
            "UPDATE cases SET snapshot = json_set(snapshot, '$.state.roles',"
            ' json(\'{"casusregie": ["politie"]}\')) WHERE case_id = ?',
            (case,),
        )
    else:
        db.execute(
            "UPDATE cases SET snapshot = jsonb_set(snapshot, '{state,roles}',"
            ' \'{"casusregie": ["politie"]}\') WHERE case_id = ?',
            (case,),
        )


def _forge_phase(db: Backend, case: str) -> None:
    db.execute("UPDATE cases SET phase = 'fase4' WHERE case_id = ?", (case,))


def _append(db: Backend, case: str) -> None:
    """An event added beyond the case's version, copied from its last."""
    db.execute(
        "INSERT INTO events (case_id, seq, at, command, rule, policy_digest, body, prev_hash,"
        " hash, state_digest) SELECT case_id, 6, at, command, rule, policy_digest, body,"
        " hash, hash, state_digest FROM events WHERE case_id = ? AND seq = 5",
        (case,),
    )


TAMPERING: dict[str, tuple[Callable[[Backend, str], None], int, str]] = {
    "forged-snapshot": (_forge_snapshot, 5, "forged snapshot"),
    "phase-column": (_forge_phase, 5, "the case row's phase column disagrees"),
    "appended": (_append, 6, "the row at position 6 holds event 5"),
    "altered": (_alter_reason, 3, "altered: the row's content does not match its hash"),
    "rehashed": (_alter_and_rehash, 4, "event 3 was altered and hashed anew"),
    "rule-column": (_alter_rule_column, 2, "the rule column no longer says what the event says"),
    "deleted": (_delete(3), 3, "event 3 is missing"),
    "last-deleted": (_delete(5), 5, "the case is at version 5 but only 4 events are stored"),
    "reordered": (_swap, 3, "reordered: the row at position 3 holds event 4"),
}


def _run_script(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "240", "NO_COLOR": "1"}
    return subprocess.run(
        [str(SCRIPT), *args], capture_output=True, text=True, env=env, timeout=120, check=False
    )


def _store_cases(db: Backend, case_ids: list[str]) -> None:
    """Cases of five events each, the same story in every one."""
    quiet_logs()
    with open_store(db.url) as store:
        for case_id in case_ids:
            case = new_case(case_id)
            while case.version < 5:
                for command in enumerate_commands(policy(), case.state, refusals=False):
                    if try_command(case, command).event is not None:
                        break
            store.create(case)


@pytest.mark.slow
@pytest.mark.parametrize("name", BACKENDS)
def test_audit_verify_names_the_first_broken_link_of_each_case(name: str, tmp_path: Path) -> None:
    with backend(name, tmp_path) as db:
        _store_cases(db, [*TAMPERING, "intact"])
        done = _run_script("audit", "verify", "--db", db.url, "--json")
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout)["ok"] is True

        db.drop_guards()
        for case_id, (tamper, _, _) in TAMPERING.items():
            tamper(db, case_id)

        done = _run_script("audit", "verify", "--db", db.url, "--json")
        assert done.returncode == 1, done.stderr
        report = {c["case"]: c for c in json.loads(done.stdout)["cases"]}
        assert report["intact"]["ok"] is True
        for case_id, (_, seq, detail) in TAMPERING.items():
            assert report[case_id]["ok"] is False
            assert (report[case_id]["broken_at"], case_id) == (seq, case_id)
            assert detail in report[case_id]["detail"]

        done = _run_script("audit", "verify", "--db", db.url)
        assert done.returncode == 1
        for case_id, (_, seq, _) in TAMPERING.items():
            line = next(line for line in done.stdout.splitlines() if f" {case_id} " in line)
            assert f"broken at event {seq}" in line
        assert f"{len(TAMPERING) + 1} cases, {len(TAMPERING)} broken, 0 not replayed" in (
            done.stdout
        )
        assert "cases/s" in done.stdout
        assert "intact" in next(line for line in done.stdout.splitlines() if "ok, replayed" in line)

        code, _, err = case_cli(db, "show", "forged-snapshot")  # a forged state is not shown
        assert code == 4
        assert "not the state the chain's last event produced" in " ".join(err.split())

        code, out, _ = case_cli(db, "history", "altered")  # the trail can still be read,
        assert code == 1  # but a script learns that it is broken
        assert "forged" in out
        assert "hash chain BROKEN: case altered: audit chain broken at event 3" in " ".join(
            out.split()
        )
        code, out, _ = case_cli(db, "history", "altered", "--json")
        assert code == 1
        chain = json.loads(out)["chain"]
        assert (chain["ok"], chain["broken_at"]) == (False, 3)
        assert chain["detail"]
        assert "forged" in json.dumps(json.loads(out)["events"])


def test_the_console_script_keeps_logs_off_stdout(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cases.db'}"
    done = _run_script("case", "new", "gezin-7", "--actor", "wijkteam", "--db", url,
                       "--policy", str(UNIVERSEEL), "--json")  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["case"] == "gezin-7"
    done = _run_script("--log", "case", "send", "gezin-7", ESCALATE, "--db", url,
                       "--policy", str(UNIVERSEEL), "--json")  # fmt: skip
    assert json.loads(done.stdout)["version"] == 2
    assert '"store.committed"' in done.stderr
    assert '"command.accepted"' in done.stderr
