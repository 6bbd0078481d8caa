"""The situation explorer: every command a policy allows, applied through the real runtime.

A *situation* is what decides what may happen next: the configuration, the role
holders, the facts (measures, dominance, decided facts) and the open obligations.
Commands are enumerated from the policy — every transition with an authorised and an
unauthorised actor, with and without a criterion, every dominance and holder choice,
every measure, decision, appointment and informing — and applied to real
:class:`~regiekaart.runtime.case.Case` objects, so the explorer can never drift from the
runtime. Verification and the simulation kernel both stand on this one module.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Hashable, Iterable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import attrs

from regiekaart.errors import CommandRefused
from regiekaart.policy.model import Policy, TransitionRule
from regiekaart.runtime.authority import slot_parties
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
    RecordAdvice,
    RecordDecision,
    Signal,
)
from regiekaart.runtime.records import CaseState, Event
from regiekaart.runtime.roles import target_configuration

SituationKey = Hashable


def situation_key(
    state: CaseState,
    *,
    obligations: bool = True,
    facts: frozenset[str] | None = None,
    measure_order: bool = True,
) -> SituationKey:
    """A hashable identity of everything in ``state`` that decides what may happen next.

    ``facts`` restricts the decided facts to those some rule or invariant reads (see
    :func:`relevant_facts`); a fact nothing reads cannot change what may happen next.
    ``measure_order=False`` identifies the same measures imposed in another order (see
    :attr:`Scope.measure_order`).
    """
    duties: tuple[tuple[str, str, tuple[str, ...]], ...] = ()
    if obligations:
        duties = tuple(sorted((o.obligation, o.recipient, o.due_by) for o in state.obligations))
    flags = state.facts.flags
    if facts is not None:
        flags = tuple(flag for flag in flags if flag[0] in facts)
    measures = state.facts.measures
    roles = tuple(sorted(state.roles.items()))
    if not measure_order:
        measures = tuple(sorted(measures, key=lambda m: (m.measure, m.member)))
        roles = tuple((role, tuple(sorted(holders))) for role, holders in roles)
    return (
        state.configuration,
        roles,
        measures,
        state.facts.dominance,
        tuple(sorted(flags)),
        duties,
    )


def relevant_facts(policy: Policy) -> frozenset[str]:
    """Facts some transition requires or some invariant names."""
    out = {fact for rule in policy.transitions.values() for fact in rule.requires}
    for invariant in policy.invariants.values():
        for _, params in invariant.checks:
            fact = params.get("fact")
            if isinstance(fact, str):
                out.add(fact)
    return frozenset(out)


def deciding_roles(policy: Policy) -> frozenset[str]:
    """Roles whose holders some rule reads: decider slots, appointers, obligation triggers."""
    out: set[str] = set()
    groups: list[tuple[str, ...]] = []
    for rule in policy.transitions.values():
        groups.extend(rule.deciders)
    for decision in policy.decisions.values():
        groups.extend(decision.by)
    for state in policy.states.values():
        for cell in state.roles.values():
            groups.extend(cell.appoint)
    for group in groups:
        for slot in group:
            for part in slot.split("|"):
                if part.startswith("role:"):
                    out.add(part[5:])
    for duty in policy.obligations.values():
        out.update(r for r in (duty.by_role, duty.when_role, duty.mutual_role) if r)
    return frozenset(out & set(policy.roles))


def party_classes(policy: Policy) -> dict[str, str]:
    """Each party mapped to the representative of its symmetry class.

    Two parties of the same kind that stand in exactly the same places of the policy
    (the same eligible and holder lists, decider slots, measures, dominance options,
    obligations, activities, decisions and invariant parameters) can be swapped without
    changing any rule, so trying one of them as a holder tells what the other would do.
    """
    places: dict[str, set[str]] = {party: set() for party in policy.parties}
    for where, parties in _places(policy):
        for party in parties:
            for part in party.split("|"):
                if part in places:
                    places[part].add(where)
    representative: dict[tuple[str, frozenset[str]], str] = {}
    return {
        party: representative.setdefault(
            (policy.parties[party].kind, frozenset(places[party])), party
        )
        for party in policy.parties
    }


def _slot_places(prefix: str, groups: Iterable[tuple[str, ...]]) -> Iterator[tuple[str, list[str]]]:
    for gi, group in enumerate(groups):
        for si, slot in enumerate(group):
            yield f"{prefix}.{gi}.{si}", [slot]


def _places(policy: Policy) -> Iterator[tuple[str, Iterable[str]]]:
    """Every place in the policy that names parties, with the parties it names."""
    for sid, state in policy.states.items():
        for role, cell in state.roles.items():
            yield f"{sid}.{role}.holders", cell.holders
            yield f"{sid}.{role}.eligible", cell.eligible
            yield from _slot_places(f"{sid}.{role}.appoint", cell.appoint)
    for rule in policy.transitions.values():
        yield from _slot_places(f"{rule.id}.deciders", rule.deciders)
        for role, holders in rule.assign.items():
            yield f"{rule.id}.assign.{role}", holders
    yield from _rule_places(policy)


def _rule_places(policy: Policy) -> Iterator[tuple[str, Iterable[str]]]:
    """The places outside states and transitions: what changes who holds a role
    (measures, dominance), then what is recorded (:func:`_record_places`), then the
    invariants' parameters (:func:`_invariant_places`)."""
    for m in policy.measures.values():
        yield f"measure.{m.id}.imposed", m.imposed_by
        yield f"measure.{m.id}.ended", m.ended_by
        for role, holders in m.roles.items():
            yield f"measure.{m.id}.{role}", holders
    for option in policy.dominance.values():
        for role, holders in option.roles.items():
            yield f"dominance.{option.id}.{role}", holders
    yield from _record_places(policy)
    yield from _invariant_places(policy)


