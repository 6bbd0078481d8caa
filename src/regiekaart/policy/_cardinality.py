"""The semantic checks of the card's bounds on holders and of its chairs.

What the schema cannot say: that the least number of holders is not above the most,
that a cell's default holders fit its bounds and enough parties are eligible to reach
them, that a chair names another role, that two rows do not claim one place, and that
a ``holders_between`` obligation asks for a possible count. Each problem is reported
at the key it concerns, through the ``add`` of :mod:`regiekaart.policy.semantics`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from regiekaart.policy.cardinality import bounds
from regiekaart.policy.model import Policy, RoleCell, StateDef
from regiekaart.policy.sourcemap import KeyPath

Add = Callable[[KeyPath, str], None]


def check(policy: Policy, add: Add) -> None:
    """Report every problem of the card's bounds and chairs through ``add``."""
    _check_roles(policy, add)
    opening = _opening_states(policy)
    for state in policy.states.values():
        for role, cell in state.roles.items():
            if role in policy.roles:
                _check_cell(policy, add, (*_state_path(state), "roles", role), cell, state)
                if _chosen_on_entry(cell) and state.id in opening:
                    add(
                        (*_state_path(state), "roles", role),
                        f"a case opens in {state.id}, so {role} needs default holders here: "
                        "nobody chooses them when a case is opened",
                    )
    _check_invariants(policy, add)


def _chosen_on_entry(cell: RoleCell) -> bool:
    """A required cell with no default holders and no derivation: every step into its
    state chooses the holders (allowed when the cell states how many)."""
    derived = cell.from_measures or cell.from_dominance
    return not (cell.optional or cell.holders or derived)


def _check_roles(policy: Policy, add: Add) -> None:
    orders: dict[int, str] = {}
    for role in policy.roles.values():
        path: KeyPath = ("roles", role.id)
        if role.min_holders and role.max_holders and role.min_holders > role.max_holders:
            add(
                (*path, "min_holders"),
                f"min_holders {role.min_holders} is more than max_holders {role.max_holders}",
            )
        _check_chair(policy, add, (*path, "chair"), role.id, role.chair)
        if role.order:
            if role.order in orders:
                add(
                    (*path, "order"),
                    f"order {role.order} is also the order of {orders[role.order]}",
                )
            orders[role.order] = role.id


def _check_chair(policy: Policy, add: Add, path: KeyPath, role: str, chair: str | None) -> None:
    if chair is None:
        return
    if chair == role:
        add(path, f"{role} cannot chair itself; name the role whose holders chair it")
    elif chair not in policy.roles:
        add(path, f"unknown role {chair!r} (known roles: {', '.join(policy.roles)})")


def _check_cell(policy: Policy, add: Add, path: KeyPath, cell: RoleCell, state: StateDef) -> None:
    limits = bounds(policy, cell)
    if limits.most is not None and limits.least > limits.most:
        add(
            path,
            f"{cell.role} needs at least {limits.least} and at most {limits.most} holders "
            f"in {state.id}: no count fits",
        )
        return
    _check_chair(policy, add, (*path, "chair"), cell.role, cell.chair)
    if cell.holders and not limits.allows(len(cell.holders)):
        add(
            (*path, "holders"),
            f"{_count(len(cell.holders), 'default holder')}, but the card allows "
            f"{limits.words()} holders of {cell.role} in {state.id}",
        )
    may_hold = cell.eligible_set
    derived = cell.from_measures or cell.from_dominance
    if limits.least > 1 and not derived and len(may_hold) < limits.least:
        add(
            (*path, "eligible"),
            f"{cell.role} needs {limits.words()} holders in {state.id}, but only "
            f"{_count(len(may_hold), 'party', 'parties')} may hold it there",
        )


def _count(n: int, one: str, many: str = "") -> str:
    return f"{n} {one if n == 1 else (many or one + 's')}"


def _check_invariants(policy: Policy, add: Add) -> None:
    for invariant in policy.invariants.values():
        for index, (name, params) in enumerate(invariant.checks):
            if name != "holders_between":
                continue
            least, most = params.get("min"), params.get("max")
            if isinstance(least, int) and isinstance(most, int) and least > most:
                add(
                    ("invariants", invariant.id, "checks", index, name),
                    f"min {least} is more than max {most}: no count fits",
                )


def _state_path(state: StateDef) -> KeyPath:
    return ("final", state.id) if state.final else state_path(state.id)


def state_path(state_id: str) -> KeyPath:
    """Where the card writes a phase or sub-state, at any depth: an id is its ancestors'
    ids joined by dots, and a written id has none of its own."""
    parts = state_id.split(".")
    path: KeyPath = ("phases", parts[0])
    for part in parts[1:]:
        path = (*path, "substates", "states", part)
    return path


def _opening_states(policy: Policy) -> set[str]:
    """The states a new case opens in: the initial phase and its default descent."""
    phases = policy.phases()
    if not phases:
        return set()
    return set(_descent(policy, policy.initial_state()))


def _descent(policy: Policy, state: StateDef) -> Iterator[str]:
    yield state.id
    children = [policy.states[c] for c in state.children if c in policy.states]
    if not state.parallel:
        children = [c for c in children if c.initial][:1] or children[:1]
    for child in children:
        yield from _descent(policy, child)
