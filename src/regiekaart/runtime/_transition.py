"""The transitions of the card: escalate, de-escalate, change within a phase, close.

A command names a kind of move (and a target or a direction); the rules of that kind
that leave an active state are its candidates, the deepest source first. The first
candidate the guards and the chart admit is taken; if none is, the refusal of the first
is the one reported, and a move no rule allows names the prohibition that forbids it or
lists what is allowed here.
"""

from __future__ import annotations

from regiekaart.errors import CommandRefused, InvalidCommand, TransitionNotAllowed
from regiekaart.policy.model import TransitionRule
from regiekaart.runtime import roles
from regiekaart.runtime._applying import Accepted, Applying
from regiekaart.runtime.commands import ChangeLevel, CloseCase, Deescalate, Escalate
from regiekaart.runtime.guards import Work, first_refusal
from regiekaart.runtime.records import evolve_facts


def escalate(step: Applying, command: Escalate | Deescalate) -> Accepted:
    """Op- or afschalen to the phase (or sub-state) the command names."""
    return _transition(step, command.type, to=command.to, dominance=command.dominance)


def change(step: Applying, command: ChangeLevel) -> Accepted:
    """Op- or afschalen within the phase, in the command's direction."""
    return _transition(step, "change", direction=command.direction)


def close(step: Applying, command: CloseCase) -> Accepted:
    """Close the case by a closing rule of the card."""
    return _transition(step, "close")


def _transition(
    step: Applying,
    kind: str,
    *,
    to: str | None = None,
    direction: str | None = None,
    dominance: str | None = None,
) -> Accepted:
    policy, state = step.policy, step.state
    candidates = _candidates(step, kind, to, direction)
    if not candidates:
        raise _not_allowed(step, kind, to, direction)
    facts = state.facts
    if dominance is not None:
        facts = evolve_facts(facts, dominance=dominance)
    refusal: CommandRefused | None = None
    for rule in candidates:
        if dominance is not None and not _dominance_applies(step, rule):
            raise InvalidCommand(
                f"dominance applies only in {', '.join(policy.dominance_in)}",
                command=step.command,
                rule=rule.id,
                source=rule.source,
                configuration=state.configuration,
            )
        work = Work(
            policy=policy,
            command=step.command,
            before=state,
            facts=facts,
            rule=rule,
            chosen=dict(step.command.holders),
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
                event = step.compiled.event_of[rule.id]
                return step.dispatch(work, event, rule.id, rule.source, rule.tags)
            except CommandRefused as chart_refused:
                refused = chart_refused
        refusal = refusal or refused
    assert refusal is not None
    raise refusal


def _dominance_applies(step: Applying, rule: TransitionRule) -> bool:
    target = rule.target_state or rule.source_state
    return any(s.id in step.policy.dominance_in for s in step.policy.ancestors(target))


def _candidates(
    step: Applying, kind: str, to: str | None, direction: str | None
) -> list[TransitionRule]:
    policy = step.policy
    active = set(step.state.configuration)
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
    step: Applying, kind: str, to: str | None, direction: str | None
) -> CommandRefused:
    policy, configuration = step.policy, step.state.configuration
    active = set(configuration)
    for prohibition in policy.prohibitions.values():
        if prohibition.kind == kind and prohibition.source_state in active:
            return TransitionNotAllowed(
                prohibition.title,
                command=step.command,
                rule=prohibition.id,
                source=prohibition.source,
                configuration=configuration,
            )
    allowed = [
        f"{r.kind} → {r.target_state or r.direction} ({r.id})"
        for r in policy.transitions.values()
        if r.source_state in active
    ]
    what = f"{kind} to {to}" if to else (f"{kind} {direction}" if direction else kind)
    here = ", ".join(configuration)
    return TransitionNotAllowed(
        f"no rule allows {what} from {here}; allowed here: {'; '.join(allowed) or 'nothing'}",
        command=step.command,
        configuration=configuration,
    )
