"""The JSON Schema of the commands a host sends a case, read off the command classes.

A host learns the command format from one document instead of from refusals: every
type of :data:`~regiekaart.runtime.commands.COMMAND_TYPES`, its fields, which are
required, what each must be. The schema is built from the classes themselves (their
fields, types, defaults, validators and docstrings), so a command type or field added
there is in the schema, in ``regiekaart schema --command`` and in ``docs/commands.md``
without anything else to change; a field of a type this module cannot describe is an
error here, not a silent gap.

May import: ``regiekaart.policy`` and the foundation (besides this package).
"""

from __future__ import annotations

import inspect
import types
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any, Literal, Union, get_args, get_origin, get_type_hints

import attrs

from regiekaart.ids import MAX_ID_LENGTH, MAX_TEXT_LENGTH
from regiekaart.policy.durations import EXAMPLES
from regiekaart.runtime._field_checks import DurationCheck, IdCheck, IdMapCheck, TextCheck
from regiekaart.runtime.commands import COMMAND_TYPES, Command

__all__ = ["COMMON_FIELDS", "command_schema", "type_schema"]

COMMON_FIELDS: dict[str, str] = {
    "actor": "The party that acts.",
    "together": "The parties that decide together with the actor.",
    "criteria": "The criteria the command invokes.",
    "holders": "The holders the command chooses, by role: role id → party ids.",
    "reason": "Why: kept in the audit trail.",
}
"""The fields every command has (those of :class:`~regiekaart.runtime.commands.Command`)."""

_SCALARS: dict[Any, dict[str, Any]] = {
    str: {"type": "string", "examples": ["TEXT"]},
    int: {"type": "integer", "examples": [1]},
    float: {"type": "number", "examples": [1.5]},
    bool: {"type": "boolean", "examples": [True]},
    datetime: {"type": "string", "format": "date-time", "examples": ["2026-01-31T09:00:00+01:00"]},
    date: {"type": "string", "format": "date", "examples": ["2026-01-31"]},
}
"""The schema of each plain type a field may have, with a value to show in an example.
A type not here (a duration, say) needs its JSON form decided where the converter reads
it, and then a line here; until then the schema refuses to guess."""


def command_schema() -> dict[str, Any]:
    """The JSON Schema (2020-12) of what ``parse_commands`` reads: one command or a batch."""
    defs: dict[str, Any] = {
        "id": {
            "type": "string",
            "minLength": 1,
            "maxLength": MAX_ID_LENGTH,
            "description": "An id: visible characters only, no white space at either end.",
        },
        "text": {
            "type": "string",
            "maxLength": MAX_TEXT_LENGTH,
            "description": "Free text: no control characters but line breaks and tabs.",
        },
    }
    for kind, cls in COMMAND_TYPES.items():
        defs[kind] = type_schema(cls, defs)
    defs["command"] = {"oneOf": [{"$ref": f"#/$defs/{kind}"} for kind in COMMAND_TYPES]}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://regiekaart.example/schemas/command.schema.json",
        "title": "regiekaart command",
        "description": "What a host sends a case: one command, an object whose type names "
        "it, or a batch, an array of commands applied whole or not at all.",
        "oneOf": [
            {"$ref": "#/$defs/command"},
            {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/command"}},
        ],
        "$defs": defs,
    }


def type_schema(cls: type[Command], defs: dict[str, Any]) -> dict[str, Any]:
    """The schema of one command type; the records its fields use are added to ``defs``."""
    schema = _record_schema(cls, defs)
    schema["title"] = cls.type
    schema["properties"] = {
        "type": {"const": cls.type, "description": "The command type."},
        **{
            name: {**value, "description": COMMON_FIELDS[name]} if name in COMMON_FIELDS else value
            for name, value in schema["properties"].items()
        },
    }
    schema["required"] = ["type", *schema["required"]]
    return schema


def _record_schema(cls: type, defs: dict[str, Any]) -> dict[str, Any]:
    """The schema of an attrs class: its fields, the ones without a default required."""
    hints = get_type_hints(cls)
    properties: dict[str, Any] = {}
    required = []
    for field in attrs.fields(cls):
        where = f"{cls.__name__}.{field.name}"
        properties[field.name] = _field_schema(field, hints[field.name], defs, where)
        if field.default is attrs.NOTHING:
            required.append(field.name)
    return {
        "type": "object",
        "title": cls.__name__,
        "description": _first_paragraph(cls),
        "properties": properties,
        "required": required,
        "additionalProperties": False,
    }


def _first_paragraph(cls: type) -> str:
    return " ".join((inspect.getdoc(cls) or "").split("\n\n")[0].split())


def _field_schema(
    field: attrs.Attribute[Any], hint: Any, defs: dict[str, Any], where: str
) -> dict[str, Any]:
    check = field.validator
    if isinstance(check, IdMapCheck):
        return {
            "type": "object",
            "propertyNames": _id_schema(check.key),
            "additionalProperties": {"type": "array", "items": _id_schema(check.value)},
        }
    if isinstance(check, IdCheck):
        one = _id_schema(check.kind)
        if check.many:
            return {"type": "array", "items": one, "description": f"{check.kind.title()} ids."}
        return {"anyOf": [one, {"type": "null"}]} if check.optional else one
    if isinstance(check, DurationCheck):
        return {
            "type": "string",
            "maxLength": 40,
            "description": f"A duration as a card writes it ({EXAMPLES}); empty: what the "
            "card allows.",
            "examples": ["2w"],
        }
    if isinstance(check, TextCheck):
        return {"$ref": "#/$defs/text", "examples": [f"{field.name.capitalize()}, in a sentence."]}
    return _hint_schema(hint, defs, where)


def _id_schema(kind: str) -> dict[str, Any]:
    return {
        "$ref": "#/$defs/id",
        "description": f"A {kind} id.",
        "examples": [kind.upper().replace("_", "-")],
    }


def _hint_schema(hint: Any, defs: dict[str, Any], where: str) -> dict[str, Any]:
    """The schema of a field's type, for fields whose validator does not say it."""
    origin, args = get_origin(hint), get_args(hint)
    if hint in _SCALARS:
        return dict(_SCALARS[hint])
    if origin is Literal:
        return {"enum": list(args)}
    if origin in (Union, types.UnionType):
        return {"anyOf": [_hint_schema(arg, defs, where) for arg in args]}
    if hint is type(None):
        return {"type": "null"}
    if origin is tuple and len(args) == 2 and args[1] is Ellipsis:
        return {"type": "array", "items": _hint_schema(args[0], defs, where)}
    if origin in (Mapping, dict) or (isinstance(origin, type) and issubclass(origin, Mapping)):
        return {
            "type": "object",
            "propertyNames": _hint_schema(args[0], defs, where),
            "additionalProperties": _hint_schema(args[1], defs, where),
        }
    if isinstance(hint, type) and attrs.has(hint):
        name = hint.__name__.lower()
        if name not in defs:
            defs[name] = {}  # taken before the fields are read: a record may contain itself
            defs[name] = _record_schema(hint, defs)
        return {"$ref": f"#/$defs/{name}"}
    raise TypeError(f"{where}: no JSON Schema for the type {hint!r}")
