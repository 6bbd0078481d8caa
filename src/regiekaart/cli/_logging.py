"""Where the library's log events go when it runs as the ``regiekaart`` command.

The library never prints; a host decides where its events go. The command's own output
is on stdout (a script parses ``--json``), so the events must never land there: with
``--log`` they go to stderr as JSON lines, otherwise they are dropped.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from typing import Any, NoReturn, TextIO

import structlog


def configure_logging(*, enabled: bool, stream: TextIO | None = None) -> Callable[[], None]:
    """Send the library's structlog events to ``stream`` (stderr) as JSON, or drop them.

    Returns what puts the set-up before it back: a host (or a test) that runs the
    command in its own process keeps its own logging once the command is done.
    """
    previous = structlog.get_config()
    processors: list[structlog.typing.Processor] = [
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        # Escaped: a log line on a terminal shows no raw control or bidi character.
        structlog.processors.JSONRenderer(ensure_ascii=True),
    ]
    structlog.configure(
        processors=processors if enabled else [_drop],
        wrapper_class=structlog.make_filtering_bound_logger(
            logging.DEBUG if enabled else logging.CRITICAL
        ),
        logger_factory=structlog.PrintLoggerFactory(stream or sys.stderr),
        cache_logger_on_first_use=False,
    )
    return lambda: structlog.configure(**previous)


def _drop(logger: Any, method: str, event: structlog.typing.EventDict) -> NoReturn:
    raise structlog.DropEvent
