"""The print colours of the card's phases: a solid fill, a light tint, readable ink.

A card names its phase colours in words (``groen``, ``oranje``) or as ``#rrggbb``; the
HTML card, the diagram, the timeline and the simulation report must all print the
same colour for the same word, and keep text readable on it. :func:`colour` is that
one translation.

Layer: render. It may import store, scenario, analysis, runtime, policy and the
foundation modules; never verify, simulate, testing or cli.
"""

from __future__ import annotations

import re

from attrs import frozen

__all__ = [
    "PALETTE",
    "Colour",
    "colour",
]

PALETTE: dict[str, str] = {
    "groen": "#2f7d32",
    "green": "#2f7d32",
    "oranje": "#ef8a17",
    "orange": "#ef8a17",
    "geel": "#f2c12e",
    "yellow": "#f2c12e",
    "rood": "#c8241d",
    "red": "#c8241d",
    "donkerrood": "#7a0f17",
    "darkred": "#7a0f17",
    "blauw": "#1f5f99",
    "blue": "#1f5f99",
    "grijs": "#6b6b6b",
    "grey": "#6b6b6b",
    "gray": "#6b6b6b",
}
"""Colour words a card may use for a phase, as print-safe hex values.

A card may also give a ``#rrggbb`` value; anything else is drawn in neutral grey."""

_HEX = re.compile(r"^#[0-9a-fA-F]{6}$")
_NEUTRAL = "#6b6b6b"


@frozen
class Colour:
    """A phase colour: the solid fill, a light tint for cell bodies, and readable ink."""

    name: str
    fill: str
    tint: str
    ink: str


def colour(name: str) -> Colour:
    """The print colours of a phase colour word or ``#rrggbb`` value."""
    fill = PALETTE.get(name.strip().lower()) or (name if _HEX.match(name) else _NEUTRAL)
    return Colour(name=name, fill=fill.lower(), tint=_mix(fill, 0.86), ink=_ink(fill))


def _rgb(hex_value: str) -> tuple[int, int, int]:
    return int(hex_value[1:3], 16), int(hex_value[3:5], 16), int(hex_value[5:7], 16)


def _mix(hex_value: str, white: float) -> str:
    r, g, b = (round(c + (255 - c) * white) for c in _rgb(hex_value))
    return f"#{r:02x}{g:02x}{b:02x}"


def _ink(hex_value: str) -> str:
    """Black or white, whichever reads better on ``hex_value`` (WCAG contrast)."""

    def channel(c: int) -> float:
        s = c / 255
        return s / 12.92 if s <= 0.03928 else ((s + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in _rgb(hex_value))
    luminance = 0.2126 * r + 0.7152 * g + 0.0722 * b
    on_white = 1.05 / (luminance + 0.05)
    on_black = (luminance + 0.05) / 0.05
    return "#ffffff" if on_white >= on_black else "#1a1a1a"