def _record_places(policy: Policy) -> Iterator[tuple[str, Iterable[str]]]:
    """The parties of what a case records without moving: obligations, activities and
    decisions."""
    for duty in policy.obligations.values():
        yield f"obligation.{duty.id}.inform", duty.inform
        yield f"obligation.{duty.id}.when", duty.when_holders
    for activity in policy.activities.values():
        yield f"activity.{activity.id}.by", activity.by
        yield f"activity.{activity.id}.to", activity.to
    for decision in policy.decisions.values():
        yield from _slot_places(f"decision.{decision.id}", decision.by)
        yield f"decision.{decision.id}.inform", decision.inform


def _invariant_places(policy: Policy) -> Iterator[tuple[str, Iterable[str]]]:
    """The parties an invariant's checks name in their parameters: a check may treat a
    party apart, so it must not be merged into another's class."""
    for invariant in policy.invariants.values():
        for ci, (_, params) in enumerate(invariant.checks):
            for key, value in params.items():
                values = value if isinstance(value, list) else [value]
                yield f"invariant.{invariant.id}.{ci}.{key}", [str(v) for v in values]


_CLASSES: dict[str, dict[str, str]] = {}


def _classes(policy: Policy) -> dict[str, str]:
    found = _CLASSES.get(policy.digest)
    if found is None:
        found = _CLASSES[policy.digest] = party_classes(policy)
    return found


def measure_representatives(policy: Policy) -> tuple[str, ...]:
    """One measure per class of measures the policy treats alike (same group, who imposes
    and ends it, who holds which role while it is in force): the others lead to the same
    situations."""
    seen: dict[tuple[object, ...], str] = {}
    for measure in policy.measures.values():
        roles = tuple(sorted(measure.roles.items()))
        signature = (measure.group, measure.imposed_by, measure.ended_by, roles)
        seen.setdefault(signature, measure.id)
    return tuple(seen.values())


