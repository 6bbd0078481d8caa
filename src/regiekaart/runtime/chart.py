"""The compiler: a :class:`~regiekaart.policy.model.Policy` becomes a python-statemachine
``StateChart``.

Phases with exclusive sub-states become compound states, phases with regions become
parallel states, final states stay final. Every transition of the card becomes an
event with the guards of :mod:`regiekaart.runtime.guards` as its conditions; sub-states chosen
by the compulsory frame are reached by eventless transitions; entering a state runs an
entry action that applies its cells of the card. The chart is the execution semantics:
the runtime sends it events and reads its configuration, it never moves states itself.

May import: ``regiekaart.policy`` and the foundation (besides this package).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import attrs
from statemachine import StateChart
from statemachine.exceptions import InvalidDefinition
from statemachine.io import create_machine_class_from_definition

from regiekaart.errors import PolicyError
from regiekaart.policy.model import Policy, StateDef, TransitionRule
from regiekaart.runtime import roles
from regiekaart.runtime.guards import Work, first_refusal

__all__ = [
    "END_EVENT",
    "IMPOSE_EVENT",
    "ChartModel",
    "CompiledPolicy",
    "Spec",
    "compile_policy",
]


IMPOSE_EVENT = "impose_measure"
END_EVENT = "end_measure"


class ChartModel:
    """The chart's model: holds the command being applied while the chart runs."""

    def __init__(self) -> None:
        self.work: Work | None = None


def _ident(name: str) -> str:
    return re.sub(r"[^0-9a-zA-Z_]", "_", name)


@attrs.frozen(eq=False)
class CompiledPolicy:
    """A policy with its chart class and the names that link the two."""

    policy: Policy
    chart_class: type[StateChart[Any]]
    state_of: dict[str, str]
    """Chart state id → qualified policy state id."""
    chart_id: dict[str, str]
    """Qualified policy state id → chart state id."""
    event_of: dict[str, str]
    """Transition rule id → chart event id."""

    def new_chart(self, model: ChartModel) -> StateChart[Any]:
        """A started chart on ``model``; the initial entry actions run now."""
        return self.chart_class(model=model)

    def configuration(self, chart: StateChart[Any]) -> tuple[str, ...]:
        """The chart's active states as sorted qualified policy ids."""
        return tuple(sorted(self.state_of[s.id] for s in chart.configuration))

    def place(self, chart: StateChart[Any], configuration: tuple[str, ...]) -> None:
        """Put a chart in a configuration without running actions (restore, rollback)."""
        values = {self.chart_id[s] for s in configuration}
        chart.current_state_value = values if len(values) > 1 else next(iter(values))


def _guard(rule: TransitionRule) -> Callable[..., bool]:
    """One condition running every guard of :data:`~regiekaart.runtime.guards.GUARDS` in order.

    One callback rather than one per guard: the library calls each condition through
    its dependency-injection adapter, and a chart tries a transition hundreds of
    thousands of times in an exhaustive exploration.
    """

    def cond(model: ChartModel) -> bool:
        work = model.work
        assert work is not None
        return first_refusal(rule, work) is None

    cond.__name__ = f"guards_{_ident(rule.id)}"
    return cond


def _entry(policy: Policy, state_id: str) -> Callable[..., None]:
    def enter(model: ChartModel) -> None:
        work = model.work
        if work is None:
            return
        roles.enter_state(
            policy, state_id, work.roles, work.facts, work.chosen, work.assigned, work.groups
        )
        work.entered.append(state_id)

    enter.__name__ = f"enter_{_ident(state_id)}"
    return enter


def _change(rule: TransitionRule) -> Callable[..., None]:
    """The action of a step within a state: roles added or released, no states moved."""

    def on(model: ChartModel) -> None:
        work = model.work
        assert work is not None
        work.roles = roles.apply_change(work.roles, rule.release, work.assigned, work.chosen)

    on.__name__ = f"change_{_ident(rule.id)}"
    return on


def _measures(kind: str) -> Callable[..., bool]:
    def cond(model: ChartModel) -> bool:
        work = model.work
        some = bool(work.facts.measures) if work is not None else False
        return some if kind == "some" else not some

    cond.__name__ = f"measures_{kind}"
    return cond


def compile_policy(policy: Policy) -> CompiledPolicy:
    """Build the chart class of ``policy``; cached per policy digest."""
    cached = _CACHE.get((policy.id, policy.digest))
    if cached is not None and cached.policy == policy:
        return cached
    compiled = _compile(policy)
    _CACHE[(policy.id, policy.digest)] = compiled
    return compiled


_CACHE: dict[tuple[str, str], CompiledPolicy] = {}


Spec = dict[str, Any]


