"""SQLite and PostgreSQL behave alike at the edges: times, odd text, long ids, refusals.

Each database has its own opinion (PostgreSQL refuses a NUL that SQLite keeps, reads a
naive time in its session's zone, holds a wider range of dates); a host must not find
out which backend it runs on by what it may store. Tests that compare take both stores
at once and demand the same outcome, error type and message.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from regiekaart import (
    Case,
    Escalate,
    InvalidIdentifier,
    InvalidText,
    InvalidTime,
    Member,
    RegiekaartError,
    StepClock,
)
from regiekaart.analysis.situations import default_household
from regiekaart.ids import EARLIEST, LATEST, MAX_ID_LENGTH
from regiekaart.store import CaseStore, open_store
from store_support import Backend, backend, policy, quiet_logs
from strategies import VALID_IDS

TO_FASE2 = Escalate(actor="wijkteam", to="fase2", criteria=("hulpbehoefte",))
PLUS_TWO = timezone(timedelta(hours=2))
VALID_TEXT = st.text(
    st.characters(exclude_categories=("Cc", "Cs")) | st.sampled_from("\n\t"), max_size=200
)


@pytest.fixture(autouse=True)
def _quiet() -> None:
    quiet_logs()


@pytest.fixture
def store(db: Backend) -> Iterator[CaseStore]:
    with open_store(db.url) as opened:
        yield opened


@pytest.fixture
def both(tmp_path: Path) -> Iterator[list[tuple[Backend, CaseStore]]]:
    """A SQLite and a PostgreSQL store, side by side."""
    with (
        backend("sqlite", tmp_path) as lite,
        backend("postgres", tmp_path) as pg,
        open_store(lite.url) as lite_store,
        open_store(pg.url) as pg_store,
    ):
        yield [(lite, lite_store), (pg, pg_store)]


def make_case(case_id: str, clock: Callable[[], datetime] | None = None) -> Case:
    p = policy()
    return Case.create(
        p, case_id, actor="wijkteam", members=default_household(p), clock=clock or StepClock()
    )


def outcome(action: Callable[[], Any]) -> tuple[str, str]:
    """What happened, comparable across backends: ``ok`` or the error's type and text."""
    try:
        action()
    except RegiekaartError as exc:
        return type(exc).__name__, str(exc)
    return "ok", ""


def alike(both: list[tuple[Backend, CaseStore]], action: Callable[[CaseStore], Any]) -> str:
    """Run ``action`` on both stores; they must agree. The common outcome's type."""
    (kind, message), other = (outcome(lambda s=s: action(s)) for _, s in both)
    assert (kind, message) == other, f"sqlite: {kind} {message!r}; postgres: {other}"
    return kind


def nothing_written(both: list[tuple[Backend, CaseStore]]) -> bool:
    return all(not db.execute("SELECT case_id FROM cases") for db, _ in both)


# -- times ----------------------------------------------------------------------------------


def test_a_naive_time_is_refused_alike_before_it_is_stored(
    both: list[tuple[Backend, CaseStore]],
) -> None:
    def naive() -> datetime:
        return datetime(2026, 1, 5, 9, 0)

    # The case refuses its clock's naive reading itself; a host that forges one into an
    # event behind the case's back meets the store's refusal, the same on both.
    assert alike(both, lambda s: s.create(make_case("gezin-7", naive))) == "InvalidTime"

    def forged() -> Case:
        case = make_case("gezin-7")
        object.__setattr__(case.events[0], "at", naive())
        return case

    assert alike(both, lambda s: s.create(forged())) == "UnstorableValue"
    assert nothing_written(both)


def test_utc_and_offset_times_are_the_same_instant_on_both_and_verify(store: CaseStore) -> None:
    store.create(make_case("utc", StepClock(datetime(2026, 1, 5, 9, 0, tzinfo=UTC))))
    store.create(make_case("plus2", StepClock(datetime(2026, 1, 5, 11, 0, tzinfo=PLUS_TWO))))
    for case_id in ("utc", "plus2"):
        store.send(
            policy(), case_id, TO_FASE2, clock=StepClock(datetime(2026, 1, 5, 12, tzinfo=PLUS_TWO))
        )
    utc, plus2 = store.info("utc"), store.info("plus2")
    assert utc.created_at == plus2.created_at == datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    assert utc.created_at.utcoffset() == plus2.created_at.utcoffset() == timedelta(0)
    assert plus2.updated_at == datetime(2026, 1, 5, 10, 0, tzinfo=UTC)
    assert [e.event().at for e in store.history("plus2")] == [
        datetime(2026, 1, 5, 9, 0, tzinfo=UTC),
        datetime(2026, 1, 5, 10, 0, tzinfo=UTC),
    ]
    assert all(report.ok for report in store.verify())


@pytest.mark.parametrize(
    "start",
    [
        EARLIEST,
        datetime(1970, 1, 1, 1, 0, tzinfo=PLUS_TWO) + timedelta(hours=1),
        LATEST - timedelta(seconds=10),
        datetime(9999, 12, 31, 23, 0, tzinfo=timezone(timedelta(hours=5))),
    ],
    ids=["earliest", "earliest-at-plus-2", "latest", "latest-at-plus-5"],
)
def test_the_ends_of_the_range_are_stored_alike(
    both: list[tuple[Backend, CaseStore]], start: datetime
) -> None:
    later = start + timedelta(seconds=1)
    for _, one in both:
        one.create(make_case("gezin-7", lambda: start))
        one.send(policy(), "gezin-7", TO_FASE2, clock=lambda: later)
    infos = [one.info("gezin-7") for _, one in both]
    assert infos[0].created_at == infos[1].created_at == start
    assert infos[0].updated_at == infos[1].updated_at == start + timedelta(seconds=1)
    assert all(one.verify()[0].ok for _, one in both)


