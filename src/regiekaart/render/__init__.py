"""Renderings of a card and of a case: HTML, Markdown, diagrams, SCXML, timelines.

Every rendering of a card reads the one neutral view of :mod:`.view`; the renderers
only lay it out, so the card a policy officer prints, the diagram a developer reads
and the chart another engine loads cannot drift apart. A case's history is drawn from
a played scenario or from its events by :mod:`.timeline`.

Layer: render. Its modules may import store, scenario, analysis, runtime, policy and
the foundation modules, never verify, simulate, testing or cli: those show what is
rendered here, so they stand above it.

The renderers load what they need (jinja2, graphviz, a browser) only when one is asked
for: the names below are imported on first use, so a command that prints a terminal
table does not pay for the HTML templates.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from regiekaart.render.diagram import (
        DiagramError,
        GraphvizMissingError,
        render_mermaid,
        render_svg,
    )
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

_HOMES = {
    "CardView": "regiekaart.render.model",
    "DiagramError": "regiekaart.render.diagram",
    "FORMATS": "regiekaart.render.formats",
    "GraphvizMissingError": "regiekaart.render.diagram",
    "Timeline": "regiekaart.render.timeline",
    "card_png": "regiekaart.render.formats",
    "card_view": "regiekaart.render.view",
    "render_card": "regiekaart.render.formats",
    "render_html": "regiekaart.render.html",
    "render_markdown": "regiekaart.render.markdown",
    "render_mermaid": "regiekaart.render.diagram",
    "render_scxml": "regiekaart.render.scxml",
    "render_svg": "regiekaart.render.diagram",
    "render_timeline": "regiekaart.render.timeline",
    "timeline_from_events": "regiekaart.render.timeline",
    "timeline_from_scenario": "regiekaart.render.timeline",
}
"""Where each public name lives; :func:`__getattr__` imports it from there on first use."""


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'regiekaart.render' has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value
    return value


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
