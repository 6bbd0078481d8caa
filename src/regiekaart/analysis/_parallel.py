"""The parallel search: each breadth-first level of :func:`~regiekaart.analysis.search.bfs`
expanded in forked worker processes.

Workers are forked (not spawned) so they share the compiled chart and every check a host
registered, and nothing but situations and compact results crosses between processes.
The process that starts the search keeps the graph and hands out the work in frontier
order, so the result is the serial search's.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from regiekaart.analysis.search import Arrival, Reached, Tried, _Expander, case_at
from regiekaart.analysis.situations import SituationKey
from regiekaart.runtime.commands import Command
from regiekaart.runtime.records import CaseState, Event

_Frontier = tuple[SituationKey, CaseState, tuple[Event, ...]]
_Found = tuple[Command, CaseState, tuple[Event, ...], bool]
_Result = tuple[Tried, "_Found | None"]


class _Worker:
    """What one forked process keeps between the chunks it expands: its live case and the
    situations whose state it has already sent."""

    def __init__(self, expander: _Expander) -> None:
        self.expander = expander
        self.case: Any = None
        self.sent: set[SituationKey] = set()

    def expand(self, chunk: Sequence[_Frontier]) -> list[list[_Result]]:
        """Every command tried in each situation of ``chunk``, with the state (and the
        log) of each target this worker has not sent before.

        A worker takes its chunks in the order they were handed out, so when it has
        sent a situation before, the process keeping the graph has already registered
        it from the first way in — the same first way in a serial search finds.
        """
        expander = self.expander
        if self.case is None:
            first = chunk[0]
            self.case = case_at(expander.policy, first[1], first[2])
        case = self.case
        out: list[list[_Result]] = []
        for key, state, events in chunk:
            self.sent.add(key)
            case.reset(state, events)
            results: list[_Result] = []
            for command in expander.source(state):
                outcome = expander.attempt(case, command)
                tried = expander.tried(key, state, outcome, case)
                found: _Found | None = None
                if tried.accepted:
                    if tried.target not in self.sent:
                        self.sent.add(tried.target)
                        logged = case.events if expander.keep_log else ()
                        found = (command, case.state, logged, case.closed)
                    case.reset(state, events)
                results.append((tried, found))
            out.append(results)
        return out


_WORKER: _Worker | None = None
"""The worker a forked process inherits from the process that starts the search."""


def _expand_in_worker(chunk: Sequence[_Frontier]) -> list[list[_Result]]:
    assert _WORKER is not None
    return _WORKER.expand(chunk)


def parallel_bfs(
    expander: _Expander,
    start: Any,
    visit: Callable[[SituationKey, Any, Arrival], None] | None,
    tally: Callable[[SituationKey, Tried], None] | None,
    max_states: int,
    workers: int,
) -> dict[SituationKey, Arrival]:
    """:func:`~regiekaart.analysis.search.bfs`, one breadth-first level at a time, each
    level split over ``workers`` forked processes.

    The situations, their first ways in, the order of ``visit`` and ``tally`` calls and
    so every shortest story are those of the serial search: chunks are handed out and
    their results taken back in frontier order.
    """
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    global _WORKER
    first = expander.key(start.state)
    arrivals: dict[SituationKey, Arrival] = {first: Arrival(parent=None, command=None, depth=0)}
    start_events = start.events if expander.keep_log else ()
    if visit is not None:
        visit(first, start, arrivals[first])
    level: list[_Frontier] = [(first, start.state, start_events)]
    _WORKER = _Worker(expander)
    try:
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
            while level:
                size = max(1, min(64, -(-len(level) // (workers * 4))))
                chunks = [level[i : i + size] for i in range(0, len(level), size)]
                following: list[_Frontier] = []
                for chunk, results in zip(chunks, pool.map(_expand_in_worker, chunks), strict=True):
                    for (key, _, _), tried_here in zip(chunk, results, strict=True):
                        for tried, found in tried_here:
                            if tally is not None:
                                tally(key, tried)
                            target = tried.target
                            if found is None or target in arrivals or len(arrivals) >= max_states:
                                continue
                            command, state, events, closed = found
                            arrival = Arrival(
                                parent=key, command=command, depth=arrivals[key].depth + 1
                            )
                            arrivals[target] = arrival
                            following.append((target, state, events))
                            if visit is not None:
                                visit(target, Reached(state, events, closed), arrival)
                level = following
    finally:
        _WORKER = None
    return arrivals
