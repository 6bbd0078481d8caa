"""The ``regiekaart`` command: a thin skin over the library.

Each command parses its options and calls the keyword-only functions a host would call;
what the commands share lives once, in private modules: the exit codes and the one way
to fail (``_exits``), reading a card, a case id or a command or exiting with its located
errors (``_input``), where log events go (``_logging``), and, for ``case`` and ``audit``,
opening the store (``_store_access``) and showing stored values escaped (``_escaped``).

May import: every other layer.
"""

from regiekaart.cli.main import app, main

__all__ = ["app", "main"]
