"""Exhaustive exploration of a policy: every reachable situation, every obligation checked.

The explorer (:func:`regiekaart.analysis.search.bfs`) applies every command the policy suggests
to a real case, breadth first, so the first time something goes wrong is also the
shortest story in which it does. This module adds what a verdict needs on top of it:

* every invariant is checked after every *accepted command* (not only once per
  situation): checks that read the event log (a warm handover, leaving a phase only with
  its plan) then see each way into a situation, not just the first one found;
* every decider rule is checked on each accepted command directly against
  :func:`regiekaart.runtime.authority.authorized`, independent of the runtime's own guard;
* which states were reached and which rules fired (the rest are dead);
* "from every situation the initial phase is reachable again" is decided on the
  explored graph, backwards from the situations in that phase — one pass over the
  edges rather than a search per situation. ``path_to`` checks of the policy's
  invariants are decided the same way.

A state-space bound ends the search cleanly: the result says the bound was hit and
that what was not violated is *not proven*, never that it holds.

May import: ``regiekaart.testing``, ``render``, ``store``, ``scenario``,
``analysis``, ``runtime``, ``policy`` and the foundation (``errors``, ``ids``,
``limits``, ``clock``, ``terminal``); never ``simulate`` or ``cli``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import structlog

from regiekaart.analysis.enumeration import Scope
from regiekaart.analysis.invariants import Invariant, invariants_for
from regiekaart.analysis.search import Arrival, Examine, PathClock, Tried, bfs, can_fork
from regiekaart.analysis.situations import SituationKey, default_household
from regiekaart.policy.model import Policy
from regiekaart.runtime.case import Case
from regiekaart.runtime.commands import Member
from regiekaart.verify._graph import card_coverage, dead_ends
from regiekaart.verify._walker import Progress, Walker
from regiekaart.verify.findings import Exploration

__all__ = ["VERIFY_SCOPE", "Progress", "explore", "opener", "quiet", "start_case"]

VERIFY_SCOPE = Scope(measure_order=False)
"""The explorer's default scope, with measures imposed in another order merged (sound
for every registered check: see :attr:`regiekaart.analysis.enumeration.Scope.measure_order`)."""


def start_case(
    policy: Policy, household: Sequence[Member] | None = None, opened_by: str | None = None
) -> Case:
    """A fresh case of ``policy``, opened by its first professional (or ``opened_by``),
    at the explorer's first time, so the times along every explored path run forward."""
    members = tuple(default_household(policy) if household is None else household)
    return Case.create(
        policy,
        "verify",
        actor=opened_by or opener(policy),
        members=members,
        clock=lambda: PathClock.START,
    )


def opener(policy: Policy) -> str:
    """The party that opens the explored case: the first professional of the card."""
    professionals = [p.id for p in policy.parties.values() if p.kind == "professional"]
    return (professionals or list(policy.parties))[0]


def explore(
    policy: Policy,
    *,
    scope: Scope = VERIFY_SCOPE,
    max_states: int = 100_000,
    extra: Iterable[Invariant] = (),
    household: Sequence[Member] | None = None,
    opened_by: str | None = None,
    progress: Progress | None = None,
    on_visit: Callable[[SituationKey, Any, Arrival], None] | None = None,
    observe: Examine | None = None,
    on_tally: Callable[[SituationKey, Tried], None] | None = None,
    workers: int = 1,
) -> Exploration:
    """Explore ``policy`` breadth first and check every obligation on the way.

    ``on_visit``, ``observe`` and ``on_tally`` are the ``visit``, ``examine`` and
    ``tally`` of :func:`~regiekaart.analysis.search.bfs` (``on_tally`` gets what ``observe``
    returned as the note), for tools that compare explorations (the policy diff) without
    exploring twice. ``workers > 1`` spreads each breadth-first level over that many
    processes; the result, shortest stories included, is the same.
    """
    with quiet():
        case = start_case(policy, household, opened_by)
    result = Exploration(
        policy=policy,
        scope=scope,
        max_states=max_states,
        household=case.state.members,
        opened_by=case.events[0].command.actor,
        invariants=(*invariants_for(policy), *extra),
    )
    result.workers = workers if workers > 1 and can_fork() else 1
    walker = Walker(result, progress, on_visit, observe, on_tally)
    began = time.perf_counter()
    with quiet():
        steps = bfs(
            policy,
            case,
            visit=walker.visit,
            examine=walker.examine,
            tally=walker.tally,
            scope=scope,
            keep_log=True,
            max_states=max_states,
            workers=result.workers,
        )
    result.situations = len(steps)
    result.bound_hit = len(steps) >= max_states
    dead_ends(policy, result, walker.configs, walker.paths, walker.closed, walker.edges)
    result.seconds = time.perf_counter() - began
    if progress is not None:
        progress(result.situations, result.tried)
    card_coverage(policy, result)
    result.findings.sort(key=lambda f: (len(f.trace), f.check))
    return result


@contextmanager
def quiet() -> Iterator[None]:
    """Drop the runtime's log events while exploring: hundreds of thousands of commands
    are tried, and a refused try is not news (the configuration is restored after)."""
    previous = structlog.get_config()["processors"]
    structlog.configure(processors=[_drop])
    try:
        yield
    finally:
        structlog.configure(processors=previous)


def _drop(logger: Any, method: str, event: Any) -> Any:
    raise structlog.DropEvent
