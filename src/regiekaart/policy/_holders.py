"""Holders that depend on the case: a choice with a condition, and the dominance options.

Kept apart from :mod:`regiekaart.policy.model`, which re-exports both, so each file stays
readable; a role cell and a dominance option read their holders through :func:`choose`.

May import: the foundation and this package, nothing else of regiekaart.
"""

from __future__ import annotations

from collections.abc import Mapping

import attrs
from attrs import frozen

from regiekaart.policy.conditions import Condition, Situation, holds

__all__ = ["Choice", "DominanceOption", "choose"]


@frozen
class Choice:
    """Holders that depend on the case: the responsible official follows the household
    (one official when the household has a child, another when it has only adults)."""

    holders: tuple[str, ...]
    condition: Condition | None = None
    """When these holders apply; ``None``: always (the last choice of a list)."""


def choose(choices: tuple[Choice, ...], situation: Situation) -> tuple[str, ...] | None:
    """The holders of the first choice whose condition holds, or ``None`` if none does."""
    for choice in choices:
        if choice.condition is None or holds(choice.condition, situation):
            return choice.holders
    return None


@frozen
class DominanceOption:
    """What dominates the problems, and so who takes which role."""

    id: str
    title: str
    roles: Mapping[str, tuple[str, ...]]
    """Role → holders; for a role with :attr:`choices`, the choice without a condition."""
    source: str = ""
    choices: Mapping[str, tuple[Choice, ...]] = attrs.field(factory=dict)
    """Role → holders that depend on the case, first that applies."""

    def holders(self, role: str, situation: Situation) -> tuple[str, ...] | None:
        """Who this option puts in ``role`` for a case in ``situation`` (``None``: it
        names nobody there, so the cell's next source applies)."""
        if role in self.choices:
            return choose(self.choices[role], situation)
        return self.roles.get(role)

    def every_holder(self, role: str) -> frozenset[str]:
        """Everyone this option can put in ``role``, whatever the case."""
        found = set(self.roles.get(role, ()))
        for choice in self.choices.get(role, ()):
            found.update(choice.holders)
        return frozenset(found)
