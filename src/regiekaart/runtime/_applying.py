"""One command on its way through a case, and the event that records it.

An :class:`Applying` holds what applying one command may read — the compiled card, the
case's chart and state, its clock — and ends in one of two ways: a refusal naming the
rule, or an :class:`Accepted` event with the state it leads to. The case commits that
pair itself, so nothing here changes the case; a chart that a refused dispatch moved is
placed back where it was before the refusal leaves.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import attrs
from attrs import frozen
from statemachine import StateChart
from statemachine.exceptions import TransitionNotAllowed as ChartRefused

from regiekaart.clock import Clock
from regiekaart.errors import CommandRefused, InvalidTime, NotAuthorized, TransitionNotAllowed
from regiekaart.ids import check_time
from regiekaart.policy.model import Policy
from regiekaart.runtime import _obligations, authority, cardinality, roles
from regiekaart.runtime.chart import ChartModel, CompiledPolicy
from regiekaart.runtime.commands import Command
from regiekaart.runtime.deadlines import end_of, timers_after
from regiekaart.runtime.guards import Work, first_refusal
from regiekaart.runtime.records import (
    CaseState,
    Event,
    Facts,
    Handover,
    Informed,
    OpenObligation,
    evolve_facts,
)


@frozen
class Accepted:
    """An accepted command: its log entry and the state the case is in after it."""

    event: Event
    state: CaseState


@frozen(kw_only=True)
class Applying:
    """One command being applied to a case, with the case's working values."""

    compiled: CompiledPolicy
    chart: StateChart[Any]
    model: ChartModel
    state: CaseState
    command: Command
    clock: Clock
    last_at: datetime | None
    _read: dict[str, datetime] = attrs.field(factory=dict, init=False, eq=False, repr=False)

    @property
    def policy(self) -> Policy:
        """The card the case runs under."""
        return self.compiled.policy

    def now(self) -> datetime:
        """The command's time, read from the clock once: a step that weighs the time
        (an expiry) and the event that records it see the same moment, and a replay's
        clock, which gives each recorded time once, is read once per event."""
        if "at" not in self._read:
            self._read["at"] = checked_time(self.clock(), self.last_at, self.command)
        return self._read["at"]

    def refuse(
        self, cls: type[CommandRefused], message: str, rule: str = "", source: str = ""
    ) -> CommandRefused:
        """A refusal of ``cls`` of this command, in the case's configuration."""
        return cls(
            message,
            command=self.command,
            rule=rule,
            source=source,
            configuration=self.state.configuration,
        )

    def authorize(self, groups: Sequence[Sequence[str]], rule: str, source: str = "") -> None:
        """Refuse the command unless its parties are one of the deciding ``groups``."""
        command = self.command
        if authority.authorized(
            groups, command.actor, command.together, self.state.roles, self.policy
        ):
            return
        who = authority.describe(groups, self.policy)
        raise self.refuse(
            NotAuthorized, f"{command.actor} may not; decided by: {who}", rule, source
        )

    def dispatch(
        self, work: Work, event: str, rule: str, source: str, tags: tuple[str, ...] = ()
    ) -> Accepted:
        """Send ``event`` to the chart with ``work``; record, or restore and refuse."""
        compiled, chart = self.compiled, self.chart
        before = self.state.configuration
        self.model.work = work
        try:
            chart.send(event)
        except ChartRefused:
            compiled.place(chart, before)
            refusal = first_refusal(work.rule, work) if work.rule is not None else None
            raise refusal or work.refusal(
                TransitionNotAllowed, f"the chart allows no {event} from {', '.join(before)}"
            ) from None
        except BaseException:
            compiled.place(chart, before)
            raise
        finally:
            self.model.work = None
        try:
            after = compiled.configuration(chart)
            settled = roles.settle(self.policy, work.roles, frozenset(after))
            for role in roles.required_roles(self.policy, frozenset(after)):
                if not settled.get(role):
                    raise RuntimeError(f"internal: {role} left without a holder by {event}")
            return self.record(
                rule, source, roles=settled, facts=work.facts, after=after, tags=tags
            )
        except BaseException:
            compiled.place(chart, before)
            raise

    def record(
        self,
        rule: str,
        source: str,
        *,
        roles: Mapping[str, tuple[str, ...]] | None = None,
        facts: Facts | None = None,
        after: tuple[str, ...] | None = None,
        informed: tuple[Informed, ...] = (),
        fulfilled: tuple[str, ...] = (),
        obligations: tuple[OpenObligation, ...] | None = None,
        tags: tuple[str, ...] = (),
    ) -> Accepted:
        """The command accepted: its new state, obligations, and the log entry.

        ``tags`` are the tags of the accepting rule; the event adds those of the
        criteria the command invokes."""
        state = self.state
        after = state.configuration if after is None else after
        new_roles = dict(state.roles) if roles is None else dict(roles)
        if new_roles != state.roles or after != state.configuration:
            self._hold_bounds(new_roles, after, rule, source)
        facts = _lapse(self.policy, state.facts if facts is None else facts, after)
        seq = state.seq + 1
        at = self.now()
        duties = _obligations.settle(
            self.policy,
            state,
            self.command,
            rule in self.policy.transitions,
            after,
            new_roles,
            state.obligations if obligations is None else obligations,
            deadlines=lambda: _deadlines(self.policy, at),
        )
        event = Event(
            seq=seq,
            at=at,
            command=self.command,
            rule=rule,
            source=source,
            before=state.configuration,
            after=after,
            handovers=handovers(state.roles, new_roles),
            informed=(*informed, *duties.called_for),
            fulfilled=(*fulfilled, *duties.met),
            lapsed=duties.lapsed,
            tags=event_tags(self.policy, tags, self.command.criteria),
        )
        new_state = CaseState(
            configuration=after,
            roles=new_roles,
            facts=facts,
            obligations=duties.open,
            members=state.members,
            seq=seq,
            timers=timers_after(self.policy, state, after, at),
        )
        return Accepted(event=event, state=new_state)

    def _hold_bounds(
        self,
        new_roles: Mapping[str, tuple[str, ...]],
        after: tuple[str, ...],
        rule: str,
        source: str,
    ) -> None:
        """Refuse the step if it leaves a role with more or fewer holders than the card
        allows, or a group of holders without its chair: whatever moved the holders (an
        appointment, a measure's sub-state) is held to the same bounds as a transition."""
        refused = cardinality.refusal(
            self.policy,
            new_roles,
            frozenset(after),
            command=self.command,
            rule=rule,
            source=source,
            configuration=self.state.configuration,
        )
        if refused is not None:
            raise refused


