"""A case rebuilt from its log: what a log must be to replay, and that it gave itself back.

A log replays only if it starts with the one open command and is numbered 1, 2, ...
without gaps. A snapshot whose log is whole restores only if replaying that log under
the card gives exactly its events and its state; the refusal names the first field that
differs, repeating the card's own words but never a household member or free text.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import attrs

from regiekaart.errors import SnapshotMismatch
from regiekaart.runtime.commands import OpenCase
from regiekaart.runtime.records import CaseState, Event
from regiekaart.runtime.snapshot import Snapshot


def opening_of(case_id: str, events: Sequence[Event]) -> OpenCase:
    """The open command a log starts with; refused unless the log opens the case once,
    first, and numbers its events from 1 without a gap."""
    first = events[0].command if events else None
    if not isinstance(first, OpenCase):
        raise SnapshotMismatch(f"case {case_id}: a case's events start with the open command")
    if [e.seq for e in events] != list(range(1, len(events) + 1)):
        raise SnapshotMismatch(f"case {case_id}: the events are not numbered 1..{len(events)}")
    if any(isinstance(e.command, OpenCase) for e in events[1:]):
        raise SnapshotMismatch(f"case {case_id}: a case is opened once, by its first event")
    return first


def check_replayed(value: Snapshot, events: Sequence[Event], state: CaseState) -> None:
    """Refuse ``value`` unless its log replayed to ``events`` and ``state``.

    The tags are not compared: they are how the card an event was decided under
    classified it, and a later card may classify the same step otherwise without the
    case having been any different. The store's audit replays each event under the card
    it was decided under and compares its tags too."""
    for ours, theirs in zip(events, value.log, strict=True):
        if attrs.evolve(ours, tags=theirs.tags) != theirs:
            raise SnapshotMismatch(
                f"case {value.case}: event {theirs.seq} of the log is not what its "
                f"command gives under this policy ({_differs(ours, theirs)})"
            )
    if state != value.state:
        raise SnapshotMismatch(
            f"case {value.case}: the state is not the one its log leads to "
            f"({_differs(state, value.state)})"
        )


def _differs(ours: Any, theirs: Any) -> str:
    """The first field in which two records of the same type differ, for a message."""
    for field in attrs.fields(type(ours)):
        a, b = getattr(ours, field.name), getattr(theirs, field.name)
        if a == b:
            continue
        if field.name in _SHOWN_FIELDS:
            return f"{field.name}: recorded {_brief(b)}, replayed {_brief(a)}"
        return f"{field.name} differs"  # members, measures, reasons: not repeated
    return "they differ"


_SHOWN_FIELDS = frozenset(
    {"seq", "rule", "source", "before", "after", "handovers", "configuration", "roles"}
)
"""Fields whose values are the card's own words (states, rules, roles, parties): a message
may repeat them. The others can name household members or hold free text."""


def _brief(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
