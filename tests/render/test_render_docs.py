"""The card the README shows is the card ``machines/`` describes today.

``docs/regiekaart-west-brabant.html`` is regenerated and compared byte for byte; the PNG
records the SHA-256 of the page it was taken of, so it is checked without comparing
pixels. When either fails, regenerate both:

    regiekaart render machines/west-brabant.yaml -f html -o docs/regiekaart-west-brabant.html
    regiekaart render machines/west-brabant.yaml -f png -o docs/regiekaart-west-brabant.png
"""

from __future__ import annotations

import hashlib
import struct

from render_support import DOCS, west_brabant

from regiekaart.render.browser import png_texts
from regiekaart.render.formats import PNG_DIGEST_KEY, render_card

PAGE = DOCS / "regiekaart-west-brabant.html"
PICTURE = DOCS / "regiekaart-west-brabant.png"
REGENERATE = (
    "out of date with machines/: run `regiekaart render machines/west-brabant.yaml -f html "
    "-o docs/regiekaart-west-brabant.html` and the same with `-f png -o "
    "docs/regiekaart-west-brabant.png`"
)


def test_the_shipped_card_page_is_what_the_card_renders_to() -> None:
    assert PAGE.read_text(encoding="utf-8") == render_card(west_brabant(), "html"), REGENERATE


def test_the_shipped_picture_is_of_the_shipped_page() -> None:
    picture = PICTURE.read_bytes()
    width, height = struct.unpack(">II", picture[16:24])
    assert width >= 1200, "the picture is too small to read"
    assert height >= 800
    page = render_card(west_brabant(), "html")
    digest = hashlib.sha256(page.encode("utf-8")).hexdigest()
    assert png_texts(picture).get(PNG_DIGEST_KEY) == digest, REGENERATE
