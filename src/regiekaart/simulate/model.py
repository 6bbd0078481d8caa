"""Policy + scenario compiled into tables by driving the real runtime.

Every situation a household can reach with the scenario's attempts is found by the one
situation explorer (:func:`regiekaart.analysis.search.bfs`), which applies each attempt to a real
:class:`~regiekaart.runtime.case.Case`. What happened — the target situation, or the rule that
refused — is written into arrays; nothing about the policy's rules is restated here, so
the kernel cannot drift from the runtime.

May import: ``regiekaart.render``, ``regiekaart.testing``, ``regiekaart.store``,
``regiekaart.scenario``, ``regiekaart.analysis``, ``regiekaart.runtime``,
``regiekaart.policy`` and the foundation (never ``regiekaart.cli`` or ``regiekaart.verify``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import attrs

from regiekaart.analysis.search import Arrival, Outcome, bfs
from regiekaart.analysis.situations import SituationKey
from regiekaart.clock import StepClock
from regiekaart.errors import PolicyError
from regiekaart.policy.model import Policy
from regiekaart.runtime.case import Case
from regiekaart.runtime.commands import Command
from regiekaart.runtime.records import CaseState
from regiekaart.simulate import draws
from regiekaart.simulate.attempts import PopulationScenario
from regiekaart.simulate.expiry import Expiries, expire_command, expiring, slots_of

__all__ = [
    "NOTHING",
    "Model",
    "Outcomes",
    "Situation",
    "compile_model",
    "households",
    "phase_label",
    "state_label",
]

NOTHING = "nothing"


@attrs.define
class Situation:
    """One reachable situation of one household composition."""

    index: int
    composition: int
    key: SituationKey
    state: CaseState
    step: Arrival
    phase: str
    label: str
    roles: tuple[tuple[str, tuple[str, ...]], ...]


def phase_label(configuration: Sequence[str]) -> str:
    """The active top-level state (a phase or a final state)."""
    return next(sid for sid in configuration if "." not in sid)


def state_label(configuration: Sequence[str]) -> str:
    """The active leaf states joined with ``+`` (parallel regions show both)."""
    leaves = [
        sid for sid in configuration if not any(o.startswith(f"{sid}.") for o in configuration)
    ]
    return "+".join(leaves)


@attrs.define
class Model:
    """The compiled tables both engines share (the kernel reads all of them; the
    reference engine only the attempts, cumulative tables and starting situations)."""

    scenario: PopulationScenario
    situations: list[Situation]
    width: int
    cum: Any
    """float64 (situations, width + 1): cumulative chances, last column 1.0."""
    target: Any
    """int32 (situations, width + 1): the situation after the attempt (same when refused)."""
    refusal: Any
    """int32 (situations, width + 1): index into ``rules`` of the refusing rule, or -1."""
    rules: list[str]
    informed: list[list[tuple[str, ...]]]
    """Per situation and attempt: the recipients the accepted event informed."""
    tags: list[list[tuple[str, ...]]]
    """Per situation and attempt: the tags the accepted event records."""
    starts: Any
    """int32 (compositions, start states, 2): starting situation, without / under a measure."""
    phases: list[str]
    phase_of: Any
    order_of: Any
    paths: dict[int, tuple[Command, ...]]
    attempts_per_situation: Any
    """intp (situations,): how many attempts the situation's table lists (its "nothing" column)."""
    total_chance: Any
    """float64 (situations,): the chance of any attempt (0.0 when the table is empty)."""
    expiries: Expiries
    """Where each measure with a term is in force, and where its expiry leads."""

    @property
    def policy(self) -> Policy:
        return self.scenario.policy

    def attempt_labels(self, situation: int) -> list[str]:
        attempts = self.scenario.attempts(self.situations[situation].state.configuration)
        return [a.label for a in attempts]


