"""The store logic both SQL backends share; each backend supplies its connection.

Everything that decides correctness lives here once: the version check, the chain
hashes, the one-transaction commit, the refusal of rows that do not read back. A
backend says how to open a transaction, how a placeholder is spelt and how JSON and
times travel; see :mod:`.sqlite` and :mod:`.postgres`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from types import TracebackType
from typing import Any, Protocol, Self

import cattrs
import structlog

from ..case import SNAPSHOT_FORMAT, Case
from ..clock import Clock, system_clock
from ..commands import Command
from ..errors import (
    CaseExists,
    CaseNotFound,
    ConcurrencyConflict,
    CorruptRecord,
    SchemaTooNew,
    SnapshotMismatch,
    StoreError,
)
from ..policy import Policy
from ..records import CaseState, Event, structure_state, unstructure
from . import migrations
from .audit import GENESIS, ChainReport, StoredEvent, describe, link, verify_chain
from .protocol import CaseInfo

_log = structlog.get_logger("regiekaart.store")

_INFO_COLUMNS = (
    "case_id, policy_id, policy_version, policy_digest, version, phase, closed,"
    " created_at, updated_at, head_hash"
)


class Cursor(Protocol):
    """The part of a DB-API cursor the store uses (sqlite3 and psycopg agree on it)."""

    @property
    def rowcount(self) -> int: ...

    def execute(self, sql: Any, params: Any = ..., /) -> Any: ...

    def executemany(self, sql: Any, params: Any, /) -> Any: ...

    def fetchone(self) -> Any: ...

    def fetchall(self) -> list[Any]: ...


def snapshot_row(case: Case) -> dict[str, Any]:
    """The snapshot as stored: :meth:`Case.snapshot` without the log, which lives in
    the event table (writing it again with every commit would grow without end)."""
    policy = case.policy
    return {
        "format": SNAPSHOT_FORMAT,
        "case": case.case_id,
        "policy": {"id": policy.id, "version": policy.version, "digest": policy.digest},
        "state": unstructure(case.state),
    }


class SQLStore(ABC):
    """A :class:`~regiekaart.store.protocol.CaseStore` on a SQL database."""

    backend: str = ""
    url: str = ""
    _lock_clause = ""
    """Appended to the SELECT that reads a case's head before a commit."""

    # -- what a backend provides -----------------------------------------------------------

    @abstractmethod
    def _transaction(self, *, write: bool) -> AbstractContextManager[Cursor]:
        """A cursor inside one transaction: committed on success, rolled back on error.

        A write transaction takes the database's write lock up front (SQLite) or
        row locks as it goes (PostgreSQL); a read transaction sees one consistent state.
        """

    @abstractmethod
    def _table_exists(self, cursor: Cursor, name: str) -> bool:
        """Whether the table ``name`` exists (the schema_version check needs it)."""

    @abstractmethod
    def _migration_lock(self, cursor: Cursor) -> None:
        """Serialise migrations between processes opening the same database."""

    @abstractmethod
    def _is_duplicate(self, exc: BaseException) -> bool:
        """Whether ``exc`` is a primary-key violation."""

    @abstractmethod
    def _json_in(self, value: Any) -> Any:
        """A JSON value as the database takes it."""

    @abstractmethod
    def _json_out(self, value: Any) -> Any:
        """A JSON value as the database gives it back, parsed (raises ``ValueError``)."""

    @abstractmethod
    def _time_in(self, value: datetime) -> Any:
        """A time as the database takes it."""

    @abstractmethod
    def _time_out(self, value: Any) -> datetime:
        """A time as the database gives it back."""

    @abstractmethod
    def close(self) -> None:
        """Release the connection."""

    def _sql(self, statement: str) -> str:
        """The statement with this backend's placeholders (written here with ``?``)."""
        return statement

    # -- schema ----------------------------------------------------------------------------

    def schema_version(self) -> int:
        """The highest migration applied to the database (0 for an empty one)."""
        with self._transaction(write=False) as cursor:
            return self._read_schema_version(cursor)

    def _read_schema_version(self, cursor: Cursor) -> int:
        if not self._table_exists(cursor, "schema_version"):
            return 0
        cursor.execute("SELECT MAX(version) FROM schema_version")
        row = cursor.fetchone()
        return int(row[0]) if row and row[0] is not None else 0

    def _check_schema(self) -> int:
        """Refuse a database newer than this code before touching anything."""
        current = self.schema_version()
        if current > migrations.LATEST:
            raise SchemaTooNew(current, migrations.LATEST)
        return current

    def _migrate(self) -> None:
        """Bring the schema to :data:`~.migrations.LATEST`, one transaction per step."""
        if self._check_schema() == migrations.LATEST:
            return
        for migration in migrations.MIGRATIONS:
            if self._apply(migration):
                _log.info(
                    "store.migrated",
                    backend=self.backend,
                    version=migration.version,
                    description=migration.description,
                )

    def _apply(self, migration: migrations.Migration) -> bool:
        """Apply one migration unless another process already did; whether this one did."""
        with self._transaction(write=True) as cursor:
            self._migration_lock(cursor)
            cursor.execute(migrations.SCHEMA_VERSION_TABLE[self.backend])
            current = self._read_schema_version(cursor)
            if current > migrations.LATEST:
                raise SchemaTooNew(current, migrations.LATEST)
            if current >= migration.version:
                return False
            for statement in migration.statements(self.backend):
                cursor.execute(statement)
            cursor.execute(
                self._sql("INSERT INTO schema_version (version, description) VALUES (?, ?)"),
                (migration.version, migration.description),
            )
        return True

    # -- writing ---------------------------------------------------------------------------

    def create(self, case: Case) -> None:
        """Store a new case with its whole log."""
        events = list(case.events)
        if not events or events[0].seq != 1 or len(events) != case.version:
            raise StoreError(
                f"case {case.case_id}: only a case with its whole log can be stored as new "
                f"(it has {len(events)} events at version {case.version})"
            )
        digest = case.policy.digest
        rows = link(case.case_id, digest, events, GENESIS)
        try:
            with self._transaction(write=True) as cursor:
                cursor.execute(self._sql("SELECT 1 FROM cases WHERE case_id = ?"), (case.case_id,))
                if cursor.fetchone() is not None:
                    raise CaseExists(case.case_id)
                cursor.execute(
                    self._sql(
                        "INSERT INTO cases (case_id, policy_id, policy_version, policy_digest,"
                        " version, phase, closed, head_hash, snapshot, created_at, updated_at)"
                        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
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
                    ),
                )
                self._insert_events(cursor, rows, events)
        except StoreError as exc:
            if exc.__cause__ is not None and self._is_duplicate(exc.__cause__):
                raise CaseExists(case.case_id) from None
            raise
        _log.info("store.created", backend=self.backend, case=case.case_id, version=case.version)

    def commit(self, case: Case, *, expected: int) -> None:
        """Append the events after ``expected`` and write the snapshot, atomically."""
        new = [event for event in case.events if event.seq > expected]
        if [e.seq for e in new] != list(range(expected + 1, case.version + 1)):
            raise StoreError(
                f"case {case.case_id}: the events since version {expected} are not all in "
                "memory; load the case before applying commands to it"
            )
        if not new:
            return
        digest = case.policy.digest
        with self._transaction(write=True) as cursor:
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
            if int(head[0]) != expected:
                _log.info(
                    "store.conflict",
                    backend=self.backend,
                    case=case.case_id,
                    expected=expected,
                    actual=int(head[0]),
                )
                raise ConcurrencyConflict(case.case_id, expected, int(head[0]))
            if head[2] != case.policy.id:
                raise StoreError(
                    f"case {case.case_id} is stored under policy {head[2]!r}, "
                    f"not {case.policy.id!r}"
                )
            rows = link(case.case_id, digest, new, str(head[1]))
            self._insert_events(cursor, rows, new)
            cursor.execute(
                self._sql(
                    "UPDATE cases SET version = ?, phase = ?, closed = ?, head_hash = ?,"
                    " snapshot = ?, policy_version = ?, policy_digest = ?, updated_at = ?"
                    " WHERE case_id = ? AND version = ?"
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
                    case.case_id,
                    expected,
                ),
            )
            if cursor.rowcount != 1:  # the lock above makes this unreachable; keep the guard
                raise ConcurrencyConflict(case.case_id, expected, -1)
        _log.info(
            "store.committed",
            backend=self.backend,
            case=case.case_id,
            version=case.version,
            events=len(new),
        )

    def _insert_events(
        self, cursor: Cursor, rows: Sequence[StoredEvent], events: Sequence[Event]
    ) -> None:
        cursor.executemany(
            self._sql(
                "INSERT INTO events (case_id, seq, at, command, rule, policy_digest, body,"
                " prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
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
                )
                for row, event in zip(rows, events, strict=True)
            ],
        )

    def send(
        self,
        policy: Policy,
        case_id: str,
        command: Command,
        *,
        clock: Clock = system_clock,
        retries: int = 0,
    ) -> Event:
        """Load, apply, commit one command; reload and retry on a conflict."""
        return self.send_all(policy, case_id, [command], clock=clock, retries=retries)[0]

    def send_all(
        self,
        policy: Policy,
        case_id: str,
        commands: Sequence[Command],
        *,
        clock: Clock = system_clock,
        retries: int = 0,
    ) -> tuple[Event, ...]:
        """Apply a batch to the current case and commit it whole, or nothing."""
        attempt = 0
        while True:
            case = self.load(policy, case_id, clock=clock, history=False)
            start = case.version
            events = tuple(case.apply(command) for command in commands)
            try:
                self.commit(case, expected=start)
            except ConcurrencyConflict:
                if attempt >= retries:
                    raise
                attempt += 1
                continue
            return events

    # -- reading ---------------------------------------------------------------------------

    def load(
        self, policy: Policy, case_id: str, *, clock: Clock = system_clock, history: bool = True
    ) -> Case:
        """The case as last committed, restored under ``policy``."""
        with self._transaction(write=False) as cursor:
            cursor.execute(
                self._sql("SELECT version, snapshot FROM cases WHERE case_id = ?"), (case_id,)
            )
            row = cursor.fetchone()
            if row is None:
                raise CaseNotFound(case_id)
            version = int(row[0])
            snapshot = self._snapshot(case_id, row[1], version)
            rows = self._event_rows(cursor, case_id, version) if history else []
        for stored in rows:
            stored.event()  # an unreadable event is named here, by its sequence number
        log = [stored.body for stored in rows]
        try:
            return Case.restore(policy, {**snapshot, "log": log}, clock=clock)
        except SnapshotMismatch:
            raise
        except (KeyError, TypeError, ValueError) as exc:
            raise CorruptRecord(case_id, "the snapshot", str(exc)) from None

    def _snapshot(self, case_id: str, raw: Any, version: int) -> dict[str, Any]:
        """The snapshot column, parsed and checked against the row it sits in."""
        try:
            snapshot = self._json_out(raw)
        except ValueError as exc:
            raise CorruptRecord(case_id, "the snapshot", f"not JSON ({exc})") from None
        if not isinstance(snapshot, dict):
            raise CorruptRecord(
                case_id, "the snapshot", f"expected an object, found {type(snapshot).__name__}"
            )
        if not isinstance(snapshot.get("policy"), dict):
            raise CorruptRecord(case_id, "the snapshot", "it names no policy")
        if snapshot.get("case") != case_id:
            raise CorruptRecord(case_id, "the snapshot", f"it names case {snapshot.get('case')!r}")
        try:
            state = structure_state(snapshot["state"])
        except KeyError:
            raise CorruptRecord(case_id, "the snapshot", "it has no state") from None
        except (cattrs.BaseValidationError, ValueError, TypeError) as exc:
            raise CorruptRecord(case_id, "the snapshot", describe(exc, "state")) from None
        if state.seq != version:
            raise CorruptRecord(
                case_id, "the snapshot", f"it is at version {state.seq}, the case row at {version}"
            )
        return snapshot

    def _event_rows(
        self, cursor: Cursor, case_id: str, upto: int | None = None
    ) -> list[StoredEvent]:
        query = "SELECT seq, policy_digest, body, prev_hash, hash FROM events WHERE case_id = ?"
        params: tuple[Any, ...] = (case_id,)
        if upto is not None:
            query += " AND seq <= ?"
            params = (case_id, upto)
        cursor.execute(self._sql(query + " ORDER BY seq"), params)
        out = []
        for seq, digest, body, prev_hash, hash_ in cursor.fetchall():
            try:
                parsed = self._json_out(body)
            except ValueError as exc:
                raise CorruptRecord(case_id, f"event {seq}", f"not JSON ({exc})") from None
            if not isinstance(parsed, dict):
                raise CorruptRecord(case_id, f"event {seq}", "expected an object")
            out.append(
                StoredEvent(case_id, int(seq), str(digest), parsed, str(prev_hash), str(hash_))
            )
        return out

    def _info(self, row: Sequence[Any]) -> CaseInfo:
        return CaseInfo(
            case_id=row[0],
            policy_id=row[1],
            policy_version=row[2],
            policy_digest=row[3],
            version=int(row[4]),
            phase=row[5],
            closed=bool(row[6]),
            created_at=self._time_out(row[7]),
            updated_at=self._time_out(row[8]),
            head_hash=row[9],
        )

    def info(self, case_id: str) -> CaseInfo:
        """One case's summary."""
        with self._transaction(write=False) as cursor:
            cursor.execute(
                self._sql(f"SELECT {_INFO_COLUMNS} FROM cases WHERE case_id = ?"), (case_id,)
            )
            row = cursor.fetchone()
        if row is None:
            raise CaseNotFound(case_id)
        return self._info(row)

    def cases(self) -> list[CaseInfo]:
        """Every stored case, by id."""
        with self._transaction(write=False) as cursor:
            cursor.execute(f"SELECT {_INFO_COLUMNS} FROM cases ORDER BY case_id")
            rows = cursor.fetchall()
        return [self._info(row) for row in rows]

    def state(self, case_id: str) -> CaseState:
        """The stored state, read without a policy."""
        with self._transaction(write=False) as cursor:
            cursor.execute(
                self._sql("SELECT version, snapshot FROM cases WHERE case_id = ?"), (case_id,)
            )
            row = cursor.fetchone()
        if row is None:
            raise CaseNotFound(case_id)
        return structure_state(self._snapshot(case_id, row[1], int(row[0]))["state"])

    def history(self, case_id: str) -> list[StoredEvent]:
        """The case's event rows in order."""
        with self._transaction(write=False) as cursor:
            cursor.execute(self._sql("SELECT 1 FROM cases WHERE case_id = ?"), (case_id,))
            if cursor.fetchone() is None:
                raise CaseNotFound(case_id)
            return self._event_rows(cursor, case_id)

    def verify(self, case_id: str | None = None) -> list[ChainReport]:
        """Walk the chain of one case or of every case; each report names the first break."""
        if case_id is None:
            with self._transaction(write=False) as cursor:
                cursor.execute("SELECT case_id FROM cases ORDER BY case_id")
                ids = [str(row[0]) for row in cursor.fetchall()]
        else:
            ids = [case_id]
        reports = [self._verify_one(one) for one in ids]
        for report in reports:
            if report.broken is not None:
                _log.warning(
                    "audit.broken",
                    backend=self.backend,
                    case=report.case_id,
                    seq=report.broken.seq,
                )
        _log.info(
            "audit.verified",
            backend=self.backend,
            cases=len(reports),
            broken=sum(not r.ok for r in reports),
        )
        return reports

    def _verify_one(self, case_id: str) -> ChainReport:
        with self._transaction(write=False) as cursor:
            cursor.execute(
                self._sql("SELECT version, head_hash FROM cases WHERE case_id = ?"), (case_id,)
            )
            head = cursor.fetchone()
            if head is None:
                raise CaseNotFound(case_id)
            rows = self._event_rows_raw(cursor, case_id)
        return verify_chain(case_id, rows, version=int(head[0]), head_hash=str(head[1]))

    def _event_rows_raw(self, cursor: Cursor, case_id: str) -> Iterator[StoredEvent]:
        """Rows for verification: an unreadable body is a broken link, not an error."""
        cursor.execute(
            self._sql(
                "SELECT seq, policy_digest, body, prev_hash, hash, command, rule, at FROM events"
                " WHERE case_id = ? ORDER BY seq"
            ),
            (case_id,),
        )
        rows = cursor.fetchall()

        def parsed(raw: Any) -> Mapping[str, Any]:
            try:
                value = self._json_out(raw)
            except ValueError:
                return {"unreadable": str(raw)}
            return value if isinstance(value, dict) else {"unreadable": value}

        return (
            StoredEvent(
                case_id,
                int(seq),
                str(digest),
                parsed(body),
                str(prev),
                str(hash_),
                columns={"command": command, "rule": rule, "at": self._time_or_none(at)},
            )
            for seq, digest, body, prev, hash_, command, rule, at in rows
        )

    def _time_or_none(self, value: Any) -> datetime | None:
        """A time column as read for verification: a garbled one is a finding, not a crash."""
        try:
            return self._time_out(value)
        except (TypeError, ValueError):
            return None

    # -- context manager -------------------------------------------------------------------

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
