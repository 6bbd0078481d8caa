"""The card as Markdown, for docs and wikis that cannot show the HTML page.

GitHub-flavoured: the four phases as a table with footnotes for the sections of the
handreiking, the steps as headed lists. Laid out by a Jinja2 template from the same
neutral view as the HTML card, so the two always say the same.

Layer: render. It may import store, scenario, analysis, runtime, policy and the
foundation modules; never verify, simulate, testing or cli.
"""

from __future__ import annotations

from functools import cache

import jinja2

from regiekaart.render.model import CardView

__all__ = [
    "environment",
    "md_cell",
    "render_markdown",
]


def md_cell(text: str) -> str:
    """Text that stays inside one Markdown table cell."""
    return " ".join(str(text).split()).replace("|", "\\|")


@cache
def environment() -> jinja2.Environment:
    """The Markdown template environment (no HTML escaping; cell text made table-safe)."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("regiekaart.render", "templates"),
        autoescape=False,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["md_cell"] = md_cell
    return env


def render_markdown(card: CardView) -> str:
    """The card as Markdown text, ending in one newline."""
    text = environment().get_template("card.md.j2").render(card=card)
    lines = [line.rstrip() for line in text.splitlines()]
    out: list[str] = []
    for line in lines:
        if line == "" and out and out[-1] == "":
            continue
        out.append(line)
    return "\n".join(out).strip() + "\n"
