"""Validators of command fields that say what they check.

A command's fields are checked when it is made (:mod:`regiekaart.ids`); these validators
do that and also name what they check (an id of which kind, one or many or none, free
text, a mapping of ids), so the JSON Schema of the commands
(:mod:`regiekaart.runtime.command_schema`) is read off the fields instead of being
written a second time.
"""

from __future__ import annotations

from typing import Any

import attrs
from attrs import frozen

from regiekaart.errors import InvalidText
from regiekaart.ids import check_id, check_text
from regiekaart.policy.durations import parse_duration

__all__ = ["DurationCheck", "IdCheck", "IdMapCheck", "TextCheck"]


@frozen
class IdCheck:
    """A field of ``kind`` ids: one id, one or ``None`` (``optional``), or a tuple of them
    (``many``)."""

    kind: str
    optional: bool = False
    many: bool = False

    def __call__(self, _instance: object, _attribute: object, value: Any) -> None:
        if self.many:
            for item in value:
                check_id(self.kind, item)
        elif value is not None or not self.optional:
            check_id(self.kind, value)


@frozen
class IdMapCheck:
    """A mapping of ``key`` ids to tuples of ``value`` ids (the holders a command
    chooses: role → parties)."""

    key: str
    value: str

    def __call__(self, _instance: object, _attribute: object, value: Any) -> None:
        for key, ids in value.items():
            check_id(self.key, key)
            for item in ids:
                check_id(self.value, item)


@frozen
class TextCheck:
    """A free-text field (:func:`~regiekaart.ids.check_text`)."""

    def __call__(self, _instance: object, attribute: attrs.Attribute[Any], value: Any) -> None:
        check_text(attribute.name, value)


@frozen
class DurationCheck:
    """A duration as a card writes it (``8d``, ``P1Y``), or empty for "what the card
    says"; refused as :class:`~regiekaart.errors.InvalidText`, saying what is wrong and
    how to write it, so every reader of commands names it."""

    def __call__(self, _instance: object, attribute: attrs.Attribute[Any], value: Any) -> None:
        if value == "":
            return
        try:
            parse_duration(value)
        except ValueError as exc:
            raise InvalidText(attribute.name, str(exc)) from None
