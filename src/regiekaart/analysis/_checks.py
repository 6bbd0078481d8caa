"""The built-in checks: generic predicates over a case, parameterised by a policy's ids.

Each is bound to the kind of the same name in the card's vocabulary
(:data:`regiekaart.policy.checks.KINDS`) by :mod:`regiekaart.analysis.invariants`,
which collects them from :data:`BUILT_IN`. They read only what a case exposes (its
policy, state and event log).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING

from regiekaart.policy.cardinality import breaches
from regiekaart.policy.checks import Params
from regiekaart.policy.model import Policy
from regiekaart.runtime import authority
from regiekaart.runtime.records import Event

if TYPE_CHECKING:
    from regiekaart.analysis.invariants import CaseView, Predicate

BUILT_IN: dict[str, Predicate] = {}
"""The predicate of every built-in check kind, by the kind's name."""


def _meaning(name: str) -> Callable[[Predicate], Predicate]:
    """Give the built-in kind ``name`` the vocabulary declares its predicate."""

    def deco(predicate: Predicate) -> Predicate:
        BUILT_IN[name] = predicate
        return predicate

    return deco


def role_history(
    events: Sequence[Event],
) -> Iterator[tuple[Event, dict[str, tuple[str, ...]], dict[str, tuple[str, ...]]]]:
    """Each event with the role holders just before and just after it."""
    current: dict[str, tuple[str, ...]] = {}
    for event in events:
        before = dict(current)
        for handover in event.handovers:
            if handover.to:
                current[handover.role] = handover.to
            else:
                current.pop(handover.role, None)
        yield event, before, dict(current)


def _active(state_ids: Sequence[str], configuration: Sequence[str]) -> bool:
    return any(s in configuration for s in state_ids)


@_meaning("role_held")
def _role_held(policy: Policy, p: Params, case: CaseView) -> str | None:
    """In the given states the role always has a holder."""
    state = case.state
    if _active(p["in"], state.configuration) and not state.roles.get(p["role"]):
        return f"no holder of {p['role']} in {', '.join(state.configuration)}"
    return None


@_meaning("holder_kind")
def _holder_kind(policy: Policy, p: Params, case: CaseView) -> str | None:
    """In the given states every holder of the role is of one of the kinds."""
    state = case.state
    if not _active(p["in"], state.configuration):
        return None
    wrong = [h for h in state.roles.get(p["role"], ()) if policy.party_kind(h) not in p["kinds"]]
    if wrong:
        kinds = ", ".join(policy.party_kind(h) for h in wrong)
        return (
            f"{p['role']} held by {', '.join(wrong)} ({kinds}) in {', '.join(state.configuration)}"
        )
    return None


@_meaning("holders_include")
def _holders_include(policy: Policy, p: Params, case: CaseView) -> str | None:
    """In the given states the role is held by (at least) all the parties named."""
    state = case.state
    if not _active(p["in"], state.configuration):
        return None
    missing = [x for x in p["parties"] if x not in state.roles.get(p["role"], ())]
    if missing:
        return (
            f"{p['role']} is not held by {', '.join(missing)} in {', '.join(state.configuration)}"
        )
    return None


@_meaning("regions_active")
def _regions_active(policy: Policy, p: Params, case: CaseView) -> str | None:
    """When the parallel state is active, so are all its regions."""
    configuration = case.state.configuration
    if p["state"] not in configuration:
        return None
    missing = [c for c in policy.states[p["state"]].children if c not in configuration]
    return f"regions not active: {', '.join(missing)}" if missing else None


@_meaning("warm_handover")
def _warm_handover(policy: Policy, p: Params, case: CaseView) -> str | None:
    """The role is never let go before another holds it: no moment without a holder."""
    role = p["role"]
    for event, _before, after in role_history(case.events):
        if not _active(p["in"], event.after):
            continue
        if not after.get(role):
            return f"event {event.seq} ({event.rule}) left {role} without a holder"
        for handover in event.handovers:
            if handover.role == role and handover.released and not handover.to:
                return f"event {event.seq} released {role} with no one taking over"
    return None


@_meaning("informed_on_entry")
def _informed_on_entry(policy: Policy, p: Params, case: CaseView) -> str | None:
    """Entering the state under regie of one of the holders, the parties are informed."""
    for event, _before, after in role_history(case.events):
        if p["state"] not in event.after or p["state"] in event.before:
            continue
        if not set(after.get(p["role"], ())) & set(p["holders"]):
            continue
        recorded = {i.recipient for i in event.informed}
        missing = [r for r in p["inform"] if r not in recorded]
        if missing:
            return f"event {event.seq} entered {p['state']} without informing {', '.join(missing)}"
    return None


@_meaning("deciders_respected")
def _deciders_respected(policy: Policy, p: Params, case: CaseView) -> str | None:
    """Every accepted transition was made by its deciders."""
    for event, before, _after in role_history(case.events):
        rule = policy.transitions.get(event.rule)
        if rule is None:
            continue
        command = event.command
        if not authority.authorized(rule.deciders, command.actor, command.together, before, policy):
            return f"event {event.seq} ({rule.id}) was made by {', '.join(command.parties)}"
    return None


