"""The statechart diagram: SVG through Graphviz ``dot``, and Mermaid text.

python-statemachine already draws charts well — compound states as clusters, parallel
regions dashed, initial dots — through its own diagram model and renderers
(:mod:`statemachine.contrib.diagram`). So this module does not draw: it turns the
card's neutral view into that diagram model, with every transition labelled by its
title and its deciders instead of guard function names, lets the library's DOT and
Mermaid renderers lay it out, and only adds the card's phase colours afterwards.
The measure events the chart uses to re-evaluate the kader are left out: they are
bookkeeping, not steps a professional takes.

Layer: render. It may import store, scenario, analysis, runtime, policy and the
foundation modules; never verify, simulate, testing or cli.
"""

from __future__ import annotations

import html
import re
import textwrap
from collections.abc import Iterable, Iterator
from typing import Any

import pydot
from statemachine.contrib.diagram import GraphvizError, GraphvizNotFoundError
from statemachine.contrib.diagram.graphviz import run_graphviz
from statemachine.contrib.diagram.model import (
    ActionType,
    DiagramAction,
    DiagramGraph,
    DiagramState,
    DiagramTransition,
    StateType,
)
from statemachine.contrib.diagram.renderers.dot import DotRenderer, DotRendererConfig
from statemachine.contrib.diagram.renderers.mermaid import MermaidRenderer, MermaidRendererConfig

from regiekaart.errors import RegiekaartError
from regiekaart.render.model import CardView, ChartState, ChartTransition

__all__ = [
    "FONT",
    "DiagramError",
    "GraphvizMissingError",
    "diagram_graph",
    "dot_graph",
    "render_dot",
    "render_mermaid",
    "render_svg",
    "shown_transitions",
]

FONT = "Liberation Sans"
_MARK = "@@edge"


class DiagramError(RegiekaartError, RuntimeError):
    """Graphviz could not draw the diagram."""


class GraphvizMissingError(DiagramError, FileNotFoundError):
    """Graphviz's ``dot`` is not installed; the message names the package to install."""


_KINDS = {
    "atomic": StateType.REGULAR,
    "compound": StateType.REGULAR,
    "parallel": StateType.PARALLEL,
    "final": StateType.FINAL,
}


def _walk(states: Iterable[ChartState]) -> Iterator[ChartState]:
    for state in states:
        yield state
        yield from _walk(state.children)


def _diagram_state(
    state: ChartState, in_parallel: bool, within: dict[str, list[ChartTransition]]
) -> DiagramState:
    """A state; steps that stay within it are listed in it, as the library lists internal ones."""
    return DiagramState(
        id=state.id,
        name=state.caption,
        type=_KINDS[state.kind],
        actions=[
            DiagramAction(type=ActionType.INTERNAL, body=_within_text(t))
            for t in within.get(state.id, [])
        ],
        children=[_diagram_state(c, state.kind == "parallel", within) for c in state.children],
        is_parallel_area=in_parallel,
        is_initial=state.initial and not in_parallel,
    )


def _within_text(t: ChartTransition) -> str:
    return f"{t.label} [besluit: {t.deciders}]" if t.deciders else t.label


def shown_transitions(card: CardView) -> list[ChartTransition]:
    """The chart's transitions a diagram shows: every step of the card and the kader switches."""
    return [t for t in card.chart_transitions if not t.bookkeeping]


def diagram_graph(card: CardView, *, marked: bool = False) -> DiagramGraph:
    """The card's chart in python-statemachine's diagram model.

    With ``marked`` each transition's event is a placeholder the DOT output's labels are
    later found by; otherwise it is the transition's title and its guard the deciders.
    """
    within: dict[str, list[ChartTransition]] = {}
    for t in shown_transitions(card):
        if not t.targets:
            within.setdefault(t.source, []).append(t)
    states = [_diagram_state(s, False, within) for s in card.chart_states]
    transitions = []
    compound = {s.id for s in _walk(card.chart_states) if s.children}
    for index, t in enumerate(shown_transitions(card)):
        if not t.targets:
            continue
        transitions.append(
            DiagramTransition(
                source=t.source,
                targets=list(t.targets),
                event=f"{_MARK}{index}@@" if marked else t.label,
                guards=[] if marked or not t.deciders else [t.deciders],
            )
        )
    for state in _walk(card.chart_states):
        initial = next((c for c in state.children if c.initial), None)
        if initial is not None and state.kind == "compound":
            transitions.append(
                DiagramTransition(source=state.id, targets=[initial.id], is_initial=True)
            )
    return DiagramGraph(
        name=card.title,
        states=states,
        transitions=transitions,
        compound_state_ids=compound,
        bidirectional_compound_ids=_bidirectional(transitions, compound),
    )


