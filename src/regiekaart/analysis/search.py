"""The search over every situation a card allows, through the real runtime.

Each command is applied to a real :class:`~regiekaart.runtime.case.Case` (:func:`case_at`,
:func:`try_command`), so the search can never drift from the runtime. :func:`bfs` walks
breadth-first over the situations reachable from a case and keeps, for each, how it was
first reached (:class:`Arrival`): the shortest story into it. :func:`can_reach` answers
the one question an obligation asks of the search itself. Verification and the
simulation kernel both stand on this module; the forked workers of a parallel search
live in :mod:`regiekaart.analysis._parallel`.

May import: ``regiekaart.runtime``, ``regiekaart.policy`` and the foundation.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

import attrs

from regiekaart.analysis.enumeration import Scope, enumerate_commands
from regiekaart.analysis.situations import SituationKey, relevant_facts, situation_key
from regiekaart.errors import CommandRefused
from regiekaart.policy.model import Policy
from regiekaart.runtime.commands import Command
from regiekaart.runtime.records import CaseState, Event

__all__ = [
    "Arrival",
    "CommandSource",
    "Examine",
    "Outcome",
    "PathClock",
    "Reached",
    "Tried",
    "bfs",
    "can_fork",
    "can_reach",
    "case_at",
    "try_command",
]


@attrs.define
class Arrival:
    """How a situation was first reached: from which one, by which command."""

    parent: SituationKey | None
    command: Command | None
    depth: int


@attrs.define
class Outcome:
    """What one command did in one situation."""

    command: Command
    event: Event | None = None
    refusal: CommandRefused | None = None
    target: SituationKey | None = None


def try_command(
    case: Any, command: Command, key: Callable[[CaseState], SituationKey] = situation_key
) -> Outcome:
    """Apply ``command`` to ``case``; the outcome says accepted (with the event and the
    situation it led to, identified by ``key``) or refused."""
    try:
        event = case.apply(command)
    except CommandRefused as refusal:
        return Outcome(command=command, refusal=refusal)
    return Outcome(command=command, event=event, target=key(case.state))


class PathClock:
    """The explorer's clock: the n-th event of every path is recorded at the same time,
    however many commands were tried before it, so a story reads the same whichever
    process (or order) found it.

    The events are ``step`` apart; for a card that gives measures a term,
    :meth:`for_policy` makes the step longer than the longest term, so that every
    measure in force has run out by the next event. That is how the explorer abstracts
    time away: an expiry may come between any two steps, so it is tried after every one.
    """

    START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    STEP = timedelta(hours=1)

    def __init__(self, step: timedelta = STEP) -> None:
        self.case: Any = None
        self.step = step

    @classmethod
    def for_policy(cls, policy: Policy) -> PathClock:
        """A clock whose step outlasts every measure's longest term on ``policy``."""
        terms = [m.duration.max for m in policy.measures.values() if m.duration is not None]
        longest = max((timedelta(days=31 * t.months, hours=t.hours) for t in terms), default=None)
        return cls(cls.STEP if longest is None else longest + cls.STEP)

    def __call__(self) -> datetime:
        seq = self.case.version if self.case is not None else 0
        return self.START + self.step * seq


def case_at(policy: Policy, state: CaseState, events: tuple[Event, ...] = ()) -> Any:
    """A live case in ``state`` (with ``events`` as its log) to try commands on."""
    from regiekaart.runtime.case import Case
    from regiekaart.runtime.chart import compile_policy

    clock = PathClock.for_policy(policy)
    case = Case(compile_policy(policy), "explore", clock, state, list(events))
    clock.case = case
    return case


_REACH_CACHE: dict[tuple[str, str, str], dict[SituationKey, bool]] = {}


def can_reach(policy: Policy, start: CaseState, target: str, *, max_states: int = 20_000) -> bool:
    """Whether some sequence of accepted commands leads from ``start`` to a configuration
    containing ``target``. Tries the policy's default holders first, then the holder
    choices of the deciding roles; results are remembered per policy digest."""
    quick = Scope(refusals=False, holders="none", criteria="first")
    wide = Scope(refusals=False, holders="deciding", criteria="first")
    return _reach(policy, start, target, max_states, quick) or _reach(
        policy, start, target, max_states, wide
    )


