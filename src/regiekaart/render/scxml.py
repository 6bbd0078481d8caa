"""The compiled chart as a W3C SCXML document, for other statechart engines.

Another engine must be able to read our charts: every state (compound phases,
parallel phases, final states), every transition with its event, the initial
states, and the kader switch as an eventless transition on a small data model (the
number of measures in force, in expressions that read the same in ECMAScript and in
python-statemachine's Python data model). Who may decide and on which criteria cannot be
expressed in SCXML's executable content without exporting our rules engine, so it
travels as attributes in the regiekaart namespace, which SCXML processors ignore (their
local names are chosen not to clash with SCXML's own attributes, since some readers
drop namespaces).
The document is built as an element tree, never by string concatenation.

Layer: render. It may import store, scenario, analysis, runtime, policy and the
foundation modules; never verify, simulate, testing or cli.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from regiekaart.render.model import CardView, ChartState, ChartTransition, TransitionView
from regiekaart.runtime.chart import IMPOSE_EVENT

__all__ = [
    "MEASURES",
    "RK_NS",
    "SCXML_NS",
    "render_scxml",
    "scxml_tree",
]

SCXML_NS = "http://www.w3.org/2005/07/scxml"
RK_NS = "urn:regiekaart:scxml:1"
"""The namespace of the card's own words (titles, deciders, criteria, tags) on SCXML elements."""

MEASURES = "measures"
"""The data item counting the measures in force; the kader switches on it."""

ET.register_namespace("", SCXML_NS)
ET.register_namespace("rk", RK_NS)


def _tag(name: str) -> str:
    return f"{{{SCXML_NS}}}{name}"


def _rk(name: str) -> str:
    return f"{{{RK_NS}}}{name}"


def _state(
    parent: ET.Element, state: ChartState, by_source: dict[str, list[ChartTransition]]
) -> None:
    tag = {"parallel": "parallel", "final": "final"}.get(state.kind, "state")
    element = ET.SubElement(parent, _tag(tag), {"id": state.id})
    element.set(_rk("state"), state.policy_id)
    element.set(_rk("title"), state.title)
    if state.kind != "final":
        element.set(_rk("colour"), state.colour.name)
    initial = [c.id for c in state.children if c.initial]
    if state.kind == "compound" and initial:
        element.set("initial", initial[0])
    for transition in by_source.get(state.id, []):
        _transition(element, transition)
    for child in state.children:
        _state(element, child, by_source)


def _transition(parent: ET.Element, t: ChartTransition) -> None:
    element = ET.SubElement(parent, _tag("transition"))
    if t.event:
        element.set("event", t.event)
    if t.targets:
        element.set("target", " ".join(t.targets))
    if t.condition:
        element.set(
            "cond", f"{MEASURES} > 0" if t.condition == "measures:some" else f"{MEASURES} == 0"
        )
    if t.bookkeeping:
        up = t.event == IMPOSE_EVENT
        if not up:
            element.set("cond", f"{MEASURES} > 0")
        ET.SubElement(
            element,
            _tag("assign"),
            {"location": MEASURES, "expr": f"{MEASURES} + 1" if up else f"{MEASURES} - 1"},
        )
    if t.rule:
        element.set(_rk("rule"), t.rule)
        element.set(_rk("kind"), t.kind)
    if t.label:
        element.set(_rk("title"), t.label)
    if t.deciders:
        element.set(_rk("deciders"), t.deciders)


def scxml_tree(card: CardView) -> ET.Element:
    """The root ``<scxml>`` element of the card's compiled chart."""
    root = ET.Element(
        _tag("scxml"),
        {"version": "1.0", "datamodel": "ecmascript", "name": card.chart_name},
    )
    root.set("initial", card.initial_state)
    root.set(_rk("policy"), card.id)
    root.set(_rk("card-version"), card.version)
    root.set(_rk("digest"), card.digest)
    datamodel = ET.SubElement(root, _tag("datamodel"))
    ET.SubElement(datamodel, _tag("data"), {"id": MEASURES, "expr": "0"})
    by_source: dict[str, list[ChartTransition]] = {}
    for t in card.chart_transitions:
        by_source.setdefault(t.source, []).append(t)
    criteria = {s.id: " ".join(c.id for c in s.criteria) for s in card.steps}
    tags = {s.id: " ".join(t.id for t in s.tags) for s in card.steps}
    combined = {s.id: s.criteria_words for s in card.steps if _combined(s)}
    for state in card.chart_states:
        _state(root, state, by_source)
    for element in root.iter(_tag("transition")):
        rule = element.get(_rk("rule"))
        if rule and criteria.get(rule):
            element.set(_rk("criteria"), criteria[rule])
        if rule and tags.get(rule):
            element.set(_rk("tags"), tags[rule])
        if rule and rule in combined:
            element.set(_rk("requirement"), combined[rule])
    ET.indent(root, space="  ")
    return root


def _combined(step: TransitionView) -> bool:
    """Whether the step's criteria say more than "any one of these", which
    ``rk:criteria`` alone would read as."""
    requirement = step.requirement
    if step.optional_criteria:
        return True
    if requirement is None:
        return False
    return requirement.kind != "any" or any(p.kind != "criterion" for p in requirement.parts)


def render_scxml(card: CardView) -> str:
    """The SCXML document as UTF-8 text with an XML declaration."""
    body: str = ET.tostring(scxml_tree(card), encoding="unicode")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n"
