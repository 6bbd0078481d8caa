"""Who may decide: matching the acting parties against a rule's deciders.

A rule's deciders are alternatives; an alternative is a group of slots that distinct
parties must fill together ("the casusregisseur together with the procesregisseur").
A slot names a party, ``role:ROLE`` (whoever holds that role now) or several of those
joined by ``|`` (any one of them). The acting party must itself fill one of the slots:
co-deciders support a decision, they do not make it for the actor.

May import: ``regiekaart.policy`` and the foundation (besides this package).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from itertools import permutations

from regiekaart.policy.model import Policy

__all__ = [
    "Groups",
    "authorized",
    "describe",
    "slot_parties",
]


Groups = Sequence[Sequence[str]]


def slot_parties(slot: str, roles: Mapping[str, Sequence[str]]) -> frozenset[str]:
    """The parties that can fill ``slot`` given the current role holders."""
    out: set[str] = set()
    for part in slot.split("|"):
        if part.startswith("role:"):
            out.update(roles.get(part[5:], ()))
        else:
            out.add(part)
    return frozenset(out)


def _fills(
    group: Sequence[str], actor: str, others: Sequence[str], roles: Mapping[str, Sequence[str]]
) -> bool:
    candidates = [slot_parties(slot, roles) for slot in group]
    for index, options in enumerate(candidates):
        if actor not in options:
            continue
        rest = candidates[:index] + candidates[index + 1 :]
        if not rest:
            return True
        pool = [p for p in others if p != actor]
        if len(pool) < len(rest):
            continue
        for chosen in permutations(pool, len(rest)):
            if all(party in slot for party, slot in zip(chosen, rest, strict=True)):
                return True
    return False


def authorized(
    groups: Groups, actor: str, together: Iterable[str], roles: Mapping[str, Sequence[str]]
) -> bool:
    """Whether ``actor`` (with ``together``) fills every slot of one alternative."""
    others = tuple(dict.fromkeys(together))
    return any(_fills(group, actor, others, roles) for group in groups)


def describe(groups: Groups, policy: Policy) -> str:
    """The deciders in words, for refusals and renderings."""

    def slot_text(slot: str) -> str:
        names = []
        for part in slot.split("|"):
            if part.startswith("role:"):
                role = policy.roles.get(part[5:])
                names.append(f"the holder of {role.title if role else part[5:]}")
            else:
                party = policy.parties.get(part)
                names.append(party.name if party else part)
        return " or ".join(names)

    alternatives = [" together with ".join(slot_text(s) for s in group) for group in groups]
    return "; or ".join(alternatives) if alternatives else "nobody"
