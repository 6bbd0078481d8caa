"""The compulsory frame: a measure imposed on a household member, ended, expired, extended.

A measure is imposed and ended only where the card records measures, for a member of
the group it applies to, by the parties who impose (or end) it. Imposing or ending one
is an event for the chart, whose eventless transitions then choose the sub-state the
frame calls for; the roles that sub-state declares follow from that. A measure the card
gives a term records when it ends; from then on it may be recorded as expired, which
ends it like any ending, and before then extended as far as the card allows.
"""

from __future__ import annotations

from datetime import datetime

import attrs

from regiekaart.errors import (
    ExtensionNotAllowed,
    InvalidCommand,
    NotExpired,
    TransitionNotAllowed,
)
from regiekaart.policy.durations import compare, parse_duration
from regiekaart.policy.model import Extension, Measure
from regiekaart.runtime._applying import Accepted, Applying
from regiekaart.runtime.chart import END_EVENT, IMPOSE_EVENT
from regiekaart.runtime.commands import EndMeasure, ExpireMeasure, ExtendMeasure, ImposeMeasure
from regiekaart.runtime.deadlines import end_of
from regiekaart.runtime.guards import Work
from regiekaart.runtime.records import ActiveMeasure, Facts, evolve_facts

MeasureCommand = ImposeMeasure | EndMeasure | ExpireMeasure | ExtendMeasure


def apply_measure(step: Applying, command: MeasureCommand) -> Accepted:
    """The handler of a command about a measure."""
    match command:
        case ImposeMeasure():
            return impose(step, command)
        case EndMeasure():
            return end(step, command)
        case ExpireMeasure():
            return expire(step, command)
    return extend(step, command)


def impose(step: Applying, command: ImposeMeasure) -> Accepted:
    """The measure in force for the member, unless it is already; with its term, when
    the card gives it one."""
    measure = _measure(step, command.measure, command.member)
    step.authorize([(p,) for p in measure.imposed_by], measure.id, measure.source)
    facts = step.state.facts
    if _in_force(facts, command.measure, command.member) is not None:
        raise step.refuse(InvalidCommand, "this measure is already in force", measure.id)
    active = ActiveMeasure(measure=command.measure, member=command.member)
    if measure.duration is not None:
        at = step.now()
        active = attrs.evolve(active, since=at, until=end_of(measure.duration.max, at))
    facts = evolve_facts(facts, measures=(*facts.measures, active))
    return _dispatch(step, IMPOSE_EVENT, facts, measure)


def end(step: Applying, command: EndMeasure) -> Accepted:
    """The measure no longer in force for the member, if it was."""
    measure = _measure(step, command.measure, command.member)
    enders = measure.ended_by or measure.imposed_by
    step.authorize([(p,) for p in enders], measure.id, measure.source)
    return _ended(step, measure, _active(step, measure, command.member))


def expire(step: Applying, command: ExpireMeasure) -> Accepted:
    """The measure ended because its term is over: refused while it lasts. Wherever
    the case is, since a term runs out whether or not the case is in a phase that
    records measures."""
    measure = _known(step, command.measure, command.member)
    active = _active(step, measure, command.member)
    source = _time_source(measure)
    if active.until is None:
        raise step.refuse(
            NotExpired,
            f"{measure.title} was imposed without a term, so it does not expire; "
            "end it with end_measure",
            measure.id,
            source,
        )
    at = step.now()
    if at < active.until:
        raise NotExpired(
            f"{measure.title} lasts until {active.until.isoformat()}; at {at.isoformat()} "
            "it has not expired",
            until=active.until,
            command=step.command,
            rule=measure.id,
            source=source,
            configuration=step.state.configuration,
        )
    return _ended(step, measure, active, source)


def extend(step: Applying, command: ExtendMeasure) -> Accepted:
    """The measure's term moved on, by those the card names, before it is over, within
    what the card allows at a time and in all."""
    measure = _known(step, command.measure, command.member)
    limit = measure.duration
    source = _time_source(measure)
    if limit is None or limit.extend is None:
        raise _no_extension(step, measure, source, f"the card gives {measure.title} no extension")
    rules = limit.extend
    step.authorize([(p,) for p in rules.by_parties or measure.imposed_by], measure.id, source)
    active = _active(step, measure, command.member)
    if active.since is None or active.until is None:
        raise _no_extension(
            step, measure, source, f"{measure.title} was imposed without a term to extend"
        )
    at = step.now()
    if at >= active.until:
        raise _no_extension(
            step,
            measure,
            source,
            f"{measure.title} ended at {active.until.isoformat()}; a term that is over "
            "cannot be extended (impose it anew)",
            until=active.until,
        )
    until = _extended(step, measure, rules, active, command.by)
    facts = step.state.facts
    moved = attrs.evolve(active, until=until)
    measures = tuple(moved if m is active else m for m in facts.measures)
    return step.record(
        measure.id, source, facts=evolve_facts(facts, measures=measures), tags=measure.tags
    )