def _reach(policy: Policy, start: CaseState, target: str, max_states: int, scope: Scope) -> bool:
    memo = _REACH_CACHE.setdefault((policy.digest, target, scope.holders), {})
    facts = relevant_facts(policy)

    def key_of(state: CaseState) -> SituationKey:
        return situation_key(state, obligations=False, facts=facts)

    first = key_of(start)
    if first in memo:
        return memo[first]
    parents: dict[SituationKey, SituationKey | None] = {first: None}
    queue: deque[tuple[SituationKey, CaseState]] = deque([(first, start)])
    found: SituationKey | None = None
    case = case_at(policy, start)
    while queue and len(parents) <= max_states:
        key, state = queue.popleft()
        if target in state.configuration or memo.get(key):
            found = key
            break
        case.reset(state, ())
        for command in enumerate_commands(policy, state, scope=scope):
            outcome = try_command(case, command, key_of)
            if outcome.event is None:
                continue
            new_key = outcome.target
            if new_key not in parents:
                parents[new_key] = key
                queue.append((new_key, case.state))
            case.reset(state, ())
    return _remember(memo, parents, found, exhausted=not queue)


def _remember(
    memo: dict[SituationKey, bool],
    parents: dict[SituationKey, SituationKey | None],
    found: SituationKey | None,
    *,
    exhausted: bool,
) -> bool:
    """Record what one search of :func:`_reach` learnt, and return whether it reached.

    Every situation on the path to ``found`` reaches the target. When nothing was found,
    only a search that ran out of situations (``exhausted``) proves that none of those it
    saw does; one stopped by ``max_states`` proves nothing.
    """
    if found is None:
        if exhausted:
            for key in parents:
                memo[key] = False
        return False
    node: SituationKey | None = found
    while node is not None:
        memo[node] = True
        node = parents[node]
    return True


CommandSource = Callable[[Policy, CaseState], Iterable[Command]]
"""Which commands to try in a situation (default: :func:`enumerate_commands`)."""

Examine = Callable[[SituationKey, CaseState, Outcome, Any], Any]
"""Runs beside the case after each command tried: ``(key, state before, outcome, case
after)``. In a parallel search it runs in a worker process, so what it returns must
pickle; that note reaches ``tally`` in the process that keeps the graph."""


@attrs.frozen
class Tried:
    """One command tried in a situation, as the graph keeps it.

    Compact on purpose: in a parallel search one of these crosses from a worker process
    for every command tried, so it carries the accepted rule and the target situation,
    not the event or the refusal.
    """

    accepted: bool
    rule: str
    """The rule of the accepted event ("" when refused or when no rule applies)."""
    target: SituationKey | None
    note: Any = None
    """What :data:`Examine` returned for this command."""


@attrs.frozen
class Reached:
    """A situation as a parallel search hands it to ``visit``: the state and the
    shortest log into it (the serial search hands the live case, which has the same
    attributes)."""

    state: CaseState
    events: tuple[Event, ...]
    closed: bool


_DEFAULT_SCOPE = Scope()
"""The scope :func:`bfs` tries unless told otherwise: the verifier's (see :class:`Scope`)."""


