"""The checks on a policy that a JSON Schema cannot express.

Every reference must resolve (parties, roles, states, criteria, facts), a role that must
be held needs a holder, escalations go up and de-escalations go down. Each problem is
reported with file, line and path, all of them at once.

May import: the foundation (``regiekaart.errors``, ``ids``, ``limits``, ``clock``,
``terminal``) and this package, nothing else of regiekaart.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from regiekaart.errors import PolicyError
from regiekaart.policy import _cardinality, _choices, _groups, _timing, checks, criteria
from regiekaart.policy._assign import check_assign
from regiekaart.policy.model import Policy, RoleCell, StateDef, TransitionRule
from regiekaart.policy.sourcemap import KeyPath, Located, dotted, nearest

__all__ = ["check"]


class _Problems:
    def __init__(self, located: Located) -> None:
        self.located = located
        self.items: list[PolicyError] = []

    def add(self, path: KeyPath, message: str) -> None:
        file, line = nearest(self.located, path) or (None, None)
        self.items.append(PolicyError(message, file=file, line=line, path=dotted(path)))


def check(policy: Policy, document: dict[str, Any], located: Located) -> list[PolicyError]:
    """Every problem in ``policy``; an empty list means it can be compiled."""
    problems = _Problems(located)
    _check_states(policy, problems)
    _check_transitions(policy, problems)
    _check_rules(policy, problems)
    _check_criteria(policy, document, problems)
    _check_invariants(policy, problems)
    _check_agreements(policy, problems)
    for path, message in _groups.group_problems(policy):
        problems.add(path, message)
    _cardinality.check(policy, problems.add)
    _timing.check(policy, problems.add)
    _check_tags(policy, problems)
    return problems.items


def _parties(
    policy: Policy, problems: _Problems, path: KeyPath, ids: Iterable[str], start: int = 0
) -> None:
    for index, party in enumerate(ids, start):
        if party not in policy.parties:
            known = ", ".join(sorted(policy.parties)) or "none declared"
            message = _groups.not_a_party(policy, party)
            problems.add(
                (*path, index), message or f"unknown party {party!r} (known parties: {known})"
            )


def _recipients(policy: Policy, problems: _Problems, path: KeyPath, ids: tuple[str, ...]) -> None:
    """A duty's recipients: parties, or ``role:ROLE`` for whoever holds the role then."""
    for index, written in enumerate(ids):
        if written.startswith("role:"):
            if written[5:] not in policy.roles:
                problems.add((*path, index), f"unknown role {written[5:]!r} in {written!r}")
        else:
            _parties(policy, problems, path, [written], start=index)


def _state_ids(policy: Policy, problems: _Problems, path: KeyPath, ids: Iterable[str]) -> None:
    for index, state in enumerate(ids):
        if state not in policy.states:
            known = ", ".join(sorted(policy.states))
            problems.add((*path, index), f"unknown phase or sub-state {state!r} (known: {known})")


def _slots(policy: Policy, problems: _Problems, path: KeyPath, groups: Any) -> None:
    for gi, group in enumerate(groups):
        for slot in group:
            for part in slot.split("|"):
                if part.startswith("role:"):
                    if part[5:] not in policy.roles:
                        problems.add((*path, gi), f"unknown role {part[5:]!r} in decider {slot!r}")
                elif (message := _groups.part_problem(policy, part, slot)) is not None:
                    problems.add((*path, gi), message)