def _extended(
    step: Applying, measure: Measure, rules: Extension, active: ActiveMeasure, asked: str
) -> datetime:
    """The new end of ``active``'s term, extended by ``asked`` (or what the card allows
    at a time); refused beyond what the card allows."""
    assert active.since is not None
    assert active.until is not None
    source = _time_source(measure)
    cap = end_of(rules.up_to, active.since) if rules.up_to is not None else None
    if asked:
        amount = parse_duration(asked)
        if rules.by is not None and compare(amount, rules.by) not in ("shorter", "equal"):
            raise _no_extension(
                step,
                measure,
                source,
                f"{measure.title} is extended by at most {rules.by} at a time",
            )
        until = end_of(amount, active.until)
    elif rules.by is not None:
        until = end_of(rules.by, active.until)
        until = min(until, cap) if cap is not None else until
    else:
        assert cap is not None, "a card's extension names by, up_to or both"
        until = cap
    if cap is not None and until > cap:
        raise _no_extension(
            step,
            measure,
            source,
            f"{measure.title} would last until {until.isoformat()}, past "
            f"{cap.isoformat()}: at most {rules.up_to} from its imposition",
            until=active.until,
            limit=cap,
        )
    if until <= active.until:
        raise _no_extension(
            step,
            measure,
            source,
            f"{measure.title} is extended as far as the card allows already",
            until=active.until,
            limit=cap,
        )
    return until


def _no_extension(
    step: Applying,
    measure: Measure,
    source: str,
    message: str,
    *,
    until: datetime | None = None,
    limit: datetime | None = None,
) -> ExtensionNotAllowed:
    return ExtensionNotAllowed(
        message,
        until=until,
        limit=limit,
        command=step.command,
        rule=measure.id,
        source=source,
        configuration=step.state.configuration,
    )


def _time_source(measure: Measure) -> str:
    """Where the term comes from: the duration's own source, or the measure's."""
    limit = measure.duration
    return (limit.source if limit is not None else "") or measure.source


def _in_force(facts: Facts, measure_id: str, member_id: str) -> ActiveMeasure | None:
    return next((m for m in facts.measures if m.same(measure_id, member_id)), None)


def _active(step: Applying, measure: Measure, member_id: str) -> ActiveMeasure:
    """The measure in force for the member, refused if it is not."""
    active = _in_force(step.state.facts, measure.id, member_id)
    if active is None:
        raise step.refuse(InvalidCommand, "this measure is not in force", measure.id)
    return active


def _ended(step: Applying, measure: Measure, active: ActiveMeasure, source: str = "") -> Accepted:
    """The case without ``active``: the frame re-chosen where the card records measures,
    the facts alone elsewhere (only an expiry ends a measure there)."""
    facts = step.state.facts
    rest = evolve_facts(facts, measures=tuple(m for m in facts.measures if m is not active))
    if any(s in step.policy.measures_in for s in step.state.configuration):
        return _dispatch(step, END_EVENT, rest, measure, source)
    return step.record(measure.id, source or measure.source, facts=rest, tags=measure.tags)


def _measure(step: Applying, measure_id: str, member_id: str) -> Measure:
    """The measure a command names, refused unless it may be recorded for the member here."""
    measure = _known(step, measure_id, member_id)
    policy, state = step.policy, step.state
    if not any(s in policy.measures_in for s in state.configuration):
        where = ", ".join(policy.measures_in)
        raise step.refuse(
            TransitionNotAllowed, f"compulsory measures are recorded in {where}", measure.id
        )
    return measure


def _known(step: Applying, measure_id: str, member_id: str) -> Measure:
    """The measure a command names, refused unless it applies to the member's group."""
    policy, state = step.policy, step.state
    measure = policy.measures.get(measure_id)
    if measure is None:
        known = ", ".join(policy.measures)
        raise step.refuse(InvalidCommand, f"unknown measure {measure_id!r} (known: {known})")
    member = next((m for m in state.members if m.id == member_id), None)
    if member is None:
        raise step.refuse(InvalidCommand, f"no household member {member_id!r}")
    if member.group != measure.group:
        raise step.refuse(
            InvalidCommand,
            f"{measure.title} applies to {measure.group}, the member is {member.group}",
            measure.id,
            measure.source,
        )
    return measure


def _dispatch(
    step: Applying, event: str, facts: Facts, measure: Measure, source: str = ""
) -> Accepted:
    work = Work(
        policy=step.policy,
        command=step.command,
        before=step.state,
        facts=facts,
        roles=dict(step.state.roles),
    )
    return step.dispatch(work, event, measure.id, source or measure.source, measure.tags)
