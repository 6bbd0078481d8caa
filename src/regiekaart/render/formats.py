"""Every rendering of a card by name: what ``regiekaart render --format`` and a host call.

One function per output, all reading the same :class:`~regiekaart.render.model.CardView`;
this module only maps format names to them, so the command line and a host system get
exactly the same bytes for the same card.

Layer: render. It may import store, scenario, analysis, runtime, policy and the
foundation modules; never verify, simulate, testing or cli.
"""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Callable
from pathlib import Path

from regiekaart.policy.model import Policy
from regiekaart.render.browser import BrowserError, Chromium, png_with_text
from regiekaart.render.diagram import render_dot, render_mermaid, render_svg
from regiekaart.render.html import render_html
from regiekaart.render.markdown import render_markdown
from regiekaart.render.model import CardView
from regiekaart.render.scxml import render_scxml
from regiekaart.render.view import card_view

__all__ = [
    "FORMATS",
    "PNG_DIGEST_KEY",
    "SUFFIXES",
    "TEXT_FORMATS",
    "card_png",
    "render_card",
]

TEXT_FORMATS: dict[str, Callable[[CardView], str]] = {
    "html": render_html,
    "md": render_markdown,
    "svg": render_svg,
    "mermaid": render_mermaid,
    "dot": render_dot,
    "scxml": render_scxml,
}
"""Format name → renderer of text."""

FORMATS = (*TEXT_FORMATS, "png")
"""Every format a card renders to; ``png`` is a picture of the HTML page taken in Chromium."""

SUFFIXES = {
    "html": ".html",
    "md": ".md",
    "svg": ".svg",
    "mermaid": ".mmd",
    "dot": ".dot",
    "scxml": ".scxml",
    "png": ".png",
}
"""The usual file name ending of each format."""

PNG_DIGEST_KEY = "regiekaart-html-sha256"
"""The PNG text entry recording which HTML page the picture was taken of."""


def render_card(policy: Policy, fmt: str) -> str:
    """``policy``'s card in text format ``fmt`` (one of :data:`TEXT_FORMATS`)."""
    try:
        renderer = TEXT_FORMATS[fmt]
    except KeyError:
        known = ", ".join(FORMATS)
        raise ValueError(f"unknown format {fmt!r}; use one of: {known}") from None
    return renderer(card_view(policy))


def card_png(policy: Policy, *, width: int = 1600) -> bytes:
    """A picture of the card's table as Chromium draws the HTML page, tagged with its digest.

    The PNG records the SHA-256 of the HTML it shows (text entry
    :data:`PNG_DIGEST_KEY`), so a check can tell whether a shipped picture still matches
    the page it was taken of without comparing pixels.
    """
    page = render_html(card_view(policy))
    with tempfile.TemporaryDirectory(prefix="regiekaart-png-") as tmp:
        path = Path(tmp) / "card.html"
        path.write_text(page, encoding="utf-8")
        with Chromium(width=width, height=1000) as browser:
            report = browser.load(path)
            if report.console_errors:
                problems = "; ".join(report.console_errors)
                raise BrowserError(f"the card page reported errors: {problems}")
            picture = browser.screenshot(selector="body > header, main > table, main > p.legend")
    digest = hashlib.sha256(page.encode("utf-8")).hexdigest()
    return png_with_text(picture, PNG_DIGEST_KEY, digest)
