"""What an identifier, a free text and a time may be, checked where they enter.

Everything a host hands regiekaart ends up in the audit trail, on a terminal and in one
of two databases that differ in what they accept (PostgreSQL refuses a NUL that SQLite
stores; a lone surrogate cannot be written to either). Checking here, before a command
or a case exists, gives one refusal with one message on every backend, and keeps out
what would later mislead a person reading the trail.

Identifiers (case, member, group, party, role, phase ids …)
    text of 1 to :data:`MAX_ID_LENGTH` characters, not blank, without white space at
    either end, and with every character visible: no control characters, no format or
    bidi controls (U+202E, U+200B …), no line or paragraph separators, no lone
    surrogates. A case id is a key that shows up in logs and listings: it must carry no
    personal data (use an opaque number, not a name or a BSN).

Free text (a command's ``reason``, an :class:`~regiekaart.runtime.commands.Inform`'s ``about``)
    at most :data:`MAX_TEXT_LENGTH` characters; line breaks (LF, CR) and tab are allowed,
    every other control character (NUL above all) and lone surrogates are not.

Times
    aware (a naive time means "the host's local time", which two hosts read
    differently), between :data:`EARLIEST` and :data:`LATEST` in UTC: the range that
    Python and both databases can hold as UTC instants.

Lengths count Unicode code points, as Python's ``len`` does.
"""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime

from regiekaart.errors import InvalidIdentifier, InvalidText, InvalidTime
from regiekaart.terminal import ESCAPED_CATEGORIES, escape_char, printable

__all__ = [
    "EARLIEST",
    "LATEST",
    "MAX_ID_LENGTH",
    "MAX_TEXT_LENGTH",
    "check_id",
    "check_text",
    "check_time",
    "printable",
]

MAX_ID_LENGTH = 128
"""Enough for a UUID, a URN or a host's own composite key; short enough for a table."""

MAX_TEXT_LENGTH = 10_000
"""A reason is a few sentences for the audit trail, not a document: link to a file."""

EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(9999, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC)
"""The last instant Python's ``datetime`` can hold in UTC."""

_accepted: set[str] = set()
"""Ids already accepted: a policy's few party, phase and criterion ids recur in every
command the explorer and the simulator make, and the rules do not depend on ``kind``."""
_ACCEPTED_KEPT = 4096

_TEXT_CONTROLS_ALLOWED = frozenset("\n\r\t")
"""Line breaks as any system writes them (a web form sends CRLF) and tabs."""
_TEXT_REFUSED = frozenset({"Cc", "Cs"})
"""Format characters stay allowed in text (a Persian or Arabic reason needs them); a
terminal shows them escaped, see :func:`~regiekaart.terminal.printable`."""

_WHAT = {
    "Cc": "a control character",
    "Cf": "a format character",
    "Cs": "a lone surrogate",
    "Zl": "a line separator",
    "Zp": "a paragraph separator",
}


def _shown(value: str, limit: int = 40) -> str:
    """The value for a message: escaped, and cut short when long."""
    if len(value) > limit:
        return f"'{printable(value[:limit])}…'"
    return f"'{printable(value)}'"


def _first_of(value: str, categories: frozenset[str], allowed: frozenset[str]) -> str | None:
    for char in value:
        if char not in allowed and unicodedata.category(char) in categories:
            return char
    return None


def check_id(kind: str, value: object) -> str:
    """``value`` if it may be a ``kind`` identifier; :class:`InvalidIdentifier` if not.

    ``kind`` names what the id is for ("case", "member", "party" …) in the message,
    which shows the value escaped and never raw.
    """
    if type(value) is str and value in _accepted:
        return value
    if not isinstance(value, str):
        raise InvalidIdentifier(kind, repr(value), f"must be text, not {type(value).__name__}")
    problem = _id_problem(value)
    if problem is not None:
        raise InvalidIdentifier(kind, _shown(value), problem)
    if len(_accepted) >= _ACCEPTED_KEPT:
        _accepted.clear()
    _accepted.add(value)
    return value


