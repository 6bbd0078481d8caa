"""Faults, for real: damaged rows, a database from the future, a writer killed mid-batch.

Whatever goes wrong, the store must say clearly what (which case, which row, what is
wrong with it) and must not change a single row while saying it; and a writer that
dies at any moment leaves every committed command in place and nothing half-written.
"""

from __future__ import annotations

import multiprocessing
import os
import random
import re
import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from regiekaart import Case, CloseCase, Escalate, StepClock
from regiekaart.analysis.enumeration import enumerate_commands
from regiekaart.errors import CommandRefused, CorruptRecord, SchemaTooNew, StoreError
from regiekaart.store import SCHEMA_VERSION, CaseStore, open_store
from store_support import BACKENDS, Backend, backend, new_case, policy, quiet_logs

TO_FASE2 = Escalate(actor="wijkteam", to="fase2", criteria=("hulpbehoefte",))


@pytest.fixture(autouse=True)
def _quiet() -> None:
    quiet_logs()


@pytest.fixture
def store(db: Backend) -> Iterator[CaseStore]:
    with open_store(db.url) as opened:
        opened.create(new_case("k-1"))
        opened.send(policy(), "k-1", TO_FASE2)
        yield opened


# -- bad input --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("snapshot", "said"),
    [
        (
            '{"format": 1, "case": "k-1", "policy": {}, "state": {"configuration": 5}}',
            "expected tuple @ snapshot.state.configuration",
        ),
        ('{"format": 1, "case": "k-9", "policy": {}, "state": {}}', "it names another case"),
        ('["not", "an", "object"]', "expected an object, found list"),
        ('{"format": 1, "case": "k-1", "policy": {}}', "required field missing @ snapshot.state"),
        ('{"format": 1, "case": "k-1", "state": {}}', "required field missing @ snapshot.policy"),
    ],
)
def test_a_corrupt_snapshot_row_is_named_and_nothing_changes(
    store: CaseStore, db: Backend, snapshot: str, said: str
) -> None:
    cast = "" if db.name == "sqlite" else "::jsonb"
    db.execute(f"UPDATE cases SET snapshot = ?{cast} WHERE case_id = 'k-1'", (snapshot,))
    before = db.dump()

    for attempt in (
        lambda: store.load(policy(), "k-1"),
        lambda: store.state("k-1"),
        lambda: store.send(policy(), "k-1", CloseCase(actor="wijkteam")),
    ):
        with pytest.raises(
            CorruptRecord, match=re.escape("case k-1: the snapshot cannot be read: ")
        ) as error:
            attempt()
        assert said in str(error.value)

    assert db.dump() == before


def test_a_snapshot_that_is_not_json_is_named(tmp_path: Path) -> None:
    with backend("sqlite", tmp_path) as db, open_store(db.url) as store:
        store.create(new_case("k-1"))
        db.execute("UPDATE cases SET snapshot = '{\"format\": 1, \"ca' WHERE case_id = 'k-1'")
        before = db.dump()
        with pytest.raises(CorruptRecord, match="case k-1: the snapshot cannot be read: not JSON"):
            store.load(policy(), "k-1")
        assert db.dump() == before


def test_an_unknown_event_type_is_named_and_nothing_changes(store: CaseStore, db: Backend) -> None:
    db.drop_guards()
    if db.name == "sqlite":
        db.execute(
            'UPDATE events SET body = replace(body, \'"type":"escalate"\', \'"type":"teleport"\')'
            " WHERE seq = 2"
        )
    else:
        db.execute(
            "UPDATE events SET body = jsonb_set(body, '{command,type}', '\"teleport\"')"
            " WHERE seq = 2"
        )
    before = db.dump()

    with pytest.raises(
        CorruptRecord, match="case k-1: event 2 cannot be read: unknown command type 'teleport'"
    ):
        store.load(policy(), "k-1")
    with pytest.raises(CorruptRecord, match="event 2"):
        store.history("k-1")[1].event()
    report = store.verify("k-1")[0]
    assert report.broken is not None
    assert report.broken.seq == 2

    assert db.dump() == before