@pytest.mark.parametrize(
    "start",
    [
        EARLIEST - timedelta(microseconds=1),
        datetime(1900, 1, 1, tzinfo=UTC),
        datetime(1970, 1, 1, 1, 0, tzinfo=PLUS_TWO),
        datetime(9999, 12, 31, 23, 0, tzinfo=timezone(timedelta(hours=-1))),
    ],
    ids=["before-1970", "1900", "1969-in-utc", "year-10000-in-utc"],
)
def test_a_time_outside_the_range_is_refused_alike(
    both: list[tuple[Backend, CaseStore]], start: datetime
) -> None:
    kind = alike(both, lambda s: s.create(make_case("gezin-7", lambda: start)))
    assert kind == "InvalidTime"
    assert nothing_written(both)


def test_a_later_command_with_a_bad_time_changes_nothing(store: CaseStore, db: Backend) -> None:
    store.create(make_case("gezin-7"))
    before = db.dump()
    with pytest.raises(InvalidTime, match="no time zone"):
        store.send(policy(), "gezin-7", TO_FASE2, clock=lambda: datetime(2026, 1, 5, 9))
    assert db.dump() == before


# -- text -----------------------------------------------------------------------------------


@pytest.mark.parametrize("reason", ["a\x00b", "a\x1b[2Kb", "a\x85b", "\ud800"])
def test_a_control_character_in_a_reason_is_refused_before_any_store(reason: str) -> None:
    with pytest.raises(InvalidText):
        Escalate(actor="wijkteam", to="fase2", criteria=("hulpbehoefte",), reason=reason)


@pytest.mark.parametrize("text", ["a\x00b", "a\ud800b"])
def test_text_that_slipped_past_the_command_is_refused_alike(
    both: list[tuple[Backend, CaseStore]], text: str
) -> None:
    """A host that bypasses the constructor still meets one refusal, and no row."""
    for _, one in both:
        one.create(make_case("gezin-7"))
    before = [db.dump() for db, _ in both]
    command = Escalate(actor="wijkteam", to="fase2", criteria=("hulpbehoefte",))
    object.__setattr__(command, "reason", text)
    assert alike(both, lambda s: s.send(policy(), "gezin-7", command)) == "UnstorableValue"
    assert [db.dump() for db, _ in both] == before
    assert text not in outcome(lambda: both[1][1].send(policy(), "gezin-7", command))[1]


@pytest.mark.parametrize("text", ["a\x00b", "a\ud800b"])
def test_text_that_slipped_into_a_new_case_is_refused_alike(
    both: list[tuple[Backend, CaseStore]], text: str
) -> None:
    def forged() -> Case:
        case = make_case("gezin-7")
        object.__setattr__(case.events[0].command, "reason", text)
        return case

    assert alike(both, lambda s: s.create(forged())) == "UnstorableValue"
    assert nothing_written(both)


@pytest.mark.parametrize(
    "case_id",
    ["x" * (MAX_ID_LENGTH + 1), "x" * 100_000, "", "   ", "gezin\x1b[2K7", "a\x00b", "g\udcff"],
    ids=["129", "100000", "empty", "blank", "escape", "nul", "surrogate"],
)
def test_an_invalid_case_id_is_refused_alike_and_nothing_is_written(
    both: list[tuple[Backend, CaseStore]], case_id: str
) -> None:
    assert alike(both, lambda s: s.create(make_case(case_id))) == "InvalidIdentifier"
    assert nothing_written(both)


@pytest.mark.parametrize(
    ("case_id", "expected"),
    [
        ("x" * 100_000, "CaseNotFound"),
        ("gezin\x1b[2K7", "CaseNotFound"),
        ("a\x00b", "UnstorableValue"),
        ("g\udcff", "UnstorableValue"),
    ],
    ids=["long", "escape", "nul", "surrogate"],
)
def test_looking_up_an_odd_id_answers_alike(
    both: list[tuple[Backend, CaseStore]], case_id: str, expected: str
) -> None:
    for lookup in ("info", "state", "history", "verify"):
        assert alike(both, lambda s, name=lookup: getattr(s, name)(case_id)) == expected
    assert alike(both, lambda s: s.load(policy(), case_id)) == expected


def test_long_member_and_party_ids_are_refused_before_any_store() -> None:
    with pytest.raises(InvalidIdentifier, match="member id"):
        Member(id="x" * (MAX_ID_LENGTH + 1), group="jeugd")
    with pytest.raises(InvalidIdentifier, match="party id"):
        Escalate(actor="wijkteam", to="fase2", holders={"regie": ["x" * 200]})


@pytest.mark.slow
@settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(case_id=VALID_IDS, reason=VALID_TEXT)
def test_any_accepted_id_and_reason_round_trip_through_both_stores(
    both: list[tuple[Backend, CaseStore]], case_id: str, reason: str
) -> None:
    if any(case_id in {info.case_id for info in one.cases()} for _, one in both):
        return
    command = Escalate(actor="wijkteam", to="fase2", criteria=("hulpbehoefte",), reason=reason)
    for _, one in both:
        one.create(make_case(case_id))
        one.send(policy(), case_id, command)
        assert one.info(case_id).case_id == case_id
        assert one.state(case_id).seq == 2
        assert one.history(case_id)[-1].event().command.reason == reason
        assert one.verify(case_id)[0].ok
        assert one.load(policy(), case_id).case_id == case_id
