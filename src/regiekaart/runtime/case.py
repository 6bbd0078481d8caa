"""The case runtime a host system embeds.

A :class:`Case` holds one household's configuration, facts, role holders and an
append-only log of accepted events. :meth:`Case.apply` takes a command and either
applies all of it (authorised, guarded, transitioned, roles handed over warmly,
obligations recorded, logged) or refuses it with a typed error naming the rule, leaving
the case exactly as it was. Every command, accepted or refused, is one structlog event
carrying the case id and no personal data.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime
from typing import Any

import structlog
from statemachine import StateChart
from statemachine.exceptions import TransitionNotAllowed as ChartRefused

from regiekaart.clock import Clock, system_clock
from regiekaart.errors import (
    CaseClosed,
    CommandRefused,
    HolderRequired,
    IneligibleHolder,
    InvalidCommand,
    InvalidTime,
    NotAuthorized,
    SnapshotMismatch,
    TransitionNotAllowed,
)
from regiekaart.ids import check_id, check_time
from regiekaart.policy.model import Activity, Obligation, Policy, TransitionRule
from regiekaart.runtime import authority, roles
from regiekaart.runtime.chart import (
    END_EVENT,
    IMPOSE_EVENT,
    ChartModel,
    CompiledPolicy,
    compile_policy,
)
from regiekaart.runtime.commands import (
    Appoint,
    ChangeLevel,
    CloseCase,
    Command,
    Deescalate,
    EndMeasure,
    Escalate,
    ImposeMeasure,
    Inform,
    Melding,
    Member,
    OpenCase,
    RecordAdvice,
    RecordDecision,
    Signal,
)
from regiekaart.runtime.guards import Work, first_refusal
from regiekaart.runtime.records import (
    ActiveMeasure,
    CaseState,
    Event,
    Facts,
    Handover,
    Informed,
    OpenObligation,
)
from regiekaart.runtime.snapshot import SNAPSHOT_FORMAT, PolicyRef, Snapshot, problems

_logger = structlog.get_logger("regiekaart")

_replaying: ContextVar[bool] = ContextVar("regiekaart_replaying", default=False)
"""Set while commands already decided are applied again (a replay, a restore's check, an
audit): they are not new decisions, so they are not logged as commands again."""


@contextmanager
def replaying() -> Iterator[None]:
    """Apply commands without a ``command.*`` log event each: for replays and audits."""
    token = _replaying.set(True)
    try:
        yield
    finally:
        _replaying.reset(token)


__all__ = [
    "SNAPSHOT_FORMAT",
    "Case",
    "activity_party",
    "evolve_facts",
    "fit_problems",
    "replaying",
]


class Case:
    """One household's case under one policy.

    Create with :meth:`create`, bring back with :meth:`restore` or :meth:`replay`.
    """

    def __init__(
        self,
        compiled: CompiledPolicy,
        case_id: str,
        clock: Clock,
        state: CaseState,
        events: list[Event],
        *,
        restored_from_digest: str | None = None,
        started: tuple[ChartModel, StateChart[Any]] | None = None,
        last_at: datetime | None = None,
    ) -> None:
        self._compiled = compiled
        self._policy = compiled.policy
        self.case_id = case_id
        self._clock = clock
        self._state = state
        self._events = events
        self._known = {state.seq: state}
        self._last_at = events[-1].at if events else last_at
        if started is None:
            self._model = ChartModel()
            self._chart = compiled.new_chart(self._model)
        else:
            self._model, self._chart = started
            self._model.work = None
        compiled.place(self._chart, state.configuration)
        self.restored_from_digest = restored_from_digest
        """The policy digest the snapshot was taken under, when it differs from now."""

    # -- construction -------------------------------------------------------------------

    @classmethod
    def create(
        cls,
        policy: Policy,
        case_id: str,
        *,
        actor: str,
        members: Iterable[Member] = (),
        clock: Clock = system_clock,
        reason: str = "",
    ) -> Case:
        """Open a case in the policy's initial phase; ``actor`` is who registers it.

        ``case_id`` must be an identifier (:func:`~regiekaart.ids.check_id`): opaque,
        printable, no personal data.
        """
        case_id = check_id("case", case_id)
        command = OpenCase(actor=actor, members=tuple(members), reason=reason)
        compiled = compile_policy(policy)
        _check_open(policy, command)
        model = ChartModel()
        empty = CaseState(configuration=(), roles={}, members=command.members)
        model.work = Work(policy=policy, command=command, before=empty, facts=Facts())
        chart = compiled.new_chart(model)
        work = model.work
        configuration = compiled.configuration(chart)
        role_map = roles.settle(policy, work.roles, frozenset(configuration))
        event = Event(
            seq=1,
            at=_checked_time(clock(), None, command),
            command=command,
            rule="open",
            after=configuration,
            handovers=_handovers({}, role_map),
        )
        state = CaseState(
            configuration=configuration, roles=role_map, members=command.members, seq=1
        )
        case = cls(compiled, case_id, clock, state, [event], started=(model, chart))
        if _replaying.get():
            return case
        _logger.info(
            "command.accepted",
            case=case_id,
            command=command.type,
            actor=command.actor,
            rule="open",
            seq=1,
            configuration=list(configuration),
        )
        return case

    @classmethod
    def reopen(
        cls, policy: Policy, case_id: str, command: OpenCase, *, clock: Clock = system_clock
    ) -> Case:
        """The case ``command`` opened, as a replay opens it again from its first event."""
        return cls.create(
            policy,
            case_id,
            actor=command.actor,
            members=command.members,
            clock=clock,
            reason=command.reason,
        )

    @classmethod
    def restore(
        cls,
        policy: Policy,
        snapshot: Snapshot | Mapping[str, Any],
        *,
        clock: Clock = system_clock,
        since: datetime | None = None,
    ) -> Case:
        """The case a :meth:`snapshot` describes, under ``policy``.

        Raises :class:`~regiekaart.errors.SnapshotMismatch` naming what is wrong: a
        snapshot of the wrong shape, of another card, in a situation no case under this
        card can be in (see :func:`regiekaart.runtime.snapshot.problems`), or — when the log is
        whole — whose events, replayed under ``policy``, do not give exactly this log
        and this state. A snapshot restores only as a case could have become it.

        A log that does not start at event 1 (``log_from > 1``: a case loaded without
        its history) cannot be replayed: its numbering, order, times and last
        configuration are checked, and whoever hands it over vouches for the rest (the
        store checks its snapshot against the hash chain instead).

        ``since`` is the time of the last event when the log does not hold it (a store
        that keeps the log elsewhere); later commands may not be earlier.
        """
        value = Snapshot.from_json(snapshot)
        if value.policy.id != policy.id:
            raise SnapshotMismatch(
                f"case {value.case}: the snapshot is of policy {value.policy.id!r}, "
                f"not {policy.id!r}"
            )
        found = problems(policy, value)
        if found:
            raise SnapshotMismatch(
                f"case {value.case}: the snapshot does not fit the policy: " + "; ".join(found)
            )
        changed = value.policy.digest if value.policy.digest != policy.digest else None
        if value.whole:
            case = cls._replayed(policy, value)
            case._clock = clock
            case.restored_from_digest = changed
            return case
        return cls(
            compile_policy(policy),
            value.case,
            clock,
            value.state,
            [*value.log],
            restored_from_digest=changed,
            last_at=since,
        )

    @classmethod
    def _replayed(cls, policy: Policy, value: Snapshot) -> Case:
        """The case ``value``'s log gives under ``policy``, refused unless it is ``value``."""
        case = cls.replay(policy, value.case, value.log)
        for ours, theirs in zip(case._events, value.log, strict=True):
            if ours != theirs:
                raise SnapshotMismatch(
                    f"case {value.case}: event {theirs.seq} of the log is not what its "
                    f"command gives under this policy ({_differs(ours, theirs)})"
                )
        if case._state != value.state:
            raise SnapshotMismatch(
                f"case {value.case}: the state is not the one its log leads to "
                f"({_differs(case._state, value.state)})"
            )
        return case

    @classmethod
    def replay(cls, policy: Policy, case_id: str, events: Sequence[Event]) -> Case:
        """Rebuild a case from its events alone, at the times they were recorded.

        Each event's command is applied again, without a log event of its own (it was
        logged when it was decided); one the policy refuses now is a
        :class:`~regiekaart.errors.SnapshotMismatch` naming the event.
        """
        if not events or not isinstance(events[0].command, OpenCase):
            raise SnapshotMismatch(f"case {case_id}: a case's events start with the open command")
        if [e.seq for e in events] != list(range(1, len(events) + 1)):
            raise SnapshotMismatch(f"case {case_id}: the events are not numbered 1..{len(events)}")
        if any(isinstance(e.command, OpenCase) for e in events[1:]):
            raise SnapshotMismatch(f"case {case_id}: a case is opened once, by its first event")
        times = iter([e.at for e in events])
        clock: Clock = lambda: next(times)  # noqa: E731
        first = events[0].command
        event = events[0]
        try:
            with replaying():
                case = cls.reopen(policy, case_id, first, clock=clock)
                for event in events[1:]:
                    case.apply(event.command)
        except CommandRefused as refusal:
            raise SnapshotMismatch(
                f"case {case_id}: event {event.seq} ({event.command.type}) is refused "
                f"under this policy: {refusal}"
            ) from None
        case._clock = system_clock
        return case

    def reset(self, state: CaseState, events: Sequence[Event]) -> None:
        """Put this case back into ``state`` with ``events`` as its log.

        For tools that try many commands from one situation (the explorer, the
        simulation kernel's table builder): cheaper than building a new case each time.
        """
        self._state = state
        self._events = list(events)
        self._known = {state.seq: state}
        self._last_at = self._events[-1].at if self._events else None
        if self._chart.is_terminated:
            # A chart that reached a final state stops its engine for good; start anew.
            self._chart = self._compiled.new_chart(self._model)
        self._compiled.place(self._chart, state.configuration)

    # -- what a host reads ---------------------------------------------------------------

    @property
    def policy(self) -> Policy:
        """The policy the case runs under."""
        return self._policy

    @property
    def state(self) -> CaseState:
        """Everything that decides what may happen next."""
        return self._state

    @property
    def configuration(self) -> tuple[str, ...]:
        """The active states, as qualified ids."""
        return self._state.configuration

    @property
    def phase(self) -> str:
        """The active top-level state (a phase, or a final state)."""
        return next(s for s in self._state.configuration if "." not in s)

    @property
    def roles(self) -> Mapping[str, tuple[str, ...]]:
        """Role → holders, for the roles held now."""
        return self._state.roles

    @property
    def facts(self) -> Facts:
        """Measures, dominance and decided facts."""
        return self._state.facts

    @property
    def open_obligations(self) -> tuple[OpenObligation, ...]:
        """Informing duties not yet fulfilled."""
        return self._state.obligations

    @property
    def events(self) -> tuple[Event, ...]:
        """The append-only log of accepted events."""
        return tuple(self._events)

    @property
    def version(self) -> int:
        """The sequence number of the last accepted event."""
        return self._state.seq

    @property
    def closed(self) -> bool:
        """Whether the case is in a final state."""
        return any(self._policy.states[s].final for s in self._state.configuration)

    def snapshot(self) -> Snapshot:
        """The case as a value from which :meth:`restore` gives an identical case
        (``.to_json()`` for plain JSON)."""
        policy = self._policy
        return Snapshot(
            case=self.case_id,
            policy=PolicyRef(id=policy.id, version=policy.version, digest=policy.digest),
            state=self._state,
            log=tuple(self._events),
            log_from=self._events[0].seq if self._events else self._state.seq + 1,
        )

    def state_at(self, seq: int) -> CaseState | None:
        """The state the case was in at version ``seq``, if this object saw it: the
        state it was restored or created in, or one a command it applied produced."""
        return self._known.get(seq)

    # -- commands ------------------------------------------------------------------------

    def apply(self, command: Command) -> Event:
        """Apply ``command`` whole, or refuse it and change nothing.

        Returns the accepted :class:`~regiekaart.runtime.records.Event`; raises a
        :class:`~regiekaart.errors.CommandRefused` subclass naming the rule.
        """
        if _replaying.get():
            return self._apply(command)
        try:
            event = self._apply(command)
        except CommandRefused as refusal:
            _logger.info(
                "command.refused",
                case=self.case_id,
                command=command.type,
                actor=command.actor,
                error=type(refusal).__name__,
                rule=refusal.rule,
                configuration=list(self._state.configuration),
            )
            raise
        _logger.info(
            "command.accepted",
            case=self.case_id,
            command=command.type,
            actor=command.actor,
            rule=event.rule,
            seq=event.seq,
            configuration=list(event.after),
        )
        return event

    def _apply(self, command: Command) -> Event:
        if self.closed:
            raise CaseClosed(
                "the case is closed and accepts no commands",
                command=command,
                configuration=self._state.configuration,
            )
        _check_references(self._policy, command, self._state.configuration)
        return self._handle(command)

    def _handle(self, command: Command) -> Event:
        """The handler of the command's type; opening is not a command for an open case."""
        match command:
            case Escalate() | Deescalate():
                return self._escalate(command)
            case ChangeLevel():
                return self._change(command)
            case CloseCase():
                return self._close(command)
            case ImposeMeasure():
                return self._impose(command)
            case EndMeasure():
                return self._end(command)
            case Signal() | RecordAdvice() | Melding():
                return self._activity(command)
            case Inform():
                return self._inform(command)
            case RecordDecision():
                return self._decide(command)
            case Appoint():
                return self._appoint(command)
        raise InvalidCommand(
            f"{command.type} cannot be applied to an open case",
            command=command,
            configuration=self._state.configuration,
        )

    # transitions of the card

    def _escalate(self, command: Escalate | Deescalate) -> Event:
        return self._transition(command, command.type, to=command.to, dominance=command.dominance)

    def _change(self, command: ChangeLevel) -> Event:
        return self._transition(command, "change", direction=command.direction)

    def _close(self, command: CloseCase) -> Event:
        return self._transition(command, "close")

    def _transition(
        self,
        command: Command,
        kind: str,
        *,
        to: str | None = None,
        direction: str | None = None,
        dominance: str | None = None,
    ) -> Event:
        policy, state = self._policy, self._state
        candidates = self._candidates(kind, to, direction)
        if not candidates:
            raise self._not_allowed(command, kind, to, direction)
        facts = state.facts
        if dominance is not None:
            facts = evolve_facts(facts, dominance=dominance)
        refusal: CommandRefused | None = None
        for rule in candidates:
            assert isinstance(rule, TransitionRule)
            if dominance is not None and not self._dominance_applies(rule):
                raise InvalidCommand(
                    f"dominance applies only in {', '.join(policy.dominance_in)}",
                    command=command,
                    rule=rule.id,
                    source=rule.source,
                    configuration=state.configuration,
                )
            work = Work(
                policy=policy,
                command=command,
                before=state,
                facts=facts,
                rule=rule,
                chosen=dict(command.holders),
                assigned=dict(rule.assign),
                roles=dict(state.roles),
            )
            if rule.target_state is None:
                work.target = frozenset(state.configuration)
            else:
                work.target = roles.target_configuration(policy, rule.target_state, facts)
            # The guards are the chart's condition on this transition: a command they
            # refuse would be refused by the chart too, so it is refused here without a
            # dispatch and a rollback. What they admit, the chart decides.
            refused = first_refusal(rule, work)
            if refused is None:
                try:
                    return self._dispatch(
                        work, self._compiled.event_of[rule.id], rule.id, rule.source
                    )
                except CommandRefused as chart_refused:
                    refused = chart_refused
            refusal = refusal or refused
        assert refusal is not None
        raise refusal

    def _dominance_applies(self, rule: TransitionRule) -> bool:
        target = rule.target_state or rule.source_state
        return any(s.id in self._policy.dominance_in for s in self._policy.ancestors(target))

    def _candidates(self, kind: str, to: str | None, direction: str | None) -> list[TransitionRule]:
        policy = self._policy
        active = set(self._state.configuration)
        found = []
        for rule in policy.transitions.values():
            if rule.kind != kind or rule.source_state not in active:
                continue
            if direction is not None and rule.direction != direction:
                continue
            if to is not None and rule.target_state is not None:
                target_phase = policy.phase_of(rule.target_state).id
                if to not in (rule.target_state, target_phase):
                    continue
            found.append(rule)
        found.sort(key=lambda r: -roles.depth(policy, r.source_state))
        return found

    def _not_allowed(
        self, command: Command, kind: str, to: str | None, direction: str | None
    ) -> CommandRefused:
        policy, active = self._policy, set(self._state.configuration)
        for prohibition in policy.prohibitions.values():
            if prohibition.kind == kind and prohibition.source_state in active:
                return TransitionNotAllowed(
                    prohibition.title,
                    command=command,
                    rule=prohibition.id,
                    source=prohibition.source,
                    configuration=self._state.configuration,
                )
        allowed = [
            f"{r.kind} → {r.target_state or r.direction} ({r.id})"
            for r in policy.transitions.values()
            if r.source_state in active
        ]
        what = f"{kind} to {to}" if to else (f"{kind} {direction}" if direction else kind)
        here = ", ".join(self._state.configuration)
        return TransitionNotAllowed(
            f"no rule allows {what} from {here}; allowed here: {'; '.join(allowed) or 'nothing'}",
            command=command,
            configuration=self._state.configuration,
        )

    # the compulsory frame

    def _impose(self, command: ImposeMeasure) -> Event:
        measure = self._measure(command, command.measure, command.member)
        self._authorize(command, [(p,) for p in measure.imposed_by], measure.id, measure.source)
        active = ActiveMeasure(measure=command.measure, member=command.member)
        if active in self._state.facts.measures:
            raise self._refuse(
                InvalidCommand, command, "this measure is already in force", measure.id
            )
        facts = evolve_facts(self._state.facts, measures=(*self._state.facts.measures, active))
        return self._measure_event(command, IMPOSE_EVENT, facts, measure.id, measure.source)

    def _end(self, command: EndMeasure) -> Event:
        measure = self._measure(command, command.measure, command.member)
        enders = measure.ended_by or measure.imposed_by
        self._authorize(command, [(p,) for p in enders], measure.id, measure.source)
        active = ActiveMeasure(measure=command.measure, member=command.member)
        if active not in self._state.facts.measures:
            raise self._refuse(InvalidCommand, command, "this measure is not in force", measure.id)
        rest = tuple(m for m in self._state.facts.measures if m != active)
        facts = evolve_facts(self._state.facts, measures=rest)
        return self._measure_event(command, END_EVENT, facts, measure.id, measure.source)

    def _measure(self, command: Command, measure_id: str, member_id: str) -> Any:
        policy = self._policy
        measure = policy.measures.get(measure_id)
        if measure is None:
            known = ", ".join(policy.measures)
            raise self._refuse(
                InvalidCommand, command, f"unknown measure {measure_id!r} (known: {known})"
            )
        member = next((m for m in self._state.members if m.id == member_id), None)
        if member is None:
            raise self._refuse(InvalidCommand, command, f"no household member {member_id!r}")
        if member.group != measure.group:
            raise self._refuse(
                InvalidCommand,
                command,
                f"{measure.title} applies to {measure.group}, the member is {member.group}",
                measure.id,
                measure.source,
            )
        if not any(s in policy.measures_in for s in self._state.configuration):
            where = ", ".join(policy.measures_in)
            raise self._refuse(
                TransitionNotAllowed,
                command,
                f"compulsory measures are recorded in {where}",
                measure.id,
            )
        return measure

    def _measure_event(
        self, command: Command, event: str, facts: Facts, rule: str, source: str
    ) -> Event:
        work = Work(
            policy=self._policy,
            command=command,
            before=self._state,
            facts=facts,
            roles=dict(self._state.roles),
        )
        return self._dispatch(work, event, rule, source)

    # steps that move no state

    def _activity(self, command: Signal | RecordAdvice | Melding) -> Event:
        activity = self._find_activity(command)
        party = activity_party(command)
        if activity.to and party is not None and party not in activity.to:
            allowed = ", ".join(activity.to)
            raise self._refuse(
                InvalidCommand,
                command,
                f"{party} is not one of {allowed}",
                activity.id,
                activity.source,
            )
        informed: tuple[Informed, ...] = ()
        if isinstance(command, Melding):
            recipient = command.to or (activity.to[0] if activity.to else "")
            if recipient:
                informed = (Informed(recipient=recipient, by=(command.actor,), about=activity.id),)
        return self._record(command, activity.id, activity.source, informed=informed)

    def _find_activity(self, command: Command) -> Activity:
        policy, active = self._policy, set(self._state.configuration)
        wanted = getattr(command, "activity", None)
        options = [
            a
            for a in policy.activities.values()
            if a.command == command.type and (wanted is None or a.id == wanted)
        ]
        if not options:
            raise self._refuse(
                InvalidCommand, command, f"the policy knows no {wanted or command.type}"
            )
        here = [a for a in options if active & set(a.in_states)]
        if not here:
            where = ", ".join(sorted({s for a in options for s in a.in_states}))
            raise self._refuse(
                TransitionNotAllowed,
                command,
                f"{command.type} is recorded in {where}",
                options[0].id,
            )
        for activity in here:
            if _may_act(self._policy, activity, command.actor):
                return activity
        activity = here[0]
        who = ", ".join((*activity.by, *activity.by_kinds))
        raise self._refuse(
            NotAuthorized,
            command,
            f"{command.actor} may not; done by: {who}",
            activity.id,
            activity.source,
        )

    def _inform(self, command: Inform) -> Event:
        fulfilled = []
        remaining = []
        for duty in self._state.obligations:
            mine = (
                not duty.due_by
                or command.actor in duty.due_by
                or set(command.together) & set(duty.due_by)
            )
            if duty.recipient == command.recipient and mine:
                fulfilled.append(f"{duty.obligation}:{duty.recipient}")
            else:
                remaining.append(duty)
        informed = (Informed(recipient=command.recipient, by=command.parties, about=command.about),)
        return self._record(
            command,
            "inform",
            "",
            informed=informed,
            fulfilled=tuple(fulfilled),
            obligations=tuple(remaining),
        )

    def _decide(self, command: RecordDecision) -> Event:
        policy = self._policy
        decision = policy.decisions.get(command.decision)
        if decision is None:
            known = ", ".join(policy.decisions)
            raise self._refuse(
                InvalidCommand, command, f"unknown decision {command.decision!r} (known: {known})"
            )
        here = [s for s in self._state.configuration if s in decision.in_states]
        if not here:
            raise self._refuse(
                TransitionNotAllowed,
                command,
                f"{decision.title} is taken in {', '.join(decision.in_states)}",
                decision.id,
                decision.source,
            )
        self._authorize(command, decision.by, decision.id, decision.source)
        facts = self._state.facts
        if decision.sets and not facts.has(decision.sets):
            phase = self._policy.phase_of(here[0]).id
            facts = evolve_facts(facts, flags=(*facts.flags, (decision.sets, phase)))
        informed = tuple(
            Informed(recipient=r, by=command.parties, obligation=decision.id)
            for r in decision.inform
        )
        return self._record(command, decision.id, decision.source, informed=informed, facts=facts)

    def _appoint(self, command: Appoint) -> Event:
        policy, state = self._policy, self._state
        active = frozenset(state.configuration)
        cell = policy.role_cell(active, command.role)
        if cell is None:
            raise self._refuse(
                TransitionNotAllowed,
                command,
                f"{command.role} is not held in {', '.join(state.configuration)}",
            )
        rule = f"appoint:{command.role}"
        if not cell.appoint:
            raise self._refuse(
                NotAuthorized, command, f"no one appoints {command.role} here", rule, cell.source
            )
        self._authorize(command, cell.appoint, rule, cell.source)
        chosen = command.holders.get(command.role, ())
        if not chosen:
            raise self._refuse(
                HolderRequired, command, f"name the holders of {command.role}", rule, cell.source
            )
        if not cell.eligible and tuple(chosen) != cell.holders:
            raise self._refuse(
                IneligibleHolder,
                command,
                f"the card fixes the holders of {command.role} here",
                rule,
                cell.source,
            )
        wrong = [p for p in chosen if p not in cell.eligible_set]
        if wrong:
            eligible = ", ".join(sorted(cell.eligible_set))
            raise self._refuse(
                IneligibleHolder,
                command,
                f"{', '.join(wrong)} may not hold {command.role} here (eligible: {eligible})",
                rule,
                cell.source,
            )
        limit = policy.roles[command.role].max_holders
        if limit and len(chosen) > limit:
            raise self._refuse(
                IneligibleHolder, command, f"{command.role} may have at most {limit} holders", rule
            )
        new_roles = dict(state.roles)
        new_roles[command.role] = chosen
        return self._record(
            command, rule, cell.source, roles=roles.settle(policy, new_roles, active)
        )

    # -- the machinery -------------------------------------------------------------------

    def _authorize(
        self, command: Command, groups: Sequence[Sequence[str]], rule: str, source: str = ""
    ) -> None:
        if authority.authorized(groups, command.actor, command.together, self._state.roles):
            return
        who = authority.describe(groups, self._policy)
        raise self._refuse(
            NotAuthorized, command, f"{command.actor} may not; decided by: {who}", rule, source
        )

    def _refuse(
        self,
        cls: type[CommandRefused],
        command: Command,
        message: str,
        rule: str = "",
        source: str = "",
    ) -> CommandRefused:
        return cls(
            message,
            command=command,
            rule=rule,
            source=source,
            configuration=self._state.configuration,
        )

    def _dispatch(self, work: Work, event: str, rule: str, source: str) -> Event:
        """Send ``event`` to the chart with ``work``; commit, or restore and refuse."""
        before = self._state.configuration
        self._model.work = work
        try:
            self._chart.send(event)
        except ChartRefused:
            self._compiled.place(self._chart, before)
            refusal = first_refusal(work.rule, work) if work.rule is not None else None
            raise refusal or work.refusal(
                TransitionNotAllowed, f"the chart allows no {event} from {', '.join(before)}"
            ) from None
        except BaseException:
            self._compiled.place(self._chart, before)
            raise
        finally:
            self._model.work = None
        try:
            after = self._compiled.configuration(self._chart)
            settled = roles.settle(self._policy, work.roles, frozenset(after))
            for role in roles.required_roles(self._policy, frozenset(after)):
                if not settled.get(role):
                    raise RuntimeError(f"internal: {role} left without a holder by {event}")
            return self._record(
                work.command, rule, source, roles=settled, facts=work.facts, after=after
            )
        except BaseException:
            self._compiled.place(self._chart, before)
            raise

    def _record(
        self,
        command: Command,
        rule: str,
        source: str,
        *,
        roles: Mapping[str, tuple[str, ...]] | None = None,
        facts: Facts | None = None,
        after: tuple[str, ...] | None = None,
        informed: tuple[Informed, ...] = (),
        fulfilled: tuple[str, ...] = (),
        obligations: tuple[OpenObligation, ...] | None = None,
    ) -> Event:
        """Commit one accepted command: new state, obligations, and the log entry."""
        state = self._state
        after = state.configuration if after is None else after
        new_roles = dict(state.roles) if roles is None else dict(roles)
        facts = _lapse(self._policy, state.facts if facts is None else facts, after)
        seq = state.seq + 1
        duties = list(state.obligations if obligations is None else obligations)
        triggered = _triggered(self._policy, state, after, new_roles, seq)
        for item in triggered:
            pending = any(
                d.obligation == item.obligation and d.recipient == item.recipient for d in duties
            )
            if not item.done and not pending:
                duties.append(
                    OpenObligation(
                        obligation=item.obligation,
                        recipient=item.recipient,
                        due_by=item.by,
                        since=seq,
                    )
                )
        event = Event(
            seq=seq,
            at=_checked_time(self._clock(), self._last_at, command),
            command=command,
            rule=rule,
            source=source,
            before=state.configuration,
            after=after,
            handovers=_handovers(state.roles, new_roles),
            informed=(*informed, *triggered),
            fulfilled=fulfilled,
        )
        self._state = CaseState(
            configuration=after,
            roles=new_roles,
            facts=facts,
            obligations=tuple(duties),
            members=state.members,
            seq=seq,
        )
        self._events.append(event)
        self._known[seq] = self._state
        self._last_at = event.at
        return event


