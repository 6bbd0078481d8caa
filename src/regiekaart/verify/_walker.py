"""The checks on every accepted step of an exploration, and what it remembers per situation.

``_Walker`` is the ``visit``, ``examine`` and ``tally`` of
:func:`~regiekaart.analysis.search.bfs`: invariants are checked after every accepted
command, and the deciders of each accepted step are checked against
:func:`regiekaart.runtime.authority.authorized`, independent of the runtime's own guard.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import attrs

from regiekaart.analysis.invariants import CHECKS
from regiekaart.analysis.search import Arrival, Examine, Outcome, Tried
from regiekaart.analysis.situations import SituationKey
from regiekaart.policy.model import Policy
from regiekaart.runtime import authority
from regiekaart.runtime.records import CaseState, Event
from regiekaart.verify.findings import AUTHORITY, SEARCH_KINDS, Exploration, Finding

Progress = Callable[[int, int], None]
"""Called now and then with (situations found, commands tried)."""


_Noted = tuple[tuple[str, int], Finding]
"""A finding with the (invariant, check index) it violates."""


class Walker:
    """What the exploration remembers per situation, and the checks per accepted step.

    :meth:`examine` runs beside the case (in a worker process when the search is
    parallel) and returns the findings of one step; :meth:`tally` keeps the graph and
    the first finding of each check, in breadth-first order — the shortest story.
    """

    def __init__(
        self,
        result: Exploration,
        progress: Progress | None,
        on_visit: Callable[[SituationKey, Any, Arrival], None] | None,
        observe: Examine | None,
        on_tally: Callable[[SituationKey, Tried], None] | None,
    ) -> None:
        self.result = result
        self.policy = result.policy
        self.progress = progress
        self.on_visit = on_visit
        self.observe = observe
        self.on_tally = on_tally
        local = [
            (inv, index, name, params)
            for inv in result.invariants
            for index, (name, params) in enumerate(inv.checks)
            if name not in SEARCH_KINDS
        ]
        self.by_state = [c for c in local if CHECKS[c[2]].reads == "state"]
        self.by_log = [c for c in local if CHECKS[c[2]].reads != "state"]
        self.seen: set[tuple[str, int]] = set()
        """Checks already violated where the steps are examined (one story each is enough)."""
        self.reported: set[tuple[str, int]] = set()
        """Checks whose first (shortest) violation the result holds."""
        self.judged: set[SituationKey] = set()
        """Situations whose state checks have run (in this process)."""
        self.configs: dict[SituationKey, tuple[str, ...]] = {}
        self.paths: dict[SituationKey, tuple[Event, ...]] = {}
        self.closed: set[SituationKey] = set()
        self.edges: dict[SituationKey, set[SituationKey]] = {}

    def check(self, view: Any, target: SituationKey | None = None) -> list[_Noted]:
        """Every (local) check not yet violated, on the case after a step; the state
        checks only the first time ``target`` is judged here."""
        checks = self.by_log
        if target is None or target not in self.judged:
            checks = [*self.by_state, *self.by_log]
            if target is not None:
                self.judged.add(target)
        found = []
        for inv, index, name, params in checks:
            if (inv.id, index) in self.seen:
                continue
            detail = CHECKS[name].predicate(self.policy, params, view)
            if detail is not None:
                self.seen.add((inv.id, index))
                finding = Finding(
                    "invariant",
                    inv.id,
                    inv.title,
                    inv.source,
                    detail,
                    view.events[1:],
                    check_kind=name,
                )
                found.append(((inv.id, index), finding))
        return found

    def visit(self, key: SituationKey, live: Any, step: Arrival) -> None:
        """A new situation: remember it; the start is checked here (the rest on steps)."""
        state = live.state
        self.configs[key] = state.configuration
        self.paths[key] = live.events
        self.result.reached.update(state.configuration)
        if live.closed:
            self.closed.add(key)
        if step.parent is None:
            for which, finding in self.check(live):
                self.reported.add(which)
                self.result.findings.append(finding)
        if self.on_visit is not None:
            self.on_visit(key, live, step)
        if self.progress is not None and len(self.configs) % 50 == 0:
            self.progress(len(self.configs), self.result.tried)

    def examine(
        self, key: SituationKey, before: CaseState, outcome: Outcome, live: Any
    ) -> tuple[list[_Noted] | None, Any]:
        """An accepted step: were its deciders the ones who made it, does every
        invariant still hold? No findings is ``None`` (the common case). The second
        part is what ``observe`` made of the step."""
        observed = self.observe(key, before, outcome, live) if self.observe else None
        event = outcome.event
        if event is None:
            return None, observed
        found = self.check(live, outcome.target)
        wrong = _check_authority(self.policy, before.roles, event, live, self.seen)
        if wrong is not None:
            found.append(((AUTHORITY, 0), wrong))
        return found or None, observed

    def tally(self, key: SituationKey, tried: Tried) -> None:
        """One command tried: count it, keep the edge, keep the first finding per check."""
        result = self.result
        findings, observed = tried.note
        if self.on_tally is not None:
            self.on_tally(key, attrs.evolve(tried, note=observed))
        result.tried += 1
        if not tried.accepted:
            return
        result.accepted += 1
        assert tried.target is not None
        self.edges.setdefault(key, set()).add(tried.target)
        if tried.rule:
            result.fired.add(tried.rule)
        for which, finding in findings or ():
            if which not in self.reported:
                self.reported.add(which)
                result.findings.append(finding)


def _check_authority(
    policy: Policy,
    before: Mapping[str, tuple[str, ...]],
    event: Event,
    live: Any,
    seen: set[tuple[str, int]],
) -> Finding | None:
    """The deciders of the rule (or decision) that accepted ``event`` made it."""
    rule = policy.transitions.get(event.rule)
    decision = policy.decisions.get(event.rule)
    groups = rule.deciders if rule is not None else decision.by if decision is not None else None
    if groups is None or (AUTHORITY, 0) in seen:
        return None
    command = event.command
    if authority.authorized(groups, command.actor, command.together, before, policy):
        return None
    seen.add((AUTHORITY, 0))
    title = rule.title if rule is not None else decision.title if decision is not None else ""
    return Finding(
        "authority",
        AUTHORITY,
        "No accepted step was made by anyone but its deciders",
        event.source,
        f"{title or event.rule} was accepted from {', '.join(command.parties)}; "
        f"its deciders are {authority.describe(groups, policy)}",
        live.events[1:],
        subject=event.rule,
    )
