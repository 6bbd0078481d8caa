"""The options several commands take, declared once so that one idea has one name.

A user who learned ``--json`` on ``run`` or ``--db`` on ``case`` finds the same option,
with the same words in its help, on every command that takes it; a test walks the
command tree and holds every option to a help text and a placeholder in capitals.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

__all__ = ["DB_HELP", "AsJson", "Db", "OptionalDb", "OutputFile", "deprecated_store"]

AsJson = Annotated[
    bool,
    typer.Option(
        "--json", help="Print one JSON document on stdout instead of tables, for scripts."
    ),
]

DB_HELP = "The store: sqlite:///PATH (relative), sqlite:////PATH (absolute) or postgresql://..."

Db = Annotated[str, typer.Option("--db", metavar="URL", envvar="REGIEKAART_DB", help=DB_HELP)]
"""``--db``: the store a command works on."""

OptionalDb = Annotated[
    str | None,
    typer.Option("--db", metavar="URL", envvar="REGIEKAART_DB", help=DB_HELP),
]
"""``--db`` where a store is one of two sources (the other a file)."""

OutputFile = Annotated[
    Path | None,
    typer.Option(
        "--output", "-o", metavar="FILE", help="Write to this file instead of standard output."
    ),
]


def deprecated_store(value: str | None) -> str | None:
    """``--store URL``, the earlier name of ``--db``: still read, with a warning."""
    if value is not None:
        from regiekaart.cli._exits import complain

        complain("--store is deprecated; use --db")
    return value