def evolve_facts(facts: Facts, **changes: Any) -> Facts:
    """Facts with some fields replaced."""
    import attrs

    return attrs.evolve(facts, **changes)


def activity_party(command: Command) -> str | None:
    """The party an activity is addressed to, if the command names one."""
    if isinstance(command, RecordAdvice):
        return command.adviser
    if isinstance(command, Melding):
        return command.to
    return None


def _may_act(policy: Policy, activity: Activity, actor: str) -> bool:
    if not activity.by and not activity.by_kinds:
        return True
    return actor in activity.by or policy.party_kind(actor) in activity.by_kinds


def _check_open(policy: Policy, command: OpenCase) -> None:
    if command.actor not in policy.parties:
        raise InvalidCommand(f"unknown party {command.actor!r}", command=command)
    ids = [m.id for m in command.members]
    if len(set(ids)) != len(ids):
        raise InvalidCommand("household member ids must be unique", command=command)
    for member in command.members:
        if member.group not in policy.member_groups:
            known = ", ".join(policy.member_groups)
            raise InvalidCommand(
                f"unknown member group {member.group!r} (known: {known})", command=command
            )


def _check_references(policy: Policy, command: Command, configuration: tuple[str, ...]) -> None:
    """Refuse an ill-formed command: every id it names must be known to the policy."""
    problem = _unknown_parties(policy, command) or _unknown_targets(policy, command)
    if problem:
        raise InvalidCommand(problem, command=command, configuration=configuration)


