"""The errors of regiekaart: part of the public API.

A host system decides what to do with a refusal by its type, and shows a person
the message; so every error keeps the data that explains it (the file and line of a
bad policy, the rule and its handreiking section for a refused command) and its
message says both what was wrong and what would have been accepted.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Self

from regiekaart.terminal import printable

__all__ = [
    "AuditChainBroken",
    "CaseClosed",
    "CaseExists",
    "CaseNotFound",
    "ChairRequired",
    "CommandRefused",
    "ConcurrencyConflict",
    "CorruptRecord",
    "CriteriaNotMet",
    "ExtensionNotAllowed",
    "HolderRequired",
    "HoldersOutOfBounds",
    "IneligibleHolder",
    "InputRefused",
    "InvalidCommand",
    "InvalidIdentifier",
    "InvalidText",
    "InvalidTime",
    "LimitExceeded",
    "NotAuthorized",
    "NotExpired",
    "PolicyError",
    "PolicyErrors",
    "PreconditionNotMet",
    "RegiekaartError",
    "SchemaTooNew",
    "SnapshotMismatch",
    "StoreError",
    "TransitionNotAllowed",
    "UnstorableValue",
]

_ID_SHOWN = 128
"""How much of a case id a message shows: more than any id a store accepts."""


def _case(case_id: str) -> str:
    """A case id for a message: escaped, and cut short when no valid id is that long."""
    if len(case_id) > _ID_SHOWN:
        return printable(case_id[:_ID_SHOWN]) + f"… ({len(case_id)} characters)"
    return printable(case_id)


class RegiekaartError(Exception):
    """The root of every error this package raises on purpose."""


class PolicyError(RegiekaartError, ValueError):
    """A policy (or scenario) file that cannot be used, pointing at the place to fix.

    ``file``, ``line`` and ``path`` locate the offending value; ``path`` is the dotted
    key path inside the document (``phases.<phase>.roles.<role>``).
    """

    def __init__(
        self, message: str, *, file: str | None = None, line: int | None = None, path: str = ""
    ) -> None:
        self.message = message
        self.file = file
        self.line = line
        self.path = path
        super().__init__(self.__str__())

    def __str__(self) -> str:
        where = self.file or "<policy>"
        if self.line is not None:
            where = f"{where}:{self.line}"
        if self.path:
            where = f"{where} {self.path}"
        return f"{where}: {self.message}"


class InputRefused(PolicyError):
    """An input that cannot be used at all, as opposed to a card that is wrong: it cannot
    be read (missing, a directory or device, not UTF-8 text), it is not a regiekaart
    file, it is too large (:class:`LimitExceeded`), or it names a file outside the
    directories cards may be read from. The command line exits 2 for these even where
    it reports an invalid card with 1 (``validate``).
    """


class LimitExceeded(InputRefused):
    """An input larger, deeper or more repetitive than :class:`~regiekaart.limits.Limits`
    allows; ``limit`` names the field (``max_card_bytes``), and the message says how to
    raise it. Refused before the work grows, so a host can tell abuse from a typo.
    """

    def __init__(
        self,
        message: str,
        *,
        limit: str,
        file: str | None = None,
        line: int | None = None,
        path: str = "",
    ) -> None:
        self.limit = limit
        super().__init__(message, file=file, line=line, path=path)


class PolicyErrors(PolicyError):
    """Several problems found in one pass, so a policy officer can fix them all at once."""

    def __init__(self, errors: Sequence[PolicyError]) -> None:
        self.errors = tuple(errors)
        first = self.errors[0]
        super().__init__(first.message, file=first.file, line=first.line, path=first.path)

    def __str__(self) -> str:
        return "\n".join(PolicyError.__str__(e) for e in self.errors)


class CommandRefused(RegiekaartError):
    """A command the policy does not allow now; the case is left exactly as it was.

    ``rule`` names the policy rule that refused it (a transition, role or activity id),
    ``source`` that rule's section of the handreiking, and ``configuration`` the active
    states at the moment of refusal. Where several rules of the card could have taken a
    step, ``tried`` holds each of them with its own refusal, in the order they were
    tried, and ``rule`` is the one that came closest to being taken; otherwise it is
    empty or holds ``rule`` alone.
    """

    def __init__(
        self,
        message: str,
        *,
        command: Any = None,
        rule: str = "",
        source: str = "",
        configuration: Sequence[str] = (),
        tried: Sequence[tuple[str, CommandRefused]] = (),
    ) -> None:
        self.message = message
        self.command = command
        self.rule = rule
        self.source = source
        self.configuration = tuple(configuration)
        self.tried = tuple(tried)
        super().__init__(self.__str__())

    def among(self, tried: Sequence[tuple[str, CommandRefused]], message: str) -> Self:
        """This refusal as the closest of several rules tried for one step: the same
        error, saying ``message`` and holding every rule ``tried``. A copy, so what a
        subclass carries (the role and count of a bound, the chair) stays on it."""
        other = copy.copy(self)
        other.message, other.tried = message, tuple(tried)
        other.args = (other.__str__(),)
        return other

    def __str__(self) -> str:
        parts = [self.message]
        if self.rule:
            parts.append(f"rule {self.rule}" + (f" ({self.source})" if self.source else ""))
        return "; ".join(parts)


class InvalidCommand(CommandRefused, ValueError):
    """The command itself is ill-formed: an unknown party, phase, criterion or measure."""


class TransitionNotAllowed(CommandRefused):
    """No rule of the policy allows this step from the case's current configuration."""


