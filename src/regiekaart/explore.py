"""The situation explorer: every command a policy allows, applied through the real runtime.

A *situation* is what decides what may happen next: the configuration, the role
holders, the facts (measures, dominance, decided facts) and the open obligations.
Commands are enumerated from the policy — every transition with an authorised and an
unauthorised actor, with and without a criterion, every dominance and holder choice,
every measure, decision, appointment and informing — and applied to real
:class:`~regiekaart.case.Case` objects, so the explorer can never drift from the
runtime. Verification and the simulation kernel both stand on this one module.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Hashable, Iterable, Iterator
from typing import Any

import attrs

from .authority import slot_parties
from .commands import (
    Appoint,
    ChangeLevel,
    CloseCase,
    Command,
    Deescalate,
    EndMeasure,
    Escalate,
    ImposeMeasure,
    Inform,
    Member,
    RecordDecision,
)
from .errors import CommandRefused
from .policy import Policy, TransitionRule
from .records import CaseState, Event
from .roles import target_configuration

SituationKey = Hashable


def situation_key(state: CaseState, *, obligations: bool = True) -> SituationKey:
    """A hashable identity of everything in ``state`` that decides what may happen next."""
    duties: tuple[tuple[str, str, tuple[str, ...]], ...] = ()
    if obligations:
        duties = tuple(sorted((o.obligation, o.recipient, o.due_by) for o in state.obligations))
    return (
        state.configuration,
        tuple(sorted(state.roles.items())),
        state.facts,
        duties,
    )


def default_household(policy: Policy) -> tuple[Member, ...]:
    """One member of every group the policy knows: enough to try every measure."""
    return tuple(Member(id=f"{group}-1", group=group) for group in policy.member_groups)


def _fill(group: tuple[str, ...], roles: Any) -> tuple[str, tuple[str, ...]] | None:
    """An actor and co-deciders filling every slot of ``group`` with distinct parties."""
    chosen: list[str] = []
    for slot in group:
        options = sorted(slot_parties(slot, roles) - set(chosen))
        if not options:
            return None
        chosen.append(options[0])
    return chosen[0], tuple(chosen[1:])


def authorised_parties(groups: Iterable[tuple[str, ...]], roles: Any) -> list[tuple[str, tuple[str, ...]]]:
    """One (actor, together) per decider alternative that can be filled now."""
    out = []
    for group in groups:
        filled = _fill(group, roles)
        if filled is not None and filled not in out:
            out.append(filled)
    return out


def outsider(policy: Policy, groups: Iterable[tuple[str, ...]], roles: Any) -> str:
    """A party that fills no slot of any alternative: to try an unauthorised command."""
    inside: set[str] = set()
    for group in groups:
        for slot in group:
            inside |= slot_parties(slot, roles)
    for party in policy.parties:
        if party not in inside:
            return party
    return next(iter(policy.parties))


def _holder_variants(policy: Policy, rule: TransitionRule, state: CaseState) -> list[dict[str, tuple[str, ...]]]:
    """No choice, plus one variant per (role, eligible party) the target could take."""
    variants: list[dict[str, tuple[str, ...]]] = [{}]
    if rule.target_state is None:
        target = frozenset(state.configuration)
        roles_here = list(rule.assign)
    else:
        target = target_configuration(policy, rule.target_state, state.facts)
        roles_here = list(policy.roles)
    for role in roles_here:
        cell = policy.role_cell(target, role)
        if cell is None or cell.from_measures or cell.from_dominance or not cell.eligible:
            continue
        for party in sorted(cell.eligible_set):
            if (party,) != cell.holders:
                variants.append({role: (party,)})
    return variants


def transition_commands(
    policy: Policy,
    rule: TransitionRule,
    state: CaseState,
    *,
    refusals: bool = True,
    variants: bool = True,
) -> Iterator[Command]:
    """Commands that try ``rule``: authorised with each option, and (if asked) refused ones."""
    authorised = authorised_parties(rule.deciders, state.roles)
    criteria: tuple[str, ...] = ()
    if rule.criteria_mode == "any":
        criteria = rule.criteria[:1]
    elif rule.criteria_mode == "all":
        criteria = rule.criteria
    dominances: list[str | None] = [None]
    if rule.target_state is not None and any(
        s.id in policy.dominance_in for s in policy.ancestors(rule.target_state)
    ):
        dominances = [*policy.dominance, None]
    for actor, together in authorised[:1] or [(outsider(policy, rule.deciders, state.roles), ())]:
        for dominance in dominances:
            for holders in _holder_variants(policy, rule, state) if variants else [{}]:
                yield _make(rule, actor, together, criteria, holders, dominance)
    if refusals:
        stranger = outsider(policy, rule.deciders, state.roles)
        yield _make(rule, stranger, (), criteria, {}, None)
        if rule.criteria_mode != "none" and authorised:
            actor, together = authorised[0]
            yield _make(rule, actor, together, (), {}, None)


def _make(
    rule: TransitionRule,
    actor: str,
    together: tuple[str, ...],
    criteria: tuple[str, ...],
    holders: dict[str, tuple[str, ...]],
    dominance: str | None,
) -> Command:
    common: dict[str, Any] = {"actor": actor, "together": together, "criteria": criteria, "holders": holders}
    if rule.kind == "escalate":
        assert rule.target_state is not None
        return Escalate(to=rule.target_state, dominance=dominance, **common)
    if rule.kind == "deescalate":
        assert rule.target_state is not None
        return Deescalate(to=rule.target_state, dominance=dominance, **common)
    if rule.kind == "change":
        assert rule.direction is not None
        return ChangeLevel(direction=rule.direction, **common)
    return CloseCase(**common)


def enumerate_commands(
    policy: Policy, state: CaseState, *, refusals: bool = True, variants: bool = True
) -> list[Command]:
    """Every command worth trying in ``state``: the transitions of the card, measures,
    decisions, appointments and informing, with refused variants when ``refusals``."""
    active = set(state.configuration)
    out: list[Command] = []
    for rule in policy.transitions.values():
        if rule.source_state in active:
            out.extend(
                transition_commands(policy, rule, state, refusals=refusals, variants=variants)
            )
    in_force = set(state.facts.measures)
    for measure in policy.measures.values():
        for member in state.members:
            if member.group != measure.group:
                continue
            if any(m.measure == measure.id and m.member == member.id for m in in_force):
                enders = measure.ended_by or measure.imposed_by
                out.append(EndMeasure(actor=enders[0], measure=measure.id, member=member.id))
            elif any(s in policy.measures_in for s in active):
                out.append(ImposeMeasure(actor=measure.imposed_by[0], measure=measure.id, member=member.id))
    for decision in policy.decisions.values():
        if not active & set(decision.in_states):
            continue
        for actor, together in authorised_parties(decision.by, state.roles)[:1]:
            out.append(RecordDecision(actor=actor, together=together, decision=decision.id))
        if refusals:
            out.append(RecordDecision(actor=outsider(policy, decision.by, state.roles), decision=decision.id))
    frozen_active = frozenset(active)
    for role in policy.roles:
        cell = policy.role_cell(frozen_active, role)
        if cell is None or not cell.appoint or not variants:
            continue
        for actor, together in authorised_parties(cell.appoint, state.roles)[:1]:
            for party in sorted(cell.eligible_set):
                if (party,) != state.roles.get(role):
                    out.append(Appoint(actor=actor, together=together, role=role, holders={role: (party,)}))
    for duty in state.obligations:
        actor = duty.due_by[0] if duty.due_by else duty.recipient
        out.append(Inform(actor=actor, recipient=duty.recipient, about=duty.obligation))
    return out


@attrs.define
class Step:
    """How a situation was first reached: from which one, by which command."""

    parent: SituationKey | None
    command: Command | None
    depth: int


@attrs.define
class Outcome:
    """What one command did in one situation."""

    command: Command
    event: Event | None = None
    refusal: CommandRefused | None = None
    target: SituationKey | None = None


def try_command(case: Any, command: Command) -> Outcome:
    """Apply ``command`` to ``case``; the outcome says accepted (with the event) or refused."""
    try:
        event = case.apply(command)
    except CommandRefused as refusal:
        return Outcome(command=command, refusal=refusal)
    return Outcome(command=command, event=event, target=situation_key(case.state))


def case_at(policy: Policy, state: CaseState, events: tuple[Event, ...] = ()) -> Any:
    """A live case in ``state`` (with ``events`` as its log) to try commands on."""
    from .case import Case
    from .chart import compile_policy
    from .clock import StepClock

    return Case(compile_policy(policy), "explore", StepClock(), state, list(events))


_REACH_CACHE: dict[tuple[str, str, bool], dict[SituationKey, bool]] = {}


def can_reach(
    policy: Policy, start: CaseState, target: str, *, max_states: int = 20_000
) -> bool:
    """Whether some sequence of accepted commands leads from ``start`` to a configuration
    containing ``target``. Tries the policy's default holders first, then every holder
    choice; results are remembered per policy digest."""
    return _reach(policy, start, target, max_states, variants=False) or _reach(
        policy, start, target, max_states, variants=True
    )


def _reach(
    policy: Policy, start: CaseState, target: str, max_states: int, *, variants: bool
) -> bool:
    memo = _REACH_CACHE.setdefault((policy.digest, target, variants), {})
    first = situation_key(start, obligations=False)
    if first in memo:
        return memo[first]
    parents: dict[SituationKey, SituationKey | None] = {first: None}
    queue: deque[tuple[SituationKey, CaseState]] = deque([(first, start)])
    found: SituationKey | None = None
    while queue and len(parents) <= max_states:
        key, state = queue.popleft()
        if target in state.configuration or memo.get(key):
            found = key
            break
        case = case_at(policy, state)
        for command in enumerate_commands(policy, state, refusals=False, variants=variants):
            outcome = try_command(case, command)
            if outcome.event is None:
                continue
            new_state = case.state
            new_key = situation_key(new_state, obligations=False)
            if new_key not in parents:
                parents[new_key] = key
                queue.append((new_key, new_state))
            case = case_at(policy, state)
    if found is None:
        if not queue:
            for key in parents:
                memo[key] = False
        return False
    node: SituationKey | None = found
    while node is not None:
        memo[node] = True
        node = parents[node]
    return True


def bfs(
    policy: Policy,
    start: Any,
    *,
    visit: Callable[[SituationKey, Any, Step], None] | None = None,
    edge: Callable[[SituationKey, Outcome, Any], None] | None = None,
    refusals: bool = True,
    max_states: int = 100_000,
) -> dict[SituationKey, Step]:
    """Breadth-first over every situation reachable from the case ``start``.

    ``visit(key, case, step)`` is called once per new situation, with a live case whose
    log is the shortest path to it; ``edge(key, outcome, case)`` once per command tried.
    Stops (without error) after ``max_states`` situations; compare the result's size.
    """
    first = situation_key(start.state)
    steps: dict[SituationKey, Step] = {first: Step(parent=None, command=None, depth=0)}
    queue: deque[tuple[SituationKey, CaseState, tuple[Event, ...]]] = deque(
        [(first, start.state, start.events)]
    )
    if visit is not None:
        visit(first, start, steps[first])
    while queue:
        key, state, events = queue.popleft()
        case = case_at(policy, state, events)
        for command in enumerate_commands(policy, state, refusals=refusals):
            outcome = try_command(case, command)
            if edge is not None:
                edge(key, outcome, case)
            if outcome.event is None:
                continue
            target = outcome.target
            if target not in steps and len(steps) < max_states:
                step = Step(parent=key, command=command, depth=steps[key].depth + 1)
                steps[target] = step
                queue.append((target, case.state, case.events))
                if visit is not None:
                    visit(target, case, step)
            case = case_at(policy, state, events)
    return steps
