"""The case store's behaviour, one suite run against SQLite and against PostgreSQL.

A host must be able to trust three things: what it committed comes back identical
(snapshot and audit trail), two professionals working on one case at once never lose
each other's decisions, and a case can always be rebuilt from its events alone.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from regiekaart import (
    Case,
    CaseClosed,
    Command,
    ConcurrencyConflict,
    Deescalate,
    Escalate,
    NotAuthorized,
    SnapshotMismatch,
    StepClock,
    StoreError,
    load_policy,
)
from regiekaart.analysis.enumeration import enumerate_commands
from regiekaart.analysis.search import try_command
from regiekaart.errors import CaseExists, CaseNotFound
from regiekaart.runtime.snapshot import Snapshot
from regiekaart.store import SCHEMA_VERSION, CaseStore, open_store
from regiekaart.store._commit import snapshot_row
from regiekaart.store.audit import GENESIS, chain_hash
from regiekaart.store.migrations import MIGRATIONS
from store_support import BACKENDS, UNIVERSEEL, Backend, backend, new_case, policy, quiet_logs

TO_FASE2 = Escalate(actor="wijkteam", to="fase2", criteria=("hulpbehoefte",))
"""§2.3.1: the wijkteam scales up to fase 2 on the criterion of a need for help."""


@pytest.fixture(autouse=True)
def _quiet() -> None:
    quiet_logs()


@pytest.fixture
def store(db: Backend) -> Iterator[CaseStore]:
    with open_store(db.url) as opened:
        yield opened


def _scratch(case: Case) -> Case:
    """A copy of ``case`` whose clock goes on from its last event (time never runs back)."""
    last = case.events[-1].at if case.events else datetime(2027, 1, 1, tzinfo=UTC)
    return Case.restore(case.policy, case.snapshot(), clock=StepClock(last), since=last)


def accepted_now(case: Case) -> list[Command]:
    """Commands the case would accept as its next one (each tried on a fresh copy)."""
    return [
        command
        for command in enumerate_commands(case.policy, case.state, refusals=False)
        if try_command(_scratch(case), command).event is not None
    ]


def accepted_in_turn(case: Case, count: int) -> list[Command]:
    """``count`` commands the case accepts one after the other."""
    scratch = _scratch(case)
    out: list[Command] = []
    while len(out) < count:
        command = accepted_now(scratch)[0]
        scratch.apply(command)
        out.append(command)
    return out


def independent_pair(case: Case) -> tuple[Command, Command]:
    """Two commands each accepted now, the second also after the first."""
    options = accepted_now(case)
    for first, second in itertools.permutations(options, 2):
        scratch = _scratch(case)
        scratch.apply(first)
        if try_command(scratch, second).event is not None:
            return first, second
    raise AssertionError("no two independent commands here")


def test_a_stored_case_comes_back_identical(store: CaseStore) -> None:
    case = new_case("k-1")
    case.apply(TO_FASE2)
    store.create(case)

    loaded = store.load(policy(), "k-1")

    assert loaded.snapshot() == case.snapshot()
    assert loaded.restored_from_digest is None
    info = store.info("k-1")
    assert (info.policy_id, info.policy_digest, info.policy_version) == (
        "universeel",
        policy().digest,
        policy().version,
    )
    assert (info.version, info.phase, info.closed) == (2, "fase2", False)
    assert info.created_at == case.events[0].at
    assert info.updated_at == case.events[-1].at
    assert [c.case_id for c in store.cases()] == ["k-1"]
    assert [row.event() for row in store.history("k-1")] == list(case.events)
    assert store.state("k-1") == case.state
    assert store.schema_version() == SCHEMA_VERSION


def test_the_stored_snapshot_is_the_case_snapshot_without_its_log() -> None:
    case = new_case("k-1")
    case.apply(TO_FASE2)
    whole = case.snapshot()
    assert snapshot_row(case) == whole.without_log().to_json()
    assert Snapshot.from_json(snapshot_row(case)).state == whole.state
    assert "log" not in snapshot_row(case) or snapshot_row(case)["log"] == []


def test_case_ids_are_unique_and_unknown_ids_are_named(store: CaseStore) -> None:
    store.create(new_case("k-1"))
    with pytest.raises(CaseExists, match="k-1"):
        store.create(new_case("k-1"))
    with pytest.raises(CaseNotFound, match="k-2"):
        store.load(policy(), "k-2")
    with pytest.raises(CaseNotFound, match="k-2"):
        store.send(policy(), "k-2", TO_FASE2)


def test_a_batch_of_commands_is_committed_whole(store: CaseStore) -> None:
    store.create(new_case("k-1"))
    case = store.load(policy(), "k-1", history=False)
    for command in [TO_FASE2, *accepted_in_turn(_after(TO_FASE2), 2)]:
        case.apply(command)
    store.commit(case, expected=1)

    rows = store.history("k-1")
    assert [r.seq for r in rows] == [1, 2, 3, 4]
    assert all(later.prev_hash == earlier.hash for earlier, later in itertools.pairwise(rows))
    assert store.info("k-1").version == 4
    assert store.load(policy(), "k-1").snapshot() == case_with_log(store, "k-1").snapshot()


def test_a_commit_that_fails_halfway_leaves_nothing(store: CaseStore, db: Backend) -> None:
    store.create(new_case("k-1"))
    case = store.load(policy(), "k-1", history=False)
    for command in [TO_FASE2, *accepted_in_turn(_after(TO_FASE2), 2)]:
        case.apply(command)
    # A row already in the way of the batch's third event: the insert fails after the
    # first two events of the batch have been written inside the transaction.
    body = '{"seq": 4}'
    db.execute(
        "INSERT INTO events (case_id, seq, at, command, rule, policy_digest, body,"
        " prev_hash, hash) VALUES ('k-1', 4, ?, 'x', 'x', 'x', ?, 'x', 'x')",
        (datetime(2026, 1, 1, tzinfo=UTC).isoformat(), body),
    )
    before = db.dump()

    with pytest.raises(StoreError):
        store.commit(case, expected=1)

    assert db.dump() == before
    assert store.info("k-1").version == 1


def test_two_writers_one_commits_the_other_is_told_and_retries(db: Backend) -> None:
    with open_store(db.url) as first, open_store(db.url) as second:
        first.create(new_case("k-1"))
        mine = first.load(policy(), "k-1")
        theirs = second.load(policy(), "k-1")
        mine.apply(TO_FASE2)
        theirs.apply(next(c for c in accepted_now(theirs) if c != TO_FASE2))

        first.commit(mine, expected=1)
        with pytest.raises(ConcurrencyConflict) as conflict:
            second.commit(theirs, expected=1)

        assert (conflict.value.case_id, conflict.value.expected, conflict.value.actual) == (
            "k-1",
            1,
            2,
        )
        assert "expected version 1 but the store holds 2" in str(conflict.value)
        assert [r.event().command for r in first.history("k-1")][1:] == [TO_FASE2]

        again = second.load(policy(), "k-1")
        command = accepted_now(again)[0]
        again.apply(command)
        second.commit(again, expected=2)

        commands = [r.event().command for r in first.history("k-1")][1:]
        assert commands == [TO_FASE2, command]  # nothing lost, nothing merged
        assert first.verify("k-1")[0].ok


def test_send_reloads_and_retries_when_another_writer_was_first(db: Backend) -> None:
    with open_store(db.url) as store, open_store(db.url) as other:
        store.create(new_case("k-1"))
        # Without a retry the conflict reaches the caller; only the other writer's event is kept.
        with pytest.raises(ConcurrencyConflict):
            store.send(policy(), "k-1", TO_FASE2, clock=_interleaving(other, TO_FASE2))
        assert [r.event().command for r in store.history("k-1")][1:] == [TO_FASE2]

        # With a retry, the reload sees the other writer's event and applies on top of it.
        theirs, mine = independent_pair(store.load(policy(), "k-1"))
        event = store.send(policy(), "k-1", mine, clock=_interleaving(other, theirs), retries=1)

        assert event.seq == 4
        commands = [r.event().command for r in store.history("k-1")][1:]
        assert commands == [TO_FASE2, theirs, mine]


def _interleaving(other: CaseStore, command: Command) -> StepClock:
    """A clock whose first reading lets ``other`` commit ``command`` first."""

    class Clock(StepClock):
        fired = False

        def __call__(self) -> datetime:
            if not self.fired:
                self.fired = True
                other.send(policy(), "k-1", command)
            return super().__call__()

    # Later than the other writer's system clock: time never runs backwards on a case.
    return Clock(datetime(2030, 1, 1, tzinfo=UTC))


def test_a_refused_command_changes_nothing_in_the_store(store: CaseStore, db: Backend) -> None:
    store.create(new_case("k-1"))
    store.send(policy(), "k-1", TO_FASE2)
    before = db.dump()

    with pytest.raises(NotAuthorized) as refusal:
        store.send(policy(), "k-1", Deescalate(actor="client", to="fase1"))

    assert refusal.value.rule == "afschalen-2-1"
    assert db.dump() == before


def test_a_closed_case_refuses_and_stays_closed(store: CaseStore) -> None:
    case = new_case("k-1")
    closing = [
        c for c in enumerate_commands(policy(), case.state, refusals=False) if c.type == "close"
    ]
    store.create(case)
    store.send(policy(), "k-1", closing[0])
    assert store.info("k-1").closed
    with pytest.raises(CaseClosed):
        store.send(policy(), "k-1", TO_FASE2)


def test_loading_without_history_decides_the_same(store: CaseStore) -> None:
    store.create(new_case("k-1"))
    store.send(policy(), "k-1", TO_FASE2)
    light = store.load(policy(), "k-1", history=False)
    full = store.load(policy(), "k-1")
    assert light.state == full.state
    assert light.events == ()

    command = accepted_now(full)[0]
    light.apply(command)
    store.commit(light, expected=2)
    full.apply(command)
    assert store.load(policy(), "k-1").state == full.state


def test_a_snapshot_of_an_older_policy_loads_with_that_digest_recorded(
    store: CaseStore, tmp_path: Path
) -> None:
    store.create(new_case("k-1"))
    text = UNIVERSEEL.read_text(encoding="utf-8")
    revised_path = tmp_path / "universeel.yaml"
    revised_path.write_text(
        text.replace("title: Universele", "title: Herziene universele"), "utf-8"
    )
    revised = load_policy(revised_path)
    assert revised.digest != policy().digest

    case = store.load(revised, "k-1")
    assert case.restored_from_digest == policy().digest

    case.apply(TO_FASE2)
    store.commit(case, expected=1)
    assert store.info("k-1").policy_digest == revised.digest
    assert [r.policy_digest for r in store.history("k-1")] == [policy().digest, revised.digest]
    assert store.verify("k-1")[0].ok


def test_a_policy_that_no_longer_fits_says_what(store: CaseStore, tmp_path: Path) -> None:
    store.create(new_case("k-1"))  # fase 1: naasten are in overleg
    text = UNIVERSEEL.read_text(encoding="utf-8")
    renamed = tmp_path / "universeel.yaml"
    renamed.write_text(re.sub(r"\bnaasten\b", "buren", text), "utf-8")

    with pytest.raises(
        SnapshotMismatch, match=r"party 'naasten' \(holder of \w+\) no longer exists"
    ):
        store.load(load_policy(renamed), "k-1")

    other_id = tmp_path / "ander.yaml"
    other_id.write_text(text.replace("id: universeel", "id: ander", 1), "utf-8")
    with pytest.raises(SnapshotMismatch, match="policy 'universeel', not 'ander'"):
        store.load(load_policy(other_id), "k-1")


def test_the_event_table_is_append_only(store: CaseStore, db: Backend) -> None:
    store.create(new_case("k-1"))
    with pytest.raises(Exception, match="append-only"):
        db.execute("UPDATE events SET rule = 'forged' WHERE seq = 1")
    with pytest.raises(Exception, match="append-only"):
        db.execute("DELETE FROM events")
    assert store.verify()[0].ok


def _back_to_version_1(db: Backend) -> None:
    """Turn a database into one an older regiekaart left at schema version 1: no guards,
    no cards, events hashed without the state they produced."""
    db.drop_guards()
    db.execute("DROP TABLE cards")
    if db.name == "postgres":
        db.execute("DROP FUNCTION regiekaart_events_append_only()")
        db.execute("DROP FUNCTION regiekaart_kept()")
    rows = db.execute("SELECT case_id, seq, policy_digest, body FROM events ORDER BY case_id, seq")
    prev: dict[str, str] = {}
    for case_id, seq, digest, body in rows:
        parsed = json.loads(body) if isinstance(body, str) else body
        hashed = chain_hash(prev.get(case_id, GENESIS), case_id, digest, parsed)
        db.execute(
            "UPDATE events SET prev_hash = ?, hash = ? WHERE case_id = ? AND seq = ?",
            (prev.get(case_id, GENESIS), hashed, case_id, seq),
        )
        db.execute("UPDATE cases SET head_hash = ? WHERE case_id = ?", (hashed, case_id))
        prev[case_id] = hashed
    db.execute("ALTER TABLE events DROP COLUMN state_digest")
    db.execute("DROP INDEX cases_next_due")
    db.execute("ALTER TABLE cases DROP COLUMN next_due")
    db.execute("DELETE FROM schema_version WHERE version > 1")


_V1_EVENTS = (
    "SELECT case_id, seq, at, command, rule, policy_digest, body, prev_hash, hash FROM events"
)


def test_an_older_schema_is_migrated_and_keeps_its_data(db: Backend) -> None:
    with open_store(db.url) as store:
        store.create(new_case("k-1"))
    _back_to_version_1(db)
    cases = db.execute("SELECT * FROM cases")
    events = db.execute(_V1_EVENTS)

    with open_store(db.url) as store:
        assert store.schema_version() == SCHEMA_VERSION == len(MIGRATIONS)
        report = store.verify()[0]
        assert report.ok
        assert not report.replayed
        assert "not hold" in report.unreplayed
        assert store.verify(cards=[policy()])[0].replayed
        migrated = db.execute("SELECT * FROM cases")
        assert [row[:-1] for row in migrated] == cases  # the columns it had, unchanged
        assert [row[-1] for row in migrated] == [None]  # next_due: nothing had a time limit
        assert db.execute(_V1_EVENTS) == events
        # The case goes on: its new events chain the state they produce.
        store.send(policy(), "k-1", TO_FASE2, clock=StepClock(datetime(2027, 1, 1, tzinfo=UTC)))
        assert store.verify()[0].ok
        assert store.verify()[0].replayed
    with pytest.raises(Exception, match="append-only"):
        db.execute("DELETE FROM events")


@pytest.mark.slow
@pytest.mark.parametrize("name", BACKENDS)
def test_replay_from_the_events_equals_the_snapshot(name: str, tmp_path: Path) -> None:
    """Any case, after any sequence of commands committed in any batches, is rebuilt
    from its events alone identical to its snapshot, and to the same case kept in memory."""
    p = policy()
    ids = itertools.count()
    with backend(name, tmp_path) as db, open_store(db.url) as store:

        @settings(
            max_examples=40,
            deadline=None,
            derandomize=True,
            suppress_health_check=[HealthCheck.too_slow],
        )
        @given(st.lists(st.tuples(st.integers(0, 2**32), st.integers(1, 3)), max_size=15))
        def check(batches: list[tuple[int, int]]) -> None:
            case_id = f"h-{next(ids)}"
            memory = new_case(case_id)
            store.create(memory)
            # One clock reading per accepted command on either side: the same times.
            clock = StepClock(start=memory.events[0].at + timedelta(hours=1))
            for choice, size in batches:
                case = store.load(p, case_id, history=False, clock=clock)
                start = case.version
                for _ in range(size):
                    commands = enumerate_commands(p, case.state)
                    if not commands:
                        break
                    command = commands[choice % len(commands)]
                    choice //= len(commands)
                    if try_command(case, command).event is not None:
                        memory.apply(command)
                store.commit(case, expected=start)
            stored = store.load(p, case_id)
            replayed = Case.replay(p, case_id, stored.events)
            assert replayed.snapshot() == stored.snapshot() == memory.snapshot()
            assert store.verify(case_id)[0].ok

        check()


def _after(command: Command) -> Case:
    case = new_case("scratch")
    case.apply(command)
    return case


def case_with_log(store: CaseStore, case_id: str) -> Case:
    """The case rebuilt from the store's events alone."""
    return Case.replay(policy(), case_id, [r.event() for r in store.history(case_id)])