def compile_model(scenario: PopulationScenario, *, max_states: int = 50_000) -> Model:
    """Explore every situation the scenario's attempts reach, for every household kind."""
    import numpy as np

    policy = scenario.policy
    width = scenario.width()
    situations, outcomes, expired = _explored(scenario, max_states)
    count = len(situations)
    cum = np.ones((count, width + 1), dtype=np.float64)
    target = np.repeat(np.arange(count, dtype=np.int32)[:, None], width + 1, axis=1)
    refusal = np.full((count, width + 1), -1, dtype=np.int32)
    rules: list[str] = []
    informed: list[list[tuple[str, ...]]] = []
    tagged: list[list[tuple[str, ...]]] = []
    for situation in situations:
        attempts = scenario.attempts(situation.state.configuration)
        cum[situation.index] = draws.cumulative([a.p for a in attempts], width)
        row: list[tuple[str, ...]] = [() for _ in range(width + 1)]
        tags: list[tuple[str, ...]] = [() for _ in range(width + 1)]
        for j, attempt in enumerate(attempts):
            tried = outcomes.get((situation.index, j))
            if tried is None:
                if attempt.command(situation.state) is None:
                    continue  # nobody attempts it here: nothing happens
                raise AssertionError(f"attempt {attempt.label} was not explored")
            if tried.refusal is not None:
                rule = tried.refusal.rule or type(tried.refusal).__name__
            else:
                assert tried.event is not None
                assert isinstance(tried.target, int)
                target[situation.index, j] = tried.target
                row[j] = tuple(i.recipient for i in tried.event.informed)
                tags[j] = tried.event.tags
                continue
            if rule not in rules:
                rules.append(rule)
            refusal[situation.index, j] = rules.index(rule)
        informed.append(row)
        tagged.append(tags)
    phases = [s.id for s in policy.phases()] + [
        sid for sid, s in policy.states.items() if s.final and "." not in sid
    ]
    phase_of = np.array([phases.index(s.phase) for s in situations], dtype=np.int8)
    order_of = phase_of.copy()
    attempts_per_situation = np.array(
        [len(scenario.attempts(s.state.configuration)) for s in situations], dtype=np.intp
    )
    total_chance = np.array(
        [
            cum[s.index, k - 1] if k else 0.0
            for s, k in zip(situations, attempts_per_situation.tolist(), strict=True)
        ],
        dtype=np.float64,
    )
    starts = _starts(scenario, situations)
    paths = {int(s): _path(situations, int(s)) for s in np.unique(starts)}
    expiries = Expiries(policy, _slots(scenario))
    expiries.fill([s.state for s in situations], expired)
    return Model(
        scenario=scenario,
        situations=situations,
        width=width,
        cum=cum,
        target=target,
        refusal=refusal,
        rules=rules,
        informed=informed,
        tags=tagged,
        starts=starts,
        phases=phases,
        phase_of=phase_of,
        order_of=order_of,
        paths=paths,
        attempts_per_situation=attempts_per_situation,
        total_chance=total_chance,
        expiries=expiries,
    )


def _slots(scenario: PopulationScenario) -> tuple[tuple[str, str], ...]:
    return slots_of(scenario.policy, [c.members() for c in scenario.mix])


Outcomes = dict[tuple[int, int], Outcome]
"""By (situation, attempt) or (situation, slot of :mod:`.expiry`): what it did."""

_EXPLORED: dict[str, tuple[list[Situation], Outcomes, Outcomes]] = {}


def _explored(
    scenario: PopulationScenario, max_states: int
) -> tuple[list[Situation], Outcomes, Outcomes]:
    """The situations and outcomes of a policy under a scenario's attempts and the
    expiries of its measures' terms, remembered per policy digest and attempts (several
    runs of one scenario explore once)."""
    what = {k: scenario.raw.get(k) for k in ("opened_by", "mix", "start", "events")}
    key = scenario.policy.digest + json.dumps(what, sort_keys=True, default=str)
    found = _EXPLORED.get(key)
    if found is None:
        situations: list[Situation] = []
        outcomes: Outcomes = {}
        expired: Outcomes = {}
        for ci in range(len(scenario.mix)):
            _explore(scenario, ci, situations, (outcomes, expired), max_states)
        found = _EXPLORED[key] = (situations, outcomes, expired)
    return found


def _explore(
    scenario: PopulationScenario,
    ci: int,
    situations: list[Situation],
    tables: tuple[Outcomes, Outcomes],
    max_states: int,
) -> None:
    """Breadth-first over households of kind ``ci``, trying exactly the scenario's
    attempts and the expiry of each measure in force with a term; appends the
    situations found and records each outcome (its target resolved to a situation
    index) in the table of attempts or of expiries."""
    composition = scenario.mix[ci]
    start = Case.create(
        scenario.policy,
        "simulation",
        actor=scenario.opened_by,
        members=composition.members(),
        clock=StepClock(),
    )
    index: dict[SituationKey, int] = {}
    source = _Source(scenario)
    pending = source.pending

    def visit(key: SituationKey, case: Any, step: Arrival) -> None:
        state: CaseState = case.state
        index[key] = len(situations)
        situations.append(
            Situation(
                index=len(situations),
                composition=ci,
                key=key,
                state=state,
                step=step,
                phase=phase_label(state.configuration),
                label=state_label(state.configuration),
                roles=tuple(sorted(state.roles.items())),
            )
        )

    found: list[Outcome] = []

    def edge(key: SituationKey, outcome: Outcome, case: Any) -> None:
        table, column = pending[id(outcome.command)]
        tables[table][(index[key], column)] = outcome
        found.append(outcome)

    steps = bfs(
        scenario.policy,
        start,
        visit=visit,
        edge=edge,
        commands=source,
        keep_log=False,
        max_states=max_states,
    )
    if len(steps) >= max_states:
        raise PolicyError(
            f"more than {max_states} situations are reachable for households "
            f"{composition.name!r}; the scenario is too wide to tabulate",
            file=scenario.file,
            path=f"mix.{composition.name}",
        )
    for key, at in index.items():
        situations[at].step = steps[key]
    for outcome in found:
        if outcome.target is not None:
            outcome.target = index[outcome.target]