def test_a_database_of_a_newer_schema_is_refused_untouched(store: CaseStore, db: Backend) -> None:
    store.close()
    db.execute(
        "INSERT INTO schema_version (version, description) VALUES (?, ?)",
        (SCHEMA_VERSION + 7, "future"),
    )
    before = db.dump()

    with pytest.raises(SchemaTooNew) as refused:
        open_store(db.url)

    assert (refused.value.found, refused.value.supported) == (SCHEMA_VERSION + 7, SCHEMA_VERSION)
    assert "upgrade regiekaart" in str(refused.value)
    assert "nothing was changed" in str(refused.value)
    assert db.dump() == before


# -- a writer killed with SIGKILL -------------------------------------------------------

CASES = ("crash-1", "crash-2", "crash-3")
BATCH = 4


def _writer(url: str, log_path: str, seed: int, pause_in_commit: bool) -> None:
    """Commit batches of commands for ever; log the intent before and the result after.

    With ``pause_in_commit`` the writer stops inside its first commit transaction, after
    its events are written and before the snapshot update, and says so in the log.
    """
    quiet_logs()
    p = policy()
    rng = random.Random(seed)
    store = open_store(url)
    if pause_in_commit:
        _pause_inside_commit(store, log_path)
    with open(log_path, "a", encoding="utf-8") as log:
        while True:
            case_id = rng.choice(CASES)
            case = store.load(p, case_id, history=False, clock=StepClock())
            start = case.version
            while case.version < start + BATCH:
                commands = [
                    c
                    for c in enumerate_commands(p, case.state, refusals=False)
                    if not isinstance(c, CloseCase)
                ]
                try:
                    case.apply(rng.choice(commands))
                except CommandRefused:
                    continue
            log.write(f"intent {case_id} {start} {case.version}\n")
            log.flush()
            store.commit(case, expected=start)
            log.write(f"done {case_id} {case.version}\n")
            log.flush()


def _pause_inside_commit(store: Any, log_path: str) -> None:
    """Hold the writer still inside its commit, once its events rows are in the transaction."""
    if store.backend == "sqlite":
        connection = store._db
        state = {"updating": False}

        def trace(statement: str) -> None:
            state["updating"] = statement.startswith("UPDATE cases")

        def progress() -> int:
            if state["updating"] and connection.in_transaction:
                with open(log_path, "a", encoding="utf-8") as log:
                    log.write("paused\n")
                time.sleep(3600)
            return 0

        connection.set_trace_callback(trace)
        connection.set_progress_handler(progress, 1)


def _log(path: Path) -> list[list[str]]:
    if not path.exists():
        return []
    return [line.split() for line in path.read_text(encoding="utf-8").splitlines() if line]


