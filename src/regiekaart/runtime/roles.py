"""Who holds which role: the cells of the card applied to a case.

Entering a state applies that state's cells, outer state first, so a sub-state's cell
(a role under compulsory measures) overrides its phase's. Roles the new
configuration does not declare are released: "not more professionals than needed".
The same functions serve the chart's entry actions and the runtime's look-ahead that
refuses an ineligible holder before anything moves.

May import: ``regiekaart.policy`` and the foundation (besides this package).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from itertools import pairwise

from regiekaart.policy.conditions import Situation
from regiekaart.policy.model import Policy, RoleCell
from regiekaart.runtime.records import Facts

__all__ = [
    "Roles",
    "apply_change",
    "depth",
    "enter_state",
    "project",
    "required_roles",
    "resolve_cell",
    "select_child",
    "settle",
    "situation",
    "target_configuration",
]


Roles = dict[str, tuple[str, ...]]


def target_configuration(policy: Policy, target: str, facts: Facts) -> frozenset[str]:
    """The active states after entering ``target``: its ancestors and its default descent.

    A compound state descends into the sub-state whose ``when`` holds for ``facts``, or
    its initial sub-state; a parallel state into all its regions. A parallel ancestor's
    other regions are entered too, by their default descent: a step that leads into
    one region of a phase enters the phase, and with it every region (a card's steps
    lead from one phase to another, so no region is left as it was). Where a sibling of
    a state on the way to ``target`` has a ``when`` that holds, the chart moves on to
    that sibling at once, and so does the look-ahead.
    """
    target = _resting(policy, target, facts)
    active = {target}
    _descend(policy, target, facts, active)
    below = target
    for state in list(policy.ancestors(target))[1:]:
        active.add(state.id)
        for region in state.children if state.parallel else ():
            if region != below:
                active.add(region)
                _descend(policy, region, facts, active)
        below = state.id
    return frozenset(active)


def _holds(when: str | None, facts: Facts) -> bool:
    """Whether a sub-state's ``when`` holds for ``facts`` (no ``when`` never does)."""
    some = bool(facts.measures)
    return (when == "some" and some) or (when == "none" and not some)


def _resting(policy: Policy, target: str, facts: Facts) -> str:
    """The state the chart rests in when a step leads to ``target``: the outermost
    sibling on the way whose ``when`` holds, as the chart's eventless transitions take
    it; ``target`` itself when there is none."""
    path = list(policy.ancestors(target))[::-1]
    for parent, child in pairwise(path):
        if parent.parallel:
            continue
        for sibling in parent.children:
            if sibling != child.id and _holds(policy.states[sibling].when_measures, facts):
                return sibling
    return target


def _descend(policy: Policy, state_id: str, facts: Facts, active: set[str]) -> None:
    state = policy.states[state_id]
    if not state.children:
        return
    if state.parallel:
        chosen: Iterable[str] = state.children
    else:
        chosen = [select_child(policy, state_id, facts)]
    for child in chosen:
        active.add(child)
        _descend(policy, child, facts, active)


def select_child(policy: Policy, state_id: str, facts: Facts) -> str:
    """The sub-state of a compound state that ``facts`` call for."""
    state = policy.states[state_id]
    initial = state.children[0]
    for child in state.children:
        sub = policy.states[child]
        if sub.initial:
            initial = child
        if _holds(sub.when_measures, facts):
            return child
    return initial


def depth(policy: Policy, state_id: str) -> int:
    """How deep a state is nested (a phase is 1)."""
    return sum(1 for _ in policy.ancestors(state_id))