def _unknown_parties(policy: Policy, command: Command) -> str | None:
    for party in command.parties:
        if party not in policy.parties:
            return f"unknown party {party!r}"
    for criterion in command.criteria:
        if criterion not in policy.criteria:
            return f"unknown criterion {criterion!r}"
    for role, holders in command.holders.items():
        if role not in policy.roles:
            return f"unknown role {role!r}"
        if not holders:
            return f"no holders given for {role}"
        unknown = [p for p in holders if p not in policy.parties]
        if unknown:
            return f"unknown party {unknown[0]!r} as holder of {role}"
    return None


def _unknown_targets(policy: Policy, command: Command) -> str | None:
    if isinstance(command, Escalate | Deescalate) and command.to not in policy.states:
        return f"unknown phase {command.to!r}"
    for field in ("recipient", "adviser"):
        value = getattr(command, field, None)
        if value is not None and value not in policy.parties:
            return f"unknown party {value!r}"
    if isinstance(command, Melding) and command.to is not None and command.to not in policy.parties:
        return f"unknown party {command.to!r}"
    dominance = getattr(command, "dominance", None)
    if dominance is not None and dominance not in policy.dominance:
        return f"unknown dominance {dominance!r} (known: {', '.join(policy.dominance)})"
    if isinstance(command, Appoint) and command.role not in policy.roles:
        return f"unknown role {command.role!r}"
    return None


