"""The compulsory frame: a measure imposed on a household member, and ended.

A measure is recorded only where the card records measures, for a member of the group
it applies to, by the parties who impose (or end) it. Imposing or ending one is an
event for the chart, whose eventless transitions then choose the sub-state the frame
calls for; the roles that sub-state declares follow from that.
"""

from __future__ import annotations

from regiekaart.errors import InvalidCommand, TransitionNotAllowed
from regiekaart.policy.model import Measure
from regiekaart.runtime._applying import Accepted, Applying
from regiekaart.runtime.chart import END_EVENT, IMPOSE_EVENT
from regiekaart.runtime.commands import EndMeasure, ImposeMeasure
from regiekaart.runtime.guards import Work
from regiekaart.runtime.records import ActiveMeasure, Facts, evolve_facts


def impose(step: Applying, command: ImposeMeasure) -> Accepted:
    """The measure in force for the member, unless it is already."""
    measure = _measure(step, command.measure, command.member)
    step.authorize([(p,) for p in measure.imposed_by], measure.id, measure.source)
    active = ActiveMeasure(measure=command.measure, member=command.member)
    facts = step.state.facts
    if active in facts.measures:
        raise step.refuse(InvalidCommand, "this measure is already in force", measure.id)
    facts = evolve_facts(facts, measures=(*facts.measures, active))
    return _dispatch(step, IMPOSE_EVENT, facts, measure)


def end(step: Applying, command: EndMeasure) -> Accepted:
    """The measure no longer in force for the member, if it was."""
    measure = _measure(step, command.measure, command.member)
    enders = measure.ended_by or measure.imposed_by
    step.authorize([(p,) for p in enders], measure.id, measure.source)
    active = ActiveMeasure(measure=command.measure, member=command.member)
    facts = step.state.facts
    if active not in facts.measures:
        raise step.refuse(InvalidCommand, "this measure is not in force", measure.id)
    rest = tuple(m for m in facts.measures if m != active)
    return _dispatch(step, END_EVENT, evolve_facts(facts, measures=rest), measure)


def _measure(step: Applying, measure_id: str, member_id: str) -> Measure:
    """The measure a command names, refused unless it may be recorded for the member here."""
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
    if not any(s in policy.measures_in for s in state.configuration):
        where = ", ".join(policy.measures_in)
        raise step.refuse(
            TransitionNotAllowed, f"compulsory measures are recorded in {where}", measure.id
        )
    return measure


def _dispatch(step: Applying, event: str, facts: Facts, measure: Measure) -> Accepted:
    work = Work(
        policy=step.policy,
        command=step.command,
        before=step.state,
        facts=facts,
        roles=dict(step.state.roles),
    )
    return step.dispatch(work, event, measure.id, measure.source, measure.tags)