def dominance_representatives(policy: Policy) -> tuple[str, ...]:
    """One dominance option per class of options that assign the same holders to the same
    roles: which of them a case names changes no role, so the others lead to the same
    situations under another name."""
    seen: dict[tuple[object, ...], str] = {}
    for option in policy.dominance.values():
        signature = tuple(sorted(option.roles.items()))
        seen.setdefault(signature, option.id)
    return tuple(seen.values())


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


def authorised_parties(
    groups: Iterable[tuple[str, ...]], roles: Any
) -> list[tuple[str, tuple[str, ...]]]:
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


def _holder_variants(
    policy: Policy, rule: TransitionRule, state: CaseState, only: frozenset[str] | None = None
) -> list[dict[str, tuple[str, ...]]]:
    """No choice, plus one variant per (role, eligible party) the target could take;
    ``only`` limits the variants to those roles."""
    variants: list[dict[str, tuple[str, ...]]] = [{}]
    if rule.target_state is None:
        target = frozenset(state.configuration)
        roles_here = list(rule.assign)
    else:
        target = target_configuration(policy, rule.target_state, state.facts)
        roles_here = list(policy.roles)
    classes = _classes(policy)
    for role in roles_here:
        if only is not None and role not in only:
            continue
        cell = policy.role_cell(target, role)
        if cell is None or cell.from_measures or not cell.eligible:
            continue
        for party in sorted(cell.eligible_set):
            if classes[party] != party:
                continue
            if (party,) != cell.holders:
                variants.append({role: (party,)})
    return variants


@attrs.frozen
class Scope:
    """Which commands the explorer tries in a situation.

    The defaults are the verifier's: refused variants included, every criterion of a
    rule, holder choices for the roles some rule reads (:func:`deciding_roles`), one
    measure per class of measures the policy treats alike. Wider scopes try more and
    reach the same conclusions more slowly; narrower ones serve quick reachability.
    """

    refusals: bool = True
    holders: Literal["none", "deciding", "all"] = "deciding"
    criteria: Literal["first", "each"] = "first"
    measures: Literal["representatives", "all"] = "representatives"
    dominance: Literal["representatives", "all"] = "representatives"
    """Name one dominance option per class of options with the same roles
    (:func:`dominance_representatives`); ``"all"`` names each. Like the measures'
    representatives this assumes no check reads which option of a class was named."""
    records: bool = False
    """Also try signals, advice and meldingen (they change no situation)."""
    obligations: bool = False
    """Tell situations apart by their open obligations. No guard reads them (they only
    enable informing), so leaving them out merges situations that allow the same steps."""
    combine: bool = False
    """Try every dominance with every holder choice, rather than each option alone."""
    measure_order: bool = True
    """Tell situations apart by the order in which their measures were imposed and the
    order of a role's holders. The measures' order only decides the order of the
    holders a role takes from them; every guard and every registered check reads
    holders as a set, and a handover that only reorders holders releases no one.
    ``False`` merges those situations (a large saving where several measures can be in
    force at once); keep ``True`` when a host check reads the order of holders."""


def transition_commands(
    policy: Policy, rule: TransitionRule, state: CaseState, scope: Scope = Scope()
) -> Iterator[Command]:
    """Commands that try ``rule``: authorised with each option, and (if asked) refused ones."""
    authorised = authorised_parties(rule.deciders, state.roles)
    criteria_sets = _criteria_sets(rule, scope)
    dominances = _dominances(policy, rule, scope)
    only = None if scope.holders == "all" else deciding_roles(policy)
    variants = [{}] if scope.holders == "none" else _holder_variants(policy, rule, state, only)
    for actor, together in authorised[:1]:
        for dominance in dominances:
            for holders in variants if scope.combine or dominance == dominances[0] else [{}]:
                yield _make(rule, actor, together, criteria_sets[0], holders, dominance)
        for criteria in criteria_sets[1:]:
            yield _make(rule, actor, together, criteria, {}, dominances[0])
    if scope.refusals:
        stranger = outsider(policy, rule.deciders, state.roles)
        yield _make(rule, stranger, (), criteria_sets[0], {}, dominances[0])
        if rule.criteria_mode != "none" and authorised:
            actor, together = authorised[0]
            yield _make(rule, actor, together, (), {}, dominances[0])