def _wait_for(condition: Any, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("the writer did not get there in time")
        time.sleep(0.005)


def _check_after_crash(url: str, log: list[list[str]]) -> None:
    """Every logged commit is there; the batch in flight is there whole or not at all."""
    p = policy()
    with open_store(url) as store:
        versions = {info.case_id: info.version for info in store.cases()}
        boundaries: dict[str, set[int]] = {case_id: {1} for case_id in CASES}
        for entry in log:
            if entry[0] == "intent":
                boundaries[entry[1]] |= {int(entry[2]), int(entry[3])}
            elif entry[0] == "done":
                assert versions[entry[1]] >= int(entry[2]), f"committed {entry} was lost"
        for case_id, version in versions.items():
            assert version in boundaries[case_id], f"{case_id} at {version}: half a batch"
            stored = store.load(p, case_id)
            assert [e.seq for e in stored.events] == list(range(1, version + 1))
            assert Case.replay(p, case_id, stored.events).snapshot() == stored.snapshot()
        assert all(report.ok for report in store.verify())


@contextmanager
def _killed_at_the_end(writer: Any) -> Iterator[Any]:
    """Never leave a writer running past its test, whatever failed."""
    try:
        yield writer
    finally:
        if writer.pid is not None and writer.exitcode is None:
            os.kill(writer.pid, signal.SIGKILL)
            writer.join()


@pytest.mark.slow
@pytest.mark.parametrize("name", BACKENDS)
def test_a_writer_killed_mid_batch_loses_nothing_committed(name: str, tmp_path: Path) -> None:
    context = multiprocessing.get_context("fork")
    log_path = tmp_path / "writer.log"
    rng = random.Random(2026)
    with backend(name, tmp_path) as db:
        with open_store(db.url) as store:
            for case_id in CASES:
                store.create(new_case(case_id))
        # Killed at chosen moments while it runs, each time restarted on what is stored.
        for round_ in range(6):
            done_before = sum(entry[0] == "done" for entry in _log(log_path))
            writer = context.Process(target=_writer, args=(db.url, str(log_path), round_, False))
            with _killed_at_the_end(writer):
                writer.start()
                _wait_for(lambda n=done_before: sum(e[0] == "done" for e in _log(log_path)) > n + 2)
                time.sleep(rng.uniform(0.0, 0.05))
                os.kill(writer.pid or 0, signal.SIGKILL)
                writer.join()
            assert writer.exitcode == -signal.SIGKILL
            _check_after_crash(db.url, _log(log_path))
        # Killed for certain inside a commit transaction, with its events already written.
        writer = context.Process(target=_writer, args=(db.url, str(log_path), 99, True))
        with _killed_at_the_end(writer):
            if name == "postgres":
                _kill_inside_commit_postgres(db, writer)
            else:
                writer.start()
                _wait_for(lambda: _log(log_path)[-1] == ["paused"])
                os.kill(writer.pid or 0, signal.SIGKILL)
                writer.join()
        assert writer.exitcode == -signal.SIGKILL
        intent = [e for e in _log(log_path) if e[0] == "intent"][-1]
        assert _log(log_path)[-1][0] != "done"
        _check_after_crash(db.url, _log(log_path))
        with open_store(db.url) as store:
            assert store.info(intent[1]).version == int(intent[2]), "the killed batch is absent"


def _kill_inside_commit_postgres(db: Backend, writer: Any) -> None:
    """Block the writer's snapshot UPDATE with a table lock; kill it while it waits there,
    its events already inserted in the same transaction."""
    import psycopg

    def waiting_in_update() -> bool:
        rows = db.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            " AND wait_event_type = 'Lock' AND query LIKE 'UPDATE cases%'"
        )
        return bool(rows[0][0])

    with psycopg.connect(db.url) as holder:
        holder.execute("LOCK TABLE cases IN SHARE MODE")
        writer.start()
        _wait_for(waiting_in_update)
        os.kill(writer.pid or 0, signal.SIGKILL)
        writer.join()
        holder.rollback()


# -- several processes opening a new database at once ----------------------------------


def _open_and_close(url: str, barrier: Any) -> None:
    quiet_logs()
    barrier.wait()
    with open_store(url) as store:
        assert store.schema_version() == SCHEMA_VERSION


OPENERS = 8
ROUNDS = 8


@pytest.mark.parametrize("name", BACKENDS)
def test_processes_opening_a_new_database_together_migrate_it_once(
    name: str, tmp_path: Path
) -> None:
    """Eight processes released at once on a new database, in several rounds: every one
    opens it (none told "database is locked" — SQLite's switch to WAL does not wait
    through the busy timeout, so the store must), and each migration is applied once."""
    context = multiprocessing.get_context("fork")
    for round_ in range(ROUNDS):
        folder = tmp_path / f"round-{round_}"
        folder.mkdir()
        with backend(name, folder) as db:
            barrier = context.Barrier(OPENERS)
            openers = [
                context.Process(target=_open_and_close, args=(db.url, barrier))
                for _ in range(OPENERS)
            ]
            for opener in openers:
                opener.start()
            for opener in openers:
                opener.join(timeout=120)
            assert [o.exitcode for o in openers] == [0] * OPENERS, f"round {round_}"
            versions = [row[0] for row in db.execute("SELECT version FROM schema_version")]
            assert sorted(versions) == list(range(1, SCHEMA_VERSION + 1))


def test_a_file_that_is_not_a_database_is_refused_untouched(tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("not a database, and it must stay as it is\n" * 100, encoding="utf-8")
    before = notes.read_bytes()
    with pytest.raises(StoreError, match=r"notes\.txt.*file is not a database"):
        open_store(f"sqlite:///{notes}")
    assert notes.read_bytes() == before
    with pytest.raises(StoreError, match="cannot open the SQLite store"):
        open_store(f"sqlite:///{tmp_path / 'no' / 'such' / 'folder' / 'cases.db'}")