class NotAuthorized(CommandRefused, PermissionError):
    """The acting party (with its co-deciders) is not a decider of the rule."""


class CriteriaNotMet(CommandRefused):
    """The command invoked none of the rule's criteria, or one the rule does not know."""


class PreconditionNotMet(CriteriaNotMet):
    """A fact the rule requires is missing, e.g. the plan that must precede leaving a phase."""


class IneligibleHolder(CommandRefused):
    """A chosen role holder is not eligible for that role in the target configuration."""


class HolderRequired(IneligibleHolder):
    """The role needs a holder here, none was chosen and the policy has no default."""


class HoldersOutOfBounds(IneligibleHolder):
    """After the step a role would have fewer or more holders than the card allows in
    the state it would be in ("two or three casusregisseurs in a regiegroep").

    ``role`` names the role, ``count`` the holders it would have, ``least`` and ``most``
    what the card allows (``most`` is ``None`` without an upper bound).
    """

    def __init__(
        self,
        message: str,
        *,
        role: str = "",
        count: int = 0,
        least: int = 1,
        most: int | None = None,
        **refusal: Any,
    ) -> None:
        self.role, self.count, self.least, self.most = role, count, least, most
        super().__init__(message, **refusal)


class ChairRequired(HolderRequired):
    """After the step a group of holders would have no chair: the role the card names to
    chair it (``chair``) would not be held while ``role`` has two or more holders."""

    def __init__(self, message: str, *, role: str = "", chair: str = "", **refusal: Any) -> None:
        self.role, self.chair = role, chair
        super().__init__(message, **refusal)


class InvalidTime(CommandRefused, ValueError):
    """A time an audit trail cannot use: without a time zone, outside the range both
    stores keep, or (from a case's clock) earlier than the case's last event. As a
    refusal of a command, it leaves the case exactly as it was."""


class NotExpired(CommandRefused):
    """An expiry recorded before the measure's term is over, or for a measure that has
    no term. ``until`` is when the term ends (``None``: it has none)."""

    def __init__(self, message: str, *, until: datetime | None = None, **refusal: Any) -> None:
        self.until = until
        super().__init__(message, **refusal)


class ExtensionNotAllowed(CommandRefused):
    """An extension the card does not allow: of a measure it gives no extension, after
    the term is over, by more than the card allows at a time, or beyond the longest the
    measure may last. ``until`` is the current end, ``limit`` the latest end the card
    allows (``None``: no limit)."""

    def __init__(
        self,
        message: str,
        *,
        until: datetime | None = None,
        limit: datetime | None = None,
        **refusal: Any,
    ) -> None:
        self.until, self.limit = until, limit
        super().__init__(message, **refusal)