def _check_cell(policy: Policy, problems: _Problems, path: KeyPath, cell: RoleCell) -> None:
    if cell.role not in policy.roles:
        problems.add(path, f"unknown role {cell.role!r} (known roles: {', '.join(policy.roles)})")
    for key, ids in (("holders", cell.holders), ("eligible", cell.eligible)):
        for where, message in _groups.holder_problems(
            policy, (*path, key), cell.written.get(key, ids)
        ):
            problems.add(where, message)
    if cell.eligible:
        for index, holder in enumerate(cell.holders):
            if holder not in cell.eligible:
                # A group's members have no index of their own in the list as written.
                at = (*path, "holders") if "holders" in cell.written else (*path, "holders", index)
                problems.add(at, f"default holder {holder!r} is not in eligible")
    _choices.check_cell(policy, problems.add, path, cell)
    derived = cell.from_measures or cell.from_dominance
    chosen = bool(cell.min_holders and cell.eligible)
    if not (cell.optional or cell.holders or cell.choices or derived or chosen):
        problems.add(
            path,
            f"role {cell.role!r} has no holder: give holders, derive them "
            "(from_measures, from_dominance), state min_holders and eligible so that "
            "the step into the state chooses them, or mark it optional",
        )
    if cell.from_measures and not policy.measures:
        problems.add((*path, "from_measures"), "from_measures, but the policy declares no measures")
    if cell.from_dominance and not policy.dominance:
        problems.add(
            (*path, "from_dominance"), "from_dominance, but the policy declares no dominance"
        )
    _slots(policy, problems, (*path, "appoint"), cell.appoint)


def _check_states(policy: Policy, problems: _Problems) -> None:
    phases = policy.phases()
    if not phases:
        problems.add(("phases",), "a policy needs at least one phase")
    initial = [s.id for s in phases if s.initial]
    if len(initial) > 1:
        problems.add(("phases",), f"more than one initial phase: {', '.join(initial)}")
    orders: dict[int, str] = {}
    for phase in phases:
        if phase.order in orders:
            problems.add(
                ("phases", phase.id, "order"),
                f"order {phase.order} is also the order of {orders[phase.order]}",
            )
        orders[phase.order] = phase.id
    for state in policy.states.values():
        if not state.final:
            _check_state(policy, problems, state)


def _subtree_roles(policy: Policy, state_id: str) -> set[str]:
    """The roles a state or any state inside it sets: all active with it, in a region."""
    state = policy.states[state_id]
    found = set(state.roles)
    for child in state.children:
        found |= _subtree_roles(policy, child)
    return found


def _check_state(policy: Policy, problems: _Problems, state: StateDef) -> None:
    path = _cardinality.state_path(state.id)
    for role, cell in state.roles.items():
        _check_cell(policy, problems, (*path, "roles", role), cell)
    if state.parallel:
        _check_regions(policy, problems, path, state)
    elif state.children:
        firsts = [c for c in state.children if policy.states[c].initial]
        if len(firsts) != 1:
            problems.add(
                (*path, "substates"),
                "exactly one sub-state must be initial: true "
                f"(found {len(firsts)}); or mark the sub-states parallel: true",
            )
        _check_when(policy, problems, state)


def _check_when(policy: Policy, problems: _Problems, state: StateDef) -> None:
    """At most one sub-state of a compound state per ``when``: two that hold at once
    would pass the case back and forth between them without end."""
    said: dict[str, str] = {}
    for child in state.children:
        when = policy.states[child].when_measures
        if when is None:
            continue
        if when in said:
            problems.add(
                (*_cardinality.state_path(child), "when"),
                f"{said[when]} already says when: {{measures: {when}}}; two sub-states of "
                f"{state.id} that hold at once would pass the case back and forth for ever",
            )
        said[when] = child


def _check_regions(policy: Policy, problems: _Problems, path: KeyPath, state: StateDef) -> None:
    """Regions are active together: none may set a role another sets (at any depth in
    either), and none is entered by a ``when``, since none is ever left for a sibling."""
    seen: dict[str, str] = {}
    for child in state.children:
        if policy.states[child].when_measures is not None:
            problems.add(
                (*_cardinality.state_path(child), "when"),
                f"{child} is a parallel region of {state.id}, always active with it; "
                "when: belongs to a sub-state of a compound (not parallel) state",
            )
        for role in sorted(_subtree_roles(policy, child)):
            if role in seen:
                problems.add(
                    (*path, "substates"),
                    f"role {role!r} is set in two parallel regions ({seen[role]}, {child})",
                )
            seen[role] = child


