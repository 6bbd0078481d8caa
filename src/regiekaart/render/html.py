"""The card as one self-contained HTML page: opens offline, prints on A4 landscape.

A policy officer who edits a card file must see the card it produces, and a
professional must be able to print it and pin it up; so the page carries its own
styles (no fonts, scripts or images fetched from anywhere) and the layout lives in
Jinja2 templates beside this module, filled from the neutral view and nothing else.

Layer: render. It may import store, scenario, analysis, runtime, policy and the
foundation modules; never verify, simulate, testing or cli.
"""

from __future__ import annotations

from functools import cache

import jinja2

from regiekaart.render.model import CardView

__all__ = [
    "environment",
    "render_html",
]


@cache
def environment() -> jinja2.Environment:
    """The template environment: autoescaped, strict about names a template misspells."""
    return jinja2.Environment(
        loader=jinja2.PackageLoader("regiekaart.render", "templates"),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html", "j2"), default=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def render_html(card: CardView) -> str:
    """The page for ``card``; the same view always gives the same bytes."""
    return environment().get_template("card.html.j2").render(card=card)