@_meaning("no_step")
def _no_step(policy: Policy, p: Params, case: CaseView) -> str | None:
    """The card has no step of this kind from this state, and none was ever taken."""
    allowed = _card_step(policy, p["kind"], p["from"])
    if allowed is not None:
        return f"the card allows {p['kind']} from {p['from']} ({allowed})"
    for event in case.events:
        taken = policy.transitions.get(event.rule)
        if taken is not None and taken.kind == p["kind"] and p["from"] in event.before:
            return f"event {event.seq} made a {p['kind']} from {p['from']}"
    return None


def _with_children(policy: Policy, state_id: str) -> set[str]:
    out = {state_id}
    for child in policy.states[state_id].children:
        out |= _with_children(policy, child)
    return out


_CARD_STEPS: dict[tuple[str, str, str], str | None] = {}


def _card_step(policy: Policy, kind: str, source: str) -> str | None:
    """The id of a rule of ``kind`` from ``source`` or a state inside it (remembered per
    policy digest: the verifier asks after every step)."""
    memo_key = (policy.digest, kind, source)
    if memo_key not in _CARD_STEPS or not policy.digest:
        inside = _with_children(policy, source)
        _CARD_STEPS[memo_key] = next(
            (
                r.id
                for r in policy.transitions.values()
                if r.kind == kind and r.source_state in inside
            ),
            None,
        )
    return _CARD_STEPS[memo_key]


@_meaning("exit_requires")
def _exit_requires(policy: Policy, p: Params, case: CaseView) -> str | None:
    """The state is left only after a decision set the fact while in it."""
    setters = {d.id for d in policy.decisions.values() if d.sets == p["fact"]}
    decided = False
    for event in case.events:
        entered = p["state"] in event.after and p["state"] not in event.before
        if entered:
            decided = False
        if event.rule in setters and p["state"] in event.before:
            decided = True
        left = p["state"] in event.before and p["state"] not in event.after
        if left and not decided:
            return f"event {event.seq} left {p['state']} without {p['fact']}"
    return None


@_meaning("mutual_informed")
def _mutual_informed(policy: Policy, p: Params, case: CaseView) -> str | None:
    """Where the role has several holders, each is recorded as informed of the others."""
    told: set[tuple[str, str]] = set()
    for event, _before, after in role_history(case.events):
        for item in event.informed:
            for by in item.by:
                told.add((item.recipient, by))
        holders = after.get(p["role"], ())
        for a in holders:
            for b in holders:
                if a != b and (a, b) not in told:
                    return f"event {event.seq}: {a} is not recorded as informed of {b}"
    return None


@_meaning("roles_declared")
def _roles_declared(policy: Policy, p: Params, case: CaseView) -> str | None:
    """Every role held is a role of the active configuration: no more professionals than needed."""
    active = frozenset(case.state.configuration)
    for role in case.state.roles:
        if policy.role_cell(active, role) is None:
            return f"{role} is still held in {', '.join(sorted(active))}, which has no such role"
    return None


@_meaning("holders_between")
def _holders_between(policy: Policy, p: Params, case: CaseView) -> str | None:
    """In the given states the role has at least min and at most max holders."""
    state = case.state
    if not _active(p["in"], state.configuration):
        return None
    count = len(state.roles.get(p["role"], ()))
    most = p.get("max")
    if count < p["min"] or (most is not None and count > most):
        allowed = f"{p['min']} to {most}" if most is not None else f"at least {p['min']}"
        return (
            f"{p['role']} has {count} holders in {', '.join(state.configuration)}; "
            f"{allowed} required"
        )
    return None


@_meaning("chaired_by")
def _chaired_by(policy: Policy, p: Params, case: CaseView) -> str | None:
    """In the given states a group of two or more holders of the role has its chair."""
    state = case.state
    if not _active(p["in"], state.configuration):
        return None
    holders = state.roles.get(p["role"], ())
    if len(holders) > 1 and not state.roles.get(p["chair"]):
        return (
            f"{p['role']} is held by {', '.join(holders)} and nobody holds {p['chair']}, "
            "who chairs them"
        )
    return None


@_meaning("holder_bounds")
def _holder_bounds(policy: Policy, p: Params, case: CaseView) -> str | None:
    """Every role has as many holders as the card allows here, and every group its chair."""
    state = case.state
    for breach in breaches(policy, state.roles, frozenset(state.configuration)):
        return breach.message(would=False)
    return None


@_meaning("path_to")
def _path_to(policy: Policy, p: Params, case: CaseView) -> str | None:
    """From the current situation some sequence of allowed commands reaches the state."""
    from regiekaart.analysis.search import can_reach

    if any(policy.states[s].final for s in case.state.configuration):
        return None
    if can_reach(policy, case.state, p["state"]):
        return None
    return f"no way from {', '.join(case.state.configuration)} to {p['state']}"
