"""Whether the holders a transition assigns can hold their role where the step leads.

A transition's ``assign`` names holders for the roles of the state it leads to (a step
within a state: the state it stays in). Which cell of the card governs a role there
can depend on the sub-states active then (the innermost cell wins), so the check works
on every cell that may govern the role in some configuration below the state:

- a step within a state puts the assigned holders in place as they are, so each must
  be eligible in every cell that may govern the role there: otherwise the card allows
  the step from that state but the runtime would refuse it in some of its
  configurations, and the rule should leave from the sub-states where it holds;
- an escalation or de-escalation uses an assignment only where it is eligible (a
  compulsory frame may give the role to the measure's party instead), so it is an
  error only when no cell of the target may take it: the assignment could never be
  used.
"""

from __future__ import annotations

from collections.abc import Callable

from regiekaart.policy.model import Policy, RoleCell, TransitionRule
from regiekaart.policy.sourcemap import KeyPath

Governing = dict[str, RoleCell]
"""State id → the cell declared there, for each cell that may govern a role."""


def governing_cells(policy: Policy, state_id: str, role: str) -> Governing:
    """Every cell that governs ``role`` in some configuration containing ``state_id``:
    the innermost cell at or above it where no sub-state overrides it, and the cells of
    the sub-states below it."""
    above: str | None = None
    for state in policy.ancestors(state_id):
        if role in state.roles:
            above = state.id
            break
    governing = sorted(_below(policy, state_id, role, above))
    return {sid: policy.states[sid].roles[role] for sid in governing}


def _below(policy: Policy, state_id: str, role: str, above: str | None) -> set[str]:
    """The states whose cell of ``role`` governs somewhere at or below ``state_id``
    (kept as state ids: a cell is a value, not something to put in a set)."""
    state = policy.states[state_id]
    here = state_id if role in state.roles else above
    if not state.children:
        return {here} if here is not None else set()
    regions = [_below(policy, child, role, here) for child in state.children]
    if not state.parallel:
        return set().union(*regions)
    # All regions are active at once: ``here`` governs only where no region overrides
    # it, which some configuration allows unless one region always does.
    found: set[str] = set().union(*regions)
    if here is not None and any(here not in region for region in regions):
        found.discard(here)
    return found


def check_assign(
    policy: Policy, rule: TransitionRule, path: KeyPath, add: Callable[[KeyPath, str], None]
) -> None:
    """Report (with ``add``) every assigned holder that could not hold its role where
    ``rule`` leads."""
    where = rule.target_state or rule.source_state
    if where not in policy.states:
        return
    within = rule.target_state is None
    for role, parties in rule.assign.items():
        if role not in policy.roles:
            continue
        cells = governing_cells(policy, where, role)
        if not cells:
            add((*path, "assign", role), f"{role} is not held in {where}, so it cannot be assigned")
            continue
        for index, party in enumerate(parties):
            if party not in policy.parties:
                continue  # reported as an unknown party
            refusing = sorted(s for s, cell in cells.items() if party not in cell.eligible_set)
            if within and refusing:
                add(
                    (*path, "assign", role, index),
                    f"{party!r} may not hold {role} in {', '.join(refusing)}; assign an "
                    f"eligible party, or let the rule leave from where {party!r} is eligible",
                )
            elif len(refusing) == len(cells):
                add(
                    (*path, "assign", role, index),
                    f"{party!r} may not hold {role} in {', '.join(refusing)}, so this "
                    "assignment is never used",
                )
