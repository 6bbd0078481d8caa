"""Stored values on the terminal and in ``--json``: shown, never obeyed.

Everything ``case`` and ``audit`` show comes from a store someone else may have written
to, so no stored value reaches the terminal raw: table cells show control and format
characters escaped (:func:`~regiekaart.terminal.printable`) and never read data as rich
markup, and ``--json`` writes them as ``\\u`` escapes.
"""

from __future__ import annotations

import json
import sys
import unicodedata
from collections.abc import Sequence
from typing import Any

from rich.text import Text

from regiekaart.terminal import ESCAPED_CATEGORIES, printable


def cell(value: object, *, multiline: bool = False) -> Text:
    """A value for a table cell or a heading: escaped, and never read as markup."""
    return Text(printable(value, multiline=multiline))


def lines(values: Sequence[object]) -> Text:
    """Values one per line in a cell; a line break inside one is shown escaped."""
    return Text("\n".join(printable(value) for value in values))


def print_json(value: Any) -> None:
    """``value`` as one indented JSON document on stdout, every invisible character escaped."""
    document = json.dumps(value, ensure_ascii=False, indent=2, default=str)
    sys.stdout.write(json_text(document) + "\n")


def json_text(document: str) -> str:
    """JSON with every invisible character inside a string written as an escape.

    ``json.dumps`` escapes the C0 controls, but leaves a C1 control (``\\x9b`` starts
    an escape sequence on some terminals), a bidi override and a lone surrogate
    (which stdout cannot even encode) as they are. Outside strings JSON holds only
    spaces and the newlines of the indentation.
    """
    if document.isascii():  # the usual case: only DEL is left unescaped by json.dumps
        return document.replace("\x7f", "\\u007f")
    return "".join(
        _json_escape(char)
        if char != "\n" and unicodedata.category(char) in ESCAPED_CATEGORIES
        else char
        for char in document
    )


def _json_escape(char: str) -> str:
    """``char`` as a JSON ``\\u`` escape (a pair of them above the basic plane)."""
    code = ord(char)
    if code < 0x10000:
        return f"\\u{code:04x}"
    code -= 0x10000
    return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"
