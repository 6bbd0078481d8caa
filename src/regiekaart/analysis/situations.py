"""Situations: what of a case decides what may happen next, and who may act in it.

A *situation* is the configuration, the role holders, the facts (measures, dominance,
decided facts) and the open obligations of a case; :func:`situation_key` names it, and
every search over the cases a card allows counts situations rather than cases. The rest
of this module reads the policy once for what makes situations alike or different: the
facts and roles some rule reads, the parties, measures and dominance options that stand
in the same places (so one of each class is enough to try), and the parties that can or
cannot act on a rule in a situation.

May import: ``regiekaart.runtime``, ``regiekaart.policy`` and the foundation.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Iterator
from typing import Any

from regiekaart.policy.model import Policy
from regiekaart.runtime.authority import resolve, slot_parties
from regiekaart.runtime.commands import Member
from regiekaart.runtime.records import CaseState

__all__ = [
    "SituationKey",
    "authorised_parties",
    "deciding_roles",
    "default_household",
    "dominance_representatives",
    "measure_representatives",
    "outsider",
    "party_classes",
    "relevant_facts",
    "situation_key",
]

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
    :attr:`~regiekaart.analysis.enumeration.Scope.measure_order`). Time is left out:
    when a measure was imposed or ends, when a state was entered, when a duty is due —
    no rule reads the clock, and an expiry may come at any moment (see
    :class:`~regiekaart.analysis.search.PathClock`).
    """
    duties: tuple[tuple[str, str, tuple[str, ...]], ...] = ()
    if obligations:
        duties = tuple(sorted((o.obligation, o.recipient, o.due_by) for o in state.obligations))
    flags = state.facts.flags
    if facts is not None:
        flags = tuple(flag for flag in flags if flag[0] in facts)
    measures = tuple((m.measure, m.member) for m in state.facts.measures)
    roles = tuple(sorted(state.roles.items()))
    if not measure_order:
        measures = tuple(sorted(measures))
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
    """Roles whose holders some rule reads: decider slots, appointers, obligation
    triggers, and the roles whose count of holders the card bounds or chairs."""
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
    out |= _counted_roles(policy)
    return frozenset(out & set(policy.roles))


def _counted_roles(policy: Policy) -> set[str]:
    """Roles whose number of holders the card bounds, and the roles that chair them: how
    many hold them decides what the runtime accepts."""
    out: set[str] = set()
    for role in policy.roles.values():
        if role.min_holders or role.max_holders or role.chair:
            out.update(r for r in (role.id, role.chair) if r)
    for state in policy.states.values():
        for cell in state.roles.values():
            if cell.min_holders or cell.max_holders or cell.chair:
                out.update(r for r in (cell.role, cell.chair) if r)
    return out


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


def _slot_places(
    policy: Policy, prefix: str, groups: Iterable[tuple[str, ...]]
) -> Iterator[tuple[str, list[str]]]:
    """Each decider slot as a place, its party groups resolved: the members of a group
    stand where the group is written."""
    for gi, group in enumerate(resolve(tuple(groups), policy)):
        for si, slot in enumerate(group):
            yield f"{prefix}.{gi}.{si}", [slot]


def _places(policy: Policy) -> Iterator[tuple[str, Iterable[str]]]:
    """Every place in the policy that names parties, with the parties it names."""
    for sid, state in policy.states.items():
        for role, cell in state.roles.items():
            yield f"{sid}.{role}.holders", cell.holders
            yield f"{sid}.{role}.eligible", cell.eligible
            yield from _slot_places(policy, f"{sid}.{role}.appoint", cell.appoint)
    for rule in policy.transitions.values():
        yield from _slot_places(policy, f"{rule.id}.deciders", rule.deciders)
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
        yield from _slot_places(policy, f"decision.{decision.id}", decision.by)
        yield f"decision.{decision.id}.inform", decision.inform


def _invariant_places(policy: Policy) -> Iterator[tuple[str, Iterable[str]]]:
    """The parties an invariant's checks name in their parameters: a check may treat a
    party apart, so it must not be merged into another's class."""
    for invariant in policy.invariants.values():
        for ci, (_, params) in enumerate(invariant.checks):
            for key, value in params.items():
                values = value if isinstance(value, list) else [value]
                yield f"invariant.{invariant.id}.{ci}.{key}", [str(v) for v in values]


def measure_representatives(policy: Policy) -> tuple[str, ...]:
    """One measure per class of measures the policy treats alike (same group, who imposes
    and ends it, who holds which role while it is in force): the others lead to the same
    situations. One with a term stands for its class where there is one: it can do all
    the others can, and expire besides (which ends it as an ending does), so the
    explorer tries expiry on every class where it can happen."""
    seen: dict[tuple[object, ...], str] = {}
    for measure in policy.measures.values():
        roles = tuple(sorted(measure.roles.items()))
        signature = (measure.group, measure.imposed_by, measure.ended_by, roles)
        first = policy.measures.get(seen.get(signature, ""))
        if first is None or (first.duration is None and measure.duration is not None):
            seen[signature] = measure.id
    return tuple(seen.values())


def dominance_representatives(policy: Policy) -> tuple[str, ...]:
    """One dominance option per class of options that assign the same holders to the same
    roles: which of them a case names changes no role, so the others lead to the same
    situations under another name."""
    seen: dict[tuple[object, ...], str] = {}
    for option in policy.dominance.values():
        signature = (tuple(sorted(option.roles.items())), tuple(sorted(option.choices.items())))
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
    groups: Iterable[tuple[str, ...]], roles: Any, policy: Policy
) -> list[tuple[str, tuple[str, ...]]]:
    """One (actor, together) per decider alternative that can be filled now; a party
    group stands for its members (all of them, for ``all:GROUP``)."""
    out = []
    for group in resolve(tuple(groups), policy):
        filled = _fill(group, roles)
        if filled is not None and filled not in out:
            out.append(filled)
    return out


def outsider(policy: Policy, groups: Iterable[tuple[str, ...]], roles: Any) -> str:
    """A party that fills no slot of any alternative: to try an unauthorised command.
    Every member of a party group the deciders name is inside."""
    inside: set[str] = set()
    for group in resolve(tuple(groups), policy):
        for slot in group:
            inside |= slot_parties(slot, roles)
    for party in policy.parties:
        if party not in inside:
            return party
    return next(iter(policy.parties))