def _check_transitions(policy: Policy, problems: _Problems) -> None:
    for rule in policy.transitions.values():
        path: KeyPath = ("transitions", rule.id)
        if rule.source_state not in policy.states:
            problems.add((*path, "from"), f"transition from unknown phase {rule.source_state!r}")
            continue
        source = policy.states[rule.source_state]
        if source.final:
            problems.add((*path, "from"), f"{rule.source_state!r} is final: nothing leaves it")
        target = rule.target_state
        if target is not None and target not in policy.states:
            known = ", ".join(sorted(policy.states))
            problems.add((*path, "to"), f"transition to unknown phase {target!r} (known: {known})")
            continue
        if rule.kind in ("escalate", "deescalate", "close") and target is None:
            problems.add(path, f"a transition of kind {rule.kind} needs to:")
            continue
        if rule.kind == "change" and (rule.direction is None or target is not None):
            problems.add(path, "a change within a phase needs direction: up or down, and no to:")
        if rule.kind == "close" and target is not None and not policy.states[target].final:
            problems.add((*path, "to"), f"close must lead to a final state, not {target!r}")
        if rule.kind in ("escalate", "deescalate") and target is not None:
            _check_direction(policy, problems, path, rule.kind, rule.source_state, target)
        _check_rule_refs(policy, problems, path, rule)


def _check_rule_refs(
    policy: Policy, problems: _Problems, path: KeyPath, rule: TransitionRule
) -> None:
    _slots(policy, problems, (*path, "deciders"), rule.deciders)
    facts = {d.sets for d in policy.decisions.values() if d.sets}
    for index, fact in enumerate(rule.requires):
        if fact not in facts:
            problems.add(
                (*path, "requires", index),
                f"no decision sets {fact!r}, so this transition could never happen",
            )
    _check_assign(policy, problems, path, rule)
    check_assign(policy, rule, path, problems.add)
    for index, role in enumerate(rule.release):
        if role not in policy.roles:
            problems.add((*path, "release", index), f"unknown role {role!r}")


def _check_assign(policy: Policy, problems: _Problems, path: KeyPath, rule: TransitionRule) -> None:
    """The roles a step assigns exist, and so do the parties (or groups) it names."""
    for role, holders in rule.assign.items():
        if role not in policy.roles:
            problems.add((*path, "assign", role), f"unknown role {role!r}")
        written = rule.assign_written.get(role, holders)
        for where, message in _groups.holder_problems(policy, (*path, "assign", role), written):
            problems.add(where, message)


def _check_criteria(policy: Policy, document: dict[str, Any], problems: _Problems) -> None:
    """Every criterion a rule names exists, an optional one is not also required, and
    some set of criteria meets the rule's expression: a step no decider could ever
    justify is a card error, not a refusal waiting to happen."""
    written = document.get("transitions") or {}
    for rid, rule in policy.transitions.items():
        path: KeyPath = ("transitions", rid, "criteria")
        raw = (written.get(rid) or {}).get("criteria")
        for where, cid in criteria.written_ids(raw):
            if cid not in policy.criteria:
                problems.add((*path, *where), f"unknown criterion {cid!r}")
        required = criteria.ids(rule.requirement) if rule.requirement is not None else ()
        for index, cid in enumerate(rule.optional_criteria):
            if cid in required:
                problems.add(
                    (*path, "optional", index),
                    f"{cid!r} is optional and required at once; name it in one place",
                )
        if rule.requirement is None:
            continue
        try:
            possible = criteria.satisfiable(rule.requirement)
        except criteria.Unsatisfiable as error:
            problems.add(path, f"the criteria of transition {rid!r} are too many ({error})")
            continue
        words = criteria.describe(rule.requirement)
        if not possible:
            problems.add(path, f"no set of criteria meets transition {rid!r}, which needs {words}")


def _check_direction(
    policy: Policy, problems: _Problems, path: KeyPath, kind: str, source: str, target: str
) -> None:
    src, dst = policy.phase_of(source), policy.phase_of(target)
    if dst.final:
        problems.add((*path, "to"), f"{kind} cannot lead to the final state {target!r}; use close")
        return
    if kind == "escalate" and dst.order <= src.order:
        problems.add((*path, "to"), f"escalate must go up: {src.id} → {dst.id} does not")
    if kind == "deescalate" and dst.order >= src.order:
        problems.add((*path, "to"), f"deescalate must go down: {src.id} → {dst.id} does not")


