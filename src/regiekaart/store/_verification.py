"""The audit of stored cases: each chain walked, and replayed under its cards.

Verification reads the rows leniently (a garbled body, time or number is a finding, not
a crash) and reports the first break of each case, including events left behind by a
case row deleted behind the store's back; see :mod:`.audit` and :mod:`.replay`.
"""

from __future__ import annotations

from collections.abc import Sequence

import structlog

from regiekaart.errors import AuditChainBroken, CaseNotFound, CorruptRecord
from regiekaart.policy.model import Policy
from regiekaart.store._cards import CardTable
from regiekaart.store._rows import RowReader, stored_number
from regiekaart.store.audit import ChainReport, verify_chain
from regiekaart.store.replay import Cards, replay_report

_log = structlog.get_logger("regiekaart.store")


class Verifying(RowReader, CardTable):
    """Verifies one stored case or all of them."""

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

    def _verify_one(self, case_id: str, cards: Cards) -> ChainReport:
        with self._transaction(write=False) as cursor:
            cursor.execute(
                self._sql(
                    "SELECT version, head_hash, snapshot, phase, policy_digest, created_at,"
                    " updated_at, closed, policy_id, policy_version, next_due FROM cases"
                    " WHERE case_id = ?"
                ),
                (case_id,),
            )
            head = cursor.fetchone()
            if head is None:
                raise CaseNotFound(case_id)
            try:
                rows = list(self._event_rows_raw(cursor, case_id))
                version = stored_number(case_id, head[0])
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
            # A garbled time is a finding, never taken for "nothing due".
            "next_due": None if head[10] is None else self._time_or_none(head[10]) or "garbled",
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


def _unreadable(case_id: str) -> ChainReport:
    """A case whose rows hold values of the wrong type (a version that is no number):
    reported, never quoted."""
    return ChainReport(
        case_id,
        0,
        "",
        AuditChainBroken(case_id, 0, "altered: a column holds a value of the wrong type"),
    )