def _lapse(policy: Policy, facts: Facts, after: tuple[str, ...]) -> Facts:
    """Facts of a phase lapse when the case leaves it; dominance lapses below its phases."""
    active = set(after)
    flags = tuple(flag for flag in facts.flags if flag[1] in active)
    dominance = facts.dominance
    if dominance is not None and policy.dominance_in:
        floor = min(policy.phase_of(s).order for s in policy.dominance_in)
        phases = [policy.states[s] for s in after if "." not in s]
        if any(p.final or p.order < floor for p in phases):
            dominance = None
    if flags == facts.flags and dominance == facts.dominance:
        return facts
    return evolve_facts(facts, flags=flags, dominance=dominance)


def _triggered(
    policy: Policy,
    before: CaseState,
    after: tuple[str, ...],
    new_roles: Mapping[str, tuple[str, ...]],
    seq: int,
) -> tuple[Informed, ...]:
    """The informing the policy's obligations call for after this step."""
    out: list[Informed] = []
    for duty in policy.obligations.values():
        out.extend(_on_enter(duty, before, after, new_roles))
        out.extend(_mutual(duty, before, new_roles))
    return tuple(out)


def _on_enter(
    duty: Obligation,
    before: CaseState,
    after: tuple[str, ...],
    new_roles: Mapping[str, tuple[str, ...]],
) -> list[Informed]:
    """Entering ``duty.on_enter`` (under the named holders, if any) calls for informing."""
    if duty.on_enter is None or duty.on_enter not in after or duty.on_enter in before.configuration:
        return []
    if duty.when_role is not None:
        holders = set(new_roles.get(duty.when_role, ()))
        if not holders or (duty.when_holders and not holders & set(duty.when_holders)):
            return []
    by = new_roles.get(duty.by_role, ()) if duty.by_role else ()
    done = duty.mode == "record"
    return [Informed(recipient=r, by=by, obligation=duty.id, done=done) for r in duty.inform]


