"""The tamper-evident audit trail: every stored event is a link in a hash chain.

Each event row carries ``hash = sha256(prev_hash + canonical JSON of the row's content)``,
where the content names the case, the policy digest the command was decided under, the
whole event (command, rule, § source, hand-overs, configuration before and after) and the
digest of the whole case state the event produced
(:func:`~regiekaart.runtime.snapshot.state_digest`).
The case row keeps the head of its chain (version and last hash), and its snapshot must
be the state the head event names: a snapshot changed behind the store's back no longer
matches, and a case in that condition is never loaded, so no command is applied to it.
Altering a row breaks its own hash; reordering breaks the sequence numbers the hashes
cover; deleting a row leaves a gap, a dangling link or a head that points past the end.
:func:`verify_chain` walks one case's rows in order and names the first broken link,
because that is where an auditor starts reading.

The chain proves the rows were not changed *without rewriting every later hash*; a
writer with full database access can rewrite the whole chain, so a host that needs more
records the head hashes elsewhere (``regiekaart audit verify --json`` prints them).

May import: ``regiekaart.scenario``, ``regiekaart.analysis``, ``regiekaart.runtime``,
``regiekaart.policy`` and the foundation; never ``verify``, ``simulate``, ``render``,
``testing`` or ``cli``, which stand above the store.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

import attrs
import cattrs
from attrs import frozen
from cattrs.v import format_exception

from regiekaart.errors import AuditChainBroken, CorruptRecord
from regiekaart.runtime.records import CaseState, Event, structure_event, unstructure
from regiekaart.runtime.snapshot import canonical_json, state_digest

__all__ = [
    "GENESIS",
    "ChainReport",
    "Links",
    "StoredEvent",
    "chain_hash",
    "describe",
    "link",
    "verify_chain",
]

GENESIS = "0" * 64
"""The ``prev_hash`` of a case's first event."""


def chain_hash(
    prev_hash: str,
    case_id: str,
    policy_digest: str,
    body: Mapping[str, Any],
    state_digest: str | None = None,
) -> str:
    """The hash of one link: its predecessor's hash and everything the row asserts.

    Rows written before schema version 3 carry no state digest and hash without it.
    """
    return _hash(prev_hash, _content(case_id, policy_digest, body, state_digest))


def _content(
    case_id: str, policy_digest: str, body: Mapping[str, Any], state_digest: str | None
) -> str:
    content: dict[str, Any] = {"case": case_id, "policy_digest": policy_digest, "event": body}
    if state_digest is not None:
        content["state"] = state_digest
    return canonical_json(content)


def _hash(prev_hash: str, content: str) -> str:
    return hashlib.sha256(f"{prev_hash}\n{content}".encode()).hexdigest()


@frozen
class StoredEvent:
    """One row of the event table: the event as JSON plus its place in the chain."""

    case_id: str
    seq: int
    policy_digest: str
    body: Mapping[str, Any]
    prev_hash: str
    hash: str
    columns: Mapping[str, Any] = attrs.field(factory=dict)
    state_digest: str | None = None
    """The digest of the case state this event produced (``None`` on rows written
    before schema version 3)."""
    """The row's other columns (``command``, ``rule``, ``at``): copies of what the body
    says, kept for queries; verification checks they still agree with it."""

    def hashes_right(self, case_id: str) -> bool:
        """Whether the row's hash is the hash of what it says (and of its predecessor)."""
        expected = chain_hash(
            self.prev_hash, case_id, self.policy_digest, self.body, self.state_digest
        )
        return self.hash == expected

    def event(self) -> Event:
        """The event itself; a row that does not structure is a :class:`CorruptRecord`."""
        try:
            return structure_event(self.body)
        except (cattrs.BaseValidationError, ValueError, TypeError) as exc:
            raise CorruptRecord(self.case_id, f"event {self.seq}", describe(exc, "event")) from None


def describe(exc: BaseException, path: str) -> str:
    """What is wrong with a stored value, and where in it (``event.command: ...``)."""
    if isinstance(exc, cattrs.BaseValidationError):
        return "; ".join(cattrs.transform_error(exc, path=path, format_exception=_format))
    return str(exc) or type(exc).__name__


def _format(exc: BaseException, type_: Any) -> str:
    """Our own messages (an unknown command type) as they are; cattrs's for the rest."""
    if isinstance(exc, ValueError) and not isinstance(exc, cattrs.BaseValidationError) and str(exc):
        return str(exc)
    return format_exception(exc, type_)


