"""The transitions of the card: escalate, de-escalate, change within a phase, close.

A command names a kind of move (and a target or a direction); the rules of that kind
that leave an active state are its candidates, the deepest source first and, among
rules leaving equally deep states, in card order. Every candidate is tried: the first
the guards and the chart admit is taken. If none is, the refusal reported is that of
the candidate that came closest to being taken — the one that passed most of the
guards, in their order (deciders, criteria, preconditions, dominance, holders; a rule
the chart itself refused passed them all; a rule for which the named dominance does
not apply passed none), the earlier candidate on a tie — and it carries every
candidate with its own refusal (``CommandRefused.tried``). Reporting the first
candidate's refusal instead would tell a party "you may not decide this" about one
rule while it decides another rule for the same step. A move no rule allows names the
prohibition that forbids it or lists what is allowed here.
"""

from __future__ import annotations

from regiekaart.errors import CommandRefused, InvalidCommand, InvalidTime, TransitionNotAllowed
from regiekaart.policy.model import TransitionRule
from regiekaart.runtime import roles
from regiekaart.runtime._applying import Accepted, Applying
from regiekaart.runtime.commands import ChangeLevel, CloseCase, Deescalate, Escalate
from regiekaart.runtime.guards import Work, first_refusal, passed
from regiekaart.runtime.records import Facts, evolve_facts


def escalate(step: Applying, command: Escalate | Deescalate) -> Accepted:
    """Op- or afschalen to the phase (or sub-state) the command names."""
    return _transition(step, command.type, to=command.to, dominance=command.dominance)


def change(step: Applying, command: ChangeLevel) -> Accepted:
    """Op- or afschalen within the phase, in the command's direction."""
    return _transition(step, "change", direction=command.direction)


def close(step: Applying, command: CloseCase) -> Accepted:
    """Close the case by a closing rule of the card."""
    return _transition(step, "close")


_Tried = tuple[str, CommandRefused, int]
"""A candidate rule, its refusal, and how many guards it passed."""


def _transition(
    step: Applying,
    kind: str,
    *,
    to: str | None = None,
    direction: str | None = None,
    dominance: str | None = None,
) -> Accepted:
    candidates = _candidates(step, kind, to, direction)
    if not candidates:
        raise _not_allowed(step, kind, to, direction)
    facts = step.state.facts
    if dominance is not None:
        facts = evolve_facts(facts, dominance=dominance)
    tried: list[_Tried] = []
    for rule in candidates:
        if dominance is not None and not _dominance_applies(step, rule):
            tried.append((rule.id, _dominance_refusal(step, rule), -1))
            continue
        work = _work(step, rule, facts)
        # The guards are the chart's condition on this transition: a command they
        # refuse would be refused by the chart too, so it is refused here without a
        # dispatch and a rollback. What they admit, the chart decides.
        refused = first_refusal(rule, work)
        if refused is None:
            try:
                event = step.compiled.event_of[rule.id]
                return step.dispatch(work, event, rule.id, rule.source, rule.tags)
            except InvalidTime:
                raise
            except CommandRefused as chart_refused:
                refused = chart_refused
        tried.append((rule.id, refused, passed(rule, work)))
    raise _closest(tried)


def _work(step: Applying, rule: TransitionRule, facts: Facts) -> Work:
    """The work of trying ``rule``: what its guards read and its actions write."""
    policy, state = step.policy, step.state
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
    return work


def _dominance_refusal(step: Applying, rule: TransitionRule) -> CommandRefused:
    return step.refuse(
        InvalidCommand,
        f"dominance applies only in {', '.join(step.policy.dominance_in)}",
        rule.id,
        rule.source,
    )


def _closest(tried: list[_Tried]) -> CommandRefused:
    """The refusal of the candidate that passed most guards (the earlier on a tie), in
    words that also say why each other candidate refused."""
    best = max(range(len(tried)), key=lambda i: (tried[i][2], -i))
    refusal = tried[best][1]
    message = refusal.message + "".join(
        f" [also tried {rule}: {other.message}]"
        for i, (rule, other, _) in enumerate(tried)
        if i != best
    )
    return refusal.among(tuple((rule, other) for rule, other, _ in tried), message)


def _dominance_applies(step: Applying, rule: TransitionRule) -> bool:
    target = rule.target_state or rule.source_state
    return any(s.id in step.policy.dominance_in for s in step.policy.ancestors(target))


def _candidates(
    step: Applying, kind: str, to: str | None, direction: str | None
) -> tuple[TransitionRule, ...]:
    """The rules a move may take, in the order they are tried: read from the card and
    the configuration alone, so remembered per card (a command names its target, so the
    table is bounded like the guards' criteria)."""
    table = step.policy.memo("transition.candidates")
    key = (kind, step.state.configuration, to, direction)
    found: tuple[TransitionRule, ...] | None = table.get(key)
    if found is None:
        found = tuple(_find_candidates(step, kind, to, direction))
        if len(table) < _CANDIDATES_MEMO:
            table[key] = found
    return found


_CANDIDATES_MEMO = 4096
"""At most this many moves are remembered per card."""


def _find_candidates(
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