def _criteria_sets(rule: TransitionRule, scope: Scope) -> list[tuple[str, ...]]:
    """The criteria to name when trying ``rule``, one tuple per attempt: the first
    satisfies the rule, the others (``scope.criteria == "each"``) try its other
    alternatives."""
    if rule.criteria_mode == "any":
        if scope.criteria == "each":
            return [(c,) for c in rule.criteria]
        return [rule.criteria[:1]]
    if rule.criteria_mode == "all":
        return [rule.criteria]
    return [()]


def _dominances(policy: Policy, rule: TransitionRule, scope: Scope) -> list[str | None]:
    """The dominance options to try when ``rule`` enters a state where dominance
    applies, then naming none; just ``[None]`` where it does not apply."""
    if rule.target_state is None or not any(
        s.id in policy.dominance_in for s in policy.ancestors(rule.target_state)
    ):
        return [None]
    named = (
        dominance_representatives(policy)
        if scope.dominance == "representatives"
        else tuple(policy.dominance)
    )
    return [*named, None]


def _make(
    rule: TransitionRule,
    actor: str,
    together: tuple[str, ...],
    criteria: tuple[str, ...],
    holders: dict[str, tuple[str, ...]],
    dominance: str | None,
) -> Command:
    common: dict[str, Any] = {
        "actor": actor,
        "together": together,
        "criteria": criteria,
        "holders": holders,
    }
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
    policy: Policy,
    state: CaseState,
    *,
    refusals: bool = True,
    variants: bool = True,
    scope: Scope | None = None,
) -> list[Command]:
    """Every command worth trying in ``state``: the transitions of the card, measures,
    decisions, appointments and informing, with refused variants when ``refusals``.

    ``variants=False`` tries only the policy's default holders; ``scope`` (when given)
    overrides both flags.
    """
    if scope is None:
        scope = Scope(refusals=refusals, holders="deciding" if variants else "none")
    active = set(state.configuration)
    out: list[Command] = []
    for rule in policy.transitions.values():
        if rule.source_state in active:
            out.extend(transition_commands(policy, rule, state, scope))
    out.extend(_measure_commands(policy, state, scope))
    _add_decisions(out, policy, state, active, scope)
    if scope.holders != "none":
        out.extend(_appointments(policy, state, scope))
    for duty in state.obligations:
        actor = duty.due_by[0] if duty.due_by else duty.recipient
        out.append(Inform(actor=actor, recipient=duty.recipient, about=duty.obligation))
    if scope.records:
        out.extend(_records(policy, state))
    return out


def _add_decisions(
    out: list[Command], policy: Policy, state: CaseState, active: set[str], scope: Scope
) -> None:
    """Append to ``out`` the decisions that can be recorded in ``active``: by the first
    deciders that can be filled now and (if asked) by an outsider. Appends rather than
    yields because the explorer calls it in every situation it expands."""
    for decision in policy.decisions.values():
        if not active & set(decision.in_states):
            continue
        for actor, together in authorised_parties(decision.by, state.roles)[:1]:
            out.append(RecordDecision(actor=actor, together=together, decision=decision.id))
        if scope.refusals:
            out.append(
                RecordDecision(
                    actor=outsider(policy, decision.by, state.roles), decision=decision.id
                )
            )


