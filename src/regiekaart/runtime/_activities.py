"""The steps that move no state: activities, informing, decisions and appointments.

An activity (a signal, an advice, a melding) is recorded where the card lists it, by
the parties it names; informing fulfils the open duties to its recipient; a decision
may set a fact of its phase and oblige informing; an appointment chooses holders
among those the role's cell makes eligible. None of them sends the chart an event.
"""

from __future__ import annotations

from regiekaart.errors import (
    HolderRequired,
    IneligibleHolder,
    InvalidCommand,
    NotAuthorized,
    TransitionNotAllowed,
)
from regiekaart.policy.model import Activity, Policy
from regiekaart.runtime import roles
from regiekaart.runtime._applying import Accepted, Applying
from regiekaart.runtime.commands import (
    Appoint,
    Command,
    Inform,
    Melding,
    RecordAdvice,
    RecordDecision,
    Signal,
)
from regiekaart.runtime.records import Informed, evolve_facts


def activity_party(command: Command) -> str | None:
    """The party an activity is addressed to, if the command names one."""
    if isinstance(command, RecordAdvice):
        return command.adviser
    if isinstance(command, Melding):
        return command.to
    return None


def record_activity(step: Applying, command: Signal | RecordAdvice | Melding) -> Accepted:
    """The activity recorded; a melding informs the party it is made to."""
    activity = find_activity(step)
    party = activity_party(command)
    if activity.to and party is not None and party not in activity.to:
        allowed = ", ".join(activity.to)
        raise step.refuse(
            InvalidCommand, f"{party} is not one of {allowed}", activity.id, activity.source
        )
    informed: tuple[Informed, ...] = ()
    if isinstance(command, Melding):
        recipient = command.to or (activity.to[0] if activity.to else "")
        if recipient:
            informed = (Informed(recipient=recipient, by=(command.actor,), about=activity.id),)
    return step.record(activity.id, activity.source, informed=informed, tags=activity.tags)


def find_activity(step: Applying) -> Activity:
    """The card's activity the command records here, refused if there is none it may."""
    policy, command = step.policy, step.command
    active = set(step.state.configuration)
    wanted = getattr(command, "activity", None)
    options = [
        a
        for a in policy.activities.values()
        if a.command == command.type and (wanted is None or a.id == wanted)
    ]
    if not options:
        raise step.refuse(InvalidCommand, f"the policy knows no {wanted or command.type}")
    here = [a for a in options if active & set(a.in_states)]
    if not here:
        where = ", ".join(sorted({s for a in options for s in a.in_states}))
        first = options[0]
        raise step.refuse(
            TransitionNotAllowed,
            f"{command.type} is recorded only in {where}; the case is in "
            f"{', '.join(step.state.configuration)}",
            first.id,
            first.source if len(options) == 1 else "",
        )
    for activity in here:
        if _may_act(policy, activity, command.actor):
            return activity
    activity = here[0]
    who = ", ".join((*activity.by, *activity.by_kinds))
    raise step.refuse(
        NotAuthorized,
        f"{command.actor} may not; done by: {who}",
        activity.id,
        activity.source,
    )


def inform(step: Applying, command: Inform) -> Accepted:
    """The recipient informed: the open duties to it that the parties owe are fulfilled."""
    fulfilled = []
    remaining = []
    for duty in step.state.obligations:
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
    return step.record(
        "inform",
        "",
        informed=informed,
        fulfilled=tuple(fulfilled),
        obligations=tuple(remaining),
    )


def decide(step: Applying, command: RecordDecision) -> Accepted:
    """The decision taken: the fact it sets (for its phase) and the informing it obliges."""
    policy = step.policy
    decision = policy.decisions.get(command.decision)
    if decision is None:
        known = ", ".join(policy.decisions)
        raise step.refuse(InvalidCommand, f"unknown decision {command.decision!r} (known: {known})")
    here = [s for s in step.state.configuration if s in decision.in_states]
    if not here:
        raise step.refuse(
            TransitionNotAllowed,
            f"{decision.title} is taken only in {', '.join(decision.in_states)}; the case is "
            f"in {', '.join(step.state.configuration)}",
            decision.id,
            decision.source,
        )
    step.authorize(decision.by, decision.id, decision.source)
    facts = step.state.facts
    if decision.sets and not facts.has(decision.sets):
        phase = policy.phase_of(here[0]).id
        facts = evolve_facts(facts, flags=(*facts.flags, (decision.sets, phase)))
    informed = tuple(
        Informed(recipient=r, by=command.parties, obligation=decision.id) for r in decision.inform
    )
    return step.record(
        decision.id, decision.source, informed=informed, facts=facts, tags=decision.tags
    )


def appoint(step: Applying, command: Appoint) -> Accepted:
    """The role's holders chosen, among those its cell here makes eligible."""
    policy, state = step.policy, step.state
    active = frozenset(state.configuration)
    cell = policy.role_cell(active, command.role)
    if cell is None:
        raise step.refuse(
            TransitionNotAllowed,
            f"{command.role} is not held in {', '.join(state.configuration)}",
        )
    rule = f"appoint:{command.role}"
    if not cell.appoint:
        raise step.refuse(NotAuthorized, f"no one appoints {command.role} here", rule, cell.source)
    step.authorize(cell.appoint, rule, cell.source)
    chosen = command.holders.get(command.role, ())
    if not chosen:
        raise step.refuse(HolderRequired, f"name the holders of {command.role}", rule, cell.source)
    if not cell.eligible and tuple(chosen) != cell.holders:
        raise step.refuse(
            IneligibleHolder,
            f"the card fixes the holders of {command.role} here",
            rule,
            cell.source,
        )
    wrong = [p for p in chosen if p not in cell.eligible_set]
    if wrong:
        eligible = ", ".join(sorted(cell.eligible_set))
        raise step.refuse(
            IneligibleHolder,
            f"{', '.join(wrong)} may not hold {command.role} here (eligible: {eligible})",
            rule,
            cell.source,
        )
    new_roles = dict(state.roles)
    new_roles[command.role] = chosen
    return step.record(rule, cell.source, roles=roles.settle(policy, new_roles, active))


def _may_act(policy: Policy, activity: Activity, actor: str) -> bool:
    if not activity.by and not activity.by_kinds:
        return True
    return actor in activity.by or policy.party_kind(actor) in activity.by_kinds
