"""What must hold after every command the state machine sends: the refusal left the case
as it was, a restored case answers alike, one log event without the reason text.

The invariants of the policy are split here too, into the cheap checks that run after
every step and the searching ones (:data:`~regiekaart.testing.machine.SEARCH_CHECKS`)
that run at teardown.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Iterator, MutableMapping, Sequence
from contextlib import contextmanager
from typing import Any

import attrs
import structlog
from structlog.testing import capture_logs

from regiekaart.analysis.invariants import Invariant, Violation
from regiekaart.errors import CommandRefused
from regiekaart.policy.model import Policy
from regiekaart.runtime.case import Case
from regiekaart.runtime.commands import Command
from regiekaart.runtime.records import Event
from regiekaart.runtime.snapshot import Snapshot

_TAGGED_BY = {
    "escalate": "transitions",
    "deescalate": "transitions",
    "change": "transitions",
    "close": "transitions",
    "impose_measure": "measures",
    "end_measure": "measures",
    "expire": "measures",
    "extend": "measures",
    "decision": "decisions",
    "signal": "activities",
    "advice": "activities",
    "melding": "activities",
}
"""Which part of the card the rule of an accepted command of each type belongs to."""


@contextmanager
def captured_logs() -> Iterator[list[MutableMapping[str, Any]]]:
    """The runtime's log events, whatever level the process filters at.

    ``capture_logs`` replaces the processors only; a host (or a command line run in the
    same process) that configured a filtering logger would hide every event from it, and
    the machine would report a command that "gave 0 log events". So the filter is lifted
    for the duration and put back after.
    """
    wrapper_class = structlog.get_config()["wrapper_class"]
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.NOTSET))
    try:
        with capture_logs() as logs:
            yield logs
    finally:
        structlog.configure(wrapper_class=wrapper_class)


def split_invariants(
    invariants: Sequence[Invariant], search: Collection[str]
) -> tuple[tuple[Invariant, ...], tuple[Invariant, ...]]:
    """The invariants with only their cheap checks, and with only their search checks."""
    cheap: list[Invariant] = []
    costly: list[Invariant] = []
    for inv in invariants:
        fast = tuple(c for c in inv.checks if c[0] not in search)
        slow = tuple(c for c in inv.checks if c[0] in search)
        if fast:
            cheap.append(attrs.evolve(inv, checks=fast))
        if slow:
            costly.append(attrs.evolve(inv, checks=slow))
    return tuple(cheap), tuple(costly)


def report(found: Sequence[Violation]) -> str:
    """The violations in one line, for an assertion's message."""
    return "; ".join(f"{v.invariant} [{v.check}]: {v}" for v in found)


def check_refusal(
    command: Command,
    refusal: CommandRefused,
    before: Snapshot,
    after: Snapshot,
    configuration: tuple[str, ...],
) -> None:
    """A refused command changed nothing, and its refusal says what and where."""
    assert after == before, (
        f"refused {command!r} ({type(refusal).__name__}: {refusal}) changed the case"
    )
    assert refusal.command is command, "a refusal keeps the refused command"
    assert refusal.configuration == configuration, (
        f"{type(refusal).__name__} names {refusal.configuration}, the case was in {configuration}"
    )


def check_log(logs: Sequence[MutableMapping[str, Any]], command: Command, case_id: str) -> None:
    """Exactly one structlog event for the command, with the case id and no reason text."""
    assert len(logs) == 1, f"{command!r} gave {len(logs)} log events, not one"
    entry = logs[0]
    assert entry["event"] in ("command.accepted", "command.refused"), entry
    assert entry.get("case") == case_id, f"log event without the case id: {entry}"
    assert "reason" not in entry, f"the free-text reason was logged: {entry}"
    if command.reason:
        leaked = [k for k, v in entry.items() if command.reason in str(v)]
        assert not leaked, f"the reason text reached the log in {leaked}: {entry}"


def check_tags(policy: Policy, event: Event, logs: Sequence[MutableMapping[str, Any]]) -> None:
    """An accepted event carries the tags of its rule and of the criteria it invokes, and
    its log event names them: reports that count steps by tag count what the card says."""
    part = getattr(policy, _TAGGED_BY.get(event.command.type, ""), {})
    rule = part.get(event.rule)
    expected = set(getattr(rule, "tags", ()))
    for criterion in event.command.criteria:
        expected.update(policy.criteria[criterion].tags)
    assert event.tags == tuple(sorted(expected)), (
        f"event {event.seq} ({event.rule}) has tags {list(event.tags)}, "
        f"its rule and criteria give {sorted(expected)}"
    )
    for entry in logs:
        if entry.get("event") == "command.accepted":
            assert entry.get("tags", []) == list(event.tags), f"log without the tags: {entry}"


def check_shadow(
    shadow: Case, command: Command, refusal: CommandRefused | None, after: Snapshot
) -> None:
    """A restored case must answer exactly as the live one did."""
    shadow_refusal: CommandRefused | None = None
    with captured_logs():
        try:
            shadow.apply(command)
        except CommandRefused as refused:
            shadow_refusal = refused
    if refusal is None:
        assert shadow_refusal is None, (
            f"the live case accepted {command!r}, the restored one refused it: {shadow_refusal}"
        )
        assert shadow.snapshot() == after, (
            f"the live and the restored case differ after {command!r}"
        )
    else:
        assert shadow_refusal is not None, (
            f"the live case refused {command!r} ({refusal}), the restored one accepted it"
        )
        assert (type(shadow_refusal), shadow_refusal.rule) == (type(refusal), refusal.rule), (
            f"live refusal {type(refusal).__name__} ({refusal.rule}) differs from the "
            f"restored case's {type(shadow_refusal).__name__} ({shadow_refusal.rule})"
        )
