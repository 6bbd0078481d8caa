"""The commands worth trying in a situation, enumerated from the policy.

Every transition with an authorised and an unauthorised actor, with and without a
criterion, every dominance and holder choice, every measure, decision, appointment and
informing: the explorer applies these to real cases, so what it finds is what the
runtime does. :class:`Scope` says how wide to enumerate; the defaults are the
verifier's, narrower scopes serve quick reachability.

May import: ``regiekaart.runtime``, ``regiekaart.policy`` and the foundation.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, Literal

import attrs

from regiekaart.analysis._rule_plan import plan
from regiekaart.analysis.situations import (
    authorised_parties,
    deciding_roles,
    measure_representatives,
    outsider,
    party_classes,
)
from regiekaart.policy.cardinality import bounds
from regiekaart.policy.model import Policy, RoleCell, TransitionRule
from regiekaart.runtime.commands import (
    Appoint,
    ChangeLevel,
    CloseCase,
    Command,
    Deescalate,
    EndMeasure,
    Escalate,
    ExpireMeasure,
    ImposeMeasure,
    Inform,
    Melding,
    RecordAdvice,
    RecordDecision,
    Signal,
)
from regiekaart.runtime.records import CaseState
from regiekaart.runtime.roles import target_configuration

__all__ = ["Scope", "enumerate_commands", "sized_groups", "transition_commands"]


@attrs.frozen
class Scope:
    """Which commands the explorer tries in a situation.

    The defaults are the verifier's: refused variants included, a smallest set of
    criteria per way of meeting a rule and sets just short of one, holder choices for
    the roles some rule reads (:func:`deciding_roles`), one measure per class of measures
    the policy treats alike. Wider scopes try more and reach the same conclusions more
    slowly; narrower ones serve quick reachability.
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
    authorised = authorised_parties(rule.deciders, state.roles, policy)
    each, every = scope.criteria == "each", scope.dominance == "all"
    criteria_sets, refusing, dominances = plan(policy, rule, each, every)
    only = None if scope.holders == "all" else _deciding_roles(policy)
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
        for short in refusing if authorised else ():
            actor, together = authorised[0]
            yield _make(rule, actor, together, short, {}, dominances[0])


def _deciding_roles(policy: Policy) -> frozenset[str]:
    """:func:`deciding_roles`, once per card."""
    table = policy.memo("enumeration.deciding")
    found: frozenset[str] | None = table.get(None)
    if found is None:
        found = table[None] = deciding_roles(policy)
    return found


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
        for actor, together in authorised_parties(decision.by, state.roles, policy)[:1]:
            out.append(RecordDecision(actor=actor, together=together, decision=decision.id))
        if scope.refusals:
            out.append(
                RecordDecision(
                    actor=outsider(policy, decision.by, state.roles), decision=decision.id
                )
            )


def _measure_commands(policy: Policy, state: CaseState, scope: Scope) -> Iterator[Command]:
    active = set(state.configuration)
    allowed = _allowed_measures(policy, scope)
    in_force = state.facts.measures
    for measure in policy.measures.values():
        for member in state.members:
            if member.group != measure.group:
                continue
            current = next((m for m in in_force if m.same(measure.id, member.id)), None)
            if current is not None:
                enders = measure.ended_by or measure.imposed_by
                yield EndMeasure(actor=enders[0], measure=measure.id, member=member.id)
                if current.until is not None:
                    # Time is abstracted away: a term may run out at any moment.
                    yield ExpireMeasure(actor=enders[0], measure=measure.id, member=member.id)
            elif measure.id in allowed and active & set(policy.measures_in):
                yield ImposeMeasure(
                    actor=measure.imposed_by[0], measure=measure.id, member=member.id
                )
                if scope.refusals:
                    stranger = outsider(policy, [(p,) for p in measure.imposed_by], state.roles)
                    yield ImposeMeasure(actor=stranger, measure=measure.id, member=member.id)


def _allowed_measures(policy: Policy, scope: Scope) -> frozenset[str]:
    """The measures the explorer imposes under ``scope``, once per card."""
    table = policy.memo("enumeration.measures")
    found: frozenset[str] | None = table.get(scope.measures)
    if found is None:
        every = scope.measures == "all"
        found = frozenset(policy.measures if every else measure_representatives(policy))
        table[scope.measures] = found
    return found


def _appointments(policy: Policy, state: CaseState, scope: Scope) -> Iterator[Command]:
    frozen_active = frozenset(state.configuration)
    only = None if scope.holders == "all" else _deciding_roles(policy)
    for role in policy.roles:
        if only is not None and role not in only:
            continue
        cell = policy.role_cell(frozen_active, role)
        if cell is None or not cell.appoint or not cell.eligible:
            continue
        classes = _classes(policy)
        groups: list[tuple[str, ...]] = [(p,) for p in sorted(cell.eligible_set) if classes[p] == p]
        groups += sized_groups(policy, cell, classes)
        for actor, together in authorised_parties(cell.appoint, state.roles, policy)[:1]:
            for group in groups:
                if group != state.roles.get(role):
                    yield Appoint(actor=actor, together=together, role=role, holders={role: group})


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


_CLASSES: dict[str, dict[str, str]] = {}


def _classes(policy: Policy) -> dict[str, str]:
    found = _CLASSES.get(policy.digest)
    if found is None:
        found = _CLASSES[policy.digest] = party_classes(policy)
    return found


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
        variants.extend({role: group} for group in sized_groups(policy, cell, classes))
    return variants


def sized_groups(
    policy: Policy, cell: RoleCell, classes: Mapping[str, str]
) -> list[tuple[str, ...]]:
    """Groups of eligible parties of the sizes around the cell's bounds: the least and
    the most it allows, and one fewer and one more, so the explorer tries choices that
    meet the bounds and choices the runtime must refuse. Only where the card states
    bounds (a single party is tried anyway); representatives of the party classes come
    first, so a group is made of parties that behave differently where it can be."""
    limits = bounds(policy, cell)
    if not limits.stated:
        return []
    eligible = sorted(cell.eligible_set, key=lambda p: (classes.get(p, p) != p, p))
    sizes = {limits.least, limits.least - 1, (limits.most or limits.least) + 1}
    if limits.most is not None:
        sizes.add(limits.most)
    return [
        tuple(eligible[:size])
        for size in sorted(sizes)
        if 1 < size <= len(eligible) and tuple(eligible[:size]) != cell.holders
    ]
