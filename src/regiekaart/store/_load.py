"""The read path: a stored case is given out only once it checks against its chain.

Every read that hands out a state (:meth:`Loading.load`, :meth:`Loading.state`)
refuses a case row set back behind its events, a head event that no longer names the
state it produced, and a snapshot that is not the state the head of the chain names:
no command is ever applied to a case whose stored state nobody decided. A forged
snapshot is reported with what it changed, found by replaying the case's events.
"""

from __future__ import annotations

from regiekaart.clock import Clock, system_clock
from regiekaart.errors import CaseNotFound, CorruptRecord, SnapshotMismatch
from regiekaart.policy.model import Policy
from regiekaart.runtime.case import Case
from regiekaart.runtime.records import CaseState
from regiekaart.runtime.snapshot import Snapshot, differences, state_digest
from regiekaart.store._backend import Cursor
from regiekaart.store._cards import CardTable
from regiekaart.store._rows import INFO_COLUMNS, RowReader, stored_number
from regiekaart.store.audit import StoredEvent, verify_chain
from regiekaart.store.protocol import CaseInfo
from regiekaart.store.replay import Cards


class Loading(RowReader, CardTable):
    """Loads cases and reads their summaries, states and histories."""

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
            version, snapshot, head, head_hash = self._read_head(cursor, case_id)
            try:
                rows = list(self._event_rows_raw(cursor, case_id)) if history else []
            except ValueError:
                raise CorruptRecord(
                    case_id, "an event row", "a number in it is not a whole number"
                ) from None
        log = tuple(stored.event() for stored in rows)  # an unreadable one is named first
        if history:
            report = verify_chain(case_id, rows, version=version, head_hash=head_hash)
            if report.broken is not None:
                raise CorruptRecord(case_id, f"event {report.broken.seq}", report.broken.detail)
        self._check_snapshot(policy, case_id, snapshot, head, head_hash)
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

    def _read_head(
        self, cursor: Cursor, case_id: str
    ) -> tuple[int, Snapshot, StoredEvent | None, str]:
        """The case row's version, snapshot and head hash, and the head event, once the
        case is known not to be set back behind its events (:meth:`_check_tail`)."""
        cursor.execute(
            self._sql("SELECT version, snapshot, head_hash FROM cases WHERE case_id = ?"),
            (case_id,),
        )
        row = cursor.fetchone()
        if row is None:
            raise CaseNotFound(case_id)
        version = stored_number(case_id, row[0])
        snapshot = self._snapshot(case_id, row[1], version)
        head, beyond = self._head_and_next(cursor, case_id, version)
        self._check_tail(cursor, case_id, version, head, beyond=beyond)
        return version, snapshot, head, str(row[2])

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
            self._sql("SELECT MAX(seq) FROM events WHERE case_id = ? AND state_digest IS NOT NULL"),
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
            "it is not the state the chain's last event produced; "
            + self._differs(policy, case_id, snapshot),
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

    def state(self, case_id: str) -> CaseState:
        """The stored state, read without a policy, checked against the chain's head as
        :meth:`load` checks it (what ``case show`` shows is what was decided)."""
        with self._transaction(write=False) as cursor:
            _, snapshot, head, head_hash = self._read_head(cursor, case_id)
        self._check_snapshot(None, case_id, snapshot, head, head_hash)
        return snapshot.state

    def info(self, case_id: str) -> CaseInfo:
        """One case's summary."""
        with self._transaction(write=False) as cursor:
            cursor.execute(
                self._sql(f"SELECT {INFO_COLUMNS} FROM cases WHERE case_id = ?"), (case_id,)
            )
            row = cursor.fetchone()
        if row is None:
            raise CaseNotFound(case_id)
        return self._info(row)

    def cases(self) -> list[CaseInfo]:
        """Every stored case, by id."""
        with self._transaction(write=False) as cursor:
            cursor.execute(f"SELECT {INFO_COLUMNS} FROM cases ORDER BY case_id")
            rows = cursor.fetchall()
        return [self._info(row) for row in rows]

    def history(self, case_id: str) -> list[StoredEvent]:
        """The case's event rows in order."""
        with self._transaction(write=False) as cursor:
            cursor.execute(self._sql("SELECT 1 FROM cases WHERE case_id = ?"), (case_id,))
            if cursor.fetchone() is None:
                raise CaseNotFound(case_id)
            return self._event_rows(cursor, case_id)
