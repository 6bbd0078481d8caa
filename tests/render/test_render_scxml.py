"""The SCXML export, proven by reading it back with python-statemachine's own SCXML reader.

The chart another engine loads must be the chart we run: the same states, hierarchy,
parallel regions, final states and transitions with their events — and, played along
a case story, it must walk through the same configurations as the real case.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from render_support import SCENARIOS, cards, universeel
from statemachine.io import load

from regiekaart import EndMeasure, ImposeMeasure, compile_policy, load_policy
from regiekaart.render.scxml import RK_NS, SCXML_NS, render_scxml
from regiekaart.render.view import card_view
from regiekaart.runtime.chart import END_EVENT, IMPOSE_EVENT
from regiekaart.scenario import play, validate_scenario

States = dict[str, tuple[str | None, bool, bool, bool]]
Transitions = list[tuple[str, tuple[str, ...], tuple[str, ...], bool]]


def structure(chart: Any) -> tuple[States, Transitions]:
    """States as id → (parent, parallel, final, initial); every transition with its events."""
    states: States = {}
    transitions: Transitions = []

    def visit(nodes: Any, parent: str | None) -> None:
        for state in nodes:
            states[state.id] = (
                parent,
                bool(state.parallel),
                bool(state.final),
                bool(state.initial),
            )
            for t in state.transitions:
                events = tuple(sorted(str(e) for e in t.events))
                targets = tuple(sorted(x.id for x in t.targets))
                transitions.append((state.id, targets, events, bool(t.initial)))
            visit(state.states, state.id)

    visit(chart.states, None)
    return states, sorted(transitions)


@pytest.mark.parametrize("path", cards(), ids=lambda p: p.stem)
def test_the_scxml_reads_back_as_the_same_chart(path: Path) -> None:
    policy = load_policy(path)
    compiled = compile_policy(policy)
    document = render_scxml(card_view(policy, compiled))
    loaded = load(document, format="scxml")
    ours_states, ours_transitions = structure(compiled.chart_class)
    their_states, their_transitions = structure(loaded)
    assert their_states == ours_states
    assert their_transitions == ours_transitions
    assert {s for s, (_, parallel, _, _) in their_states.items() if parallel} == {"fase4"}
    assert {s for s, (_, _, final, _) in their_states.items() if final} == {"afgesloten"}
    assert their_states["fase2_gedwongen"][0] == "fase2"


def test_the_document_is_scxml_with_the_cards_words_in_its_own_namespace() -> None:
    root = ET.fromstring(render_scxml(card_view(universeel())))
    assert root.tag == f"{{{SCXML_NS}}}scxml"
    assert root.get("version") == "1.0"
    assert root.get("initial") == "fase1"
    step = root.find(f".//{{{SCXML_NS}}}transition[@event='opschalen_2_3']")
    assert step is not None
    assert step.get("target") == "fase3"
    assert step.get(f"{{{RK_NS}}}rule") == "opschalen-2-3"
    assert "huiselijk-geweld" in (step.get(f"{{{RK_NS}}}criteria") or "").split()
    assert "houder van casusregie" in (step.get(f"{{{RK_NS}}}deciders") or "")
    parallel = root.find(f".//{{{SCXML_NS}}}parallel")
    assert parallel is not None
    assert parallel.get("id") == "fase4"
    assert root.find(f"{{{SCXML_NS}}}final[@id='afgesloten']") is not None


def chart_events(result: Any, event_of: dict[str, str]) -> list[tuple[str, tuple[str, ...]]]:
    """Each accepted step as the chart event it sent, with the configuration after it."""
    out = []
    for step in result.steps:
        if not step.accepted:
            continue
        if isinstance(step.command, ImposeMeasure):
            name = IMPOSE_EVENT
        elif isinstance(step.command, EndMeasure):
            name = END_EVENT
        elif step.rule in event_of:
            name = event_of[step.rule]
        else:
            continue
        out.append((name, tuple(sorted(step.configuration))))
    return out


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_played_along_a_case_story_the_scxml_chart_walks_the_same_configurations(
    path: Path,
) -> None:
    scenario, policy = validate_scenario(path)
    compiled = compile_policy(policy)
    chart = load(render_scxml(card_view(policy, compiled)), format="scxml")()
    moves = chart_events(play(scenario, policy), compiled.event_of)
    assert moves, "the story takes no step on the chart"
    for event, expected in moves:
        chart.send(event)
        got = tuple(sorted(compiled.state_of[s] for s in chart.configuration_values))
        assert got == expected, event