def _bidirectional(transitions: list[DiagramTransition], compound: set[str]) -> set[str]:
    outgoing = {t.source for t in transitions if t.source in compound and not t.is_initial}
    incoming = {x for t in transitions if not t.is_initial for x in t.targets if x in compound}
    return outgoing & incoming


def _edge_label(t: ChartTransition) -> str:
    """An HTML-like Graphviz label: the title in bold, the deciders wrapped beneath."""
    rows = [f"<b>{html.escape(t.label)}</b>"]
    if t.deciders:
        for line in textwrap.wrap(f"besluit: {t.deciders}", width=46):
            rows.append(f'<font point-size="8" color="#444444">{html.escape(line)}</font>')
    cells = "".join(f'<tr><td align="left">{row}</td></tr>' for row in rows)
    return f'<<table border="0" cellborder="0" cellspacing="0" cellpadding="1">{cells}</table>>'


_EDGE_COLOURS = {"escalate": "#9b1c16", "deescalate": "#2c6e2f", "close": "#555555"}


def _cluster_label(state: ChartState, within: list[ChartTransition]) -> str:
    """The cluster's caption, with the steps that stay within the state listed under it."""
    rows = [f'<font point-size="13"><b>{html.escape(state.caption)}</b></font>']
    if state.kind == "parallel":
        rows.append('<font point-size="9" color="#444444">sporen lopen tegelijk</font>')
    for t in within:
        rows.append(f'<font point-size="9">⟲ <b>{html.escape(t.label)}</b></font>')
        for line in textwrap.wrap(f"besluit: {t.deciders}", width=70):
            rows.append(f'<font point-size="8" color="#444444">{html.escape(line)}</font>')
    cells = "".join(f"<tr><td>{row}</td></tr>" for row in rows)
    return f'<<table border="0" cellborder="0" cellspacing="0" cellpadding="1">{cells}</table>>'


def _graphs(graph: Any) -> Iterator[Any]:
    yield graph
    for sub in graph.get_subgraph_list():
        yield from _graphs(sub)


def dot_graph(card: CardView) -> pydot.Dot:
    """The diagram as a pydot graph, laid out by the library's DOT renderer, in card colours."""
    config = DotRendererConfig(
        graph_rankdir="LR",
        font_name=FONT,
        state_font_size="11",
        transition_font_size="9",
        graph_attrs={"labelloc": "t", "fontsize": "14", "nodesep": "0.35", "ranksep": "0.45"},
    )
    dot: pydot.Dot = DotRenderer(config).render(diagram_graph(card, marked=True))
    shown = shown_transitions(card)
    within: dict[str, list[ChartTransition]] = {}
    for t in shown:
        if not t.targets:
            within.setdefault(t.source, []).append(t)
    states = {s.id: s for s in _walk(card.chart_states)}
    top = {s.id for s in card.chart_states}
    regions = {c.id for s in states.values() if s.kind == "parallel" for c in s.children}
    _lift_leaving_edges(dot)
    for graph in _graphs(dot):
        for edge in graph.get_edge_list():
            _style_edge(edge, shown)
        name = str(graph.get_name()).strip('"')
        if name.startswith("cluster_") and name[8:] in states:
            cluster = states[name[8:]]
            graph.set("label", _cluster_label(cluster, within.get(cluster.id, [])))
            graph.set("style", '"rounded,filled"')
            graph.set("fillcolor", cluster.colour.tint)
            graph.set("color", cluster.colour.fill)
        for node in graph.get_node_list():
            state = states.get(str(node.get_name()).strip('"'))
            if state is None:
                continue
            if state.kind == "final":
                node.set("fillcolor", "#eeeeee")
                node.set("color", "#555555")
                continue
            node.set("fillcolor", state.colour.tint if state.id in top else "#ffffff")
            node.set("color", state.colour.fill)
            if state.id in regions:
                node.set("style", '"rounded,filled,dashed"')
    return dot


