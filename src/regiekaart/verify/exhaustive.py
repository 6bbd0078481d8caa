"""Exhaustive exploration of a policy: every reachable situation, every obligation checked.

The explorer (:func:`regiekaart.explore.bfs`) applies every command the policy suggests
to a real case, breadth first, so the first time something goes wrong is also the
shortest story in which it does. This module adds what a verdict needs on top of it:

* every invariant is checked after every *accepted command* (not only once per
  situation): checks that read the event log (warm handover, leaving fase 4 only with
  the plan) then see each way into a situation, not just the first one found;
* every decider rule is checked on each accepted command directly against
  :func:`regiekaart.authority.authorized`, independent of the runtime's own guard;
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
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Literal

import attrs
import structlog

from .. import authority
from ..case import Case
from ..commands import Member
from ..explore import Outcome, Scope, SituationKey, Step, bfs, default_household
from ..invariants import CHECKS, Invariant, invariants_for
from ..policy import Policy
from ..records import Event

FindingKind = Literal["invariant", "authority", "unreachable", "dead_rule", "dead_end"]

SEARCH_KINDS = frozenset({"path_to"})
"""Check kinds decided on the explored graph instead of per situation."""

NO_DEAD_END = "no-dead-end"
AUTHORITY = "deciders-on-every-step"
REACHABILITY = "every-state-reachable"
RULES_FIRE = "every-rule-fires"

VERIFY_SCOPE = Scope(measure_order=False)
"""The explorer's default scope, with measures imposed in another order merged (sound
for every registered check: see :attr:`regiekaart.explore.Scope.measure_order`)."""


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
    """A fresh case of ``policy``, opened by its first professional (or ``opened_by``)."""
    members = tuple(default_household(policy) if household is None else household)
    return Case.create(policy, "verify", actor=opened_by or opener(policy), members=members)


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
    on_visit: Callable[[SituationKey, Any, Step], None] | None = None,
    on_edge: Callable[[SituationKey, Outcome, Any], None] | None = None,
) -> Exploration:
    """Explore ``policy`` breadth first and check every obligation on the way.

    ``on_visit`` and ``on_edge`` see what :func:`~regiekaart.explore.bfs` passes on, for
    tools that compare explorations (the policy diff) without exploring twice.
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
    walker = _Walker(result, progress, on_visit, on_edge)
    began = time.perf_counter()
    with quiet():
        steps = bfs(
            policy,
            case,
            visit=walker.visit,
            edge=walker.edge,
            scope=scope,
            keep_log=True,
            max_states=max_states,
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


class _Walker:
    """What the exploration remembers per situation, and the checks per accepted step."""

    def __init__(
        self,
        result: Exploration,
        progress: Progress | None,
        on_visit: Callable[[SituationKey, Any, Step], None] | None,
        on_edge: Callable[[SituationKey, Outcome, Any], None] | None,
    ) -> None:
        self.result = result
        self.policy = result.policy
        self.progress = progress
        self.on_visit = on_visit
        self.on_edge = on_edge
        self.local = [
            (inv, index, name, params)
            for inv in result.invariants
            for index, (name, params) in enumerate(inv.checks)
            if name not in SEARCH_KINDS
        ]
        self.seen: set[tuple[str, int]] = set()
        self.roles: dict[SituationKey, dict[str, tuple[str, ...]]] = {}
        self.configs: dict[SituationKey, tuple[str, ...]] = {}
        self.paths: dict[SituationKey, tuple[Event, ...]] = {}
        self.closed: set[SituationKey] = set()
        self.edges: dict[SituationKey, set[SituationKey]] = {}

    def check(self, view: Any) -> None:
        """Every (local) check not yet violated, on the case after a step."""
        for inv, index, name, params in self.local:
            if (inv.id, index) in self.seen:
                continue
            detail = CHECKS[name].predicate(self.policy, params, view)
            if detail is not None:
                self.seen.add((inv.id, index))
                self.result.findings.append(
                    Finding(
                        "invariant",
                        inv.id,
                        inv.title,
                        inv.source,
                        detail,
                        view.events[1:],
                        check_kind=name,
                    )
                )

    def visit(self, key: SituationKey, live: Any, step: Step) -> None:
        """A new situation: remember it; the start is checked here (the rest on edges)."""
        state = live.state
        self.roles[key] = dict(state.roles)
        self.configs[key] = state.configuration
        self.paths[key] = live.events
        self.result.reached.update(state.configuration)
        if live.closed:
            self.closed.add(key)
        if step.parent is None:
            self.check(live)
        if self.on_visit is not None:
            self.on_visit(key, live, step)
        if self.progress is not None and len(self.roles) % 50 == 0:
            self.progress(len(self.roles), self.result.tried)

    def edge(self, key: SituationKey, outcome: Outcome, live: Any) -> None:
        """One command tried: count it; if accepted, check authority and every invariant."""
        result = self.result
        result.tried += 1
        if self.on_edge is not None:
            self.on_edge(key, outcome, live)
        event = outcome.event
        if event is None:
            return
        result.accepted += 1
        self.edges.setdefault(key, set()).add(outcome.target)
        if event.rule:
            result.fired.add(event.rule)
        _check_authority(self.policy, self.roles[key], event, live, result, self.seen)
        self.check(live)


def _check_authority(
    policy: Policy,
    before: dict[str, tuple[str, ...]],
    event: Event,
    live: Any,
    result: Exploration,
    seen: set[tuple[str, int]],
) -> None:
    """The deciders of the rule (or decision) that accepted ``event`` made it."""
    rule = policy.transitions.get(event.rule)
    decision = policy.decisions.get(event.rule)
    groups = rule.deciders if rule is not None else decision.by if decision is not None else None
    if groups is None or (AUTHORITY, 0) in seen:
        return
    command = event.command
    if authority.authorized(groups, command.actor, command.together, before):
        return
    seen.add((AUTHORITY, 0))
    title = rule.title if rule is not None else decision.title if decision is not None else ""
    result.findings.append(
        Finding(
            "authority",
            AUTHORITY,
            "No accepted step was made by anyone but its deciders",
            event.source,
            f"{title or event.rule} was accepted from {', '.join(command.parties)}; "
            f"its deciders are {authority.describe(groups, policy)}",
            live.events[1:],
            subject=event.rule,
        )
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