def _measure_commands(policy: Policy, state: CaseState, scope: Scope) -> Iterator[Command]:
    active = set(state.configuration)
    allowed = (
        set(policy.measures) if scope.measures == "all" else set(measure_representatives(policy))
    )
    in_force = set(state.facts.measures)
    for measure in policy.measures.values():
        for member in state.members:
            if member.group != measure.group:
                continue
            if any(m.measure == measure.id and m.member == member.id for m in in_force):
                enders = measure.ended_by or measure.imposed_by
                yield EndMeasure(actor=enders[0], measure=measure.id, member=member.id)
            elif measure.id in allowed and active & set(policy.measures_in):
                yield ImposeMeasure(
                    actor=measure.imposed_by[0], measure=measure.id, member=member.id
                )
                if scope.refusals:
                    stranger = outsider(policy, [(p,) for p in measure.imposed_by], state.roles)
                    yield ImposeMeasure(actor=stranger, measure=measure.id, member=member.id)


def _appointments(policy: Policy, state: CaseState, scope: Scope) -> Iterator[Command]:
    frozen_active = frozenset(state.configuration)
    only = None if scope.holders == "all" else deciding_roles(policy)
    for role in policy.roles:
        if only is not None and role not in only:
            continue
        cell = policy.role_cell(frozen_active, role)
        if cell is None or not cell.appoint or not cell.eligible:
            continue
        classes = _classes(policy)
        for actor, together in authorised_parties(cell.appoint, state.roles)[:1]:
            for party in sorted(cell.eligible_set):
                if (party,) != state.roles.get(role) and classes[party] == party:
                    yield Appoint(
                        actor=actor, together=together, role=role, holders={role: (party,)}
                    )


def _records(policy: Policy, state: CaseState) -> Iterator[Command]:
    active = set(state.configuration)
    for activity in policy.activities.values():
        if not active & set(activity.in_states):
            continue
        actor = (
            activity.by[0]
            if activity.by
            else next(
                (
                    p.id
                    for p in policy.parties.values()
                    if not activity.by_kinds or p.kind in activity.by_kinds
                ),
                next(iter(policy.parties)),
            )
        )
        to = activity.to[0] if activity.to else None
        if activity.command == "signal":
            yield Signal(actor=actor, activity=activity.id)
        elif activity.command == "advice" and to is not None:
            yield RecordAdvice(actor=actor, adviser=to, activity=activity.id)
        elif activity.command == "melding":
            yield Melding(actor=actor, to=to, activity=activity.id)


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


def try_command(
    case: Any, command: Command, key: Callable[[CaseState], SituationKey] = situation_key
) -> Outcome:
    """Apply ``command`` to ``case``; the outcome says accepted (with the event and the
    situation it led to, identified by ``key``) or refused."""
    try:
        event = case.apply(command)
    except CommandRefused as refusal:
        return Outcome(command=command, refusal=refusal)
    return Outcome(command=command, event=event, target=key(case.state))


class PathClock:
    """The explorer's clock: the n-th event of every path is recorded at the same time,
    however many commands were tried before it, so a story reads the same whichever
    process (or order) found it."""

    START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    STEP = timedelta(hours=1)

    def __init__(self) -> None:
        self.case: Any = None

    def __call__(self) -> datetime:
        seq = self.case.version if self.case is not None else 0
        return self.START + self.STEP * seq


def case_at(policy: Policy, state: CaseState, events: tuple[Event, ...] = ()) -> Any:
    """A live case in ``state`` (with ``events`` as its log) to try commands on."""
    from regiekaart.runtime.case import Case
    from regiekaart.runtime.chart import compile_policy

    clock = PathClock()
    case = Case(compile_policy(policy), "explore", clock, state, list(events))
    clock.case = case
    return case


_REACH_CACHE: dict[tuple[str, str, str], dict[SituationKey, bool]] = {}


