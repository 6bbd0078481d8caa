"""Where the library's log events go when it runs as the ``regiekaart`` command.

The library never prints; a host decides where its events go. The command's own output
is on stdout (a script parses ``--json``), so the events must never land there: with
``--log`` they go to stderr as JSON lines, otherwise they are dropped.

Importing structlog costs a tenth of a second (it brings its console renderer and rich's
traceback machinery), more than ``--help`` or ``validate`` may spend on all of it. So
when events are dropped and nothing has imported structlog yet, the set-up waits: it is
made the moment structlog is first imported, by whatever part of the library needs it,
and before that part can log anything. A command that never touches the runtime or the
store never pays for it.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import importlib.util
import sys
from collections.abc import Callable, Sequence
from types import ModuleType
from typing import TYPE_CHECKING, Any, NoReturn, TextIO

if TYPE_CHECKING:
    import structlog


def configure_logging(*, enabled: bool, stream: TextIO | None = None) -> Callable[[], None]:
    """Send the library's structlog events to ``stream`` (stderr) as JSON, or drop them.

    Returns what puts the set-up before it back: a host (or a test) that runs the
    command in its own process keeps its own logging once the command is done.
    """
    if enabled or "structlog" in sys.modules:
        return _configure(enabled, stream)
    hook = _WhenImported("structlog", lambda: _configure(False, stream))
    sys.meta_path.insert(0, hook)
    return hook.undo


def _configure(enabled: bool, stream: TextIO | None) -> Callable[[], None]:
    import logging

    import structlog

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
    import structlog

    raise structlog.DropEvent


class _WhenImported(importlib.abc.MetaPathFinder):
    """Runs ``then`` once, right after the module ``name`` is first imported.

    It finds nothing itself: it asks the finders behind it for the module and wraps the
    loader they return, so the module is loaded exactly as it would have been.
    """

    def __init__(self, name: str, then: Callable[[], Callable[[], None]]) -> None:
        self.name = name
        self.then = then
        self.restore: Callable[[], None] | None = None

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname != self.name:
            return None
        self._leave()
        spec = importlib.util.find_spec(fullname)
        loader = spec.loader if spec is not None else None
        if spec is None or loader is None or not hasattr(loader, "exec_module"):
            return spec
        load = loader.exec_module

        def exec_module(module: ModuleType) -> None:
            load(module)
            self.restore = self.then()

        loader.exec_module = exec_module  # type: ignore[method-assign]
        return spec

    def undo(self) -> None:
        """Stop waiting, or put back what was there before the set-up was made."""
        self._leave()
        if self.restore is not None:
            self.restore()

    def _leave(self) -> None:
        if self in sys.meta_path:
            sys.meta_path.remove(self)