@frozen
class Links:
    """Rows to append, with everything but their hashes worked out.

    A commit prepares them before it takes the database's write lock and only chains
    them (one sha256 each) once it holds it and knows the head: writers wait for each
    other as briefly as possible.
    """

    case_id: str
    policy_digest: str
    items: tuple[tuple[int, Mapping[str, Any], str, str], ...]
    """Per event: its number, its body, the state digest and the content to hash."""

    @classmethod
    def of(
        cls,
        case_id: str,
        policy_digest: str,
        events: Iterable[Event],
        states: Sequence[CaseState],
    ) -> Links:
        """The rows for ``events``, each with the state it produced (in ``states``)."""
        items = []
        for event, state in zip(events, states, strict=True):
            body = unstructure(event)
            produced = state_digest(state)
            content = _content(case_id, policy_digest, body, produced)
            items.append((event.seq, body, produced, content))
        return cls(case_id, policy_digest, tuple(items))

    def after(self, prev_hash: str) -> list[StoredEvent]:
        """The rows chained onto a head whose hash is ``prev_hash``."""
        rows = []
        for seq, body, produced, content in self.items:
            digest = _hash(prev_hash, content)
            rows.append(
                StoredEvent(
                    case_id=self.case_id,
                    seq=seq,
                    policy_digest=self.policy_digest,
                    body=body,
                    prev_hash=prev_hash,
                    hash=digest,
                    state_digest=produced,
                )
            )
            prev_hash = digest
        return rows


def link(
    case_id: str,
    policy_digest: str,
    events: Iterable[Event],
    states: Sequence[CaseState],
    prev_hash: str,
) -> list[StoredEvent]:
    """The rows that append ``events`` (each with the state it produced, in ``states``)
    to a chain whose head hash is ``prev_hash``."""
    return Links.of(case_id, policy_digest, events, states).after(prev_hash)


@frozen
class ChainReport:
    """The result of verifying one case: how many events, the head, the first break."""

    case_id: str
    events: int
    head_hash: str
    broken: AuditChainBroken | None = None
    replayed: bool = False
    """Whether the events were replayed under the cards they were decided under and gave
    exactly the stored events and snapshot."""
    unreplayed: str = ""
    """Why the case was not replayed (a card the store does not hold), when it was not."""

    @property
    def ok(self) -> bool:
        """Whether every link of the case verified."""
        return self.broken is None


def verify_chain(
    case_id: str, rows: Iterable[StoredEvent], *, version: int, head_hash: str
) -> ChainReport:
    """Check one case's rows (in ascending ``seq``) against each other and its head.

    The first problem found ends the walk: later links are not trustworthy once one is
    broken, and naming the first is what lets someone find the hand that changed it.
    """
    prev = GENESIS
    count = 0
    chained = False
    last_at: datetime | None = None

    def broken(seq: int, detail: str) -> ChainReport:
        return ChainReport(case_id, count, head_hash, AuditChainBroken(case_id, seq, detail))

    for row in rows:
        problem = _link_problem(case_id, row, count + 1, prev)
        if problem is None and chained and row.state_digest is None:
            problem = row.seq, "altered: the row no longer names the state it produced"
        at = row.columns.get("at")
        if problem is None and isinstance(at, datetime) and last_at is not None and at < last_at:
            problem = row.seq, "its time is earlier than the event before it"
        if problem is not None:
            return broken(*problem)
        chained = chained or row.state_digest is not None
        last_at = at if isinstance(at, datetime) else last_at
        prev = row.hash
        count += 1
    if count < version:
        return broken(
            count + 1,
            f"event {count + 1} is missing (deleted): the case is at version {version} "
            f"but only {count} events are stored",
        )
    if count > version:
        return broken(version + 1, f"event {version + 1} lies beyond the case's version {version}")
    if prev != head_hash:
        return broken(count, "the last event does not match the head hash recorded on the case")
    return ChainReport(case_id, count, head_hash)


def _link_problem(
    case_id: str, row: StoredEvent, expected: int, prev: str
) -> tuple[int, str] | None:
    """What is wrong with ``row`` as link ``expected`` after a link hashed ``prev``."""
    if row.seq != expected:
        return expected, f"event {expected} is missing (deleted); the next stored is {row.seq}"
    if row.body.get("seq") != row.seq:
        return (
            row.seq,
            f"reordered: the row at position {row.seq} holds event {row.body.get('seq')!r}",
        )
    if not row.hashes_right(case_id):
        return row.seq, "altered: the row's content does not match its hash"
    if row.prev_hash != prev:
        if row.seq == 1:
            return row.seq, "the first event does not start the chain (it was replaced)"
        return row.seq, (
            f"the link to event {row.seq - 1} does not match: event {row.seq - 1} was altered "
            "and hashed anew, or replaced"
        )
    disagreeing = _disagreeing_column(row)
    if disagreeing is not None:
        return row.seq, f"altered: the {disagreeing} column no longer says what the event says"
    return None


def _disagreeing_column(row: StoredEvent) -> str | None:
    command = row.body.get("command")
    said: dict[str, Any] = {
        "command": command.get("type") if isinstance(command, Mapping) else None,
        "rule": row.body.get("rule"),
    }
    try:
        said["at"] = datetime.fromisoformat(str(row.body.get("at")))
    except ValueError:
        said["at"] = None
    for name, value in row.columns.items():
        if said.get(name) != value:
            return name
    return None
