"""The statechart diagram: SVG drawn by Graphviz's real dot, and Mermaid text."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from render_support import cards, universeel

from regiekaart import load_policy
from regiekaart.render.diagram import (
    GraphvizMissingError,
    render_dot,
    render_mermaid,
    render_svg,
    shown_transitions,
)
from regiekaart.render.model import ChartState
from regiekaart.render.view import card_view

SVG = "{http://www.w3.org/2000/svg}"


def walk(states: tuple[ChartState, ...]) -> list[ChartState]:
    out: list[ChartState] = []
    for state in states:
        out.append(state)
        out.extend(walk(state.children))
    return out


@pytest.mark.usefixtures("dot")
@pytest.mark.parametrize("path", cards(), ids=lambda p: p.stem)
def test_svg_parses_and_draws_every_state_and_step(path: Path) -> None:
    card = card_view(load_policy(path))
    svg = render_svg(card)
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    titles = {t.text for t in root.iter(f"{SVG}title")}
    texts = " ".join(t.text or "" for t in root.iter(f"{SVG}text"))
    for state in walk(card.chart_states):
        drawn = state.id in titles if not state.children else f"cluster_{state.id}" in titles
        assert drawn, state.id
        assert state.caption in texts, state.caption
    for t in shown_transitions(card):
        assert t.label in texts, t.label
        if t.deciders:
            assert "besluit:" in texts
    assert texts.count("besluit:") == sum(1 for t in shown_transitions(card) if t.deciders)


def test_phases_are_drawn_in_their_colours_and_go_down_without_pulling_the_layout() -> None:
    card = card_view(universeel())
    dot = render_dot(card)
    for column in card.columns:
        assert f"color={column.colour.fill}" in dot or f'color="{column.colour.fill}"' in dot
    assert dot.count("constraint=false") == sum(
        1
        for t in shown_transitions(card)
        if t.kind == "deescalate" or t.condition == "measures:none"
    )
    assert "impose_measure" not in dot
    assert "maatregel opgelegd" not in dot


def test_without_dot_the_message_names_the_debian_package(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(
        GraphvizMissingError, match=r"Debian package `graphviz`.*apt-get install graphviz"
    ):
        render_svg(card_view(universeel()))


def test_mermaid_has_every_state_step_and_phase_colour() -> None:
    card = card_view(universeel())
    text = render_mermaid(card)
    lines = text.splitlines()
    assert lines[0] == "stateDiagram-v2"
    for state in walk(card.chart_states):
        assert re.search(rf"\bas {state.id}\b", text), state.id
    arrows = [line for line in lines if "-->" in line and "[*]" not in line]
    between = [t for t in shown_transitions(card) if t.targets]
    assert len(arrows) == len(between)
    for t in between:
        assert any(f"{t.source} --> {t.targets[0]} : {t.label}" in a for a in arrows), t.label
    within = [t for t in shown_transitions(card) if not t.targets]
    assert [line for line in lines if "note right of" in line] == [
        f"    note right of {t.source} : ⟲ {t.label} [besluit - {t.deciders.replace(';', ',')}]"
        for t in within
    ]
    for column in card.columns:
        assert f"class {column.id} {column.id}Colour" in text
    fase4 = text[text.index("as fase4 {") :]
    assert "\n        --\n" in fase4


def test_the_same_card_always_gives_the_same_diagram() -> None:
    card = card_view(universeel())
    assert render_dot(card) == render_dot(card_view(universeel()))
    assert render_mermaid(card) == render_mermaid(card_view(universeel()))