def resolve_cell(
    policy: Policy,
    cell: RoleCell,
    current: tuple[str, ...],
    facts: Facts,
    chosen: Mapping[str, tuple[str, ...]],
    assigned: Mapping[str, tuple[str, ...]],
    groups: frozenset[str] = frozenset(),
) -> tuple[str, ...]:
    """The holders of ``cell.role`` on entering the cell's state (see :class:`RoleCell`);
    ``groups`` are the household's member groups, for holders that depend on them."""
    role = cell.role
    if role in chosen:
        return chosen[role]
    eligible = cell.eligible_set
    if role in assigned and all(holder in eligible for holder in assigned[role]):
        return assigned[role]
    if cell.from_measures and facts.measures:
        return _measure_holders(policy, role, facts)
    if cell.from_dominance and facts.dominance in policy.dominance:
        option = policy.dominance[str(facts.dominance)]
        named = option.holders(role, situation(facts, groups))
        if named is not None:
            return named
    if cell.keep and current and all(holder in eligible for holder in current):
        return current
    if cell.optional:
        return ()
    return cell.default_holders(situation(facts, groups)) if cell.choices else cell.holders


def situation(facts: Facts, groups: frozenset[str]) -> Situation:
    """What a condition of the card sees of a case with ``facts`` and member ``groups``."""
    return Situation(
        groups=groups,
        measures=frozenset(active.measure for active in facts.measures),
        facts=frozenset(name for name, _ in facts.flags),
        dominance=facts.dominance,
    )


def _measure_holders(policy: Policy, role: str, facts: Facts) -> tuple[str, ...]:
    """The holders the measures in force give ``role``: each party once, in the order
    the measures were imposed."""
    holders: list[str] = []
    for active in facts.measures:
        for party in policy.measures[active.measure].roles.get(role, ()):
            if party not in holders:
                holders.append(party)
    return tuple(holders)


def enter_state(
    policy: Policy,
    state_id: str,
    roles: Roles,
    facts: Facts,
    chosen: Mapping[str, tuple[str, ...]],
    assigned: Mapping[str, tuple[str, ...]],
    groups: frozenset[str] = frozenset(),
) -> None:
    """Apply the cells of ``state_id`` to ``roles`` in place (an entry action)."""
    for role, cell in policy.states[state_id].roles.items():
        current = roles.get(role, ())
        holders = resolve_cell(policy, cell, current, facts, chosen, assigned, groups)
        if holders:
            roles[role] = holders
        else:
            roles.pop(role, None)


def settle(policy: Policy, roles: Roles, active: frozenset[str]) -> Roles:
    """Drop the roles no active state declares; sort for a canonical form."""
    declared = {role for state in active for role in policy.states[state].roles}
    return {role: roles[role] for role in sorted(roles) if role in declared and roles[role]}


def project(
    policy: Policy,
    before: Mapping[str, tuple[str, ...]],
    entered: Iterable[str],
    active: frozenset[str],
    facts: Facts,
    chosen: Mapping[str, tuple[str, ...]],
    assigned: Mapping[str, tuple[str, ...]],
    groups: frozenset[str] = frozenset(),
) -> Roles:
    """The roles after entering ``entered`` (outer first) into configuration ``active``."""
    roles: Roles = dict(before)
    for state_id in sorted(entered, key=lambda s: depth(policy, s)):
        enter_state(policy, state_id, roles, facts, chosen, assigned, groups)
    return settle(policy, roles, active)


def apply_change(
    roles: Mapping[str, tuple[str, ...]],
    release: Iterable[str],
    assigned: Mapping[str, tuple[str, ...]],
    chosen: Mapping[str, tuple[str, ...]],
) -> Roles:
    """A step within a state: ``release`` lets roles go, then assigned or chosen holders
    take theirs (chosen ones win)."""
    out: Roles = {role: holders for role, holders in roles.items() if role not in set(release)}
    out.update(assigned)
    out.update(chosen)
    return out


def required_roles(policy: Policy, active: frozenset[str]) -> dict[str, RoleCell]:
    """The cells of ``active`` that must have a holder (not optional), innermost wins."""
    out: dict[str, RoleCell] = {}
    for role in policy.roles:
        cell = policy.role_cell(active, role)
        if cell is not None and not cell.optional:
            out[role] = cell
    return out