def _id_problem(value: str) -> str | None:
    if (
        value.isascii()
        and value.isprintable()
        and 0 < len(value) <= MAX_ID_LENGTH
        and value.strip() == value
    ):
        # The usual id, accepted without a look-up per character: in ASCII only the
        # control characters are not printable. Anything else takes the long way.
        return None
    if not value:
        return "is empty"
    if len(value) > MAX_ID_LENGTH:
        return f"is {len(value)} characters long; an id has at most {MAX_ID_LENGTH}"
    if not value.strip():
        return "is blank"
    if value != value.strip():
        return "starts or ends with white space"
    char = _first_of(value, ESCAPED_CATEGORIES, frozenset())
    if char is not None:
        what = _WHAT[unicodedata.category(char)]
        return f"contains {escape_char(char)} ({what}); an id is made of visible characters"
    drawn = next((c for c in value if _BOX_DRAWING[0] <= c <= _BOX_DRAWING[1]), None)
    if drawn is not None:
        return f"contains {escape_char(drawn)} (a box-drawing character, which can fake a table)"
    blank = next((c for c in value if _looks_blank(c)), None)
    if blank is not None:
        return f"contains {escape_char(blank)} (a character that shows as nothing or as a space)"
    if not unicodedata.is_normalized("NFC", value):
        # "café" written with a combining accent looks like, but is not, "café": two ids
        # a person cannot tell apart would name two cases.
        return "is not in Unicode normal form NFC; write it composed (unicodedata.normalize)"
    return None


def _looks_blank(char: str) -> bool:
    """Characters a reader cannot see or tell from a space: other spaces than the ASCII
    one, combining joiners and variation selectors, Hangul fillers, the braille blank."""
    if char == " ":
        return False
    if unicodedata.category(char) == "Zs":
        return True
    code = ord(char)
    return code in _BLANKS or 0xFE00 <= code <= 0xFE0F or 0xE0100 <= code <= 0xE01EF


_BLANKS = frozenset({0x034F, 0x115F, 0x1160, 0x17B4, 0x17B5, 0x2800, 0x3164, 0xFFA0})

_BOX_DRAWING = ("\u2500", "\u259f")
"""Box drawing and block elements: in an id they can draw cells of a table around it."""


def check_text(field: str, value: object) -> str:
    """``value`` if it may be the free text ``field``; :class:`InvalidText` if not."""
    if not isinstance(value, str):
        raise InvalidText(field, f"must be text, not {type(value).__name__}")
    if value.isascii() and value.isprintable() and len(value) <= MAX_TEXT_LENGTH:
        return value  # the usual reason, without a look-up per character
    if len(value) > MAX_TEXT_LENGTH:
        raise InvalidText(
            field, f"is {len(value)} characters long; at most {MAX_TEXT_LENGTH} are kept"
        )
    char = _first_of(value, _TEXT_REFUSED, _TEXT_CONTROLS_ALLOWED)
    if char is not None:
        what = _WHAT[unicodedata.category(char)]
        raise InvalidText(
            field,
            f"contains {escape_char(char)} ({what}); only line breaks and tabs may appear in text",
        )
    return value


def check_time(value: object) -> datetime:
    """``value`` in UTC if it is an aware time in range; :class:`InvalidTime` if not.

    Both stores keep times in UTC; converting here means an event recorded at
    ``10:00+02:00`` and read back as ``08:00+00:00`` is visibly the same instant.
    """
    if not isinstance(value, datetime):
        raise InvalidTime(f"expected a datetime, not {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidTime(
            f"{value.isoformat()} has no time zone; pass an aware time "
            "(e.g. datetime.now(UTC)) so every host reads it as the same instant"
        )
    try:
        utc = value.astimezone(UTC)
    except OverflowError:
        utc = None
    if utc is None or not EARLIEST <= utc <= LATEST:
        raise InvalidTime(
            f"{value.isoformat()} is outside the range a store keeps "
            f"({EARLIEST.isoformat()} to {LATEST.isoformat()})"
        )
    return utc
