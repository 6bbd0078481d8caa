"""The log line of each command decided: one structlog event, accepted or refused.

Every line carries the case id, the command's type, the acting party, the rule and the
configuration, and no personal data. Commands already decided that are applied again
(a replay, a restore's check, an audit) are not new decisions, so under
:func:`replaying` they are not logged again.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

import structlog

from regiekaart.errors import CommandRefused
from regiekaart.runtime.commands import Command

_logger = structlog.get_logger("regiekaart")

_replaying: ContextVar[bool] = ContextVar("regiekaart_replaying", default=False)
"""Set while commands already decided are applied again (a replay, a restore's check, an
audit): they are not new decisions, so they are not logged as commands again."""


@contextmanager
def replaying() -> Iterator[None]:
    """Apply commands without a ``command.*`` log event each: for replays and audits."""
    token = _replaying.set(True)
    try:
        yield
    finally:
        _replaying.reset(token)


def is_replaying() -> bool:
    """Whether commands are being applied again, and so not logged."""
    return _replaying.get()


def log_accepted(
    case_id: str,
    command: Command,
    rule: str,
    seq: int,
    configuration: tuple[str, ...],
    tags: tuple[str, ...] = (),
) -> None:
    """Log ``command`` accepted as event ``seq`` by ``rule``, ending in ``configuration``;
    the event's tags, when it has any, so a host can count steps by them as they happen."""
    extra = {"tags": list(tags)} if tags else {}
    _logger.info(
        "command.accepted",
        case=case_id,
        command=command.type,
        actor=command.actor,
        rule=rule,
        seq=seq,
        configuration=list(configuration),
        **extra,
    )


def log_refused(
    case_id: str, command: Command, refusal: CommandRefused, configuration: tuple[str, ...]
) -> None:
    """Log ``command`` refused with ``refusal`` in ``configuration``; where several rules
    were tried, ``tried`` names each with the error it gave."""
    extra: dict[str, object] = {}
    if len(refusal.tried) > 1:
        extra["tried"] = [[rule, type(other).__name__] for rule, other in refusal.tried]
    _logger.info(
        "command.refused",
        case=case_id,
        command=command.type,
        actor=command.actor,
        error=type(refusal).__name__,
        rule=refusal.rule,
        configuration=list(configuration),
        **extra,
    )
