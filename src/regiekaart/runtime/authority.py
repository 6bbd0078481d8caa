"""Who may decide: matching the acting parties against a rule's deciders.

A rule's deciders are alternatives; an alternative is a group of slots that distinct
parties must fill together ("the casusregisseur together with the procesregisseur").
A slot names a party, ``role:ROLE`` (whoever holds that role now), ``group:GROUP``
(any one member of a party group) or several of those joined by ``|`` (any one of
them); ``all:GROUP`` stands for one slot per member of the group (the group decides
together). The acting party must itself fill one of the slots: co-deciders support a
decision, they do not make it for the actor.

The card keeps the groups as written, so that a refusal can name the collective; they
are resolved to their members (:func:`resolve`) where parties are matched.

May import: ``regiekaart.policy`` and the foundation (besides this package).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from itertools import permutations

from regiekaart.policy.model import PartyGroup, Policy

__all__ = [
    "ALL",
    "GROUP",
    "Groups",
    "authorized",
    "describe",
    "resolve",
    "slot_parties",
]


Groups = Sequence[Sequence[str]]

GROUP = "group:"
"""A slot part naming a party group: any one of its members."""
ALL = "all:"
"""A slot naming a party group whose members decide together, each in a slot of its own."""


def _slot_members(slot: str, groups: Mapping[str, PartyGroup]) -> str:
    parts: list[str] = []
    for part in slot.split("|"):
        group = groups.get(part[len(GROUP) :]) if part.startswith(GROUP) else None
        parts.extend(group.members if group is not None else (part,))
    return "|".join(dict.fromkeys(parts))


def resolve(deciders: Groups, policy: Policy) -> tuple[tuple[str, ...], ...]:
    """``deciders`` with every party group replaced by its members: ``group:G`` in a slot
    by the members as alternatives, an ``all:G`` slot by one slot per member. What is
    matched against the acting parties; a card without groups is returned as it is.
    Remembered per card for the deciders it names (tuples), asked of every command."""
    try:
        return _slots(deciders, policy)[0]
    except TypeError:  # deciders made of lists: not a key of the memo
        return _resolve(deciders, policy)


def _resolve(deciders: Groups, policy: Policy) -> tuple[tuple[str, ...], ...]:
    groups = policy.party_groups
    if not groups:
        return tuple(tuple(alternative) for alternative in deciders)
    out: list[tuple[str, ...]] = []
    for alternative in deciders:
        slots: list[str] = []
        for slot in alternative:
            group = groups.get(slot[len(ALL) :]) if slot.startswith(ALL) else None
            if group is not None:
                slots.extend(group.members)
            else:
                slots.append(_slot_members(slot, groups))
        out.append(tuple(slots))
    return tuple(out)


_Slot = tuple[frozenset[str], tuple[str, ...]]
"""A slot read once: the parties it names, and the roles whose holders fill it."""


def _read_slot(slot: str) -> _Slot:
    parts = slot.split("|")
    return (
        frozenset(p for p in parts if not p.startswith("role:")),
        tuple(p[5:] for p in parts if p.startswith("role:")),
    )


_Resolved = tuple[tuple[tuple[str, ...], ...], tuple[tuple[_Slot, ...], ...]]


def _slots(deciders: Groups, policy: Policy) -> _Resolved:
    """The resolved deciders, and each of their slots read (:func:`_read_slot`), from the
    card's memo; raises ``TypeError`` for deciders that cannot be a key."""
    table = policy.memo("authority.slots")
    found: _Resolved | None = table.get(deciders)
    if found is None:
        resolved = _resolve(deciders, policy)
        read = tuple(tuple(_read_slot(slot) for slot in group) for group in resolved)
        found = table[deciders] = (resolved, read)
    return found


def slot_parties(slot: str, roles: Mapping[str, Sequence[str]]) -> frozenset[str]:
    """The parties that can fill ``slot`` (of :func:`resolved <resolve>` deciders) given
    the current role holders."""
    out: set[str] = set()
    for part in slot.split("|"):
        if part.startswith("role:"):
            out.update(roles.get(part[5:], ()))
        else:
            out.add(part)
    return frozenset(out)


def _can_fill(slot: _Slot, party: str, roles: Mapping[str, Sequence[str]]) -> bool:
    named, held = slot
    return party in named or any(party in roles.get(role, ()) for role in held)


def _fills(
    group: tuple[_Slot, ...], actor: str, others: Sequence[str], roles: Mapping[str, Sequence[str]]
) -> bool:
    for index, slot in enumerate(group):
        if not _can_fill(slot, actor, roles):
            continue
        rest = group[:index] + group[index + 1 :]
        if not rest:
            return True
        pool = [p for p in others if p != actor]
        if len(pool) < len(rest):
            continue
        for chosen in permutations(pool, len(rest)):
            if all(_can_fill(s, party, roles) for party, s in zip(chosen, rest, strict=True)):
                return True
    return False


def authorized(
    deciders: Groups,
    actor: str,
    together: Iterable[str],
    roles: Mapping[str, Sequence[str]],
    policy: Policy,
) -> bool:
    """Whether ``actor`` (with ``together``) fills every slot of one alternative of the
    ``deciders`` of ``policy`` (whose party groups they may name)."""
    try:
        alternatives = _slots(deciders, policy)[1]
    except TypeError:
        resolved = _resolve(deciders, policy)
        alternatives = tuple(tuple(_read_slot(slot) for slot in group) for group in resolved)
    others = tuple(dict.fromkeys(together))
    return any(_fills(group, actor, others, roles) for group in alternatives)


def _group_words(group: PartyGroup, policy: Policy, how: str) -> str:
    """``the TITLE together (MEMBER, MEMBER, …)``: the collective by its title, then its
    members, so the reader knows who it is without the card."""
    title = group.title
    if title[:2] != title[:2].upper():
        title = title[:1].lower() + title[1:]
    names = ", ".join(_party_name(m, policy) for m in group.members)
    return f"{how.format(title)} ({names})"


def _party_name(party_id: str, policy: Policy) -> str:
    party = policy.parties.get(party_id)
    return party.name if party else party_id


def _part_words(part: str, policy: Policy, alone: bool) -> str:
    if part.startswith("role:"):
        role = policy.roles.get(part[5:])
        return f"the holder of {role.title if role else part[5:]}"
    group = policy.party_groups.get(part.partition(":")[2])
    if group is not None and part.startswith(GROUP):
        return _group_words(group, policy, "one of the {}")
    if group is not None and part.startswith(ALL):
        return _group_words(group, policy, "the {} together" if alone else "all of the {}")
    return _party_name(part, policy)


def describe(deciders: Groups, policy: Policy) -> str:
    """The deciders in words, for refusals and renderings; a party group by its title
    and members ("the TITLE together (MEMBER, MEMBER, …)"). Remembered per card for the
    deciders it names: every refusal of a decider says it."""
    table = policy.memo("authority.words")
    try:
        found: str | None = table.get(deciders)
    except TypeError:  # deciders made of lists: not a key of the memo
        return _describe(deciders, policy)
    if found is None:
        found = table[deciders] = _describe(deciders, policy)
    return found


def _describe(deciders: Groups, policy: Policy) -> str:

    def slot_text(slot: str, alone: bool) -> str:
        return " or ".join(_part_words(part, policy, alone) for part in slot.split("|"))

    alternatives = [
        " together with ".join(slot_text(s, len(group) == 1) for s in group) for group in deciders
    ]
    return "; or ".join(alternatives) if alternatives else "nobody"
