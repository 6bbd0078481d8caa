"""Commands: what a host system asks of a case, as immutable values.

Each command names the acting party (``actor``), optionally the parties deciding
together with it (``together``), the criteria it invokes, the role holders it chooses
and a reason for the audit trail. Commands carry no personal data: parties are
organisations and officials, household members are opaque ids.

Every id and text field is checked when the command is made (:mod:`regiekaart.ids`),
so :func:`structure_command` refuses the same values as a constructor, and a command
that exists can be stored on either backend and printed without surprises.
:func:`parse_commands` reads commands from JSON text that comes from outside, bounded.

May import: ``regiekaart.policy`` and the foundation (besides this package).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Literal

import attrs
import cattrs
from attrs import frozen

from regiekaart.errors import InvalidIdentifier, InvalidText, PolicyError
from regiekaart.limits import Limits
from regiekaart.runtime._command_json import coerced, json_depth, read_json
from regiekaart.runtime._field_checks import DurationCheck, IdCheck, IdMapCheck, TextCheck

__all__ = [
    "COMMAND_TYPES",
    "Appoint",
    "ChangeLevel",
    "CloseCase",
    "Command",
    "Deescalate",
    "EndMeasure",
    "Escalate",
    "ExpireMeasure",
    "ExtendMeasure",
    "ImposeMeasure",
    "Inform",
    "Melding",
    "Member",
    "OpenCase",
    "RecordAdvice",
    "RecordDecision",
    "Signal",
    "Validator",
    "converter",
    "json_depth",
    "parse_commands",
    "structure_command",
    "unstructure_command",
]

Validator = Any
"""An attrs validator: called as ``validator(instance, attribute, value)``."""


def _id(kind: str) -> Validator:
    """A validator for one ``kind`` id."""
    return IdCheck(kind)


def _optional_id(kind: str) -> Validator:
    """A validator for a ``kind`` id that may be left out (``None``)."""
    return IdCheck(kind, optional=True)


def _ids(kind: str) -> Validator:
    """A validator for a tuple of ``kind`` ids."""
    return IdCheck(kind, many=True)


_text = TextCheck()
_check_holders = IdMapCheck("role", "party")


def _strs(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    return tuple(str(v) for v in value)


def _holders(value: Any) -> Mapping[str, tuple[str, ...]]:
    if not value:
        return {}
    return {str(role): _strs(parties) for role, parties in dict(value).items()}


@frozen(kw_only=True)
class Command:
    """What every command has: who acts, with whom, on which criteria, and why."""

    type: ClassVar[str] = ""
    actor: str = attrs.field(validator=_id("party"))
    together: tuple[str, ...] = attrs.field(default=(), converter=_strs, validator=_ids("party"))
    criteria: tuple[str, ...] = attrs.field(
        default=(), converter=_strs, validator=_ids("criterion")
    )
    holders: Mapping[str, tuple[str, ...]] = attrs.field(
        factory=dict, converter=_holders, validator=_check_holders
    )
    reason: str = attrs.field(default="", validator=_text)

    @property
    def parties(self) -> tuple[str, ...]:
        """The actor and its co-deciders."""
        return (self.actor, *self.together)


@frozen(kw_only=True)
class Member:
    """A household member, by an opaque id and the group the policy knows it by."""

    id: str = attrs.field(validator=_id("member"))
    group: str = attrs.field(validator=_id("group"))


@frozen(kw_only=True)
class OpenCase(Command):
    """Register a case for a household: the first event of every log."""

    type: ClassVar[str] = "open"
    members: tuple[Member, ...] = ()


@frozen(kw_only=True)
class Signal(Command):
    """Record a signal (signaal) about the household."""

    type: ClassVar[str] = "signal"
    activity: str | None = attrs.field(default=None, validator=_optional_id("activity"))


@frozen(kw_only=True)
class Escalate(Command):
    """Opschalen to a named phase (or sub-state)."""

    type: ClassVar[str] = "escalate"
    to: str = attrs.field(validator=_id("phase"))
    dominance: str | None = attrs.field(default=None, validator=_optional_id("dominance"))


@frozen(kw_only=True)
class Deescalate(Command):
    """Afschalen to a named phase (or sub-state)."""

    type: ClassVar[str] = "deescalate"
    to: str = attrs.field(validator=_id("phase"))
    dominance: str | None = attrs.field(default=None, validator=_optional_id("dominance"))


@frozen(kw_only=True)
class ChangeLevel(Command):
    """Op- or afschalen within a phase: a role added or released."""

    type: ClassVar[str] = "change"
    direction: Literal["up", "down"]


@frozen(kw_only=True)
class ImposeMeasure(Command):
    """A compulsory measure is imposed on a member: the case enters the compulsory frame."""

    type: ClassVar[str] = "impose_measure"
    measure: str = attrs.field(validator=_id("measure"))
    member: str = attrs.field(validator=_id("member"))


@frozen(kw_only=True)
class EndMeasure(Command):
    """A compulsory measure ends; without others the case returns to the voluntary frame."""

    type: ClassVar[str] = "end_measure"
    measure: str = attrs.field(validator=_id("measure"))
    member: str = attrs.field(validator=_id("member"))


@frozen(kw_only=True)
class ExpireMeasure(Command):
    """A measure's term is over: it ends as an ending does; refused before its end.

    Expiry is a fact of the calendar, not a decision, so any party of the card may
    record it (a host's scheduler, in the name of the party that keeps the case)."""

    type: ClassVar[str] = "expire"
    measure: str = attrs.field(validator=_id("measure"))
    member: str = attrs.field(validator=_id("member"))


@frozen(kw_only=True)
class ExtendMeasure(Command):
    """A measure's term is extended before it ends, by whom and as far as the card
    allows: by the duration given (as a card writes one, 8d or P1Y), or else by what the
    card allows at a time."""

    type: ClassVar[str] = "extend"
    measure: str = attrs.field(validator=_id("measure"))
    member: str = attrs.field(validator=_id("member"))
    by: str = attrs.field(default="", validator=DurationCheck())


@frozen(kw_only=True)
class RecordAdvice(Command):
    """Advice or consultation asked of a party: explicitly not a melding."""

    type: ClassVar[str] = "advice"
    adviser: str = attrs.field(validator=_id("party"))
    activity: str | None = attrs.field(default=None, validator=_optional_id("activity"))


@frozen(kw_only=True)
class Melding(Command):
    """A melding under the Meldcode."""

    type: ClassVar[str] = "melding"
    to: str | None = attrs.field(default=None, validator=_optional_id("party"))
    activity: str | None = attrs.field(default=None, validator=_optional_id("activity"))


@frozen(kw_only=True)
class Inform(Command):
    """The actor informs a party; open informing obligations to it are fulfilled."""

    type: ClassVar[str] = "inform"
    recipient: str = attrs.field(validator=_id("party"))
    about: str = attrs.field(default="", validator=_text)


@frozen(kw_only=True)
class RecordDecision(Command):
    """A formal decision the policy knows (a plan made, an official to be informed)."""

    type: ClassVar[str] = "decision"
    decision: str = attrs.field(validator=_id("decision"))


@frozen(kw_only=True)
class Appoint(Command):
    """Appoint the holder(s) of a role within the current configuration."""

    type: ClassVar[str] = "appoint"
    role: str = attrs.field(validator=_id("role"))


@frozen(kw_only=True)
class CloseCase(Command):
    """Close the case."""

    type: ClassVar[str] = "close"


COMMAND_TYPES: dict[str, type[Command]] = {
    cls.type: cls
    for cls in (
        OpenCase,
        Signal,
        Escalate,
        Deescalate,
        ChangeLevel,
        ImposeMeasure,
        EndMeasure,
        ExpireMeasure,
        ExtendMeasure,
        RecordAdvice,
        Melding,
        Inform,
        RecordDecision,
        Appoint,
        CloseCase,
    )
}

converter = cattrs.Converter(forbid_extra_keys=True)


def _boundary_error(exc: BaseException) -> InvalidIdentifier | InvalidText | None:
    """The first id or text refusal inside cattrs' exception group, if there is one."""
    if isinstance(exc, InvalidIdentifier | InvalidText):
        return exc
    for inner in exc.exceptions if isinstance(exc, BaseExceptionGroup) else ():
        found = _boundary_error(inner)
        if found is not None:
            return found
    return None


def unstructure_command(command: Command) -> dict[str, Any]:
    """A JSON-able dict of the command, tagged with its ``type``."""
    data: dict[str, Any] = converter.unstructure(command)
    return {"type": command.type, **data}


def structure_command(data: Mapping[str, Any]) -> Command:
    """The command a tagged dict describes; unknown types or keys raise ``ValueError``.

    An id or a text the constructor refuses raises :class:`InvalidIdentifier` or
    :class:`InvalidText` (both ``ValueError``), its message prefixed with the command.
    """
    body = dict(data)
    kind = body.pop("type", None)
    cls = COMMAND_TYPES.get(str(kind))
    if cls is None:
        known = ", ".join(sorted(COMMAND_TYPES))
        raise ValueError(f"unknown command type {kind!r} (known: {known})")
    try:
        return converter.structure(body, cls)
    except cattrs.BaseValidationError as exc:
        boundary = _boundary_error(exc)
        if isinstance(boundary, InvalidIdentifier):
            raise InvalidIdentifier(
                f"command {kind}: {boundary.kind}", boundary.shown, boundary.problem
            ) from None
        if isinstance(boundary, InvalidText):
            raise InvalidText(f"command {kind}: {boundary.field}", boundary.problem) from None
        details = "; ".join(cattrs.transform_error(exc))
        raise ValueError(f"command {kind}: {details}") from None
    except (TypeError, AttributeError) as exc:
        # A converter given a value of the wrong shape (holders as a number).
        raise ValueError(f"command {kind}: a field has the wrong shape ({exc})") from None


def parse_commands(
    text: str | bytes, *, source: str = "<command>", limits: Limits | None = None
) -> list[Command]:
    """The commands a JSON text describes: one object, or an array of them (a batch).

    For text from outside (a file, stdin, a queue): its size and nesting are bounded by
    ``limits`` (defaults and ``REGIEKAART_MAX_*`` when None), bytes must be UTF-8, and
    every problem is a :class:`~regiekaart.errors.PolicyError` naming ``source`` and,
    where there is one, the line; a bound hit is a
    :class:`~regiekaart.errors.LimitExceeded`.
    """
    data = read_json(text, source, limits)
    items = data if isinstance(data, list) else [data]
    commands = []
    for index, item in enumerate(items):
        where = f"command {index + 1}: " if isinstance(data, list) else ""
        if not isinstance(item, dict):
            raise PolicyError(f'{where}expected a JSON object with a "type"', file=source)
        try:
            command = structure_command(item)
        except ValueError as exc:
            raise PolicyError(f"{where}{exc}", file=source) from None
        changed = coerced(item, unstructure_command(command))
        if changed is not None:
            raise PolicyError(
                f"{where}{changed} is not of its type (a text where text is meant, a list "
                "of ids where a list is meant)",
                file=source,
            )
        commands.append(command)
    if not commands:
        raise PolicyError("no command given (an empty array)", file=source)
    return commands
