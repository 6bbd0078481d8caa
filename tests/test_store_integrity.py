"""The whole state is chained: a forged row never passes unnoticed, and no store call
loses a command in silence.

Each test forges as someone with a SQL prompt would (no trigger needs dropping to
change a snapshot), on both backends, and checks three things: the case is refused on
load, naming the case and what differs; no command is applied to it (the database is
byte for byte as the forger left it); and ``audit verify`` names the case and the event.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from regiekaart import (
    Case,
    Command,
    CommandRefused,
    ConcurrencyConflict,
    CorruptRecord,
    Deescalate,
    Escalate,
    Inform,
    InvalidTime,
    Policy,
    StepClock,
)
from regiekaart.analysis.enumeration import enumerate_commands
from regiekaart.errors import CaseExists, StoreError
from regiekaart.runtime.snapshot import Snapshot, state_digest
from regiekaart.store import CaseStore, open_store
from regiekaart.store.audit import chain_hash
from store_support import BACKENDS, Backend, backend, new_case, policy, quiet_logs

TO_FASE2 = Escalate(actor="wijkteam", to="fase2", criteria=("hulpbehoefte",))
BY_POLITIE = Deescalate(actor="politie", to="fase1", criteria=("draagkracht-in-balans",))
INFORM = Inform(actor="wijkteam", recipient="client")


@pytest.fixture(autouse=True)
def _quiet() -> None:
    quiet_logs()


@pytest.fixture
def store(db: Backend) -> Iterator[CaseStore]:
    with open_store(db.url) as opened:
        opened.create(new_case("k-1"))
        opened.send(policy(), "k-1", TO_FASE2, clock=StepClock(datetime(2026, 2, 1, tzinfo=UTC)))
        yield opened


def _forge_snapshot(db: Backend, path: str, value: object) -> None:
    """Change one value of the stored snapshot in place, as the observed attack did."""
    if db.name == "sqlite":
        db.execute(
            f"UPDATE cases SET snapshot = json_set(snapshot, '$.{path}', json(?))"
            " WHERE case_id = 'k-1'",
            (json.dumps(value),),
        )
    else:
        keys = "{" + ",".join(path.split(".")) + "}"
        db.execute(
            f"UPDATE cases SET snapshot = jsonb_set(snapshot, '{keys}', ?::jsonb)"
            " WHERE case_id = 'k-1'",
            (json.dumps(value),),
        )


FORGED = {
    "casusregie": ("state.roles.casusregie", ["politie"], "state.roles.casusregie"),
    "fase4": (
        "state.configuration",
        ["fase4", "fase4.veiligheid", "fase4.zorg"],
        "state.configuration",
    ),
}


@pytest.mark.parametrize("forgery", FORGED)
def test_a_forged_snapshot_is_refused_and_nothing_is_applied(
    store: CaseStore, db: Backend, forgery: str
) -> None:
    path, value, named = FORGED[forgery]
    _forge_snapshot(db, path, value)
    before = db.dump()

    for history in (True, False):
        with pytest.raises(CorruptRecord) as refused:
            store.load(policy(), "k-1", history=history)
        message = str(refused.value)
        assert message.startswith("case k-1: the snapshot cannot be read: ")
        assert "not the state the chain's last event produced" in message
        assert named in message
    with pytest.raises(CorruptRecord):
        store.send(policy(), "k-1", BY_POLITIE)
    assert db.dump() == before

    report = store.verify("k-1")[0]
    assert report.broken is not None
    assert (report.broken.case_id, report.broken.seq) == ("k-1", 2)
    assert "forged snapshot" in report.broken.detail


def test_the_forged_casusregie_names_what_the_events_give(store: CaseStore, db: Backend) -> None:
    _forge_snapshot(db, "state.roles.casusregie", ["politie"])
    said = r"stored \['politie'\], the events give \['wijkteam'\]"
    with pytest.raises(CorruptRecord, match=said):
        store.load(policy(), "k-1")


def test_a_snapshot_forged_with_its_chain_rehashed_is_caught_by_the_replay(
    store: CaseStore, db: Backend
) -> None:
    """A careful forger also rewrites the head event's state digest and every hash after
    it: the chain verifies, and only replaying the commands shows the lie."""
    _forge_snapshot(db, "state.roles.casusregie", ["politie"])
    db.drop_guards()
    raw = db.execute("SELECT snapshot FROM cases WHERE case_id = 'k-1'")[0][0]
    forged = Snapshot.from_json(json.loads(raw) if isinstance(raw, str) else raw).state
    digest, body, prev = db.execute(
        "SELECT policy_digest, body, prev_hash FROM events WHERE case_id = 'k-1' AND seq = 2"
    )[0]
    parsed = json.loads(body) if isinstance(body, str) else body
    new_hash = chain_hash(prev, "k-1", digest, parsed, state_digest(forged))
    db.execute(
        "UPDATE events SET state_digest = ?, hash = ? WHERE case_id = 'k-1' AND seq = 2",
        (state_digest(forged), new_hash),
    )
    db.execute("UPDATE cases SET head_hash = ? WHERE case_id = 'k-1'", (new_hash,))

    with pytest.raises(CorruptRecord, match="case k-1: the stored case cannot be read"):
        store.load(policy(), "k-1")
    report = store.verify("k-1")[0]
    assert report.broken is not None
    assert report.broken.seq == 2
    assert "not the state its command gives" in report.broken.detail


def test_an_altered_case_row_is_reported(store: CaseStore, db: Backend) -> None:
    db.execute("UPDATE cases SET phase = 'fase4' WHERE case_id = 'k-1'")
    report = store.verify("k-1")[0]
    assert report.broken is not None
    assert "phase column" in report.broken.detail


def test_an_updated_at_before_created_at_is_reported(store: CaseStore, db: Backend) -> None:
    earlier = "2000-01-01T00:00:00+00:00"
    db.execute("UPDATE cases SET updated_at = ? WHERE case_id = 'k-1'", (earlier,))
    report = store.verify("k-1")[0]
    assert report.broken is not None
    assert "updated_at column" in report.broken.detail


def test_a_stored_card_that_is_not_its_digest_is_reported(store: CaseStore, db: Backend) -> None:
    db.drop_guards()
    document = json.loads(db.execute("SELECT document FROM cards")[0][0])
    document["title"] = "forged"
    db.execute("UPDATE cards SET document = ?", (json.dumps(document),))
    report = store.verify("k-1")[0]
    assert report.broken is not None
    assert "is not the card of that digest" in report.broken.detail


def test_the_store_keeps_each_card_once_and_replays_under_it(store: CaseStore, db: Backend) -> None:
    rows = db.execute("SELECT digest, policy_id, document FROM cards")
    assert [(r[0], r[1]) for r in rows] == [(policy().digest, policy().id)]
    assert rows[0][2] == policy().document
    report = store.verify("k-1")[0]
    assert report.ok
    assert report.replayed


# -- no silent loss ----------------------------------------------------------------------------


def test_a_commit_over_another_writers_event_raises(store: CaseStore, db: Backend) -> None:
    """The careless call: ``commit(case, expected=case.version)`` after another writer
    committed at that same version must raise, not drop the command."""
    clock = StepClock(datetime(2026, 3, 1, tzinfo=UTC))
    mine = store.load(policy(), "k-1", history=False, clock=clock)
    with open_store(db.url) as other:
        other.send(
            policy(),
            "k-1",
            Deescalate(actor="wijkteam", to="fase1", criteria=("draagkracht-in-balans",)),
            clock=StepClock(datetime(2026, 2, 15, tzinfo=UTC)),
        )
    mine.apply(INFORM)
    with pytest.raises(ConcurrencyConflict, match="another writer's"):
        store.commit(mine, expected=mine.version)
    assert store.info("k-1").version == 3
    with pytest.raises(ConcurrencyConflict):
        store.commit(mine, expected=2)


def test_a_commit_at_a_version_the_case_never_had_raises(store: CaseStore) -> None:
    case = store.load(policy(), "k-1", history=False)
    with pytest.raises(StoreError, match="version 1"):
        store.commit(case, expected=1)


def test_an_event_earlier_than_the_last_is_refused_by_the_store(
    store: CaseStore, db: Backend
) -> None:
    before = db.dump()
    with pytest.raises(InvalidTime, match="time may not run backwards"):
        store.send(policy(), "k-1", INFORM, clock=StepClock(datetime(2026, 1, 1, tzinfo=UTC)))
    assert db.dump() == before


def test_replay_and_restore_agree_on_every_stored_case(store: CaseStore) -> None:
    loaded = store.load(policy(), "k-1")
    replayed = Case.replay(policy(), "k-1", loaded.events)
    assert replayed.state == loaded.state
    assert store.load(policy(), "k-1", history=False).state == loaded.state
    at = loaded.events[-1].at + timedelta(hours=1)
    assert at > loaded.events[0].at


# -- every public store method, interleaved: each accepted command exactly once ----------------

OPERATIONS = ("send", "send_all", "commit", "careless_commit", "create")


@pytest.mark.slow
@pytest.mark.parametrize("name", BACKENDS)
def test_interleaved_writers_lose_nothing_and_keep_nothing_refused(
    name: str, tmp_path: Path
) -> None:
    """Three connections take turns through ``create``, ``send``, ``send_all`` and
    ``load`` + ``commit`` (with the loaded version, and carelessly with the case's own),
    another writer slipping in between load and commit. Every call either persists what
    it was given or raises; the history holds each accepted command exactly once."""
    p = policy()
    runs = iter(range(10_000))
    with backend(name, tmp_path) as db:
        writers = [open_store(db.url) for _ in range(3)]
        try:

            @settings(
                max_examples=25,
                deadline=None,
                derandomize=True,
                suppress_health_check=[HealthCheck.too_slow],
            )
            @given(
                st.lists(
                    st.tuples(
                        st.sampled_from(OPERATIONS),
                        st.integers(0, 2),
                        st.integers(0, 2**16),
                        st.booleans(),
                    ),
                    min_size=1,
                    max_size=12,
                )
            )
            def check(schedule: list[tuple[str, int, int, bool]]) -> None:
                run = next(runs)
                clock = StepClock(datetime(2026, 1, 1, tzinfo=UTC), timedelta(minutes=1))
                ledger = _Ledger(p, writers, clock, prefix=f"r{run}")
                for operation, who, choice, interleave in schedule:
                    ledger.do(operation, who, choice, interleave)
                ledger.check()

            check()
        finally:
            for writer in writers:
                writer.close()


class _Ledger:
    """What each call was asked to persist, and whether it said it did."""

    def __init__(
        self, p: Policy, writers: list[CaseStore], clock: StepClock, *, prefix: str
    ) -> None:
        self.policy = p
        self.writers = writers
        self.clock = clock
        self.prefix = prefix
        self.cases = [f"{prefix}-c0"]
        self.accepted: set[str] = set()
        self.refused: set[str] = set()
        self.count = 0
        writers[0].create(new_case(self.cases[0], clock=clock))

    def _command(self, case_id: str, choice: int) -> Command:
        state = self.writers[0].state(case_id)
        options = enumerate_commands(self.policy, state, refusals=False) or [INFORM]
        self.count += 1
        return attrs.evolve(options[choice % len(options)], reason=f"{self.prefix}-op{self.count}")

    def _interleave(self, who: int, case_id: str, choice: int) -> None:
        other = self.writers[(who + 1) % len(self.writers)]
        self._attempt(
            lambda c: other.send(self.policy, case_id, c, clock=self.clock), case_id, choice
        )

    def _attempt(self, call: Callable[[Command], object], case_id: str, choice: int) -> None:
        command = self._command(case_id, choice)
        try:
            call(command)
        except (ConcurrencyConflict, CommandRefused):
            self.refused.add(command.reason)
            return
        self.accepted.add(command.reason)

    def do(self, operation: str, who: int, choice: int, interleave: bool) -> None:
        writer = self.writers[who]
        case_id = self.cases[choice % len(self.cases)]
        if operation == "create":
            new_id = f"{self.prefix}-c{len(self.cases)}"
            writer.create(new_case(new_id, clock=self.clock))
            self.cases.append(new_id)
            with pytest.raises(CaseExists):
                writer.create(new_case(new_id, clock=self.clock))
        elif operation == "send":
            if interleave:
                self._interleave(who, case_id, choice // 7)
            self._attempt(
                lambda c: writer.send(self.policy, case_id, c, clock=self.clock), case_id, choice
            )
        elif operation == "send_all":
            first, second = self._command(case_id, choice), self._command(case_id, choice // 3)
            try:
                writer.send_all(self.policy, case_id, [first, second], clock=self.clock)
            except (ConcurrencyConflict, CommandRefused):
                self.refused.update((first.reason, second.reason))
            else:
                self.accepted.update((first.reason, second.reason))
        else:
            self._load_and_commit(writer, who, case_id, choice, interleave, operation)

    def _load_and_commit(
        self, writer: CaseStore, who: int, case_id: str, choice: int, interleave: bool, how: str
    ) -> None:
        case = writer.load(self.policy, case_id, history=False, clock=self.clock)
        loaded = case.version
        command = self._command(case_id, choice)
        if interleave:
            self._interleave(who, case_id, choice // 5)
        try:
            case.apply(command)
        except CommandRefused:
            self.refused.add(command.reason)
            return
        expected = loaded if how == "commit" else case.version
        try:
            writer.commit(case, expected=expected)
        except (ConcurrencyConflict, StoreError):
            self.refused.add(command.reason)
            return
        self.accepted.add(command.reason)

    def check(self) -> None:
        stored: list[str] = []
        for case_id in self.cases:
            stored += [row.event().command.reason for row in self.writers[0].history(case_id)[1:]]
            report = self.writers[1].verify(case_id)[0]
            assert report.ok, report
            assert report.replayed, report
        assert sorted(stored) == sorted(self.accepted), "a command was lost or stored twice"
        assert not self.refused & set(stored), "a refused command was stored"


def test_case_show_refuses_a_forged_snapshot_too(store: CaseStore, db: Backend) -> None:
    _forge_snapshot(db, "state.roles.casusregie", ["politie"])
    said = r"stored \['politie'\], the events give \['wijkteam'\]"
    with pytest.raises(CorruptRecord, match=said):
        store.state("k-1")


# -- what an attacker with a SQL prompt tries next ------------------------------------------


def test_cards_and_cases_cannot_be_deleted_without_dropping_the_guards(
    store: CaseStore, db: Backend
) -> None:
    statements = ["DELETE FROM cards", "DELETE FROM cases"]
    if db.name == "postgres":
        statements += ["TRUNCATE cards", "TRUNCATE cases CASCADE"]
    for statement in statements:
        with pytest.raises(Exception, match=r"(append-only|kept)"):
            db.execute(statement)
    assert store.verify("k-1")[0].replayed


def test_a_card_taken_from_the_store_is_reported_not_skipped(store: CaseStore, db: Backend) -> None:
    db.drop_guards()
    db.execute("DELETE FROM cards")
    report = store.verify("k-1")[0]
    assert report.broken is not None
    assert "missing from the store" in report.broken.detail


def test_a_deleted_case_row_is_reported_with_its_events(store: CaseStore, db: Backend) -> None:
    db.drop_guards()
    if db.name == "postgres":
        db.execute("ALTER TABLE events DROP CONSTRAINT events_case_id_fkey")
    db.execute("DELETE FROM cases WHERE case_id = 'k-1'")
    [report] = store.verify()
    assert report.case_id == "k-1"
    assert report.broken is not None
    assert "the case row is gone" in report.broken.detail


def test_a_case_row_set_back_behind_its_events_is_refused(store: CaseStore, db: Backend) -> None:
    first = db.execute("SELECT hash FROM events WHERE case_id = 'k-1' AND seq = 1")[0][0]
    old = new_case("k-1").snapshot().without_log().to_json()
    cast = "" if db.name == "sqlite" else "::jsonb"
    db.execute(
        f"UPDATE cases SET version = 1, head_hash = ?, snapshot = ?{cast} WHERE case_id = 'k-1'",
        (first, json.dumps(old)),
    )
    before = db.dump()
    with pytest.raises(CorruptRecord, match="event 2 is stored: the case was set back"):
        store.load(policy(), "k-1", history=False)
    with pytest.raises(CorruptRecord):
        store.send(policy(), "k-1", INFORM)
    assert db.dump() == before


def test_a_head_that_no_longer_names_its_state_is_refused(store: CaseStore, db: Backend) -> None:
    db.drop_guards()
    digest, body, prev = db.execute(
        "SELECT policy_digest, body, prev_hash FROM events WHERE case_id = 'k-1' AND seq = 2"
    )[0]
    parsed = json.loads(body) if isinstance(body, str) else body
    legacy = chain_hash(prev, "k-1", digest, parsed)
    db.execute(
        "UPDATE events SET state_digest = NULL, hash = ? WHERE case_id = 'k-1' AND seq = 2",
        (legacy,),
    )
    db.execute("UPDATE cases SET head_hash = ? WHERE case_id = 'k-1'", (legacy,))
    with pytest.raises(CorruptRecord, match="no longer names the state it produced"):
        store.load(policy(), "k-1", history=False)
    report = store.verify("k-1")[0]
    assert report.broken is not None


@pytest.mark.parametrize(
    ("column", "value"),
    [("closed", True), ("policy_version", "1999-forged"), ("policy_id", "elders")],
)
def test_every_column_of_the_case_row_is_checked(
    store: CaseStore, db: Backend, column: str, value: object
) -> None:
    db.execute(f"UPDATE cases SET {column} = ? WHERE case_id = 'k-1'", (value,))
    report = store.verify("k-1")[0]
    assert report.broken is not None
    assert column in report.broken.detail


def test_a_column_of_the_wrong_type_is_reported_never_quoted(tmp_path: Path) -> None:
    with backend("sqlite", tmp_path) as db, open_store(db.url) as store:
        store.create(new_case("k-1"))
        db.execute("UPDATE cases SET version = 'BSN-SECRET' WHERE case_id = 'k-1'")
        report = store.verify("k-1")[0]
        assert report.broken is not None
        assert "wrong type" in report.broken.detail
        for attempt in (lambda: store.info("k-1"), lambda: store.load(policy(), "k-1")):
            with pytest.raises(CorruptRecord) as refused:
                attempt()
            assert "BSN-SECRET" not in str(refused.value)


def test_heads_made_to_look_older_than_the_chain_are_refused(store: CaseStore, db: Backend) -> None:
    """The last events stripped of their state digests and hashed the old way, as if
    written before schema version 3, while an earlier event chains its state."""
    store.send(policy(), "k-1", INFORM, clock=StepClock(datetime(2026, 3, 1, tzinfo=UTC)))
    db.drop_guards()
    rows = db.execute(
        "SELECT seq, policy_digest, body, prev_hash FROM events WHERE case_id = 'k-1'"
        " AND seq >= 2 ORDER BY seq"
    )
    prev = rows[0][3]
    for seq, digest, body, _ in rows:
        parsed = json.loads(body) if isinstance(body, str) else body
        hashed = chain_hash(prev, "k-1", digest, parsed)
        db.execute(
            "UPDATE events SET state_digest = NULL, prev_hash = ?, hash = ?"
            " WHERE case_id = 'k-1' AND seq = ?",
            (prev, hashed, seq),
        )
        prev = hashed
    db.execute("UPDATE cases SET head_hash = ? WHERE case_id = 'k-1'", (prev,))
    with pytest.raises(CorruptRecord, match="an earlier event does"):
        store.load(policy(), "k-1", history=False)


@pytest.mark.parametrize(
    ("statement", "reads"),
    [
        ("UPDATE cases SET version = 2.5 WHERE case_id = 'k-1'", ("load", "state", "info")),
        ("UPDATE events SET seq = 1.5 WHERE case_id = 'k-1' AND seq = 1", ("load", "history")),
        (
            "UPDATE events SET seq = 'SECRETS' WHERE case_id = 'k-1' AND seq = 1",
            ("load", "history"),
        ),
    ],
)
def test_a_number_that_is_no_whole_number_is_reported_never_rounded(
    tmp_path: Path, statement: str, reads: tuple[str, ...]
) -> None:
    with backend("sqlite", tmp_path) as db, open_store(db.url) as store:
        store.create(new_case("k-1"))
        store.send(policy(), "k-1", TO_FASE2, clock=StepClock(datetime(2026, 2, 1, tzinfo=UTC)))
        db.drop_guards()
        db.execute(statement)
        report = store.verify("k-1")[0]
        assert report.broken is not None
        attempts = {
            "load": lambda: store.load(policy(), "k-1"),
            "history": lambda: store.history("k-1"),
            "state": lambda: store.state("k-1"),
            "info": lambda: store.info("k-1"),
        }
        for name in reads:
            with pytest.raises(CorruptRecord) as refused:
                attempts[name]()
            assert "SECRETS" not in str(refused.value), name


def test_a_deleted_case_row_is_reported_when_that_case_is_asked_for(
    store: CaseStore, db: Backend
) -> None:
    db.drop_guards()
    if db.name == "postgres":
        db.execute("ALTER TABLE events DROP CONSTRAINT events_case_id_fkey")
    db.execute("DELETE FROM cases WHERE case_id = 'k-1'")
    [report] = store.verify("k-1")
    assert report.broken is not None
    assert "the case row is gone" in report.broken.detail


def test_case_show_does_not_present_a_forged_case_row(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from regiekaart.cli import app

    with backend("sqlite", tmp_path) as db, open_store(db.url) as store:
        store.create(new_case("k-1"))
        db.execute("UPDATE cases SET phase = 'fase4' WHERE case_id = 'k-1'")
        result = CliRunner().invoke(app, ["case", "show", "k-1", "--db", db.url])
    assert result.exit_code == 4
    assert "disagrees with its chained state" in " ".join(result.stderr.split())


def test_a_time_made_earlier_with_the_chain_rehashed_is_reported(
    store: CaseStore, db: Backend
) -> None:
    db.drop_guards()
    digest, body, prev, state = db.execute(
        "SELECT policy_digest, body, prev_hash, state_digest FROM events"
        " WHERE case_id = 'k-1' AND seq = 2"
    )[0]
    parsed = json.loads(body) if isinstance(body, str) else body
    parsed["at"] = "2000-01-01T00:00:00+00:00"
    hashed = chain_hash(prev, "k-1", digest, parsed, state)
    cast = "" if db.name == "sqlite" else "::jsonb"
    db.execute(
        f"UPDATE events SET body = ?{cast}, at = ?, hash = ? WHERE case_id = 'k-1' AND seq = 2",
        (json.dumps(parsed), parsed["at"], hashed),
    )
    db.execute("UPDATE cases SET head_hash = ? WHERE case_id = 'k-1'", (hashed,))
    report = store.verify("k-1")[0]
    assert report.broken is not None
    assert report.broken.seq == 2
    assert "earlier than the event before it" in report.broken.detail


def test_a_planted_card_nested_too_deeply_is_a_finding_not_a_crash(
    store: CaseStore, db: Backend
) -> None:
    """A card row inserted (no guard refuses an INSERT) with a 200,000-deep document, and
    the snapshot pointed at it: reading it back is bounded and ends in a CorruptRecord."""
    deep = "[" * 200_000 + "]" * 200_000
    db.execute(
        "INSERT INTO cards (digest, policy_id, policy_version, document) VALUES (?, ?, ?, ?)",
        ("f" * 64, "universeel", "x", deep),
    )
    _forge_snapshot(db, "policy.digest", "f" * 64)
    _forge_snapshot(db, "state.roles.casusregie", ["politie"])
    started = time.monotonic()
    with pytest.raises(CorruptRecord, match="not the state the chain's last event produced"):
        store.state("k-1")
    assert time.monotonic() - started < 10
