"""Text shown to a person: stored data made visible, never obeyed by the terminal.

A case id, a reason or a party read back from a store is data, and data may have been
written by anyone with access to the database. Printed raw, an escape sequence in it
would move the cursor, erase a line or forge an "ok" in ``audit verify``; a bidi
override (U+202E) would show a different id than the one stored. :func:`printable`
writes every such character as its Python escape (``\\x1b``, ``\\u202e``), so what a
person reads is what is stored. This module imports nothing from the package, so the
error classes can use it for their messages too.
"""

from __future__ import annotations

import unicodedata

__all__ = [
    "ESCAPED_CATEGORIES",
    "counted",
    "escape_char",
    "is_visible",
    "printable",
]

ESCAPED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})
"""Unicode categories a terminal may act on rather than show: control characters,
format characters (bidi overrides, zero-width joiners), lone surrogates, and the line
and paragraph separators some terminals treat as line breaks."""

_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def is_visible(char: str) -> bool:
    """Whether ``char`` is shown as itself rather than acted upon by a terminal."""
    return unicodedata.category(char) not in ESCAPED_CATEGORIES


def escape_char(char: str) -> str:
    """The character as it would be written in a Python string literal."""
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    if code < 0x100:
        return f"\\x{code:02x}"
    if code < 0x10000:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def printable(value: object, *, multiline: bool = False) -> str:
    """``value`` as text that shows every character and controls none.

    With ``multiline`` a newline and a tab stay themselves (for a free-text reason in a
    table cell, where a line break cannot leave the cell); everywhere else, a message
    on one line stays one line. Backslashes are not doubled, so an identifier that
    :func:`regiekaart.ids.check_id` accepts prints exactly as itself.
    """
    text = value if isinstance(value, str) else str(value)
    if all(is_visible(char) for char in text):
        return text
    kept = ("\n", "\t") if multiline else ()
    return "".join(char if char in kept or is_visible(char) else escape_char(char) for char in text)


def counted(number: int, one: str, many: str | None = None) -> str:
    """``number`` and the noun that goes with it: "1 case", "2 cases", "1,000 cases".

    ``many`` is the plural when it is not ``one`` + "s" ("party", "parties").
    """
    return f"{number:,} {one if number == 1 else many or one + 's'}"
