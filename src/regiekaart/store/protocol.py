"""What a durable case store does, whatever database is behind it.

A host stores a case when it opens it (:meth:`CaseStore.create`), and afterwards
either works command by command (:meth:`CaseStore.send` loads the current snapshot,
applies, commits, and reloads on a conflict when asked to) or loads a case, applies a
batch of commands in memory and commits them as one transaction
(:meth:`CaseStore.commit` with the version it loaded). Writers never lock a case while
a person thinks: the version check at commit time (optimistic concurrency) turns a
lost update into a :class:`~regiekaart.errors.ConcurrencyConflict`.

May import: ``regiekaart.scenario``, ``regiekaart.analysis``, ``regiekaart.runtime``,
``regiekaart.policy`` and the foundation; never ``verify``, ``simulate``, ``render``,
``testing`` or ``cli``, which stand above the store.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from types import TracebackType
from typing import Protocol, runtime_checkable

from attrs import frozen

from regiekaart.clock import Clock, system_clock
from regiekaart.policy.model import Policy
from regiekaart.runtime.case import Case
from regiekaart.runtime.commands import Command
from regiekaart.runtime.deadlines import Due
from regiekaart.runtime.records import CaseState, Event
from regiekaart.store.audit import ChainReport, StoredEvent

__all__ = [
    "CaseInfo",
    "CaseStore",
]


@frozen
class CaseInfo:
    """A stored case at a glance: what ``case list`` shows, without loading the policy."""

    case_id: str
    policy_id: str
    policy_version: str
    policy_digest: str
    """The digest of the policy the snapshot was last written under."""
    version: int
    phase: str
    closed: bool
    created_at: datetime
    updated_at: datetime
    """The times of the first and the last event (the host's clock, not the database's)."""
    head_hash: str


@runtime_checkable
class CaseStore(Protocol):
    """A durable home for cases: snapshots with a version, an append-only event chain."""

    backend: str
    """``sqlite`` or ``postgres``."""
    url: str
    """Where the store is, with any password left out."""

    def create(self, case: Case) -> None:
        """Store a new case with its whole log; :class:`~regiekaart.errors.CaseExists`
        when the id is taken."""
        ...

    def load(
        self, policy: Policy, case_id: str, *, clock: Clock = system_clock, history: bool = True
    ) -> Case:
        """The case as last committed, under ``policy``.

        With ``history=False`` only the snapshot is read: the case decides exactly as
        before, and its ``events`` hold only what is applied after loading. Either way
        the snapshot must be the state the head of the hash chain names
        (:class:`~regiekaart.errors.CorruptRecord` otherwise).
        """
        ...

    def commit(self, case: Case, *, expected: int) -> None:
        """Append the events ``case`` gained after version ``expected`` and write its
        snapshot, in one transaction, if the store still holds the case exactly as it
        was at ``expected``; otherwise raise, never drop an event in silence."""
        ...

    def send(
        self,
        policy: Policy,
        case_id: str,
        command: Command,
        *,
        clock: Clock = system_clock,
        retries: int = 0,
    ) -> Event:
        """Load, apply ``command``, commit; on a conflict reload and retry up to
        ``retries`` times. A refusal changes nothing and is raised."""
        ...

    def send_all(
        self,
        policy: Policy,
        case_id: str,
        commands: Sequence[Command],
        *,
        clock: Clock = system_clock,
        retries: int = 0,
    ) -> tuple[Event, ...]:
        """As :meth:`send`, for a batch committed all together or not at all."""
        ...

    def info(self, case_id: str) -> CaseInfo:
        """One case's summary."""
        ...

    def case_card(self, case_id: str) -> Policy | None:
        """The card the case was last written under, as the store keeps it (so a host
        need not find the file again), or ``None`` for a case stored before the store
        kept its cards."""
        ...

    def cases(self) -> list[CaseInfo]:
        """Every stored case, by id."""
        ...

    def state(self, case_id: str) -> CaseState:
        """The stored state of a case, read without a policy (for display)."""
        ...

    def due(self, at: datetime, *, within: timedelta = timedelta(0)) -> list[tuple[str, Due]]:
        """What is due at ``at`` or overdue (or due by ``at + within``) in every open
        case, as ``(case id, due)`` by moment: measures at their end, states past their
        longest stay, duties past their deadline."""
        ...

    def history(self, case_id: str) -> list[StoredEvent]:
        """The case's event rows in order, with their hashes."""
        ...

    def verify(
        self, case_id: str | None = None, *, cards: Sequence[Policy] = ()
    ) -> list[ChainReport]:
        """Audit one case, or every case: the hash chain, the snapshot and case row
        against it, and a replay of the events under the cards they were decided under
        (kept by the store, or among ``cards``)."""
        ...

    def schema_version(self) -> int:
        """The schema version of the database."""
        ...

    def close(self) -> None:
        """Release the connection."""
        ...

    def __enter__(self) -> CaseStore: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...
