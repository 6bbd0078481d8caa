"""The compiled chart's states and transitions, in the card's words.

The diagram and the SCXML export draw the chart the engine runs, not the card's own
tables; so this part of the neutral view walks the compiled chart, and names each of
its states and transitions after the phase, sub-state or step of the card it comes from.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from regiekaart.render._extractor import Extractor
from regiekaart.render.model import (
    ChartState,
    ChartTransition,
    TransitionView,
    deciders_words,
)
from regiekaart.render.palette import colour
from regiekaart.runtime.chart import END_EVENT, IMPOSE_EVENT, CompiledPolicy

ChartKind = Literal["atomic", "compound", "parallel", "final"]
Condition = Literal["", "measures:some", "measures:none"]


def chart(
    ex: Extractor, compiled: CompiledPolicy, steps: Sequence[TransitionView]
) -> tuple[tuple[ChartState, ...], tuple[ChartTransition, ...]]:
    """The compiled chart's states and transitions, in the card's words."""
    by_event = {s.event: s for s in steps}
    transitions: list[ChartTransition] = []

    def state(node: Any) -> ChartState:
        sid = str(node.id)
        policy_id = compiled.state_of[sid]
        defined = ex.policy.states[policy_id]
        children = tuple(state(c) for c in node.states)
        for t in node.transitions:
            if getattr(t, "initial", False):
                continue
            transitions.append(_transition(ex, compiled, sid, t, by_event))
        return ChartState(
            id=sid,
            policy_id=policy_id,
            title=defined.title,
            caption=ex.state_title(policy_id) if defined.is_phase else defined.title,
            kind=_kind(node, final=defined.final, children=bool(children)),
            initial=bool(getattr(node, "initial", False)),
            colour=colour(ex.policy.phase_of(policy_id).colour),
            children=children,
        )

    states = tuple(state(s) for s in compiled.chart_class.states)
    return states, tuple(transitions)


def _kind(node: Any, *, final: bool, children: bool) -> ChartKind:
    if final:
        return "final"
    if getattr(node, "parallel", False):
        return "parallel"
    return "compound" if children else "atomic"


def _transition(
    ex: Extractor,
    compiled: CompiledPolicy,
    source: str,
    t: Any,
    by_event: dict[str, TransitionView],
) -> ChartTransition:
    events = [str(e) for e in t.events]
    targets = tuple(str(x.id) for x in t.targets)
    event = events[0] if events else ""
    step = by_event.get(event)
    if step is not None:
        words = deciders_words(step.deciders)
        return ChartTransition(
            source, targets, event, step.id, step.kind, step.title, words, "", False
        )
    if event in (IMPOSE_EVENT, END_EVENT):
        label = "maatregel opgelegd" if event == IMPOSE_EVENT else "maatregel beëindigd"
        return ChartTransition(source, targets, event, "", "kader", label, "", "", True)
    target = ex.policy.states[compiled.state_of[targets[0]]] if targets else None
    when = target.when_measures if target is not None else None
    condition: Condition = (
        "measures:some" if when == "some" else "measures:none" if when == "none" else ""
    )
    label = {"measures:some": "bij een maatregel", "measures:none": "zonder maatregel"}.get(
        condition, ""
    )
    return ChartTransition(source, targets, event, "", "kader", label, "", condition, False)
