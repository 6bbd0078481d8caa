"""How many parties hold a role, and which role chairs them: the card's bounds on holders.

A card can say that a role in one phase lies with "two or three professionals in a
regiegroep", chaired by the procesregisseur. The role states bounds for every state it
is held in (``min_holders`` / ``max_holders`` on the role), a cell may state its own for
its state, and ``chair`` names the role whose holders chair the group. The runtime
refuses every step after which a role has too few or too many holders, or a group of
holders without its chair; the semantic checks, the invariants and the renderers read
the same bounds from here, so they cannot disagree about what the card allows.

May import: the foundation (``regiekaart.errors``, ``ids``, ``limits``, ``clock``,
``terminal``) and this package, nothing else of regiekaart.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

import attrs

from regiekaart.policy.model import Policy, RoleCell

__all__ = [
    "Bounds",
    "Breach",
    "Constraint",
    "bounds",
    "breaches",
    "chair",
    "constrained",
    "ordered_roles",
]


@attrs.frozen
class Bounds:
    """How many parties may hold a role at once, whenever it is held at all."""

    least: int = 1
    most: int | None = None
    """``None``: no upper bound."""

    def allows(self, count: int) -> bool:
        """Whether ``count`` holders are within the bounds (nobody holding it is a
        question of whether the role is required, not of its bounds)."""
        if count == 0:
            return True
        return self.least <= count and (self.most is None or count <= self.most)

    @property
    def stated(self) -> bool:
        """Whether the bounds say more than "at least one"."""
        return self.least > 1 or self.most is not None

    def words(self) -> str:
        """The bounds in plain English, for refusals and load errors."""
        if self.most is None:
            return f"at least {self.least}"
        if self.least == 1:
            return f"at most {self.most}"
        if self.most == self.least:
            return f"exactly {self.least}"
        return f"{self.least} to {self.most}"


def bounds(policy: Policy, cell: RoleCell) -> Bounds:
    """The bounds on the holders of ``cell.role`` while the cell's state is active: the
    cell's own where it states them, else the role's, else at least one."""
    role = policy.roles.get(cell.role)
    least = cell.min_holders or (role.min_holders if role else 0) or 1
    most = cell.max_holders or (role.max_holders if role else 0) or None
    return Bounds(least=least, most=most)


def chair(policy: Policy, cell: RoleCell) -> str | None:
    """The role that chairs the holders of ``cell.role`` here, if any."""
    if cell.chair is not None:
        return cell.chair
    role = policy.roles.get(cell.role)
    return role.chair if role else None


@attrs.frozen
class Breach:
    """A role held against the card's bounds or without its chair."""

    role: str
    count: int
    bounds: Bounds
    chair: str | None = None
    """Set when the breach is a group of holders whose chairing role nobody holds."""
    eligible: tuple[str, ...] = ()
    """Who may hold the role there, to name when too few would."""

    def message(self, *, would: bool = True) -> str:
        """What is wrong and what would be accepted, naming the role and the count; of a
        step (``would``) or of a case as it stands."""
        has, held = ("would have", "would hold") if would else ("has", "holds")
        holders = "holder" if self.count == 1 else "holders"
        if self.chair is not None:
            return (
                f"{self.role} {has} {self.count} {holders}, a group chaired by "
                f"{self.chair}, and nobody {held} {self.chair}; keep or choose a holder "
                f"of {self.chair}"
            )
        message = (
            f"{self.role} {has} {self.count} {holders}; the card allows {self.bounds.words()} here"
        )
        if self.count < self.bounds.least and self.eligible:
            message += f": choose them among {', '.join(self.eligible)}"
        return message


def breaches(
    policy: Policy, roles: Mapping[str, tuple[str, ...]], active: frozenset[str]
) -> Iterator[Breach]:
    """Every role of ``roles`` held against the bounds or the chair of its cell under the
    active states, in the order of the card's roles."""
    for role, cell, limits, chairing in constrained(policy, active):
        holders = roles.get(role, ())
        if not holders:
            continue
        if not limits.allows(len(holders)):
            eligible = tuple(sorted(cell.eligible_set))
            yield Breach(role=role, count=len(holders), bounds=limits, eligible=eligible)
            continue
        if chairing is not None and len(holders) > 1 and not roles.get(chairing):
            yield Breach(role=role, count=len(holders), bounds=limits, chair=chairing)


Constraint = tuple[str, RoleCell, Bounds, str | None]
"""A role, the cell that governs it, its bounds there and the role that chairs it."""


def constrained(policy: Policy, active: frozenset[str]) -> tuple[Constraint, ...]:
    """The roles whose holders the card bounds beyond "at least one" or chairs while
    ``active`` are the active states, in the order of the card's roles: the only ones
    :func:`breaches` can find held wrongly. Worked out once per card and configuration
    (the runtime asks after every step that moves a holder; most cells state nothing)."""
    table = policy.memo("cardinality.constrained")
    found: tuple[Constraint, ...] | None = table.get(active)
    if found is None:
        out = []
        for role in policy.roles:
            cell = policy.role_cell(active, role)
            if cell is None:
                continue
            limits, chairing = bounds(policy, cell), chair(policy, cell)
            if limits.stated or chairing is not None:
                out.append((role, cell, limits, chairing))
        found = table[active] = tuple(out)
    return found


def ordered_roles(policy: Policy) -> list[str]:
    """The roles in the order of the card's rows: those with an ``order`` by it, then the
    others in the order of the file."""
    index = {role: i for i, role in enumerate(policy.roles)}
    return sorted(
        policy.roles,
        key=lambda r: (policy.roles[r].order == 0, policy.roles[r].order, index[r]),
    )
