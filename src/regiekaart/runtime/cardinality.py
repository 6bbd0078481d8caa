"""The card's bounds on holders, held after every step that changes who holds what.

A transition's guard asks it of the roles the step would leave (so the chart refuses
what it refuses, and nothing moves); an appointment and a measure ask it of the roles
they would record. The answer is the refusal a person reads: the role, how many would
hold it, and what the card allows there — or the chair a group of holders would lack.

May import: ``regiekaart.policy`` and the foundation (besides this package).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from regiekaart.errors import ChairRequired, CommandRefused, HoldersOutOfBounds
from regiekaart.policy.cardinality import breaches
from regiekaart.policy.model import Policy

__all__ = ["refusal"]


def refusal(
    policy: Policy,
    roles: Mapping[str, tuple[str, ...]],
    active: frozenset[str],
    *,
    command: Any,
    rule: str,
    source: str,
    configuration: Sequence[str],
) -> CommandRefused | None:
    """The refusal of a step that would leave ``roles`` under ``active`` against the
    card's bounds or chairs (the first such role of the card), or ``None``."""
    for breach in breaches(policy, roles, active):
        common: dict[str, Any] = {
            "command": command,
            "rule": rule,
            "source": source,
            "configuration": configuration,
        }
        message = breach.message()
        if breach.chair is not None:
            return ChairRequired(message, role=breach.role, chair=breach.chair, **common)
        return HoldersOutOfBounds(
            message,
            role=breach.role,
            count=breach.count,
            least=breach.bounds.least,
            most=breach.bounds.most,
            **common,
        )
    return None
