"""The JSON Schema of the commands and docs/commands.md, held to what the engine reads.

The schema is read off the command classes, so it is tested against them: every
command a constructor accepts satisfies the schema, what the schema refuses the reader
refuses too, a type added to the classes is in the schema without more, and the page
committed under docs/ is the page the script writes from it, with every example one
``parse_commands`` accepts.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any, ClassVar, Literal

import attrs
import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from regiekaart.cli import app
from regiekaart.errors import PolicyError
from regiekaart.runtime import command_schema as schema_module
from regiekaart.runtime._field_checks import DurationCheck, IdCheck, IdMapCheck, TextCheck
from regiekaart.runtime.command_schema import command_schema
from regiekaart.runtime.commands import (
    COMMAND_TYPES,
    Command,
    Member,
    parse_commands,
    unstructure_command,
)
from strategies import VALID_IDS

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs" / "commands.md"
VALIDATOR = jsonschema.Draft202012Validator(command_schema())


def _value(field: attrs.Attribute[Any]) -> st.SearchStrategy[Any]:
    """Values the field's validator accepts, read off the validator as the schema is."""
    check = field.validator
    if isinstance(check, IdMapCheck):
        return st.dictionaries(VALID_IDS, st.lists(VALID_IDS, max_size=2).map(tuple), max_size=2)
    if isinstance(check, IdCheck) and check.many:
        return st.lists(VALID_IDS, max_size=3).map(tuple)
    if isinstance(check, IdCheck):
        return st.none() | VALID_IDS if check.optional else VALID_IDS
    if isinstance(check, TextCheck):
        return st.text(st.characters(codec="utf-8", exclude_categories=("Cc", "Cs")), max_size=40)
    if isinstance(check, DurationCheck):
        return st.sampled_from(["", "2w", "36h", "P1Y", "P1Y2M3DT4H"])
    if field.name == "direction":
        return st.sampled_from(["up", "down"])
    if field.name == "members":
        member = st.builds(Member, id=VALID_IDS, group=VALID_IDS)
        return st.lists(member, max_size=2).map(tuple)
    if field.default is not attrs.NOTHING:
        return st.just(field.default)  # a field with a rule of its own: its default is valid
    raise AssertionError(f"no strategy for {field.name}: extend _value with the new field")


def _commands(cls: type[Command]) -> st.SearchStrategy[Command]:
    return st.builds(cls, **{field.name: _value(field) for field in attrs.fields(cls)})


ANY_COMMAND = st.one_of([_commands(cls) for cls in COMMAND_TYPES.values()])


@settings(
    max_examples=150, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(ANY_COMMAND)
def test_every_command_a_constructor_accepts_satisfies_the_schema(command: Command) -> None:
    document = unstructure_command(command)
    VALIDATOR.validate(document)
    VALIDATOR.validate([document, document])
    assert parse_commands(json.dumps(document)) == [command]


REFUSED = {
    "unknown type": {"type": "leap", "actor": "A"},
    "missing required field": {"type": "escalate", "actor": "A"},
    "extra field": {"type": "close", "actor": "A", "colour": "red"},
    "not one of the directions": {"type": "change", "actor": "A", "direction": "sideways"},
    "a text where a list is meant": {"type": "close", "actor": "A", "criteria": "c"},
    "an empty id": {"type": "close", "actor": ""},
    "a number where text is meant": {"type": "close", "actor": "A", "reason": 5},
    "an empty batch": [],
}


@pytest.mark.parametrize("document", REFUSED.values(), ids=REFUSED.keys())
def test_what_the_schema_refuses_the_reader_refuses(document: Any) -> None:
    assert not VALIDATOR.is_valid(document)
    with pytest.raises(PolicyError):
        parse_commands(json.dumps(document))


def test_every_command_type_is_in_the_schema_with_its_required_fields() -> None:
    defs = command_schema()["$defs"]
    for kind, cls in COMMAND_TYPES.items():
        required = [f.name for f in attrs.fields(cls) if f.default is attrs.NOTHING]
        assert defs[kind]["required"] == ["type", *required]
        assert defs[kind]["properties"]["type"] == {
            "const": kind,
            "description": "The command type.",
        }


def test_a_command_type_added_to_the_classes_is_in_the_schema(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    @attrs.frozen(kw_only=True)
    class Postpone(Command):
        """Postpone a decision to a named moment."""

        type: ClassVar[str] = "postpone"
        until: str = attrs.field(validator=IdCheck("moment"))
        how: Literal["soft", "hard"] = "soft"

    monkeypatch.setattr(schema_module, "COMMAND_TYPES", {**COMMAND_TYPES, "postpone": Postpone})
    schema = schema_module.command_schema()
    added = schema["$defs"]["postpone"]
    assert added["description"] == "Postpone a decision to a named moment."
    assert added["required"] == ["type", "actor", "until"]
    assert added["properties"]["how"] == {"enum": ["soft", "hard"]}
    checker = jsonschema.Draft202012Validator(schema)
    assert checker.is_valid({"type": "postpone", "actor": "A", "until": "M", "how": "hard"})
    assert not checker.is_valid({"type": "postpone", "actor": "A", "how": "hard"})


def test_a_field_of_a_type_the_schema_cannot_say_is_an_error_naming_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    @attrs.frozen(kw_only=True)
    class Odd(Command):
        """A command with a field of no JSON form."""

        type: ClassVar[str] = "odd"
        payload: complex = 0j

    monkeypatch.setattr(schema_module, "COMMAND_TYPES", {"odd": Odd})
    with pytest.raises(TypeError, match=r"Odd\.payload"):
        schema_module.command_schema()


def test_schema_command_prints_the_schema() -> None:
    done = CliRunner().invoke(app, ["schema", "--command"])
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout) == command_schema()
    both = CliRunner().invoke(app, ["schema", "--command", "--scenario"])
    assert both.exit_code == 2


def test_the_committed_commands_page_is_the_one_the_script_writes() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "commands-doc"), "--stdout"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert PAGE.read_text(encoding="utf-8") == done.stdout, "run scripts/commands-doc (make docs)"


def test_the_page_has_an_example_of_every_type_and_every_example_is_read() -> None:
    text = PAGE.read_text(encoding="utf-8")
    examples = [json.loads(block) for block in re.findall(r"```json\n(.*?)```", text, re.S)]
    assert {e["type"] for e in examples} == set(COMMAND_TYPES)
    for example in examples:
        VALIDATOR.validate(example)
        assert len(parse_commands(json.dumps(example))) == 1
