"""The store logic both SQL backends share; each backend supplies its connection.

Everything that decides correctness lives here once: the version check, the chain
hashes, the one-transaction commit, the refusal of rows that do not read back. A
backend says how to open a transaction, how a placeholder is spelt and how JSON and
times travel; see :mod:`.sqlite` and :mod:`.postgres`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from types import TracebackType
from typing import Any, Protocol, Self
from weakref import WeakKeyDictionary

import structlog

from regiekaart.clock import Clock, system_clock
from regiekaart.errors import (
    AuditChainBroken,
    CaseExists,
    CaseNotFound,
    ConcurrencyConflict,
    CorruptRecord,
    SchemaTooNew,
    SnapshotMismatch,
    StoreError,
)
from regiekaart.policy.model import Policy
from regiekaart.runtime.case import Case
from regiekaart.runtime.commands import Command
from regiekaart.runtime.records import CaseState, Event, unstructure
from regiekaart.runtime.snapshot import Snapshot, canonical_json, differences, state_digest
from regiekaart.store import migrations
from regiekaart.store.audit import GENESIS, ChainReport, Links, StoredEvent, link, verify_chain
from regiekaart.store.protocol import CaseInfo
from regiekaart.store.replay import Cards, replay_report

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
    return case.snapshot().without_log().to_json()


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


class SQLStore(ABC):
    """A :class:`~regiekaart.store.protocol.CaseStore` on a SQL database."""

    backend: str = ""
    url: str = ""
    _lock_clause = ""
    """Appended to the SELECT that reads a case's head before a commit."""
    _cards_kept: frozenset[str] = frozenset()
    """Digests of the cards this connection knows the ``cards`` table holds."""

    def _heads(self) -> WeakKeyDictionary[Case, tuple[int, str]]:
        """Per case object this store loaded, created or committed: the version and the
        head hash it then had. A commit at that version needs only to find the same head
        hash (which covers the state and every event before it) to know the store holds
        the case exactly as this object knew it."""
        heads: WeakKeyDictionary[Case, tuple[int, str]] = self.__dict__.setdefault(
            "_head_of", WeakKeyDictionary()
        )
        return heads

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
        rows = link(case.case_id, digest, events, _states(case, events), GENESIS)
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
        actual = _version(case.case_id, head[0])
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

    def _keep_card(self, cursor: Cursor, policy: Policy) -> set[str]:
        """Keep the card's resolved text, once, so an audit can replay under it later."""
        if policy.digest in self._cards_kept or not policy.document:
            return set()
        cursor.execute(
            self._sql(
                "INSERT INTO cards (digest, policy_id, policy_version, document)"
                " VALUES (?, ?, ?, ?) ON CONFLICT (digest) DO NOTHING"
            ),
            (policy.digest, policy.id, policy.version, policy.document),
        )
        return {policy.digest}

    def _stored(
        self, case_id: str, seq: int, digest: Any, body: Any, prev: Any, hash_: Any, made: Any
    ) -> StoredEvent:
        """One event row as the store reads it back (its body parsed, or CorruptRecord)."""
        return StoredEvent(
            case_id,
            seq,
            str(digest),
            self._body(case_id, seq, body),
            str(prev),
            str(hash_),
            state_digest=None if made is None else str(made),
        )

    def _body(self, case_id: str, seq: Any, raw: Any) -> dict[str, Any]:
        try:
            parsed = self._json_out(raw)
        except ValueError as exc:
            raise CorruptRecord(case_id, f"event {seq}", f"not JSON ({exc})") from None
        if not isinstance(parsed, dict):
            raise CorruptRecord(case_id, f"event {seq}", "expected an object")
        return parsed

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
        """The case as last committed, restored under ``policy``.

        The snapshot must be the state the head of the chain names, or the case is
        refused (:class:`~regiekaart.errors.CorruptRecord`, naming what differs): no
        command is ever applied to a case whose stored state nobody decided. With
        ``history`` the whole chain is verified and the log replayed as well.
        """
        with self._transaction(write=False) as cursor:
            cursor.execute(
                self._sql("SELECT version, snapshot, head_hash FROM cases WHERE case_id = ?"),
                (case_id,),
            )
            row = cursor.fetchone()
            if row is None:
                raise CaseNotFound(case_id)
            version = _version(case_id, row[0])
            snapshot = self._snapshot(case_id, row[1], version)
            head, beyond = self._head_and_next(cursor, case_id, version)
            self._check_tail(cursor, case_id, version, head, beyond=beyond)
            try:
                rows = list(self._event_rows_raw(cursor, case_id)) if history else []
            except ValueError:
                raise CorruptRecord(
                    case_id, "an event row", "a number in it is not a whole number"
                ) from None
        log = tuple(stored.event() for stored in rows)  # an unreadable one is named first
        if history:
            report = verify_chain(case_id, rows, version=version, head_hash=str(row[2]))
            if report.broken is not None:
                raise CorruptRecord(case_id, f"event {report.broken.seq}", report.broken.detail)
        self._check_snapshot(policy, case_id, snapshot, head, str(row[2]))
        assert head is not None
        if not history:
            case = Case.restore(policy, snapshot, clock=clock, since=head.event().at)
            self._heads()[case] = (version, head.hash)
            return case
        whole = Snapshot(case=case_id, policy=snapshot.policy, state=snapshot.state, log=log)
        try:
            case = Case.restore(policy, whole, clock=clock)
        except SnapshotMismatch as exc:
            if snapshot.policy.digest != policy.digest:
                raise  # another card: the case does not fit it, nothing is corrupt
            raise CorruptRecord(case_id, "the stored case", exc.detail) from None
        self._heads()[case] = (version, head.hash)
        return case

    def _head_and_next(
        self, cursor: Cursor, case_id: str, version: int
    ) -> tuple[StoredEvent | None, bool]:
        """Event ``version`` of a case, and whether an event after it is stored: one
        index look-up, since every load of a case asks both."""
        cursor.execute(
            self._sql(
                "SELECT seq, policy_digest, body, prev_hash, hash, state_digest FROM events"
                " WHERE case_id = ? AND seq IN (?, ?)"
            ),
            (case_id, version, version + 1),
        )
        head, beyond = None, False
        for seq, digest, body, prev_hash, hash_, produced in cursor.fetchall():
            if seq != version:
                beyond = True
                continue
            head = self._stored(case_id, version, digest, body, prev_hash, hash_, produced)
        return head, beyond

    def _check_tail(
        self,
        cursor: Cursor,
        case_id: str,
        version: int,
        head: StoredEvent | None,
        *,
        beyond: bool,
    ) -> None:
        """Refuse a case row set back behind its events (``beyond``: an event after its
        version is stored), or a head event that no longer names the state it produced
        while an earlier event does: what ``audit verify`` would find, found before a
        command is applied."""
        if beyond:
            raise CorruptRecord(
                case_id,
                "the case row",
                f"it is at version {version}, but event {version + 1} is stored: "
                "the case was set back",
            )
        if head is None or head.state_digest is not None or version <= 1:
            return
        cursor.execute(
            self._sql(
                "SELECT MAX(seq) FROM events WHERE case_id = ? AND state_digest IS NOT NULL"
            ),
            (case_id,),
        )
        chained = cursor.fetchone()
        if chained is not None and chained[0] is not None:
            raise CorruptRecord(
                case_id,
                f"event {version}",
                "it no longer names the state it produced (an earlier event does)",
            )

    def _check_snapshot(
        self,
        policy: Policy | None,
        case_id: str,
        snapshot: Snapshot,
        head: StoredEvent | None,
        head_hash: str,
    ) -> None:
        """Refuse a snapshot that is not the state the head of the chain produced."""
        if head is None or head.hash != head_hash or not head.hashes_right(case_id):
            raise CorruptRecord(
                case_id,
                f"event {snapshot.state.seq}",
                "the head of the chain is missing or altered",
            )
        if head.state_digest is None or head.state_digest == state_digest(snapshot.state):
            return
        raise CorruptRecord(
            case_id,
            "the snapshot",
            "it is not the state the chain's last event produced; " + self._differs(
                policy, case_id, snapshot
            ),
        )

    def _differs(self, policy: Policy | None, case_id: str, snapshot: Snapshot) -> str:
        """What a forged snapshot changed, found by replaying the case's events (under
        ``policy``, or the card the store keeps for it)."""
        with self._transaction(write=False) as cursor:
            rows = self._event_rows(cursor, case_id)
        if policy is None:
            try:
                policy = Cards(self._card_text).get(snapshot.policy.digest)
            except ValueError:
                policy = None
        if policy is None:
            return "the card to replay its events under is not in the store"
        try:
            replayed = Case.replay(policy, case_id, [row.event() for row in rows])
        except (SnapshotMismatch, CorruptRecord) as exc:
            return f"its events do not replay under this policy either ({exc})"
        found = differences(snapshot.state, replayed.state)
        return "; ".join(found) if found else "it differs from what the events give"

    def _snapshot(self, case_id: str, raw: Any, version: int) -> Snapshot:
        """The snapshot column, parsed and checked against the row it sits in."""
        try:
            data = self._json_out(raw)
        except ValueError as exc:
            raise CorruptRecord(case_id, "the snapshot", f"not JSON ({exc})") from None
        if isinstance(data, dict) and data.get("case", case_id) != case_id:
            raise CorruptRecord(case_id, "the snapshot", "it names another case")
        try:
            snapshot = Snapshot.from_json(data)
        except SnapshotMismatch as exc:
            raise CorruptRecord(case_id, "the snapshot", exc.detail) from None
        if snapshot.case != case_id:
            raise CorruptRecord(case_id, "the snapshot", "it names another case")
        if snapshot.state.seq != version:
            raise CorruptRecord(
                case_id,
                "the snapshot",
                f"it is at version {snapshot.state.seq}, the case row at {version}",
            )
        if snapshot.log or snapshot.log_from != version + 1:
            raise CorruptRecord(case_id, "the snapshot", "it holds a log of its own")
        return snapshot

    def _event_rows(
        self, cursor: Cursor, case_id: str, upto: int | None = None
    ) -> list[StoredEvent]:
        query = (
            "SELECT seq, policy_digest, body, prev_hash, hash, state_digest FROM events"
            " WHERE case_id = ?"
        )
        params: tuple[Any, ...] = (case_id,)
        if upto is not None:
            query += " AND seq <= ?"
            params = (case_id, upto)
        cursor.execute(self._sql(query + " ORDER BY seq"), params)
        out = []
        for raw_seq, digest, body, prev_hash, hash_, produced in cursor.fetchall():
            seq = _version(case_id, raw_seq, "an event row")
            out.append(self._stored(case_id, seq, digest, body, prev_hash, hash_, produced))
        return out

    def _info(self, row: Sequence[Any]) -> CaseInfo:
        try:
            return self._info_of(row)
        except (TypeError, ValueError):
            raise CorruptRecord(
                str(row[0]), "the case row", "a column holds a value of the wrong type"
            ) from None

    def _info_of(self, row: Sequence[Any]) -> CaseInfo:
        return CaseInfo(
            case_id=row[0],
            policy_id=row[1],
            policy_version=row[2],
            policy_digest=row[3],
            version=_version(str(row[0]), row[4]),
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
        """The stored state, read without a policy, checked against the chain's head as
        :meth:`load` checks it (what ``case show`` shows is what was decided)."""
        with self._transaction(write=False) as cursor:
            cursor.execute(
                self._sql("SELECT version, snapshot, head_hash FROM cases WHERE case_id = ?"),
                (case_id,),
            )
            row = cursor.fetchone()
            if row is None:
                raise CaseNotFound(case_id)
            version = _version(case_id, row[0])
            snapshot = self._snapshot(case_id, row[1], version)
            head, beyond = self._head_and_next(cursor, case_id, version)
            self._check_tail(cursor, case_id, version, head, beyond=beyond)
        self._check_snapshot(None, case_id, snapshot, head, str(row[2]))
        return snapshot.state

    def history(self, case_id: str) -> list[StoredEvent]:
        """The case's event rows in order."""
        with self._transaction(write=False) as cursor:
            cursor.execute(self._sql("SELECT 1 FROM cases WHERE case_id = ?"), (case_id,))
            if cursor.fetchone() is None:
                raise CaseNotFound(case_id)
            return self._event_rows(cursor, case_id)

    def verify(
        self, case_id: str | None = None, *, cards: Sequence[Policy] = ()
    ) -> list[ChainReport]:
        """Check one case or every case: its hash chain, its case row and snapshot
        against the chain, and a replay of its events under the cards they were decided
        under (those the store keeps, and ``cards``). Each report names the first break."""
        if case_id is None:
            with self._transaction(write=False) as cursor:
                cursor.execute("SELECT case_id FROM cases ORDER BY case_id")
                ids = [str(row[0]) for row in cursor.fetchall()]
        else:
            ids = [case_id]
        known = Cards(self._card_text, cards)
        if case_id is not None:
            orphan = [r for r in self._orphans() if r.case_id == case_id]
            if orphan:
                return orphan
        reports = [self._verify_one(one, known) for one in ids]
        if case_id is None:
            reports = sorted([*reports, *self._orphans()], key=lambda r: r.case_id)
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
            replayed=sum(r.replayed for r in reports),
        )
        return reports

    def _card_text(self, digest: str) -> str | None:
        with self._transaction(write=False) as cursor:
            cursor.execute(self._sql("SELECT document FROM cards WHERE digest = ?"), (digest,))
            row = cursor.fetchone()
        return None if row is None else str(row[0])

    def _verify_one(self, case_id: str, cards: Cards) -> ChainReport:
        with self._transaction(write=False) as cursor:
            cursor.execute(
                self._sql(
                    "SELECT version, head_hash, snapshot, phase, policy_digest, created_at,"
                    " updated_at, closed, policy_id, policy_version FROM cases"
                    " WHERE case_id = ?"
                ),
                (case_id,),
            )
            head = cursor.fetchone()
            if head is None:
                raise CaseNotFound(case_id)
            try:
                rows = list(self._event_rows_raw(cursor, case_id))
                version = _version(case_id, head[0])
            except (TypeError, ValueError, CorruptRecord):
                return _unreadable(case_id)
        report = verify_chain(case_id, rows, version=version, head_hash=str(head[1]))
        if not report.ok:
            return report
        try:
            snapshot = self._json_out(head[2])
        except ValueError:
            snapshot = None
        columns = {
            "phase": head[3],
            "policy_digest": head[4],
            "created_at": self._time_or_none(head[5]),
            "updated_at": self._time_or_none(head[6]),
            "closed": head[7],
            "policy_id": head[8],
            "policy_version": head[9],
        }
        return replay_report(report, rows, snapshot, columns, cards)

    def _orphans(self) -> list[ChainReport]:
        """Events whose case row is gone: a case deleted behind the store's back."""
        with self._transaction(write=False) as cursor:
            cursor.execute(
                "SELECT case_id, COUNT(*) FROM events"
                " WHERE case_id NOT IN (SELECT case_id FROM cases) GROUP BY case_id"
                " ORDER BY case_id"
            )
            found = cursor.fetchall()
        return [
            ChainReport(
                str(case_id),
                int(count),
                "",
                AuditChainBroken(
                    str(case_id), 1, "deleted: the case row is gone, its events remain"
                ),
            )
            for case_id, count in found
        ]

    def _event_rows_raw(self, cursor: Cursor, case_id: str) -> Iterator[StoredEvent]:
        """Rows for verification: an unreadable body is a broken link, not an error."""
        cursor.execute(
            self._sql(
                "SELECT seq, policy_digest, body, prev_hash, hash, command, rule, at,"
                " state_digest FROM events WHERE case_id = ? ORDER BY seq"
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
                _whole(seq),
                str(digest),
                parsed(body),
                str(prev),
                str(hash_),
                columns={"command": command, "rule": rule, "at": self._time_or_none(at)},
                state_digest=None if produced is None else str(produced),
            )
            for seq, digest, body, prev, hash_, command, rule, at, produced in rows
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


def _unreadable(case_id: str) -> ChainReport:
    """A case whose rows hold values of the wrong type (a version that is no number):
    reported, never quoted."""
    return ChainReport(
        case_id,
        0,
        "",
        AuditChainBroken(case_id, 0, "altered: a column holds a value of the wrong type"),
    )


def _version(case_id: str, value: Any, what: str = "the case row") -> int:
    """A stored version or sequence number, or :class:`CorruptRecord` (without the value):
    an integer, nothing a conversion would make one of (``2.5`` is not version 2)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise CorruptRecord(case_id, what, "a number in it is not a whole number")


def _whole(value: Any) -> int:
    """An event's number as verification reads it: a ``ValueError`` (a finding, not a
    crash) for anything but an integer."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise ValueError("not a whole number")
