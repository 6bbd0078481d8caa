"""The semantic checks of party groups: what a group is, and where it may stand.

A group (``groups:``) names parties that the card would otherwise repeat in every rule
that names the collective. It may stand where its members would: in a decider slot
(``group:ID``, any one member), as a decider of its own or a slot of ``together:``
(``all:ID``, every member), and in the holders or eligible parties of a role cell or a
transition's ``assign`` (``group:ID``, the members). Anywhere else a field names one
party at a time, so a group there is an error that says so. The checks yield
``(path, message)`` pairs that :mod:`regiekaart.policy.semantics` locates.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from regiekaart.policy.model import Policy
from regiekaart.policy.sourcemap import KeyPath

GROUP = "group:"
ALL = "all:"

Problem = tuple[KeyPath, str]


def group_problems(policy: Policy) -> Iterator[Problem]:
    """Every group has members, each a known party, and an id no party has."""
    for group in policy.party_groups.values():
        path: KeyPath = ("groups", group.id)
        if group.id in policy.parties:
            yield (
                path,
                (
                    f"group {group.id!r} has the id of a party: a group and a party cannot share "
                    "an id, so that every rule says which of the two it means"
                ),
            )
        if not group.members:
            yield (*path, "members"), f"group {group.id!r} has no members"
        for index, member in enumerate(group.members):
            if member not in policy.parties:
                yield (
                    (*path, "members", index),
                    (
                        f"unknown party {member!r} in group {group.id!r} "
                        f"(known parties: {_known(policy)})"
                    ),
                )


def holder_problems(policy: Policy, path: KeyPath, written: Iterable[str]) -> Iterator[Problem]:
    """A list of parties that may name groups as ``group:ID``: holders, eligible, assign."""
    for index, item in enumerate(written):
        if item.startswith(GROUP):
            if item[len(GROUP) :] not in policy.party_groups:
                yield (*path, index), _unknown_group(policy, item[len(GROUP) :])
        elif item not in policy.parties:
            yield (*path, index), not_a_party(policy, item) or _unknown_party(policy, item)


def part_problem(policy: Policy, part: str, slot: str) -> str | None:
    """What is wrong with one part of a decider slot that is not ``role:ROLE``."""
    if part.startswith(ALL):
        if "|" in slot:
            return (
                f"{part!r} in decider {slot!r}: all members of a group together cannot be one "
                f"of a list of alternatives; write {part} as an alternative of its own or as a "
                "slot of together:"
            )
        if part[len(ALL) :] not in policy.party_groups:
            return f"{_unknown_group(policy, part[len(ALL) :])} in decider {slot!r}"
        return None
    if part.startswith(GROUP):
        if part[len(GROUP) :] not in policy.party_groups:
            return f"{_unknown_group(policy, part[len(GROUP) :])} in decider {slot!r}"
        return None
    if part in policy.party_groups:
        return (
            f"{part!r} in decider {slot!r} is a group, not a party: write group:{part} "
            f"(any one member) or all:{part} (every member together)"
        )
    if part not in policy.parties:
        return f"unknown party {part!r} in decider {slot!r}"
    return None


def not_a_party(policy: Policy, item: str) -> str | None:
    """Why a party group cannot stand where one party at a time is named, if it is one."""
    name = item.split(":", 1)[1] if item.startswith((GROUP, ALL)) else item
    if name not in policy.party_groups:
        return None
    return (
        f"{item!r} is a party group; here each entry names one party: list its members "
        "(a group stands for its members only in deciders, in a role cell's holders and "
        "eligible, and in a transition's assign)"
    )


def _unknown_group(policy: Policy, name: str) -> str:
    known = ", ".join(sorted(policy.party_groups)) or "none declared"
    return f"unknown group {name!r} (known groups: {known})"


def _unknown_party(policy: Policy, party: str) -> str:
    return f"unknown party {party!r} (known parties: {_known(policy)})"


def _known(policy: Policy) -> str:
    return ", ".join(sorted(policy.parties)) or "none declared"