def can_reach(policy: Policy, start: CaseState, target: str, *, max_states: int = 20_000) -> bool:
    """Whether some sequence of accepted commands leads from ``start`` to a configuration
    containing ``target``. Tries the policy's default holders first, then the holder
    choices of the deciding roles; results are remembered per policy digest."""
    quick = Scope(refusals=False, holders="none", criteria="first")
    wide = Scope(refusals=False, holders="deciding", criteria="first")
    return _reach(policy, start, target, max_states, quick) or _reach(
        policy, start, target, max_states, wide
    )


def _reach(policy: Policy, start: CaseState, target: str, max_states: int, scope: Scope) -> bool:
    memo = _REACH_CACHE.setdefault((policy.digest, target, scope.holders), {})
    facts = relevant_facts(policy)

    def key_of(state: CaseState) -> SituationKey:
        return situation_key(state, obligations=False, facts=facts)

    first = key_of(start)
    if first in memo:
        return memo[first]
    parents: dict[SituationKey, SituationKey | None] = {first: None}
    queue: deque[tuple[SituationKey, CaseState]] = deque([(first, start)])
    found: SituationKey | None = None
    case = case_at(policy, start)
    while queue and len(parents) <= max_states:
        key, state = queue.popleft()
        if target in state.configuration or memo.get(key):
            found = key
            break
        case.reset(state, ())
        for command in enumerate_commands(policy, state, scope=scope):
            outcome = try_command(case, command, key_of)
            if outcome.event is None:
                continue
            new_key = outcome.target
            if new_key not in parents:
                parents[new_key] = key
                queue.append((new_key, case.state))
            case.reset(state, ())
    return _remember(memo, parents, found, exhausted=not queue)


def _remember(
    memo: dict[SituationKey, bool],
    parents: dict[SituationKey, SituationKey | None],
    found: SituationKey | None,
    *,
    exhausted: bool,
) -> bool:
    """Record what one search of :func:`_reach` learnt, and return whether it reached.

    Every situation on the path to ``found`` reaches the target. When nothing was found,
    only a search that ran out of situations (``exhausted``) proves that none of those it
    saw does; one stopped by ``max_states`` proves nothing.
    """
    if found is None:
        if exhausted:
            for key in parents:
                memo[key] = False
        return False
    node: SituationKey | None = found
    while node is not None:
        memo[node] = True
        node = parents[node]
    return True


CommandSource = Callable[[Policy, CaseState], Iterable[Command]]
"""Which commands to try in a situation (default: :func:`enumerate_commands`)."""

Examine = Callable[[SituationKey, CaseState, Outcome, Any], Any]
"""Runs beside the case after each command tried: ``(key, state before, outcome, case
after)``. In a parallel search it runs in a worker process, so what it returns must
pickle; that note reaches ``tally`` in the process that keeps the graph."""


@attrs.frozen
class Tried:
    """One command tried in a situation, as the graph keeps it.

    Compact on purpose: in a parallel search one of these crosses from a worker process
    for every command tried, so it carries the accepted rule and the target situation,
    not the event or the refusal.
    """

    accepted: bool
    rule: str
    """The rule of the accepted event ("" when refused or when no rule applies)."""
    target: SituationKey | None
    note: Any = None
    """What :data:`Examine` returned for this command."""


@attrs.frozen
class Reached:
    """A situation as a parallel search hands it to ``visit``: the state and the
    shortest log into it (the serial search hands the live case, which has the same
    attributes)."""

    state: CaseState
    events: tuple[Event, ...]
    closed: bool