class CaseClosed(TransitionNotAllowed):
    """The case is in a final state; it accepts no further commands."""


class InvalidIdentifier(RegiekaartError, ValueError):
    """An id that may not enter regiekaart: empty, blank, too long, or with a character
    a terminal would act on instead of showing (see :mod:`regiekaart.ids`).

    Raised where the value is first given (a command or a member is made, a case
    created), before any policy rule is consulted: it is not a :class:`CommandRefused`,
    because there is not yet a well-formed command to refuse. ``shown`` is the value
    escaped for a message; the raw value is never part of it.
    """

    def __init__(self, kind: str, shown: str, problem: str) -> None:
        self.kind = kind
        self.shown = shown
        self.problem = problem
        super().__init__(f"{kind} id {shown}: {problem}")


class InvalidText(RegiekaartError, ValueError):
    """A free text (a reason) too long or with a control character other than newline
    and tab; the message names the field and the character, never the text."""

    def __init__(self, field: str, problem: str) -> None:
        self.field = field
        self.problem = problem
        super().__init__(f"{field}: {problem}")


class StoreError(RegiekaartError):
    """A durable store could not do what was asked; nothing was written.

    The message names the store without its password, shows a case id escaped (see
    :func:`~regiekaart.terminal.printable`) and quotes no other stored data: a
    database error's own text, which may hold a row's values, is left out.
    """


class UnstorableValue(StoreError, ValueError):
    """A value the store refuses the same way on every backend, before the database
    sees it: a naive or out-of-range time, a NUL or an invalid byte in a text."""


class ConcurrencyConflict(StoreError):
    """Another writer committed first: reload the case and try again."""

    def __init__(self, case_id: str, expected: int, actual: int, detail: str = "") -> None:
        self.case_id = case_id
        self.expected = expected
        self.actual = actual
        said = detail or f"expected version {expected} but the store holds {actual}"
        super().__init__(
            f"case {_case(case_id)}: {said}; reload the case and apply the command again"
        )


class AuditChainBroken(StoreError):
    """The hash chain of a case's events does not verify: the first broken link is named."""

    def __init__(self, case_id: str, seq: int, detail: str) -> None:
        self.case_id = case_id
        self.seq = seq
        self.detail = detail
        super().__init__(
            f"case {_case(case_id)}: audit chain broken at event {seq}: {printable(detail)}"
        )


class CaseNotFound(StoreError, LookupError):
    """The store holds no case with this id."""

    def __init__(self, case_id: str) -> None:
        self.case_id = case_id
        super().__init__(f"case {_case(case_id)}: no such case in the store")


class CaseExists(StoreError):
    """A case with this id is already stored; case ids are never reused."""

    def __init__(self, case_id: str) -> None:
        self.case_id = case_id
        super().__init__(f"case {_case(case_id)}: a case with this id is already stored")


class CorruptRecord(StoreError):
    """A stored row cannot be read back (bad JSON, an unknown command type, a missing
    field): the store refuses to guess and changes nothing."""

    def __init__(self, case_id: str, what: str, detail: str) -> None:
        self.case_id = case_id
        self.what = what
        self.detail = detail
        super().__init__(f"case {_case(case_id)}: {what} cannot be read: {printable(detail)}")


class SchemaTooNew(StoreError):
    """The database was written by a newer regiekaart: migrating down is never attempted."""

    def __init__(self, found: int, supported: int) -> None:
        self.found = found
        self.supported = supported
        super().__init__(
            f"the database has schema version {found}, this regiekaart knows up to {supported}; "
            "upgrade regiekaart to use it (nothing was changed)"
        )


class SnapshotMismatch(RegiekaartError, ValueError):
    """A snapshot does not fit the policy it is restored under; the message says what."""

    @property
    def detail(self) -> str:
        """The message without the case it names (a store names the case itself)."""
        text = str(self)
        head, sep, rest = text.partition(": ")
        return rest if sep and head.startswith("case ") else text