def _deadlines(policy: Policy, at: datetime) -> dict[str, datetime]:
    """When each duty with a deadline that arises at ``at`` must be done."""
    return {
        duty.id: end_of(duty.deadline, at)
        for duty in policy.obligations.values()
        if duty.deadline is not None
    }


def event_tags(
    policy: Policy, rule_tags: Sequence[str], criteria: Sequence[str]
) -> tuple[str, ...]:
    """The tags an event records: its rule's and its criteria's, each once, sorted — so
    the order a card lists them in is no part of what a case did."""
    if not criteria:
        return tuple(sorted(set(rule_tags)))
    found = set(rule_tags)
    for criterion in criteria:
        known = policy.criteria.get(criterion)
        if known is not None:
            found.update(known.tags)
    return tuple(sorted(found))


def handovers(
    before: Mapping[str, tuple[str, ...]], after: Mapping[str, tuple[str, ...]]
) -> tuple[Handover, ...]:
    """Each role whose holders changed: who was released, who holds it now."""
    if before == after:  # a step that moves no holder
        return ()
    out = []
    for role in sorted(before.keys() | after.keys()):
        old, new = before.get(role, ()), after.get(role, ())
        if old == new:
            continue
        old, new = tuple(old), tuple(new)
        if old != new:
            out.append(Handover(role=role, released=tuple(p for p in old if p not in new), to=new))
    return tuple(out)


def checked_time(reading: object, last: datetime | None, command: Command) -> datetime:
    """The clock's reading as an event records it: timezone-aware, in UTC, in the range
    both stores keep (:func:`~regiekaart.ids.check_time`), and not before the case's last
    event (an audit trail whose time runs backwards proves nothing about order)."""
    try:
        at = check_time(reading)
    except InvalidTime as exc:
        raise InvalidTime(f"the clock's reading: {exc}", command=command) from None
    if last is not None and at < last:
        raise InvalidTime(
            f"the time {at.isoformat()} is earlier than the case's last event at "
            f"{last.isoformat()}; time may not run backwards",
            command=command,
        )
    return at


def _lapse(policy: Policy, facts: Facts, after: tuple[str, ...]) -> Facts:
    """Facts of a phase lapse when the case leaves it; dominance lapses below its phases."""
    flags = facts.flags
    if flags:
        active = set(after)
        flags = tuple(flag for flag in flags if flag[1] in active)
    dominance = facts.dominance
    if dominance is not None and policy.dominance_in:
        floor = min(policy.phase_of(s).order for s in policy.dominance_in)
        phases = [policy.states[s] for s in after if "." not in s]
        if any(p.final or p.order < floor for p in phases):
            dominance = None
    if flags == facts.flags and dominance == facts.dominance:
        return facts
    return evolve_facts(facts, flags=flags, dominance=dominance)