def _define(policy: Policy, state: StateDef, chart_id: dict[str, str]) -> Spec:
    """The library's state definition for ``state`` and its sub-states."""
    spec: Spec = {"name": state.title, "enter": [_entry(policy, state.id)], "on": {}}
    if state.final:
        spec["final"] = True
    top_initial = state.parent is None and state.id == policy.initial_state().id
    if top_initial or (state.parent is not None and state.initial):
        spec["initial"] = True
    if state.parallel:
        spec["parallel"] = True
    if state.children:
        spec["states"] = {
            chart_id[c]: _define(policy, policy.states[c], chart_id) for c in state.children
        }
    return spec


def _flatten(specs: dict[str, Spec], flat: dict[str, Spec]) -> dict[str, Spec]:
    for cid, spec in specs.items():
        flat[cid] = spec
        _flatten(spec.get("states", {}), flat)
    return flat


def _add_rules(
    policy: Policy, flat: dict[str, Spec], chart_id: dict[str, str], event_of: dict[str, str]
) -> None:
    """Every transition of the card, guarded by the rule's guards."""
    for rule in policy.transitions.values():
        transition: Spec = {"cond": [_guard(rule)]}
        if rule.target_state is None:
            transition["target"] = None
            transition["on"] = [_change(rule)]
        else:
            transition["target"] = chart_id[rule.target_state]
        flat[chart_id[rule.source_state]]["on"].setdefault(event_of[rule.id], []).append(transition)


def _measure_handlers(
    policy: Policy, state_id: str, framed: bool = True
) -> Iterator[tuple[str, str | None]]:
    """Where a measure event is handled inside ``state_id``, each with its target.

    A sub-state of a compound state is re-entered, so its cells re-apply to the measures
    now in force; a compound sub-state is not (that would reset its own sub-states), its
    sub-states are, at any depth. A parallel state, or a state of the frame without
    sub-states, takes the event without moving; a region without sub-states is covered
    by its parallel parent.
    """
    state = policy.states[state_id]
    if not state.children:
        if framed:
            yield state_id, None
        return
    if state.parallel:
        yield state_id, None
    for child in state.children:
        if state.parallel or policy.states[child].children:
            yield from _measure_handlers(policy, child, framed=False)
        else:
            yield child, child


def _add_measures(policy: Policy, flat: dict[str, Spec], chart_id: dict[str, str]) -> None:
    """Measure events re-enter the frame's sub-states (their cells re-apply), or change
    nothing; eventless transitions then pick the right frame, at every depth."""
    for frame in policy.measures_in:
        for state_id, target in _measure_handlers(policy, frame):
            spec = flat[chart_id[state_id]]["on"]
            for event in (IMPOSE_EVENT, END_EVENT):
                spec.setdefault(event, []).append(
                    {"target": None if target is None else chart_id[target]}
                )
    for state in policy.states.values():
        if state.parent is None or policy.states[state.parent].parallel:
            continue
        for sibling in policy.states[state.parent].children:
            other = policy.states[sibling]
            if sibling != state.id and other.when_measures is not None:
                flat[chart_id[state.id]].setdefault("transitions", []).append(
                    {"target": chart_id[sibling], "cond": [_measures(other.when_measures)]}
                )


def _compile(policy: Policy) -> CompiledPolicy:
    chart_id = {sid: _ident(sid) for sid in policy.states}
    if len(set(chart_id.values())) != len(chart_id):
        raise PolicyError("two state ids differ only in punctuation; rename one")
    event_of = {rid: _ident(rid) for rid in policy.transitions}
    clash = set(event_of.values()) & set(chart_id.values())
    if clash:
        raise PolicyError(f"a transition and a state share the id {sorted(clash)[0]!r}")
    definitions = {
        chart_id[s.id]: _define(policy, s, chart_id)
        for s in policy.states.values()
        if s.parent is None
    }
    flat = _flatten(definitions, {})
    _add_rules(policy, flat, chart_id, event_of)
    _add_measures(policy, flat, chart_id)
    try:
        chart_class = create_machine_class_from_definition(
            _ident(f"Regiekaart_{policy.id}"),
            states=definitions,  # type: ignore[arg-type]  # plain dicts of the documented keys
            allow_event_without_transition=False,
            catch_errors_as_events=False,
            validate_disconnected_states=False,
            validate_trap_states=False,
            validate_final_reachability=False,
        )
    except InvalidDefinition as exc:
        raise PolicyError(f"the card does not form a valid statechart: {exc}") from None
    return CompiledPolicy(
        policy=policy,
        chart_class=chart_class,
        state_of={v: k for k, v in chart_id.items()},
        chart_id=chart_id,
        event_of=event_of,
    )
