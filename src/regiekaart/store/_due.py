"""What is due across the stored cases: measures at their end, states past their longest
stay, duties past their deadline.

Each case row says when its first time limit is up (``next_due``, written with every
commit and indexed), so a host's daily run reads only the cases with something due and
not the whole store; each of those is read as :meth:`~.Loading.state` reads it, checked
against its chain, and asked :func:`~regiekaart.runtime.deadlines.due`.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from regiekaart.ids import LATEST, check_time
from regiekaart.runtime.deadlines import Due, due
from regiekaart.store._load import Loading


class DueReading(Loading):
    """Finds what is due across cases."""

    def due(self, at: datetime, *, within: timedelta = timedelta(0)) -> list[tuple[str, Due]]:
        """Everything due at ``at`` (timezone-aware) or overdue, or due by
        ``at + within``, in every open case: ``(case id, due)`` by moment, then case.

        A closed case has nothing due (it accepts no command to act on it). A case
        whose stored state does not check against its chain is refused as
        :meth:`state` refuses it: a deadline read from a forged state is no deadline.
        """
        now = check_time(at)
        if within < timedelta(0):
            raise ValueError("the window to look ahead cannot be negative")
        try:
            horizon = min(now + within, LATEST)
        except OverflowError:
            horizon = LATEST
        with self._transaction(write=False) as cursor:
            cursor.execute(
                self._sql(
                    "SELECT case_id FROM cases WHERE next_due IS NOT NULL AND next_due <= ?"
                    " ORDER BY next_due, case_id"
                ),
                (self._time_in(horizon),),
            )
            ids = [str(row[0]) for row in cursor.fetchall()]
        found = [
            (case_id, item)
            for case_id in ids
            for item in due(self.state(case_id), now, within=within)
        ]
        return sorted(found, key=lambda pair: (pair[1].at, pair[0], pair[1].kind, pair[1].what))
