"""The write path: a case's new events, chained onto the stored head, and its snapshot,
in one transaction.

A commit is refused unless the store holds the case exactly as it was at the version
the writer names: that version, the head hash (or the state digest and the event the
writer itself applied), under the same policy. Anything else is another writer's
commit, a :class:`~regiekaart.errors.ConcurrencyConflict`, never an overwrite.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import structlog

from regiekaart.errors import (
    CaseExists,
    CaseNotFound,
    ConcurrencyConflict,
    CorruptRecord,
    StoreError,
)
from regiekaart.runtime.case import Case
from regiekaart.runtime.deadlines import next_due
from regiekaart.runtime.records import CaseState, Event, unstructure
from regiekaart.runtime.snapshot import canonical_json, state_digest
from regiekaart.store._backend import Cursor
from regiekaart.store._cards import CardTable
from regiekaart.store._rows import RowReader, stored_number
from regiekaart.store.audit import GENESIS, Links, StoredEvent, link

_log = structlog.get_logger("regiekaart.store")


def snapshot_row(case: Case) -> dict[str, Any]:
    """The snapshot as stored: :meth:`Case.snapshot` without the log, which lives in
    the event table (writing it again with every commit would grow without end)."""
    return case.snapshot().without_log().to_json()


def due_column(case: Case) -> Any:
    """When the first time limit of the case is up: the case row's ``next_due``, which
    ``due`` searches by (none for a closed case: it accepts no command to act on it)."""
    return None if case.closed else next_due(case.state)


def _states(case: Case, events: Sequence[Event]) -> list[CaseState]:
    """The state each of ``events`` produced, which its row will name."""
    states = []
    for event in events:
        state = case.state_at(event.seq)
        if state is None:
            raise StoreError(
                f"case {case.case_id}: the state after event {event.seq} is not known to this "
                "case; restore it with its whole log (which replays it) before storing it"
            )
        states.append(state)
    return states


class Committing(RowReader, CardTable):
    """Stores new cases and commits the events applied to loaded ones."""

    _lock_clause = ""
    """Appended to the SELECT that reads a case's head before a commit."""

    def create(self, case: Case) -> None:
        """Store a new case with its whole log."""
        events = list(case.events)
        if not events or events[0].seq != 1 or len(events) != case.version:
            raise StoreError(
                f"case {case.case_id}: only a case with its whole log can be stored as new "
                f"(it has {len(events)} events at version {case.version})"
            )
        digest = case.policy.digest
        rows = link(case.case_id, digest, events, _states(case, events), GENESIS)
        try:
            with self._transaction(write=True) as cursor:
                cursor.execute(self._sql("SELECT 1 FROM cases WHERE case_id = ?"), (case.case_id,))
                if cursor.fetchone() is not None:
                    raise CaseExists(case.case_id)
                cursor.execute(
                    self._sql(
                        "INSERT INTO cases (case_id, policy_id, policy_version, policy_digest,"
                        " version, phase, closed, head_hash, snapshot, created_at, updated_at,"
                        " next_due) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                    ),
                    (
                        case.case_id,
                        case.policy.id,
                        case.policy.version,
                        digest,
                        case.version,
                        case.phase,
                        case.closed,
                        rows[-1].hash,
                        self._json_in(snapshot_row(case)),
                        self._time_in(events[0].at),
                        self._time_in(events[-1].at),
                        self._due_in(due_column(case)),
                    ),
                )
                self._insert_events(cursor, rows, events)
                kept = self._keep_card(cursor, case.policy)
        except StoreError as exc:
            if exc.__cause__ is not None and self._is_duplicate(exc.__cause__):
                raise CaseExists(case.case_id) from None
            raise
        self._cards_kept = self._cards_kept | kept
        self._heads()[case] = (case.version, rows[-1].hash)
        _log.info("store.created", backend=self.backend, case=case.case_id, version=case.version)

    def commit(self, case: Case, *, expected: int) -> None:
        """Append the events after ``expected`` and write the snapshot, atomically.

        Nothing is ever dropped in silence: the store must hold exactly the case as it
        was at ``expected`` (its version, the state its head event names, and that
        event itself when this case applied it), or a
        :class:`~regiekaart.errors.ConcurrencyConflict` is raised.
        """
        new = [event for event in case.events if event.seq > expected]
        if [e.seq for e in new] != list(range(expected + 1, case.version + 1)):
            raise StoreError(
                f"case {case.case_id}: the events since version {expected} are not all in "
                "memory; load the case before applying commands to it"
            )
        base = case.state_at(expected)
        if base is None:
            raise StoreError(
                f"case {case.case_id}: this case was never at version {expected}; commit "
                "with the version it was loaded at"
            )
        digest = case.policy.digest
        links = Links.of(case.case_id, digest, new, _states(case, new))
        known = self._heads().get(case)
        if known is not None and known[0] == expected:
            check: Callable[[Cursor], str] = lambda cursor: self._check_head(  # noqa: E731
                cursor, case, expected, known[1]
            )
        else:
            mine = next((e for e in case.events if e.seq == expected), None)
            said = None if mine is None else canonical_json(unstructure(mine))
            was = state_digest(base)
            check = lambda cursor: self._check_base(cursor, case, expected, was, said)  # noqa: E731
        with self._transaction(write=True) as cursor:
            head_hash = check(cursor)
            if not new:
                return
            rows = links.after(head_hash)
            self._insert_events(cursor, rows, new)
            cursor.execute(
                self._sql(
                    "UPDATE cases SET version = ?, phase = ?, closed = ?, head_hash = ?,"
                    " snapshot = ?, policy_version = ?, policy_digest = ?, updated_at = ?,"
                    " next_due = ? WHERE case_id = ? AND version = ?"
                ),
                (
                    case.version,
                    case.phase,
                    case.closed,
                    rows[-1].hash,
                    self._json_in(snapshot_row(case)),
                    case.policy.version,
                    digest,
                    self._time_in(new[-1].at),
                    self._due_in(due_column(case)),
                    case.case_id,
                    expected,
                ),
            )
            if cursor.rowcount != 1:  # the lock above makes this unreachable; keep the guard
                raise ConcurrencyConflict(case.case_id, expected, -1)
            kept = self._keep_card(cursor, case.policy)
        self._cards_kept = self._cards_kept | kept
        self._heads()[case] = (case.version, rows[-1].hash)
        _log.info(
            "store.committed",
            backend=self.backend,
            case=case.case_id,
            version=case.version,
            events=len(new),
        )

    def _due_in(self, value: Any) -> Any:
        return None if value is None else self._time_in(value)

    def _check_base(
        self, cursor: Cursor, case: Case, expected: int, base: str, mine: str | None
    ) -> str:
        """Refuse a commit unless the store holds the case as it was at ``expected``
        (``base`` the digest of its state then, ``mine`` the canonical JSON of event
        ``expected`` when this case applied it); the head hash to chain onto."""
        head_hash = self._check_head(cursor, case, expected, None)
        stored, _ = self._head_and_next(cursor, case.case_id, expected)
        if stored is None or stored.hash != head_hash:
            raise CorruptRecord(
                case.case_id, f"event {expected}", "it does not match the head of the chain"
            )
        theirs = mine is not None and canonical_json(stored.body) != mine
        if theirs or (stored.state_digest is not None and stored.state_digest != base):
            raise self._another_writer(case.case_id, expected)
        return head_hash

    def _another_writer(self, case_id: str, expected: int) -> ConcurrencyConflict:
        """The conflict of a commit whose version the store holds, but not as this case."""
        _log.info("store.conflict", backend=self.backend, case=case_id, expected=expected)
        return ConcurrencyConflict(
            case_id,
            expected,
            expected,
            f"the store's event {expected} is another writer's, not this case's",
        )

    def _check_head(self, cursor: Cursor, case: Case, expected: int, known: str | None) -> str:
        """The case row locked for the commit: at version ``expected`` (and with the head
        hash ``known``, when given), under this case's policy; its head hash."""
        cursor.execute(
            self._sql(
                "SELECT version, head_hash, policy_id FROM cases WHERE case_id = ?"
                + self._lock_clause
            ),
            (case.case_id,),
        )
        head = cursor.fetchone()
        if head is None:
            raise CaseNotFound(case.case_id)
        actual = stored_number(case.case_id, head[0])
        if actual != expected:
            _log.info(
                "store.conflict",
                backend=self.backend,
                case=case.case_id,
                expected=expected,
                actual=actual,
            )
            raise ConcurrencyConflict(case.case_id, expected, actual)
        if head[2] != case.policy.id:
            raise StoreError(
                f"case {case.case_id} is stored under policy {head[2]!r}, not {case.policy.id!r}"
            )
        if known is not None and head[1] != known:
            raise self._another_writer(case.case_id, expected)
        return str(head[1])

    def _insert_events(
        self, cursor: Cursor, rows: Sequence[StoredEvent], events: Sequence[Event]
    ) -> None:
        cursor.executemany(
            self._sql(
                "INSERT INTO events (case_id, seq, at, command, rule, policy_digest, body,"
                " prev_hash, hash, state_digest) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
            ),
            [
                (
                    row.case_id,
                    row.seq,
                    self._time_in(event.at),
                    event.command.type,
                    event.rule,
                    row.policy_digest,
                    self._json_in(row.body),
                    row.prev_hash,
                    row.hash,
                    row.state_digest,
                )
                for row, event in zip(rows, events, strict=True)
            ],
        )
