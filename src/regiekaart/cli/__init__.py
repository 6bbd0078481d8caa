"""The ``regiekaart`` command: a thin skin over the library.

Each command parses its options and calls the keyword-only functions a host would call;
what the commands share (exit codes, reading a card or exiting with its located errors,
logging) lives once, in ``regiekaart.cli._common``.

May import: every other layer.
"""

from regiekaart.cli.main import app, main

__all__ = ["app", "main"]
