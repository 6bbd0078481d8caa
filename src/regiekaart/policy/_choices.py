"""Holders that depend on the case: how a card writes them, and what is checked.

A role cell's ``holders`` and a dominance option's role may be a list of choices,
``[{if: CONDITION, holders: [...]}, ..., {holders: [...]}]``: the first whose condition
holds gives the holders (the responsible official follows the household's members).
Reading keeps the plain holders beside the choices (the choice without a condition), so
a reader that only shows the usual holders still shows the usual ones. The checks
report, through the ``add`` of :mod:`regiekaart.policy.semantics`, unknown parties,
holders outside the cell's eligible list, conditions on what the card does not declare,
and a required cell that some case could leave without a holder.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from regiekaart.policy import conditions
from regiekaart.policy._groups import not_a_party
from regiekaart.policy.model import Choice, DominanceOption, PartyGroup, Policy, RoleCell
from regiekaart.policy.sourcemap import KeyPath

Add = Callable[[KeyPath, str], None]
Members = Callable[[tuple[str, ...], Mapping[str, PartyGroup]], tuple[str, ...]]


def read(written: Any, groups: Mapping[str, PartyGroup], members: Members) -> tuple[Choice, ...]:
    """A holders list written as choices, or ``()`` for a plain list of parties;
    ``members`` replaces each ``group:ID`` by the group's members."""
    if not isinstance(written, list) or not any(isinstance(item, dict) for item in written):
        return ()
    return tuple(
        Choice(
            holders=members(tuple(str(h) for h in item.get("holders") or ()), groups),
            condition=conditions.read(item["if"]) if "if" in item else None,
        )
        for item in written
    )


def dominance_option(
    option_id: str, written: Mapping[str, Any], groups: Mapping[str, PartyGroup], members: Members
) -> DominanceOption:
    """A dominance option as written: the plain holders per role, and the choices of the
    roles written with them."""
    roles: dict[str, tuple[str, ...]] = {}
    choices: dict[str, tuple[Choice, ...]] = {}
    for role, holders in written["roles"].items():
        found = read(holders, groups, members)
        roles[role] = members(tuple(str(h) for h in plain(holders, found) or ()), groups)
        if found:
            choices[role] = found
    return DominanceOption(
        id=option_id,
        title=written["title"],
        roles=roles,
        source=written.get("source", ""),
        choices=choices,
    )


def plain(written: Any, choices: tuple[Choice, ...]) -> Any:
    """The holders of a plain list, or of the choice without a condition."""
    if not choices:
        return written
    return next((c.holders for c in choices if c.condition is None), ())


def check_cell(policy: Policy, add: Add, path: KeyPath, cell: RoleCell) -> None:
    """A cell's choices: see :func:`check`; and a required cell's last choice holds always."""
    check(policy, add, (*path, "holders"), cell.choices, cell.eligible)
    if cell.choices and not cell.optional and cell.choices[-1].condition is not None:
        add(
            (*path, "holders", len(cell.choices) - 1),
            f"role {cell.role!r} could be left without a holder: its last choice needs no "
            "'if', so that some choice always applies (or mark the role optional)",
        )


def check_option(policy: Policy, add: Add, option: DominanceOption) -> None:
    """A dominance option's choices, role by role."""
    for role, choices in option.choices.items():
        check(policy, add, ("dominance", "options", option.id, "roles", role), choices, ())


def check(
    policy: Policy,
    add: Add,
    path: KeyPath,
    choices: tuple[Choice, ...],
    eligible: tuple[str, ...],
) -> None:
    """Each choice names parties (eligible, where the cell says who is) and a condition
    on what the card declares."""
    for index, choice in enumerate(choices):
        for holder in choice.holders:
            where = (*path, index, "holders")
            if holder not in policy.parties:
                add(where, not_a_party(policy, holder) or f"unknown party {holder!r}")
            elif eligible and holder not in eligible:
                add(where, f"holder {holder!r} is not in eligible")
        if choice.condition is not None:
            check_condition(policy, add, (*path, index, "if"), choice.condition)


_UNKNOWN = {
    "members": "unknown member group",
    "measures": "unknown measure",
    "dominance": "unknown dominance option",
    "fact": "no decision sets the fact",
}


def check_condition(
    policy: Policy, add: Add, path: KeyPath, condition: conditions.Condition
) -> None:
    """Every member group, measure, dominance option and fact a condition names exists."""
    known: dict[str, Any] = {
        "members": policy.member_groups,
        "measures": policy.measures,
        "dominance": policy.dominance,
        "fact": {d.sets for d in policy.decisions.values() if d.sets},
    }
    for subject, value in conditions.references(condition):
        if value not in known[subject]:
            add(path, f"{_UNKNOWN[subject]} {value!r} in the condition")
