"""How a ``regiekaart`` command ends when it cannot do what it was asked.

A script tells the outcomes apart by the exit code alone, so each code means one thing
across every command group. A person reads one message on stderr, never a traceback;
the message may quote a stored value or a file's text, so it is shown escaped
(:func:`~regiekaart.terminal.printable`) and never read as rich markup.
"""

from __future__ import annotations

from typing import NoReturn

import typer

from regiekaart.terminal import printable

FAILED = 1
"""Input that was read but did not pass: an invalid file, a failed expectation or
obligation, a refused command, a broken audit chain."""

BAD_INPUT = 2
"""Input that cannot be used: a missing, malformed or refused file, a bad option value,
a case id no case can have."""

MISSING_TOOL = 3
"""An outside program or optional package the command needs (Graphviz, Chromium, the
``simulate`` extra) is not there."""

CONFLICT = 3
"""``case`` and ``audit``: a concurrency conflict that retrying did not resolve."""

STORE_ERROR = 4
"""``case`` and ``audit``: any other store error, a store that is not there among them."""


def complain(message: object) -> None:
    """``message`` on stderr, escaped and in red, on as many lines as it has."""
    from rich.console import Console
    from rich.text import Text

    text = Text(printable(message, multiline=True), style="red")
    Console(stderr=True, highlight=False).print(text, soft_wrap=True)


def fail(code: int, message: object) -> NoReturn:
    """Say ``message`` on stderr and end the command with exit ``code``."""
    complain(message)
    raise typer.Exit(code)
