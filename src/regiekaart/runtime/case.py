"""The case runtime a host system embeds.

A :class:`Case` holds one household's configuration, facts, role holders and an
append-only log of accepted events. :meth:`Case.apply` takes a command and either
applies all of it (authorised, guarded, transitioned, roles handed over warmly,
obligations recorded, logged) or refuses it with a typed error naming the rule, leaving
the case exactly as it was. Every command, accepted or refused, is one structlog event
carrying the case id and no personal data.

The machinery lives in private modules of this package, one concept each: opening a
case, the ids a command names, the transitions of the card, the compulsory frame, the
steps that move no state, the recording of an accepted step, its log line, and the
checks that a replayed log gave itself back.

May import: ``regiekaart.policy`` and the foundation (besides this package).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from statemachine import StateChart

from regiekaart.clock import Clock, system_clock
from regiekaart.errors import CaseClosed, CommandRefused, InvalidCommand, SnapshotMismatch
from regiekaart.ids import check_id
from regiekaart.policy.model import Policy
from regiekaart.runtime._activities import (
    activity_party,
    appoint,
    decide,
    inform,
    record_activity,
)
from regiekaart.runtime._applying import Accepted, Applying
from regiekaart.runtime._command_log import is_replaying, log_accepted, log_refused, replaying
from regiekaart.runtime._measures import apply_measure
from regiekaart.runtime._opening import open_case
from regiekaart.runtime._references import check_references
from regiekaart.runtime._replay import check_replayed, opening_of
from regiekaart.runtime._transition import change, close, escalate
from regiekaart.runtime.chart import ChartModel, CompiledPolicy, compile_policy
from regiekaart.runtime.commands import (
    Appoint,
    ChangeLevel,
    CloseCase,
    Command,
    Deescalate,
    EndMeasure,
    Escalate,
    ExpireMeasure,
    ExtendMeasure,
    ImposeMeasure,
    Inform,
    Melding,
    Member,
    OpenCase,
    RecordAdvice,
    RecordDecision,
    Signal,
)
from regiekaart.runtime.deadlines import Due, due
from regiekaart.runtime.records import CaseState, Event, Facts, OpenObligation, evolve_facts
from regiekaart.runtime.snapshot import (
    SNAPSHOT_FORMAT,
    PolicyRef,
    Snapshot,
    fit_problems,
    problems,
)

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
        model, chart, opened = open_case(compiled, command, clock)
        case = cls(compiled, case_id, clock, opened.state, [opened.event], started=(model, chart))
        if not is_replaying():
            log_accepted(case_id, command, "open", 1, case.configuration)
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
        check_replayed(value, case._events, case._state)
        case._events = list(value.log)  # the same events, with the tags they were given
        return case

    @classmethod
    def replay(cls, policy: Policy, case_id: str, events: Sequence[Event]) -> Case:
        """Rebuild a case from its events alone, at the times they were recorded.

        Each event's command is applied again, without a log event of its own (it was
        logged when it was decided); one the policy refuses now is a
        :class:`~regiekaart.errors.SnapshotMismatch` naming the event.
        """
        first = opening_of(case_id, events)
        times = iter([e.at for e in events])
        clock: Clock = lambda: next(times)  # noqa: E731
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

    def due(self, at: datetime, *, within: timedelta = timedelta(0)) -> tuple[Due, ...]:
        """What is due or overdue at ``at``, or by ``at + within`` (none once closed)."""
        found = due(self._state, at, within=within)  # a time without a zone is refused even so
        return () if self.closed else found

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
        if is_replaying():
            return self._apply(command)
        try:
            event = self._apply(command)
        except CommandRefused as refusal:
            log_refused(self.case_id, command, refusal, self._state.configuration)
            raise
        log_accepted(self.case_id, command, event.rule, event.seq, event.after, event.tags)
        return event

    def _apply(self, command: Command) -> Event:
        if self.closed:
            raise CaseClosed(
                "the case is closed and accepts no commands",
                command=command,
                configuration=self._state.configuration,
            )
        check_references(self._policy, command, self._state.configuration)
        step = Applying(
            compiled=self._compiled,
            chart=self._chart,
            model=self._model,
            state=self._state,
            command=command,
            clock=self._clock,
            last_at=self._last_at,
        )
        accepted = self._handle(step, command)
        self._state = accepted.state
        self._events.append(accepted.event)
        self._known[accepted.state.seq] = accepted.state
        self._last_at = accepted.event.at
        return accepted.event

    def _handle(self, step: Applying, command: Command) -> Accepted:
        """The handler of the command's type; opening is not a command for an open case."""
        match command:
            case Escalate() | Deescalate():
                return escalate(step, command)
            case ChangeLevel():
                return change(step, command)
            case CloseCase():
                return close(step, command)
            case ImposeMeasure() | EndMeasure() | ExpireMeasure() | ExtendMeasure():
                return apply_measure(step, command)
            case Signal() | RecordAdvice() | Melding():
                return record_activity(step, command)
            case Inform():
                return inform(step, command)
            case RecordDecision():
                return decide(step, command)
            case Appoint():
                return appoint(step, command)
        raise InvalidCommand(
            f"{command.type} cannot be applied to an open case",
            command=command,
            configuration=self._state.configuration,
        )
