"""Exhaustive exploration of a policy: every reachable situation, every obligation checked.

The explorer (:func:`regiekaart.analysis.search.bfs`) applies every command the policy suggests
to a real case, breadth first, so the first time something goes wrong is also the
shortest story in which it does. This module adds what a verdict needs on top of it:

* every invariant is checked after every *accepted command* (not only once per
  situation): checks that read the event log (warm handover, leaving fase 4 only with
  the plan) then see each way into a situation, not just the first one found;
* every decider rule is checked on each accepted command directly against
  :func:`regiekaart.runtime.authority.authorized`, independent of the runtime's own guard;
* which states were reached and which rules fired (the rest are dead);
* "from every situation the initial phase is reachable again" is decided on the
  explored graph, backwards from the situations in that phase — one pass over the
  edges rather than a search per situation. ``path_to`` checks of the policy's
  invariants are decided the same way.

A state-space bound ends the search cleanly: the result says the bound was hit and
that what was not violated is *not proven*, never that it holds.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, Literal

import attrs
import structlog

from regiekaart.analysis.enumeration import Scope
from regiekaart.analysis.invariants import CHECKS, Invariant, invariants_for
from regiekaart.analysis.search import Arrival, Examine, Outcome, PathClock, Tried, bfs, can_fork
from regiekaart.analysis.situations import SituationKey, default_household
from regiekaart.policy.model import Policy
from regiekaart.runtime import authority
from regiekaart.runtime.case import Case
from regiekaart.runtime.commands import Member
from regiekaart.runtime.records import CaseState, Event

FindingKind = Literal["invariant", "authority", "unreachable", "dead_rule", "dead_end"]

SEARCH_KINDS = frozenset({"path_to"})
"""Check kinds decided on the explored graph instead of per situation."""

NO_DEAD_END = "no-dead-end"
AUTHORITY = "deciders-on-every-step"
REACHABILITY = "every-state-reachable"
RULES_FIRE = "every-rule-fires"

VERIFY_SCOPE = Scope(measure_order=False)
"""The explorer's default scope, with measures imposed in another order merged (sound
for every registered check: see :attr:`regiekaart.analysis.enumeration.Scope.measure_order`)."""


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


Progress = Callable[[int, int], None]
"""Called now and then with (situations found, commands tried)."""


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
    walker = _Walker(result, progress, on_visit, observe, on_tally)
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
    _dead_ends(policy, result, walker.configs, walker.paths, walker.closed, walker.edges)
    result.seconds = time.perf_counter() - began
    if progress is not None:
        progress(result.situations, result.tried)
    _card_coverage(policy, result)
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


_Noted = tuple[tuple[str, int], Finding]
"""A finding with the (invariant, check index) it violates."""


class _Walker:
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
    if authority.authorized(groups, command.actor, command.together, before):
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


def _dead_ends(
    policy: Policy,
    result: Exploration,
    configs: dict[SituationKey, tuple[str, ...]],
    paths: dict[SituationKey, tuple[Event, ...]],
    closed: set[SituationKey],
    edges: dict[SituationKey, set[SituationKey]],
) -> None:
    """Decide "a way back to S" for the initial phase and every ``path_to`` check, on the graph."""
    targets: list[tuple[str, str, str, str, str]] = []
    initial = policy.initial_state().id
    targets.append((NO_DEAD_END, initial, "no way back", "", "no_dead_end"))
    for inv in result.invariants:
        for name, params in inv.checks:
            if name in SEARCH_KINDS:
                targets.append((inv.id, str(params["state"]), inv.title, inv.source, name))
    reverse: dict[SituationKey, list[SituationKey]] = {}
    unknown: set[SituationKey] = set()
    for source_key, targets_of in edges.items():
        for target in targets_of:
            if target not in configs:
                unknown.add(source_key)
            reverse.setdefault(target, []).append(source_key)
    for check_id, state, title, section, kind in targets:
        goals = [k for k, conf in configs.items() if state in conf]
        back = _backwards(goals, reverse)
        maybe = _backwards(list(unknown), reverse) if result.bound_hit else set()
        # A closed case is finished, not stuck: the runtime's own path_to exempts it too.
        dead = [k for k in configs if k not in back and k not in maybe and k not in closed]
        if check_id == NO_DEAD_END:
            result.undetermined = sum(
                1 for k in configs if k not in back and k in maybe and k not in closed
            )
        if not dead:
            continue
        worst = min(dead, key=lambda k: len(paths[k]))
        where = ", ".join(configs[worst])
        name = (
            title
            if check_id != NO_DEAD_END
            else f"From every situation {state} can be reached again"
        )
        result.findings.append(
            Finding(
                "dead_end",
                check_id,
                name,
                section,
                f"no way back to {state} from {where} ({len(dead)} such situations)",
                paths[worst][1:],
                subject=state,
                check_kind=kind,
            )
        )


def _backwards(
    goals: list[SituationKey], reverse: dict[SituationKey, list[SituationKey]]
) -> set[SituationKey]:
    seen = set(goals)
    queue = deque(goals)
    while queue:
        node = queue.popleft()
        for parent in reverse.get(node, ()):
            if parent not in seen:
                seen.add(parent)
                queue.append(parent)
    return seen


def _card_coverage(policy: Policy, result: Exploration) -> None:
    """States never reached and rules never fired (only meaningful on a complete run)."""
    if result.bound_hit:
        return
    for state in policy.states.values():
        if state.id not in result.reached:
            result.findings.append(
                Finding(
                    "unreachable",
                    REACHABILITY,
                    "Every phase and sub-state can be reached",
                    state.source,
                    f"{state.title or state.id} ({state.id}) is never reached",
                    subject=state.id,
                )
            )
    for rule in policy.transitions.values():
        if rule.id not in result.fired:
            result.findings.append(
                Finding(
                    "dead_rule",
                    RULES_FIRE,
                    "Every transition of the card can fire",
                    rule.source,
                    f"{rule.title or rule.id} ({rule.id}) never fires",
                    subject=rule.id,
                )
            )
