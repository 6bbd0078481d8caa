"""The store logic both SQL backends share; each backend supplies its connection.

Everything that decides correctness lives once in the private modules this class is
made of: the version check and migrations (:mod:`._schema`), reading rows back
(:mod:`._rows`), the load path and its integrity checks (:mod:`._load`), what is due
across cases (:mod:`._due`), the one-transaction commit and its chain links
(:mod:`._commit`), the kept cards (:mod:`._cards`) and the audit
(:mod:`._verification`). A backend says how to open a
transaction, how a placeholder is spelt and how JSON and times travel (:mod:`._backend`);
see :mod:`.sqlite` and :mod:`.postgres`.
"""

from __future__ import annotations

from collections.abc import Sequence
from types import TracebackType
from typing import Self

from regiekaart.clock import Clock, system_clock
from regiekaart.errors import ConcurrencyConflict, CorruptRecord
from regiekaart.policy.model import Policy
from regiekaart.runtime.commands import Command
from regiekaart.runtime.records import Event
from regiekaart.store._commit import Committing
from regiekaart.store._due import DueReading
from regiekaart.store._load import Loading
from regiekaart.store._schema import Migrating
from regiekaart.store._verification import Verifying
from regiekaart.store.replay import CardProblem, Cards


class SQLStore(Verifying, Committing, DueReading, Loading, Migrating):
    """A :class:`~regiekaart.store.protocol.CaseStore` on a SQL database."""

    def case_card(self, case_id: str) -> Policy | None:
        """The card the case was last written under, as the store keeps it, or ``None``
        for a case stored before the store kept its cards; :class:`CorruptRecord` when
        the kept text is not the card its digest names."""
        digest = self.info(case_id).policy_digest
        try:
            return Cards(self._card_text).get(digest)
        except CardProblem as exc:
            raise CorruptRecord(case_id, "its card", str(exc)) from None

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

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
