"""The auditor's replay: a stored case, rebuilt from its events under the cards they were
decided under, must be exactly what the store says.

The hash chain proves that rows were not changed one by one; it cannot prove that what
a row says was ever *decided*: a writer with database access can forge a snapshot, or a
whole chain, with fresh hashes. Replaying each command under its card — kept in the
store's ``cards`` table, or given by the auditor — checks every event's outcome (rule,
hand-overs, configuration, obligations), every state digest the chain names, and the
snapshot the case is loaded from. What replay still cannot see is a forged history that
the card itself allows, all hashed anew: :doc:`store` says how a host anchors head
hashes outside the database for that.

May import: ``regiekaart.scenario``, ``regiekaart.analysis``, ``regiekaart.runtime``,
``regiekaart.policy`` and the foundation; never ``verify``, ``simulate``, ``render``,
``testing`` or ``cli``, which stand above the store.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from attrs import evolve

from regiekaart.errors import (
    AuditChainBroken,
    CommandRefused,
    CorruptRecord,
    PolicyError,
    RegiekaartError,
    SnapshotMismatch,
)
from regiekaart.limits import Limits
from regiekaart.policy.model import Policy
from regiekaart.runtime.case import Case, replaying
from regiekaart.runtime.commands import OpenCase
from regiekaart.runtime.deadlines import next_due
from regiekaart.runtime.records import Event
from regiekaart.runtime.snapshot import Snapshot, differences, state_digest
from regiekaart.store.audit import ChainReport, StoredEvent

__all__ = [
    "CardProblem",
    "Cards",
    "replay_report",
]


class CardProblem(ValueError):
    """A stored card that cannot be used: its text is not the card its digest names."""


class Cards:
    """The cards an audit replays under, by digest: those the store keeps, and any the
    auditor passes (for cases stored before the store kept its cards)."""

    def __init__(self, read: Callable[[str], str | None], given: Iterable[Policy] = ()) -> None:
        self._read = read
        self._known: dict[str, Policy | None] = {p.digest: p for p in given}

    def get(self, digest: str) -> Policy | None:
        """The card with ``digest``, or ``None`` when neither the store nor the auditor
        has it; :class:`CardProblem` when the stored text is not that card."""
        if digest not in self._known:
            self._known[digest] = self._build(digest)
        return self._known[digest]

    def _build(self, digest: str) -> Policy | None:
        from regiekaart.policy.loader import load_policy_document

        text = self._read(digest)
        if text is None:
            return None
        if len(text) > Limits.from_env().max_card_bytes * 8:  # a merged card of many files
            raise CardProblem(f"the stored card {digest} is larger than any card is read")
        try:
            policy = load_policy_document(json.loads(text), name=f"stored card {digest}")
        except RecursionError:
            raise CardProblem(f"the stored card {digest} is nested too deeply") from None
        except (ValueError, PolicyError) as exc:
            raise CardProblem(f"the stored card {digest} cannot be read: {exc}") from None
        if policy.digest != digest:
            raise CardProblem(f"the stored card {digest} is not the card of that digest")
        return policy


class _Clock:
    """Gives the recorded time of the event being replayed."""

    at: datetime | None = None

    def __call__(self) -> datetime:
        assert self.at is not None
        return self.at


def replay_report(
    report: ChainReport,
    rows: Sequence[StoredEvent],
    snapshot: Any,
    columns: Mapping[str, Any],
    cards: Cards,
) -> ChainReport:
    """``report`` (a chain that verified) after checking the case row and replaying.

    ``snapshot`` is the parsed snapshot column, ``columns`` the case row's other columns
    (``phase``, ``closed``, ``policy_id``, ``policy_version``, ``policy_digest``,
    ``created_at``, ``updated_at``, ``next_due``).
    """
    case_id, version = report.case_id, report.events

    def broken(seq: int, detail: str) -> ChainReport:
        return evolve(report, broken=AuditChainBroken(case_id, seq, detail))

    try:
        stored = Snapshot.from_json(snapshot)
    except SnapshotMismatch as exc:
        return broken(version, f"the snapshot cannot be read: {exc}")
    head = rows[-1]
    if head.state_digest is not None and head.state_digest != state_digest(stored.state):
        return broken(version, "forged snapshot: it is not the state the last event produced")
    column = _wrong_column(stored, rows, columns)
    if column:
        return broken(version, f"altered: the case row's {column} column disagrees with its events")
    try:
        return _replayed(report, rows, stored, cards, columns)
    except CardProblem as exc:
        return broken(1, str(exc))


def _wrong_column(stored: Snapshot, rows: Sequence[StoredEvent], columns: Mapping[str, Any]) -> str:
    configuration = stored.state.configuration
    said = {
        "phase": next((s for s in configuration if "." not in s), None),
        "policy_id": stored.policy.id,
        "policy_version": stored.policy.version,
        "policy_digest": rows[-1].policy_digest,
        "created_at": rows[0].columns.get("at"),
        "updated_at": rows[-1].columns.get("at"),
    }
    for name, value in said.items():
        if columns.get(name) != value:
            return name
    return ""


class _Stop(Exception):
    """Replay ends here: the report says why (a break, or a card nobody has)."""

    def __init__(self, report: ChainReport) -> None:
        self.report = report


def _replayed(
    report: ChainReport,
    rows: Sequence[StoredEvent],
    stored: Snapshot,
    cards: Cards,
    columns: Mapping[str, Any],
) -> ChainReport:
    clock = _Clock()
    case: Case | None = None
    try:
        for row in rows:
            case = _replay_row(report, row, case, cards, clock)
    except _Stop as stop:
        return stop.report
    assert case is not None
    if case.state != stored.state:
        found = "; ".join(differences(stored.state, case.state))
        return _broken(report, report.events, f"forged snapshot: {found}")
    if case.closed != bool(columns.get("closed")):
        return _broken(report, report.events, "altered: the case row's closed column disagrees")
    if columns.get("next_due") != (None if case.closed else next_due(case.state)):
        said = "altered: the case row's next_due column disagrees with its state"
        return _broken(report, report.events, said)
    return evolve(report, replayed=True)


def _broken(report: ChainReport, seq: int, detail: str) -> ChainReport:
    return evolve(report, broken=AuditChainBroken(report.case_id, seq, detail))


def _replay_row(
    report: ChainReport, row: StoredEvent, case: Case | None, cards: Cards, clock: _Clock
) -> Case:
    """The case after replaying ``row``; :class:`_Stop` when it does not replay."""
    policy = cards.get(row.policy_digest)
    if policy is None and row.state_digest is not None:
        # Since schema version 3 the store keeps every card it decides under, and cards
        # are never deleted: a missing one was taken away.
        raise _Stop(
            _broken(
                report,
                row.seq,
                f"the card {row.policy_digest} it was decided under is missing from the store",
            )
        )
    if policy is None:
        raise _Stop(
            evolve(
                report,
                unreplayed=f"event {row.seq} was decided under card {row.policy_digest}, "
                "which the store does not hold; pass that card to replay it",
            )
        )
    try:
        event = row.event()
    except CorruptRecord as exc:
        raise _Stop(_broken(report, row.seq, exc.detail)) from None
    clock.at = event.at
    try:
        with replaying():
            case, got = _step(case, policy, report.case_id, event, clock)
    except (CommandRefused, SnapshotMismatch) as exc:
        said = f"its command is refused under card {row.policy_digest}: {exc}"
        raise _Stop(_broken(report, row.seq, said)) from None
    except RegiekaartError as exc:  # an id no case could have been opened with
        raise _Stop(_broken(report, row.seq, f"the case cannot be replayed: {exc}")) from None
    if got != event:
        said = f"not what its command gives under card {row.policy_digest} ({_field(got, event)})"
        raise _Stop(_broken(report, row.seq, said))
    if row.state_digest is not None and row.state_digest != state_digest(case.state):
        said = "the state it names is not the state its command gives"
        raise _Stop(_broken(report, row.seq, said))
    return case


def _step(
    case: Case | None, policy: Policy, case_id: str, event: Event, clock: _Clock
) -> tuple[Case, Event]:
    """Apply one recorded event's command again; the case after it and the new event."""
    command = event.command
    if case is None:
        if not isinstance(command, OpenCase) or event.seq != 1:
            raise SnapshotMismatch("the first event does not open the case")
        case = Case.reopen(policy, case_id, command, clock=clock)
        return case, case.events[-1]
    if case.policy.digest != policy.digest:
        last = case.events[-1].at if case.events else None
        case = Case.restore(policy, case.snapshot().without_log(), clock=clock, since=last)
    return case, case.apply(command)


def _field(got: Event, recorded: Event) -> str:
    """The first field in which a replayed event differs from the recorded one."""
    fields = ("command", "rule", "before", "after", "handovers", "informed", "fulfilled", "tags")
    for name in fields:
        if getattr(got, name) != getattr(recorded, name):
            return f"its {name} differs"
    return "its time differs" if got.at != recorded.at else "it differs"
