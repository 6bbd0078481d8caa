"""What is due across stored cases, on SQLite and PostgreSQL alike.

A host's daily run asks the store what is due: which measures have run out, which
stays in a phase are up, which duties are late. Each case row says when its first time
limit is up (``next_due``, indexed), so the run reads only the cases with something due;
what it reports is read from the chained state, and a forged ``next_due`` is an audit
finding like any altered column.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from case_stories import HOUSEHOLD
from regiekaart import (
    Case,
    Escalate,
    ExpireMeasure,
    ImposeMeasure,
    InvalidTime,
    NotExpired,
    Policy,
    load_policy,
)
from regiekaart.store import CaseStore, open_store
from store_support import Backend, quiet_logs

CARD = Path(__file__).resolve().parent / "cards" / "termijnen.yaml"
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
OLD_STORE = Path(__file__).resolve().parent / "stores" / "zonder-tags.sqlite"


class Clock:
    def __init__(self, now: datetime = T0) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture(autouse=True)
def _quiet() -> None:
    quiet_logs()


@pytest.fixture(scope="module")
def termijnen() -> Policy:
    return load_policy(CARD)


@pytest.fixture
def store(db: Backend) -> Iterator[CaseStore]:
    with open_store(db.url) as opened:
        yield opened


def _case(store: CaseStore, policy: Policy, case_id: str, *commands: object) -> None:
    """A household in fase 2 with ``commands`` applied, stored."""
    case = Case.create(policy, case_id, actor="wijkteam", members=HOUSEHOLD, clock=Clock())
    case.apply(Escalate(actor="wijkteam", to="fase2", criteria=["hulpbehoefte"]))
    for command in commands:
        case.apply(command)  # type: ignore[arg-type]
    store.create(case)


IBS = ImposeMeasure(actor="burgemeester", measure="ibs", member="ouder")
OTS = ImposeMeasure(actor="kinderrechter", measure="ots", member="kind")
EXPIRE_IBS = ExpireMeasure(actor="wijkteam", measure="ibs", member="ouder")


def test_what_is_due_is_listed_across_cases_by_moment(
    store: CaseStore, termijnen: Policy, db: Backend
) -> None:
    _case(store, termijnen, "a-ots", OTS)
    _case(store, termijnen, "b-ibs", IBS)
    _case(store, termijnen, "c-niets")
    assert store.due(T0) == []
    found = store.due(T0 + timedelta(days=3))
    assert [(case, d.what, d.status) for case, d in found] == [("b-ibs", "ibs", "due")]
    found = store.due(T0 + timedelta(weeks=3))
    assert [(case, d.what, d.status) for case, d in found] == [
        ("b-ibs", "ibs", "overdue"),
        ("a-ots", "ots", "overdue"),
    ]
    ahead = store.due(T0, within=timedelta(weeks=2))
    assert [(case, d.status) for case, d in ahead] == [("b-ibs", "upcoming"), ("a-ots", "upcoming")]
    assert ahead[1][1].at == T0 + timedelta(weeks=2)
    rows = dict(db.execute("SELECT case_id, next_due FROM cases"))
    assert rows["c-niets"] is None
    assert rows["a-ots"] is not None


def test_an_expiry_sent_through_the_store_takes_the_case_off_the_list(
    store: CaseStore, termijnen: Policy
) -> None:
    _case(store, termijnen, "b-ibs", IBS, OTS)
    with pytest.raises(NotExpired):
        store.send(termijnen, "b-ibs", EXPIRE_IBS, clock=Clock(T0 + timedelta(days=2)))
    assert len(store.due(T0 + timedelta(days=3))) == 1
    store.send(termijnen, "b-ibs", EXPIRE_IBS, clock=Clock(T0 + timedelta(days=3)))
    later = T0 + timedelta(weeks=3)
    assert [d.what for _, d in store.due(later)] == ["ots"]  # the OTS is still due
    assert store.verify("b-ibs")[0].ok


def test_due_takes_an_aware_time(store: CaseStore) -> None:
    with pytest.raises(InvalidTime):
        store.due(datetime(2026, 3, 5, 9))
    with pytest.raises(ValueError, match="negative"):
        store.due(T0, within=timedelta(hours=-1))
    assert store.due(T0, within=timedelta(days=10**6)) == []  # far ahead, no overflow


def test_a_forged_next_due_is_an_audit_finding(
    store: CaseStore, termijnen: Policy, db: Backend
) -> None:
    _case(store, termijnen, "b-ibs", IBS)
    assert store.verify("b-ibs")[0].ok
    db.execute("UPDATE cases SET next_due = NULL WHERE case_id = 'b-ibs'")  # hidden from due
    report = store.verify("b-ibs")[0]
    assert report.broken is not None
    assert "next_due" in report.broken.detail


def test_a_case_of_a_card_without_time_limits_writes_no_next_due(
    store: CaseStore, universeel: Policy, db: Backend
) -> None:
    _case(store, universeel, "u", ImposeMeasure(actor="kinderrechter", measure="voogdij",
                                                member="kind"))  # fmt: skip
    assert db.execute("SELECT next_due FROM cases") == [(None,)]
    assert store.due(T0 + timedelta(days=10_000)) == []
    assert store.verify("u")[0].ok


def test_a_store_written_before_time_limits_migrates_with_nothing_due(tmp_path: Path) -> None:
    copy = tmp_path / "oud.sqlite"
    shutil.copy(OLD_STORE, copy)
    with open_store(f"sqlite:///{copy}") as store:
        assert store.schema_version() == 4
        assert store.due(datetime(2100, 1, 1, tzinfo=UTC)) == []
        assert all(report.ok for report in store.verify())