def _declared(graph: Any) -> set[str]:
    """The nodes a (sub)graph declares, at any depth within it."""
    names = {str(node.get_name()).strip('"') for node in graph.get_node_list()}
    for sub in graph.get_subgraph_list():
        names |= _declared(sub)
    return names


def _lift_leaving_edges(dot: pydot.Dot) -> None:
    """Move every edge that leaves a cluster to the top of the graph.

    The library writes a step inside the cluster of the state it leaves; Graphviz puts
    a node into the first (sub)graph that mentions it, so a step from a nested state to
    a phase not yet declared would draw that phase inside the nested state's cluster.
    """
    for graph in list(_graphs(dot))[1:]:
        inside = _declared(graph)
        for edge in list(graph.get_edge_list()):
            ends = (edge.get_source(), edge.get_destination())
            if all(str(end).strip('"') in inside for end in ends):
                continue
            graph.del_edge(*ends)
            dot.add_edge(edge)


def _style_edge(edge: Any, shown: list[ChartTransition]) -> None:
    """Give a placeholder-labelled edge its words, its colour, and (going down) no rank pull.

    De-escalations do not constrain the layout, so the phases line up left to right in
    their order and the way back runs beneath.
    """
    label = str(edge.get_label() or "")
    if _MARK not in label:
        return
    t = shown[int(label.split(_MARK, 1)[1].split("@@", 1)[0])]
    edge.set_label(_edge_label(t))
    edge.set("color", _EDGE_COLOURS.get(t.kind, "#555555"))
    edge.set("fontcolor", "#1a1a1a")
    if t.kind == "deescalate" or t.condition == "measures:none":
        edge.set("constraint", "false")


_MACHINE_IDS = re.compile(r"(__initial_|cluster___atomic_)(\d+)")


def render_dot(card: CardView) -> str:
    """The diagram in the DOT language; the same card always gives the same text.

    The library names its helper nodes after Python object ids, which change from run to
    run; they are renumbered in order of appearance.
    """
    text = str(dot_graph(card).to_string())
    numbers: dict[str, str] = {}

    def renumber(match: re.Match[str]) -> str:
        key = match.group(2)
        numbers.setdefault(key, str(len(numbers) + 1))
        return f"{match.group(1)}{numbers[key]}"

    return _MACHINE_IDS.sub(renumber, text)


def render_svg(card: CardView) -> str:
    """The diagram as SVG, drawn by Graphviz ``dot``.

    Raises :class:`GraphvizMissingError` naming the Debian package when ``dot`` is absent.
    """
    try:
        svg = run_graphviz(render_dot(card), "svg")
    except GraphvizNotFoundError:
        raise GraphvizMissingError(
            "Graphviz's `dot` was not found on PATH; install the Debian package `graphviz` "
            "(apt-get install graphviz) to draw SVG diagrams, or use --format mermaid"
        ) from None
    except GraphvizError as exc:
        raise DiagramError(f"Graphviz could not draw the diagram: {exc}") from None
    return svg.decode("utf-8")


def _mermaid_text(text: str) -> str:
    """Label text Mermaid reads literally (it treats ``;``, ``#`` and ``:`` specially)."""
    return text.replace(";", ",").replace("#", "").replace(":", " -")


def render_mermaid(card: CardView) -> str:
    """The diagram as a Mermaid ``stateDiagram-v2``, with the phase colours as classes."""
    graph = diagram_graph(card)
    for t in graph.transitions:
        t.event = _mermaid_text(t.event)
        t.guards = [_mermaid_text(g) for g in t.guards]
    notes = []
    for state in _diagram_walk(graph.states):
        state.name = _mermaid_text(state.name)
        for action in state.actions:
            notes.append(f"    note right of {state.id} : ⟲ {_mermaid_text(action.body)}")
        state.actions = []
    text = MermaidRenderer(MermaidRendererConfig(direction="LR")).render(graph)
    lines = [text.rstrip("\n"), *notes, ""]
    for phase in card.chart_states:
        if phase.kind == "final":
            continue
        c = phase.colour
        lines.append(f"    classDef {phase.id}Colour fill:{c.tint},stroke:{c.fill},color:#1a1a1a")
        lines.append(f"    class {phase.id} {phase.id}Colour")
    return "\n".join(lines) + "\n"


def _diagram_walk(states: Iterable[DiagramState]) -> Iterator[DiagramState]:
    for state in states:
        yield state
        yield from _diagram_walk(state.children)