def _mutual(
    duty: Obligation, before: CaseState, new_roles: Mapping[str, tuple[str, ...]]
) -> list[Informed]:
    """Several holders of ``duty.mutual_role``, newly together, are informed of each other."""
    if duty.mutual_role is None:
        return []
    now = new_roles.get(duty.mutual_role, ())
    old = set(before.roles.get(duty.mutual_role, ()))
    if len(now) < 2 or (set(now) <= old and len(old) >= 2):
        return []
    return [
        Informed(
            recipient=holder,
            by=(other,),
            obligation=duty.id,
            about=f"{duty.mutual_role}:{other}",
        )
        for holder in now
        for other in now
        if other != holder
    ]


def _handovers(
    before: Mapping[str, tuple[str, ...]], after: Mapping[str, tuple[str, ...]]
) -> tuple[Handover, ...]:
    out = []
    for role in sorted(set(before) | set(after)):
        old, new = tuple(before.get(role, ())), tuple(after.get(role, ()))
        if old != new:
            out.append(Handover(role=role, released=tuple(p for p in old if p not in new), to=new))
    return tuple(out)


def _checked_time(reading: object, last: datetime | None, command: Command) -> datetime:
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


def _differs(ours: Any, theirs: Any) -> str:
    """The first field in which two records of the same type differ, for a message."""
    import attrs

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


def fit_problems(policy: Policy, state: CaseState) -> list[str]:
    """What in ``state`` the policy no longer knows (states, roles, parties, measures)."""
    problems = []
    for s in state.configuration:
        if s not in policy.states:
            problems.append(f"state {s!r} no longer exists")
    for role, holders in state.roles.items():
        if role not in policy.roles:
            problems.append(f"role {role!r} no longer exists")
        for party in holders:
            if party not in policy.parties:
                problems.append(f"party {party!r} (holder of {role}) no longer exists")
    for measure in state.facts.measures:
        if measure.measure not in policy.measures:
            problems.append(f"measure {measure.measure!r} no longer exists")
    if state.facts.dominance is not None and state.facts.dominance not in policy.dominance:
        problems.append(f"dominance {state.facts.dominance!r} no longer exists")
    return problems
