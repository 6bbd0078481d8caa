"""Event and case rows as the store reads them back: parsed, typed, or refused.

A row that does not read back (a body that is no JSON object, a version that is no
whole number, a snapshot that names another case) is a
:class:`~regiekaart.errors.CorruptRecord` that names the row, never its value; the
verification path reads the same rows leniently, so that a broken one is a finding.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any

from regiekaart.errors import CorruptRecord, SnapshotMismatch
from regiekaart.runtime.snapshot import Snapshot
from regiekaart.store._backend import Backend, Cursor
from regiekaart.store.audit import StoredEvent
from regiekaart.store.protocol import CaseInfo

INFO_COLUMNS = (
    "case_id, policy_id, policy_version, policy_digest, version, phase, closed,"
    " created_at, updated_at, head_hash"
)
"""The columns of the case row a :class:`~regiekaart.store.protocol.CaseInfo` is read from."""


class RowReader(Backend):
    """Reads event rows, case rows and the snapshot column back through the backend."""

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
            seq = stored_number(case_id, raw_seq, "an event row")
            out.append(self._stored(case_id, seq, digest, body, prev_hash, hash_, produced))
        return out

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
            version=stored_number(str(row[0]), row[4]),
            phase=row[5],
            closed=bool(row[6]),
            created_at=self._time_out(row[7]),
            updated_at=self._time_out(row[8]),
            head_hash=row[9],
        )


def stored_number(case_id: str, value: Any, what: str = "the case row") -> int:
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