class _Source:
    """The commands tried in a situation: the scenario's attempts, and the expiry of each
    measure in force with a term; ``pending`` says of each which table and column its
    outcome goes to (by the command's id: every command is kept alive, so ids stay
    unique)."""

    def __init__(self, scenario: PopulationScenario) -> None:
        self.scenario = scenario
        self.slots = _slots(scenario)
        self.pending: dict[int, tuple[int, int]] = {}
        self.alive: list[Command] = []

    def __call__(self, policy: Policy, state: CaseState) -> list[Command]:
        out = []
        for j, attempt in enumerate(self.scenario.attempts(state.configuration)):
            command = attempt.command(state)
            if command is not None:
                self.pending[id(command)] = (0, j)
                out.append(command)
        for k, slot in enumerate(self.slots):
            if expiring(state, slot):
                out.append(expire_command(policy, slot))
                self.pending[id(out[-1])] = (1, k)
        self.alive.extend(out)
        return out


def _starts(scenario: PopulationScenario, situations: list[Situation]) -> Any:
    """For each household kind, starting state and measure flag: the first situation in
    breadth-first order (over the scenario's own attempts) that matches. Households drawn
    to start under a measure where none is reachable start without one."""
    import numpy as np

    out = np.full((len(scenario.mix), len(scenario.start), 2), -1, dtype=np.int32)
    for situation in situations:
        ci = situation.composition
        measured = 1 if situation.state.facts.measures else 0
        for ki, (sid, _) in enumerate(scenario.start):
            if sid in situation.state.configuration and out[ci, ki, measured] < 0:
                out[ci, ki, measured] = situation.index
    for ci, composition in enumerate(scenario.mix):
        for ki, (sid, share) in enumerate(scenario.start):
            if out[ci, ki, 0] < 0 and share > 0:
                raise PolicyError(
                    f"households {composition.name!r} cannot reach {sid!r} with the "
                    "scenario's attempts, so none can start there",
                    file=scenario.file,
                    path=f"start.{sid}",
                )
            if out[ci, ki, 1] < 0:
                out[ci, ki, 1] = out[ci, ki, 0]
    return out


def _path(situations: list[Situation], index: int) -> tuple[Command, ...]:
    """The commands that lead from a new case to situation ``index`` (shortest path)."""
    by_key = {s.key: s for s in situations if s.composition == situations[index].composition}
    out: list[Command] = []
    step = situations[index].step
    while step.parent is not None:
        assert step.command is not None
        out.append(step.command)
        step = by_key[step.parent].step
    return tuple(reversed(out))


def households(model: Model, replication: int, start: int, stop: int) -> tuple[Any, Any]:
    """Kind and starting situation of households ``[start, stop)``: drawn from their own
    streams, so the same household starts the same way under any split or policy."""
    import numpy as np

    scenario = model.scenario
    seed = scenario.seed
    mix = np.cumsum([c.share for c in scenario.mix])
    mix[-1] = 1.0
    shares = np.cumsum([share for _, share in scenario.start])
    shares[-1] = 1.0
    kind = np.searchsorted(
        mix, draws.uniforms(seed, replication, 0, draws.COMPOSITION, start, stop), side="right"
    )
    where = np.searchsorted(
        shares, draws.uniforms(seed, replication, 0, draws.START, start, stop), side="right"
    )
    under = (
        draws.uniforms(seed, replication, 0, draws.MEASURE, start, stop) < scenario.under_measure
    )
    kind = np.minimum(kind, len(scenario.mix) - 1)
    where = np.minimum(where, len(scenario.start) - 1)
    situation = model.starts[kind, where, under.astype(np.intp)]
    return kind.astype(np.int32), situation.astype(np.int32)
