"""What an exhaustive exploration found: the findings, and the verdict of every check.

A :class:`Finding` is one thing that does not hold, with the shortest story that shows
it; an :class:`Exploration` holds them all with how far the search got, and says per
check whether it holds, is violated, or is *not proven* because a bound cut the search.
The ids of the built-in checks (``no-dead-end`` …) are named here, next to the verdict
that reports them.

May import: ``regiekaart.testing``, ``render``, ``store``, ``scenario``,
``analysis``, ``runtime``, ``policy`` and the foundation (``errors``, ``ids``,
``limits``, ``clock``, ``terminal``); never ``simulate`` or ``cli``.
"""

from __future__ import annotations

from typing import Literal

import attrs

from regiekaart.analysis.enumeration import Scope
from regiekaart.analysis.invariants import Invariant
from regiekaart.policy.model import Policy
from regiekaart.runtime.commands import Member
from regiekaart.runtime.records import Event

__all__ = [
    "AUTHORITY",
    "NO_DEAD_END",
    "REACHABILITY",
    "RULES_FIRE",
    "SEARCH_KINDS",
    "Exploration",
    "Finding",
    "FindingKind",
]

FindingKind = Literal["invariant", "authority", "unreachable", "dead_rule", "dead_end"]

SEARCH_KINDS = frozenset({"path_to"})
"""Check kinds decided on the explored graph instead of per situation."""

NO_DEAD_END = "no-dead-end"
AUTHORITY = "deciders-on-every-step"
REACHABILITY = "every-state-reachable"
RULES_FIRE = "every-rule-fires"


@attrs.frozen
class Finding:
    """One thing that does not hold, with the shortest story that shows it.

    ``trace`` holds the events after the case was opened (the opening is the start
    case's own); empty for findings about the card as a whole (a dead rule).
    """

    kind: FindingKind
    check: str
    """The invariant id, or one of the built-in checks (``no-dead-end`` …)."""
    title: str
    source: str
    detail: str
    trace: tuple[Event, ...] = ()
    subject: str = ""
    """The state or rule the finding is about, where there is one."""
    check_kind: str = ""


@attrs.define
class Exploration:
    """What one exhaustive exploration found, and how far it got."""

    policy: Policy
    scope: Scope
    max_states: int
    household: tuple[Member, ...]
    opened_by: str
    invariants: tuple[Invariant, ...]
    situations: int = 0
    tried: int = 0
    accepted: int = 0
    seconds: float = 0.0
    workers: int = 1
    """Processes the search ran in (see :func:`~regiekaart.analysis.search.bfs`)."""
    bound_hit: bool = False
    reached: set[str] = attrs.field(factory=set)
    fired: set[str] = attrs.field(factory=set)
    undetermined: int = 0
    """Situations whose way back could not be decided because the bound cut the graph."""
    findings: list[Finding] = attrs.field(factory=list)

    @property
    def per_second(self) -> float:
        """Situations explored per second."""
        return self.situations / self.seconds if self.seconds else 0.0

    @property
    def holds(self) -> bool:
        """Everything holds and the exploration was complete."""
        return not self.findings and not self.bound_hit

    def status(self, check: str) -> Literal["holds", "violated", "not proven"]:
        """The verdict for one invariant id or built-in check."""
        if any(f.check == check for f in self.findings):
            return "violated"
        if self.bound_hit or (check in (NO_DEAD_END, *self._search_ids()) and self.undetermined):
            return "not proven"
        return "holds"

    def findings_for(self, check: str) -> list[Finding]:
        """The findings of one check, shortest story first."""
        return [f for f in self.findings if f.check == check]

    def _search_ids(self) -> list[str]:
        return [i.id for i in self.invariants if any(n in SEARCH_KINDS for n, _ in i.checks)]

    def checks(self) -> list[tuple[str, str, str]]:
        """Every check of the verdict as (id, title, handreiking section), invariants first."""
        out = [(i.id, i.title, i.source) for i in self.invariants]
        initial = self.policy.initial_state()
        out.append((AUTHORITY, "No accepted step was made by anyone but its deciders", "Bijlage 2"))
        out.append((REACHABILITY, "Every phase and sub-state can be reached", ""))
        out.append((RULES_FIRE, "Every transition of the card can fire", ""))
        out.append(
            (
                NO_DEAD_END,
                f"From every situation {initial.title or initial.id} can be reached again",
                "",
            )
        )
        return out
