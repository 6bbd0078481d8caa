"""What of a case is due, and when: measures at their end, states past their longest
stay, duties past their deadline.

A card gives time limits (:mod:`regiekaart.policy.durations`); a case records, when
something with a limit begins, the moment it is up (:class:`~regiekaart.runtime.records.
ActiveMeasure`, :class:`~regiekaart.runtime.records.StateTimer`,
:class:`~regiekaart.runtime.records.OpenObligation`). Nothing happens by itself when
that moment comes: the engine has no clock of its own, and a case changes only by a
command. :func:`due` says what a host (or a person) must now act on — an ``expire``
command for a measure, the rule the card expects for a state, an ``inform`` for a duty
— so a scheduler can ask it and send the commands, each logged and refusable like any.

May import: ``regiekaart.policy`` and the foundation (besides this package).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Literal

from attrs import frozen

from regiekaart.ids import LATEST, check_time
from regiekaart.policy.durations import Duration
from regiekaart.policy.model import Policy
from regiekaart.runtime.records import CaseState, StateTimer

__all__ = [
    "Due",
    "DueKind",
    "DueStatus",
    "due",
    "end_of",
    "next_due",
    "time_problems",
    "timers_after",
]

DueKind = Literal["measure", "state", "duty"]
DueStatus = Literal["upcoming", "due", "overdue"]


@frozen
class Due:
    """One thing of a case whose time has come, or comes within the window asked about.

    ``at`` is the moment: a measure's end, the end of a state's longest stay, a duty's
    deadline. ``status`` is ``due`` at exactly that moment, ``overdue`` after it and
    ``upcoming`` before it.
    """

    at: datetime
    kind: DueKind
    what: str
    """The measure, the state or the obligation, by its id on the card."""
    status: DueStatus
    since: datetime | None = None
    """When it began: imposed, entered, or the duty arose."""
    member: str = ""
    """For a measure: the household member it is in force for."""
    recipient: str = ""
    """For a duty: the party to be informed."""
    by: tuple[str, ...] = ()
    """For a duty: the parties who must inform."""
    rule: str = ""
    """For a state: the rule the card expects to be taken (its ``on_expiry``)."""

    @property
    def action(self) -> str:
        """What ends it: the command type, or the rule the card names."""
        if self.kind == "measure":
            return "expire"
        if self.kind == "duty":
            return "inform"
        return self.rule


def due(state: CaseState, at: datetime, *, within: timedelta = timedelta(0)) -> tuple[Due, ...]:
    """Everything of ``state`` due at ``at`` or earlier — or by ``at + within`` — by
    moment, then kind and id.

    ``at`` must be timezone-aware (:class:`~regiekaart.errors.InvalidTime` otherwise):
    a deadline compared with a time of no zone is a deadline read in someone's own zone.
    """
    now = check_time(at)
    if within < timedelta(0):
        raise ValueError("the window to look ahead cannot be negative")
    horizon = _plus(now, within)
    found = [item for item in _all(state, now) if item.at <= horizon]
    return tuple(sorted(found, key=_order))


def next_due(state: CaseState) -> datetime | None:
    """The earliest moment anything of ``state`` is due (``None``: nothing has a limit)."""
    moments = [item.at for item in _all(state, None)]
    return min(moments, default=None)


def _order(item: Due) -> tuple[datetime, str, str, str, str]:
    return (item.at, item.kind, item.what, item.member, item.recipient)


def _status(moment: datetime, now: datetime | None) -> DueStatus:
    if now is None or moment > now:
        return "upcoming"
    return "due" if moment == now else "overdue"


def _all(state: CaseState, now: datetime | None) -> Iterator[Due]:
    for measure in state.facts.measures:
        if measure.until is not None:
            yield Due(
                at=measure.until,
                kind="measure",
                what=measure.measure,
                status=_status(measure.until, now),
                since=measure.since,
                member=measure.member,
            )
    for timer in state.timers:
        yield Due(
            at=timer.until,
            kind="state",
            what=timer.state,
            status=_status(timer.until, now),
            since=timer.since,
            rule=timer.on_expiry,
        )
    for duty in state.obligations:
        if duty.due is not None:
            yield Due(
                at=duty.due,
                kind="duty",
                what=duty.obligation,
                status=_status(duty.due, now),
                recipient=duty.recipient,
                by=duty.due_by,
            )


def _plus(moment: datetime, length: timedelta) -> datetime:
    try:
        return min(moment + length, LATEST)
    except OverflowError:
        return LATEST


def end_of(length: Duration, start: datetime) -> datetime:
    """The moment ``length`` after ``start``; a term that would end after the last time
    a store keeps ends then (a case is not refused for a limit it cannot outlive)."""
    try:
        return min(length.after(start), LATEST)
    except ValueError:
        return LATEST


def timers_after(
    policy: Policy, before: CaseState, after: tuple[str, ...], at: datetime
) -> tuple[StateTimer, ...]:
    """The timers of the states active after a step at ``at``: those still active keep
    theirs (a stay is not restarted by re-entering a state the case never left), those
    entered with a longest stay start one."""
    kept = tuple(t for t in before.timers if t.state in after)
    was = set(before.configuration)
    started = []
    for state_id in after:
        limit = policy.states[state_id].duration
        if limit is None or state_id in was:
            continue
        started.append(
            StateTimer(
                state=state_id,
                since=at,
                until=end_of(limit.max, at),
                on_expiry=limit.on_expiry or "",
            )
        )
    return (*kept, *started)


def time_problems(state: CaseState) -> list[str]:
    """What no case could record of its time limits: a term or a stay that ends before
    it begins, a time without a zone, a timer of a state that is not active (or twice)."""
    spans: list[tuple[str, datetime | None, datetime | None]] = [
        (f"measure {m.measure}", m.since, m.until) for m in state.facts.measures
    ]
    spans += [(f"the timer of {t.state}", t.since, t.until) for t in state.timers]
    out = []
    for what, since, until in spans:
        if (since is None) != (until is None):
            out.append(f"{what} records a start without an end, or an end without a start")
        elif since is not None and until is not None:
            out.extend(_span_problems(what, since, until))
    for duty in state.obligations:
        if duty.due is not None and duty.due.utcoffset() is None:
            out.append(f"the deadline of {duty.obligation} has no time zone")
    timed = [t.state for t in state.timers]
    active = set(state.configuration)
    out += [f"{s} has a timer but is not active" for s in dict.fromkeys(timed) if s not in active]
    if len(set(timed)) != len(timed):
        out.append("a state has two timers")
    return out


def _span_problems(what: str, since: datetime, until: datetime) -> list[str]:
    if since.utcoffset() is None or until.utcoffset() is None:
        return [f"{what} records a time without a time zone"]
    if until <= since:
        return [f"{what} ends at {until.isoformat()}, not after it began"]
    return []
