"""What every ``regiekaart`` command does with the files and text it is given.

The command line promises that unusable input is one message on stderr naming file,
line and path, with exit code 2 and never a traceback. That promise is kept here once
for every command group: the ``--path`` option, loading a card or exiting 2, refusing a
case id no case can have, and reading a command from an argument, a file or stdin
within bounds, and the times and lengths of time a command is asked about.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from regiekaart.cli._exits import BAD_INPUT, fail
from regiekaart.errors import (
    InputRefused,
    InvalidIdentifier,
    InvalidTime,
    PolicyError,
    RegiekaartError,
)
from regiekaart.ids import check_id, check_time
from regiekaart.terminal import printable

if TYPE_CHECKING:
    from regiekaart.limits import Limits
    from regiekaart.policy.model import Policy

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


def policy_or_exit(
    path: Path, dirs: Sequence[Path] | None = (), *, kinds: Sequence[str] = ("regiekaart",)
) -> Policy:
    """The card at ``path``, or its located errors on stderr and exit code 2; a file of
    another kind than ``kinds`` (top-level keys) is named for what it is.

    The card layer is imported here, not with the module: ``--help`` never reads a card.
    """
    from regiekaart.cli._kinds import explained
    from regiekaart.policy.loader import load_policy

    try:
        return load_policy(path, search_path=search_path(dirs))
    except PolicyError as error:
        fail(BAD_INPUT, explained(path, error, *kinds))
    except RegiekaartError as error:
        fail(BAD_INPUT, error)


def case_id_or_exit(case_id: str) -> str:
    """The case id argument, refused as bad input (exit 2, shown escaped) before any
    store is opened when no case could have it: an invalid byte from argv, a control
    character, an empty id."""
    try:
        return check_id("case", case_id)
    except InvalidIdentifier as error:
        fail(BAD_INPUT, error)


def command_text(spec: str, *, limits: Limits | None = None) -> tuple[str | bytes, str]:
    """The text of ``case send``'s command argument and the name to report it by.

    ``-`` reads stdin and ``@FILE`` a file, each at most ``max_command_bytes`` + 1
    bytes (``@/dev/zero`` is refused, not read into memory); anything else is the JSON
    itself. Raises :class:`~regiekaart.errors.PolicyError` for a file that cannot be read.
    """
    from regiekaart.limits import read_at_most, read_bounded
    from regiekaart.limits import resolve as resolve_limits

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


def moment_or_exit(text: str | None) -> datetime:
    """``--at``: an ISO 8601 time with its zone (now when not given), or exit 2: a
    deadline compared with a time of no zone is one read in somebody's own zone."""
    from regiekaart.clock import system_clock

    if text is None:
        return system_clock()
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        fail(
            BAD_INPUT,
            f"--at {printable(text)!r} is not a time (ISO 8601, e.g. 2026-03-05T09:00+01:00)",
        )
    if moment.utcoffset() is None:
        fail(BAD_INPUT, f"--at {printable(text)!r} has no time zone; add one (Z, +01:00)")
    try:
        return check_time(moment)
    except InvalidTime as exc:
        fail(BAD_INPUT, f"--at: {exc}")


def window_or_exit(text: str) -> timedelta:
    """``--within``: how far to look ahead, as a card writes a duration in weeks, days or
    hours (a month has no one length), or exit 2."""
    from regiekaart.policy.durations import parse_duration

    if not text:
        return timedelta(0)
    try:
        length = parse_duration(text)
    except ValueError as exc:
        fail(BAD_INPUT, f"--within: {exc}")
    if length.months:
        fail(BAD_INPUT, "--within: give weeks, days or hours (a month is not one length)")
    return timedelta(hours=length.hours)