def bfs(
    policy: Policy,
    start: Any,
    *,
    visit: Callable[[SituationKey, Any, Arrival], None] | None = None,
    edge: Callable[[SituationKey, Outcome, Any], None] | None = None,
    examine: Examine | None = None,
    tally: Callable[[SituationKey, Tried], None] | None = None,
    commands: CommandSource | None = None,
    scope: Scope = _DEFAULT_SCOPE,
    keep_log: bool = True,
    max_states: int = 100_000,
    workers: int = 1,
) -> dict[SituationKey, Arrival]:
    """Breadth-first over every situation reachable from the case ``start``.

    ``visit(key, case, arrival)`` is called once per new situation, with a live case whose
    log is the shortest path to it (when ``keep_log``); ``edge(key, outcome, case)`` once
    per command tried, ``case`` being the case after the command. ``examine`` and
    ``tally`` split that per-command work in two: ``examine`` next to the case,
    ``tally(key, tried)`` in this process, in the same order as ``edge`` would be
    called. ``commands`` replaces the policy's enumeration (the simulation tries only
    what a scenario attempts). Stops (without error) after ``max_states`` situations:
    compare the result's size to it.

    ``workers > 1`` expands each breadth-first level in that many forked processes
    (see :func:`regiekaart.analysis._parallel.parallel_bfs`); ``edge`` needs the live
    case and so only runs serially.
    """
    expand = _Expander(policy, scope, commands, examine, keep_log)
    if workers > 1 and can_fork():
        if edge is not None:
            raise ValueError("a parallel search reports commands through examine and tally")
        from regiekaart.analysis._parallel import parallel_bfs

        return parallel_bfs(expand, start, visit, tally, max_states, workers)
    return _serial_bfs(expand, start, visit, edge, tally, max_states)


def can_fork() -> bool:
    """Whether this platform can fork the workers of a parallel search."""
    import multiprocessing

    return "fork" in multiprocessing.get_all_start_methods()


def _serial_bfs(
    expand: _Expander,
    start: Any,
    visit: Callable[[SituationKey, Any, Arrival], None] | None,
    edge: Callable[[SituationKey, Outcome, Any], None] | None,
    tally: Callable[[SituationKey, Tried], None] | None,
    max_states: int,
) -> dict[SituationKey, Arrival]:
    """:func:`bfs` in this process, on one live case reset to each situation it expands."""
    keep_log = expand.keep_log
    first = expand.key(start.state)
    arrivals: dict[SituationKey, Arrival] = {first: Arrival(parent=None, command=None, depth=0)}
    start_events = start.events if keep_log else ()
    queue: deque[tuple[SituationKey, CaseState, tuple[Event, ...]]] = deque(
        [(first, start.state, start_events)]
    )
    case = case_at(expand.policy, start.state, start_events)
    if visit is not None:
        visit(first, case, arrivals[first])
    while queue:
        key, state, events = queue.popleft()
        case.reset(state, events)
        for command in expand.source(state):
            outcome = expand.attempt(case, command)
            if edge is not None:
                edge(key, outcome, case)
            if tally is not None:
                tally(key, expand.tried(key, state, outcome, case))
            if outcome.event is None:
                continue
            target = outcome.target
            if target not in arrivals and len(arrivals) < max_states:
                arrival = Arrival(parent=key, command=command, depth=arrivals[key].depth + 1)
                arrivals[target] = arrival
                new_events = case.events if keep_log else ()
                queue.append((target, case.state, new_events))
                if visit is not None:
                    visit(target, case, arrival)
            case.reset(state, events)
    return arrivals


class _Expander:
    """Expands situations: the part of the search that runs wherever the case runs
    (here, or in the workers of :mod:`regiekaart.analysis._parallel`)."""

    def __init__(
        self,
        policy: Policy,
        scope: Scope,
        commands: CommandSource | None,
        examine: Examine | None,
        keep_log: bool,
    ) -> None:
        self.policy = policy
        self.scope = scope
        self.commands = commands
        self.examine = examine
        self.keep_log = keep_log
        self.facts = relevant_facts(policy)

    def key(self, state: CaseState) -> SituationKey:
        scope = self.scope
        return situation_key(
            state,
            facts=self.facts,
            obligations=scope.obligations,
            measure_order=scope.measure_order,
        )

    def source(self, state: CaseState) -> Iterable[Command]:
        if self.commands is not None:
            return self.commands(self.policy, state)
        return enumerate_commands(self.policy, state, scope=self.scope)

    def attempt(self, case: Any, command: Command) -> Outcome:
        """Apply ``command``; an accepted one names the situation it led to."""
        return try_command(case, command, self.key)

    def tried(self, key: SituationKey, state: CaseState, outcome: Outcome, case: Any) -> Tried:
        note = self.examine(key, state, outcome, case) if self.examine is not None else None
        event = outcome.event
        if event is None:
            return Tried(accepted=False, rule="", target=None, note=note)
        return Tried(accepted=True, rule=event.rule, target=outcome.target, note=note)