def bfs(
    policy: Policy,
    start: Any,
    *,
    visit: Callable[[SituationKey, Any, Step], None] | None = None,
    edge: Callable[[SituationKey, Outcome, Any], None] | None = None,
    examine: Examine | None = None,
    tally: Callable[[SituationKey, Tried], None] | None = None,
    commands: CommandSource | None = None,
    scope: Scope = Scope(),
    keep_log: bool = True,
    max_states: int = 100_000,
    workers: int = 1,
) -> dict[SituationKey, Step]:
    """Breadth-first over every situation reachable from the case ``start``.

    ``visit(key, case, step)`` is called once per new situation, with a live case whose
    log is the shortest path to it (when ``keep_log``); ``edge(key, outcome, case)`` once
    per command tried, ``case`` being the case after the command. ``examine`` and
    ``tally`` split that per-command work in two: ``examine`` next to the case,
    ``tally(key, tried)`` in this process, in the same order as ``edge`` would be
    called. ``commands`` replaces the policy's enumeration (the simulation tries only
    what a scenario attempts). Stops (without error) after ``max_states`` situations:
    compare the result's size to it.

    ``workers > 1`` expands each breadth-first level in that many forked processes
    (see :func:`_parallel_bfs`); ``edge`` needs the live case and so only runs serially.
    """
    expand = _Expander(policy, scope, commands, examine, keep_log)
    if workers > 1 and can_fork():
        if edge is not None:
            raise ValueError("a parallel search reports commands through examine and tally")
        return _parallel_bfs(expand, start, visit, tally, max_states, workers)
    return _serial_bfs(expand, start, visit, edge, tally, max_states)


def _serial_bfs(
    expand: _Expander,
    start: Any,
    visit: Callable[[SituationKey, Any, Step], None] | None,
    edge: Callable[[SituationKey, Outcome, Any], None] | None,
    tally: Callable[[SituationKey, Tried], None] | None,
    max_states: int,
) -> dict[SituationKey, Step]:
    """:func:`bfs` in this process, on one live case reset to each situation it expands."""
    keep_log = expand.keep_log
    first = expand.key(start.state)
    steps: dict[SituationKey, Step] = {first: Step(parent=None, command=None, depth=0)}
    start_events = start.events if keep_log else ()
    queue: deque[tuple[SituationKey, CaseState, tuple[Event, ...]]] = deque(
        [(first, start.state, start_events)]
    )
    case = expand.case = case_at(expand.policy, start.state, start_events)
    if visit is not None:
        visit(first, case, steps[first])
    while queue:
        key, state, events = queue.popleft()
        case.reset(state, events)
        for command in expand.source(state):
            outcome = expand.attempt(case, command)
            if edge is not None:
                edge(key, outcome, case)
            if tally is not None:
                tally(key, expand.tried(key, state, outcome, case))
            if outcome.event is None:
                continue
            target = outcome.target
            if target not in steps and len(steps) < max_states:
                step = Step(parent=key, command=command, depth=steps[key].depth + 1)
                steps[target] = step
                new_events = case.events if keep_log else ()
                queue.append((target, case.state, new_events))
                if visit is not None:
                    visit(target, case, step)
            case.reset(state, events)
    return steps


