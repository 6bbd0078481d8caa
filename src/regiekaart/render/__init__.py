"""Renderings of a card and of a case: HTML, Markdown, diagrams, SCXML, timelines.

Every rendering of a card reads the one neutral view of :mod:`.view`; the renderers
only lay it out, so the card a policy officer prints, the diagram a developer reads
and the chart another engine loads cannot drift apart. A case's history is drawn from
a played scenario or from its events by :mod:`.timeline`.

Layer: render. Its modules may import store, scenario, analysis, runtime, policy and
the foundation modules, never verify, simulate, testing or cli: those show what is
rendered here, so they stand above it.
"""

from regiekaart.render.diagram import DiagramError, GraphvizMissingError, render_mermaid, render_svg
from regiekaart.render.formats import FORMATS, card_png, render_card
from regiekaart.render.html import render_html
from regiekaart.render.markdown import render_markdown
from regiekaart.render.model import CardView
from regiekaart.render.scxml import render_scxml
from regiekaart.render.timeline import (
    Timeline,
    render_timeline,
    timeline_from_events,
    timeline_from_scenario,
)
from regiekaart.render.view import card_view

__all__ = [
    "FORMATS",
    "CardView",
    "DiagramError",
    "GraphvizMissingError",
    "Timeline",
    "card_png",
    "card_view",
    "render_card",
    "render_html",
    "render_markdown",
    "render_mermaid",
    "render_scxml",
    "render_svg",
    "render_timeline",
    "timeline_from_events",
    "timeline_from_scenario",
]