def _role_map(
    policy: Policy, problems: _Problems, path: KeyPath, roles: Mapping[str, tuple[str, ...]]
) -> None:
    """A role → parties mapping (a measure's or a dominance option's holders)."""
    for role, holders in roles.items():
        if role not in policy.roles:
            problems.add((*path, role), f"unknown role {role!r}")
        _parties(policy, problems, (*path, role), holders)


def _check_rules(policy: Policy, problems: _Problems) -> None:
    _state_ids(policy, problems, ("measures", "applies_in"), policy.measures_in)
    for measure in policy.measures.values():
        path: KeyPath = ("measures", "options", measure.id)
        if measure.group not in policy.member_groups:
            problems.add((*path, "group"), f"unknown member group {measure.group!r}")
        _parties(policy, problems, (*path, "imposed_by"), measure.imposed_by)
        _parties(policy, problems, (*path, "ended_by"), measure.ended_by)
        _role_map(policy, problems, (*path, "roles"), measure.roles)
    _state_ids(policy, problems, ("dominance", "applies_in"), policy.dominance_in)
    for option in policy.dominance.values():
        _role_map(policy, problems, ("dominance", "options", option.id, "roles"), option.roles)
        _choices.check_option(policy, problems.add, option)
    for activity in policy.activities.values():
        path = ("activities", activity.id)
        _state_ids(policy, problems, (*path, "in"), activity.in_states)
        _parties(policy, problems, (*path, "by"), activity.by)
        _parties(policy, problems, (*path, "to"), activity.to)
    for decision in policy.decisions.values():
        path = ("decisions", decision.id)
        _state_ids(policy, problems, (*path, "in"), decision.in_states)
        _slots(policy, problems, (*path, "by"), decision.by)
        _parties(policy, problems, (*path, "inform"), decision.inform)
    for obligation in policy.obligations.values():
        path = ("obligations", obligation.id)
        _recipients(policy, problems, (*path, "inform"), obligation.inform)
        _parties(policy, problems, (*path, "when_holders"), obligation.when_holders)
        if obligation.on_enter:
            _state_ids(policy, problems, (*path, "on_enter"), [obligation.on_enter])
        for key in ("by_role", "when_role", "mutual_role"):
            role = getattr(obligation, key)
            if role is not None and role not in policy.roles:
                problems.add((*path, key), f"unknown role {role!r}")


def _check_invariants(policy: Policy, problems: _Problems) -> None:
    for inv in policy.invariants.values():
        for index, (name, params) in enumerate(inv.checks):
            path: KeyPath = ("invariants", inv.id, "checks", index, name)
            kind = checks.KINDS.get(name)
            if kind is None:
                known = ", ".join(sorted(checks.KINDS))
                problems.add(path, f"unknown check {name!r} (known: {known})")
                continue
            for message in kind.validate(policy, params):
                problems.add(path, message)


def _check_agreements(policy: Policy, problems: _Problems) -> None:
    phases = [p.id for p in policy.phases()]
    for agreement in policy.agreements.values():
        for index, phase in enumerate(agreement.phases):
            if phase not in phases:
                problems.add(
                    ("agreements", agreement.id, "phases", index),
                    f"unknown phase {phase!r} (agreements apply in phases: {', '.join(phases)})",
                )


def _check_tags(policy: Policy, problems: _Problems) -> None:
    """A card that declares its tags uses no other: a misspelt tag would silently count
    its steps apart in every report."""
    if not policy.tags:
        return
    tagged: list[tuple[KeyPath, tuple[str, ...]]] = [
        *((("transitions", r.id), r.tags) for r in policy.transitions.values()),
        *((("criteria", c.id), c.tags) for c in policy.criteria.values()),
        *((("measures", "options", m.id), m.tags) for m in policy.measures.values()),
        *((("decisions", d.id), d.tags) for d in policy.decisions.values()),
        *((("activities", a.id), a.tags) for a in policy.activities.values()),
    ]
    known = ", ".join(policy.tags)
    for path, tags in tagged:
        for index, tag in enumerate(tags):
            if tag not in policy.tags:
                problems.add((*path, "tags", index), f"unknown tag {tag!r} (known tags: {known})")
