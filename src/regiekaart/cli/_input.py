"""What every ``regiekaart`` command does with the files and text it is given.

The command line promises that unusable input is one message on stderr naming file,
line and path, with exit code 2 and never a traceback. Each command group used to load
cards its own way; the rule is kept here once: the ``--path`` option, loading a card
or exiting 2, and reading a command from an argument, a file or stdin within bounds.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.text import Text

from regiekaart.errors import InputRefused, RegiekaartError
from regiekaart.limits import Limits, read_at_most, read_bounded
from regiekaart.limits import resolve as resolve_limits
from regiekaart.policy.loader import load_policy
from regiekaart.policy.model import Policy

BAD_INPUT = 2
"""Exit code for input that cannot be used (a missing, malformed or refused file)."""

SearchPathOption = Annotated[
    list[Path] | None,
    typer.Option(
        "--path",
        metavar="DIR",
        help="A directory that extends: and policy: may name cards in, besides the file's "
        "own directory and machines/ (repeatable; also REGIEKAART_PATH).",
    ),
]


def search_path(dirs: Sequence[Path] | None) -> tuple[Path, ...]:
    """The ``--path`` values as the loaders' ``search_path``."""
    return tuple(dirs or ())


def bad_input(error: RegiekaartError | str) -> typer.Exit:
    """Report unusable input on stderr; the caller raises the returned exit."""
    Console(stderr=True, highlight=False).print(Text(str(error), style="red"), soft_wrap=True)
    return typer.Exit(BAD_INPUT)


def policy_or_exit(path: Path, dirs: Sequence[Path] | None = ()) -> Policy:
    """The card at ``path``, or a message and exit code 2."""
    try:
        return load_policy(path, search_path=search_path(dirs))
    except RegiekaartError as error:
        raise bad_input(error) from None


def command_text(spec: str, *, limits: Limits | None = None) -> tuple[str | bytes, str]:
    """The text of ``case send``'s command argument and the name to report it by.

    ``-`` reads stdin and ``@FILE`` a file, each at most ``max_command_bytes`` + 1
    bytes (``@/dev/zero`` is refused, not read into memory); anything else is the JSON
    itself. Raises :class:`~regiekaart.errors.PolicyError` for a file that cannot be read.
    """
    bounds = resolve_limits(limits)
    if spec == "-":
        stream = getattr(sys.stdin, "buffer", None)
        try:
            if stream is not None:
                return read_at_most(stream, bounds.max_command_bytes + 1), "<stdin>"
            return sys.stdin.read(bounds.max_command_bytes + 1), "<stdin>"
        except (OSError, ValueError) as exc:
            raise InputRefused(f"cannot read stdin: {exc}", file="<stdin>") from None
    if spec.startswith("@"):
        return read_bounded(Path(spec[1:]), "max_command_bytes", bounds), spec[1:]
    return spec, "<argument>"