class _Expander:
    """Expands situations: the part of the search that runs wherever the case runs."""

    def __init__(
        self,
        policy: Policy,
        scope: Scope,
        commands: CommandSource | None,
        examine: Examine | None,
        keep_log: bool,
    ) -> None:
        self.policy = policy
        self.scope = scope
        self.commands = commands
        self.examine = examine
        self.keep_log = keep_log
        self.facts = relevant_facts(policy)
        self.case: Any = None
        self.sent: set[SituationKey] = set()
        """Situations whose state this worker has already sent (parallel search)."""

    def key(self, state: CaseState) -> SituationKey:
        scope = self.scope
        return situation_key(
            state,
            facts=self.facts,
            obligations=scope.obligations,
            measure_order=scope.measure_order,
        )

    def source(self, state: CaseState) -> Iterable[Command]:
        if self.commands is not None:
            return self.commands(self.policy, state)
        return enumerate_commands(self.policy, state, scope=self.scope)

    def attempt(self, case: Any, command: Command) -> Outcome:
        """Apply ``command``; an accepted one names the situation it led to."""
        return try_command(case, command, self.key)

    def tried(self, key: SituationKey, state: CaseState, outcome: Outcome, case: Any) -> Tried:
        note = self.examine(key, state, outcome, case) if self.examine is not None else None
        event = outcome.event
        if event is None:
            return Tried(accepted=False, rule="", target=None, note=note)
        return Tried(accepted=True, rule=event.rule, target=outcome.target, note=note)

    def expand(self, chunk: Sequence[_Frontier]) -> list[list[_Result]]:
        """Every command tried in each situation of ``chunk``, with the state (and the
        log) of each target this worker has not sent before.

        A worker takes its chunks in the order they were handed out, so when it has
        sent a situation before, the process keeping the graph has already registered
        it from the first way in — the same first way in a serial search finds.
        """
        if self.case is None:
            first = chunk[0]
            self.case = case_at(self.policy, first[1], first[2])
        case = self.case
        out: list[list[_Result]] = []
        for key, state, events in chunk:
            self.sent.add(key)
            case.reset(state, events)
            results: list[_Result] = []
            for command in self.source(state):
                outcome = self.attempt(case, command)
                tried = self.tried(key, state, outcome, case)
                found: _Found | None = None
                if tried.accepted:
                    if tried.target not in self.sent:
                        self.sent.add(tried.target)
                        logged = case.events if self.keep_log else ()
                        found = (command, case.state, logged, case.closed)
                    case.reset(state, events)
                results.append((tried, found))
            out.append(results)
        return out


_Frontier = tuple[SituationKey, CaseState, tuple[Event, ...]]
_Found = tuple[Command, CaseState, tuple[Event, ...], bool]
_Result = tuple[Tried, "_Found | None"]

_WORKER: _Expander | None = None
"""The expander a forked worker inherits from the process that starts the search."""


def _expand_in_worker(chunk: Sequence[_Frontier]) -> list[list[_Result]]:
    assert _WORKER is not None
    return _WORKER.expand(chunk)


def can_fork() -> bool:
    """Whether this platform can fork the workers of a parallel search."""
    import multiprocessing

    return "fork" in multiprocessing.get_all_start_methods()


def _parallel_bfs(
    expander: _Expander,
    start: Any,
    visit: Callable[[SituationKey, Any, Step], None] | None,
    tally: Callable[[SituationKey, Tried], None] | None,
    max_states: int,
    workers: int,
) -> dict[SituationKey, Step]:
    """:func:`bfs`, one breadth-first level at a time, each level split over ``workers``
    forked processes.

    The situations, their first ways in, the order of ``visit`` and ``tally`` calls and
    so every shortest story are those of the serial search: chunks are handed out and
    their results taken back in frontier order. Workers are forked (not spawned) so
    they share the compiled chart and every check a host registered, and nothing but
    situations and compact results crosses between processes.
    """
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    global _WORKER
    first = expander.key(start.state)
    steps: dict[SituationKey, Step] = {first: Step(parent=None, command=None, depth=0)}
    start_events = start.events if expander.keep_log else ()
    if visit is not None:
        visit(first, start, steps[first])
    level: list[_Frontier] = [(first, start.state, start_events)]
    _WORKER = expander
    try:
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
            while level:
                size = max(1, min(64, -(-len(level) // (workers * 4))))
                chunks = [level[i : i + size] for i in range(0, len(level), size)]
                following: list[_Frontier] = []
                for chunk, results in zip(chunks, pool.map(_expand_in_worker, chunks), strict=True):
                    for (key, _, _), tried_here in zip(chunk, results, strict=True):
                        for tried, found in tried_here:
                            if tally is not None:
                                tally(key, tried)
                            target = tried.target
                            if found is None or target in steps or len(steps) >= max_states:
                                continue
                            command, state, events, closed = found
                            step = Step(parent=key, command=command, depth=steps[key].depth + 1)
                            steps[target] = step
                            following.append((target, state, events))
                            if visit is not None:
                                visit(target, Reached(state, events, closed), step)
                level = following
    finally:
        _WORKER = None
    return steps
