"""Renderings of a card whose states nest three levels deep (``tests/cards/nested.yaml``).

The card page names every sub-state at every depth with its cells, the diagram draws
each level as a cluster inside its parent, a step out of a nested state does not pull
a phase into that state's cluster, and the SCXML reads back as the same chart and walks
the same configurations as a case.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from functools import cache
from typing import Any

import pydot
import pytest
from render_support import ROOT, cards
from statemachine.io import load
from test_render_scxml import structure

from regiekaart import (
    Case,
    EndMeasure,
    Escalate,
    ImposeMeasure,
    Member,
    Policy,
    StepClock,
    compile_policy,
    load_policy,
)
from regiekaart.render.diagram import dot_graph, render_mermaid, render_svg
from regiekaart.render.html import render_html
from regiekaart.render.markdown import render_markdown
from regiekaart.render.model import CardView
from regiekaart.render.scxml import SCXML_NS, render_scxml
from regiekaart.render.view import card_view
from regiekaart.runtime.chart import END_EVENT, IMPOSE_EVENT

NESTED = ROOT / "tests" / "cards" / "nested.yaml"
DEEPEST = "fase3.verward.traject.zorg.gedwongen"


@cache
def nested() -> Policy:
    return load_policy(NESTED)


@cache
def view() -> CardView:
    return card_view(nested())


def test_the_card_page_names_every_sub_state_and_its_cells() -> None:
    page = render_html(view())
    for state in nested().states.values():
        if state.parent is not None:
            assert f'data-state="{state.id}"' in page, state.id
    assert 'data-within="fase3.verward.traject"' in page
    assert "Traject verward gedrag — sporen, tegelijk:" in page
    assert "Spoor verward gedrag · Traject verward gedrag · Zorg · Verplichte zorg" in page


def test_the_markdown_card_names_the_deep_states_and_labels_their_cells() -> None:
    text = render_markdown(view())
    assert "Traject verward gedrag — Sporen, tegelijk: Zorg · Veiligheid" in text
    assert "Zorg — Kader, één van: Vrijwillige zorg · Verplichte zorg" in text
    assert "**Spoor verward gedrag · Traject verward gedrag · Veiligheid:** Politie" in text


def test_the_view_keeps_the_tree_of_sub_states() -> None:
    (fase3,) = [c for c in view().columns if c.id == "fase3"]
    assert fase3.parallel
    verward = fase3.substates[1]
    traject = verward.substates[1]
    assert (verward.id, verward.parallel, traject.id, traject.parallel) == (
        "fase3.verward",
        False,
        "fase3.verward.traject",
        True,
    )
    assert [s.when_measures for s in traject.substates[0].substates] == ["none", "some"]


def test_the_mermaid_diagram_nests_each_level_in_its_parent() -> None:
    text = render_mermaid(view())
    lines = [line.rstrip() for line in text.splitlines()]
    deep = next(line for line in lines if f"as {DEEPEST.replace('.', '_')}" in line)
    assert deep.startswith(" " * 20), "five levels in: four blocks around it"
    assert "fase3_verward_traject --> fase2 : afschalen-traject-2" in text


def _inside(graph: Any) -> set[str]:
    names = {str(n.get_name()).strip('"') for n in graph.get_node_list()}
    for sub in graph.get_subgraph_list():
        names |= _inside(sub)
    return names


def _clusters(graph: Any) -> list[Any]:
    out = []
    for sub in graph.get_subgraph_list():
        out += [sub, *_clusters(sub)]
    return out


@pytest.mark.parametrize("path", [NESTED, *cards()], ids=lambda p: p.stem)
def test_no_step_pulls_a_state_into_a_cluster_it_does_not_belong_to(path: Any) -> None:
    """Graphviz puts a node into the first cluster that names it: every edge a cluster
    holds must join two of its own nodes, or a phase is drawn inside a nested state."""
    graph: pydot.Dot = dot_graph(card_view(load_policy(path)))
    for cluster in _clusters(graph):
        own = _inside(cluster)
        for edge in cluster.get_edge_list():
            ends = {str(edge.get_source()).strip('"'), str(edge.get_destination()).strip('"')}
            assert ends <= own, (cluster.get_name(), ends)
    fase2 = [c for c in _clusters(graph) if "fase2" in _inside(c)]
    assert all(not str(c.get_name()).startswith("cluster_fase3") for c in fase2)


@pytest.mark.usefixtures("dot")
def test_the_svg_draws_every_level() -> None:
    svg = render_svg(view())
    root = ET.fromstring(svg)
    titles = {t.text for t in root.iter("{http://www.w3.org/2000/svg}title")}
    assert "cluster_fase3_verward_traject_zorg" in titles
    assert DEEPEST.replace(".", "_") in titles


def test_the_scxml_reads_back_as_the_same_chart() -> None:
    compiled = compile_policy(nested())
    document = render_scxml(card_view(nested(), compiled))
    root = ET.fromstring(document)
    deep = root.find(f".//{{{SCXML_NS}}}state[@id='{DEEPEST.replace('.', '_')}']")
    assert deep is not None
    ours = structure(compiled.chart_class)
    theirs = structure(load(document, format="scxml"))
    assert theirs == ours
    states = theirs[0]
    assert states["fase3_verward_traject_zorg"][0] == "fase3_verward_traject"
    assert states["fase3_verward_traject"][1], "parallel"


def test_the_scxml_chart_walks_the_configurations_of_a_case() -> None:
    policy = nested()
    compiled = compile_policy(policy)
    chart = load(render_scxml(card_view(policy, compiled)), format="scxml")()
    members = (Member(id="kind", group="jeugd"), Member(id="ouder", group="volwassen"))
    case = Case.create(policy, "c", actor="wijkteam", members=members, clock=StepClock())
    story: list[tuple[str, Any]] = [
        ("opschalen-1-2", Escalate(actor="wijkteam", to="fase2", criteria=["hulpbehoefte"])),
        (
            "opschalen-2-3-verward",
            Escalate(
                actor="ggz-aanbieder", to="fase3.verward.traject", criteria=["verward-gedrag"]
            ),
        ),
        (IMPOSE_EVENT, ImposeMeasure(actor="rechter", measure="zorgmachtiging", member="ouder")),
        (IMPOSE_EVENT, ImposeMeasure(actor="kinderrechter", measure="ots", member="kind")),
        (END_EVENT, EndMeasure(actor="rechter", measure="zorgmachtiging", member="ouder")),
        (END_EVENT, EndMeasure(actor="kinderrechter", measure="ots", member="kind")),
    ]
    seen = set()
    for rule, command in story:
        case.apply(command)
        chart.send(compiled.event_of.get(rule, rule))
        got = tuple(sorted(compiled.state_of[s] for s in chart.configuration_values))
        assert got == case.configuration, rule
        seen |= set(got)
    assert DEEPEST in seen
