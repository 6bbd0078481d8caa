"""Commands as immutable values, and their tagged JSON form.

A host sends commands from its own forms and queues; a scenario file writes them as
YAML. Both need a lossless, tagged plain form and a clear error for one that is wrong.
"""

from __future__ import annotations

import json
import re
import time

import attrs
import pytest

from regiekaart import (
    Appoint,
    ChangeLevel,
    CloseCase,
    Command,
    Deescalate,
    EndMeasure,
    Escalate,
    ExpireMeasure,
    ExtendMeasure,
    ImposeMeasure,
    Inform,
    Melding,
    Member,
    OpenCase,
    RecordAdvice,
    RecordDecision,
    Signal,
    structure_command,
    unstructure_command,
)
from regiekaart.errors import PolicyError
from regiekaart.runtime.commands import COMMAND_TYPES

EXAMPLES: list[Command] = [
    OpenCase(actor="wijkteam", members=(Member(id="kind", group="jeugd"),)),
    Signal(actor="naasten", activity="signaal"),
    Escalate(
        actor="wijkteam",
        together=["veilig-thuis"],
        to="fase3",
        criteria=["huiselijk-geweld"],
        dominance="huiselijk-geweld",
        holders={"casusregie": ["cjg"]},
        reason="afstemming in het MDO",
    ),
    Deescalate(actor="burgemeester", to="fase3", criteria=["gevaar-onder-controle"]),
    ChangeLevel(actor="wijkteam", direction="up", criteria=["complexere-problematiek"]),
    ImposeMeasure(actor="kinderrechter", measure="ots", member="kind"),
    EndMeasure(actor="kinderrechter", measure="ots", member="kind"),
    ExpireMeasure(actor="wijkteam", measure="ots", member="kind"),
    ExtendMeasure(actor="kinderrechter", measure="ots", member="kind", by="1y"),
    RecordAdvice(actor="wijkteam", adviser="raad-kinderbescherming"),
    Melding(actor="zorgaanbieder", to="veilig-thuis"),
    Inform(actor="veilig-thuis", recipient="ambtenaar-oov", about="oov-en-wethouder-informeren"),
    RecordDecision(actor="veiligheidshuis", decision="fase3-plan"),
    Appoint(
        actor="wijkteam", role="behandelregie", holders={"behandelregie": ["regiebehandelaar"]}
    ),
    CloseCase(actor="wijkteam"),
]


def test_every_command_type_has_an_example() -> None:
    assert {type(c) for c in EXAMPLES} == set(COMMAND_TYPES.values())
    assert set(COMMAND_TYPES) == {c.type for c in EXAMPLES}


@pytest.mark.parametrize("command", EXAMPLES, ids=[c.type for c in EXAMPLES])
def test_a_command_survives_its_json_form(command: Command) -> None:
    data = unstructure_command(command)
    assert data["type"] == command.type
    again = structure_command(json.loads(json.dumps(data)))
    assert again == command
    assert type(again) is type(command)


def test_lists_and_single_values_become_tuples() -> None:
    """A scenario may write ``criteria: overlast``; the command keeps a tuple."""
    command = Escalate(
        actor="wijkteam", to="fase2", criteria="hulpbehoefte", holders={"casusregie": "cjg"}
    )
    assert command.criteria == ("hulpbehoefte",)
    assert command.holders == {"casusregie": ("cjg",)}
    assert Escalate(actor="wijkteam", to="fase2", together=None).together == ()


def test_the_actor_and_its_co_deciders_are_the_parties() -> None:
    command = Escalate(actor="wijkteam", together=["veilig-thuis", "mass-oggz"], to="fase3")
    assert command.parties == ("wijkteam", "veilig-thuis", "mass-oggz")


def test_commands_are_immutable_and_keyword_only() -> None:
    command = CloseCase(actor="wijkteam")
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        command.actor = "client"  # type: ignore[misc]
    with pytest.raises(TypeError):
        CloseCase("wijkteam")  # type: ignore[call-arg]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"type": "opschalen", "actor": "wijkteam"},
            "unknown command type 'opschalen' (known: advice",
        ),
        ({"actor": "wijkteam"}, "unknown command type None"),
        (
            {"type": "escalate", "actor": "wijkteam"},
            "command escalate: required field missing @ $.to",
        ),
        ({"type": "close", "actor": "wijkteam", "kleur": "rood"}, "extra fields found (kleur)"),
    ],
)
def test_a_wrong_command_form_is_a_clear_value_error(data: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        structure_command(data)


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ('{"type": "signal", "actor": "wijkteam", "reason": NaN}', "NaN"),
        ('{"type": "signal", "actor": "wijkteam", "reason": -Infinity}', "-Infinity"),
        ('{"type": "signal", "actor": "wijkteam", "actor": "politie"}', "'actor' twice"),
    ],
)
def test_command_json_a_person_could_read_otherwise_is_refused(text: str, said: str) -> None:
    from regiekaart.runtime.commands import parse_commands

    with pytest.raises(PolicyError, match=re.escape(said)):
        parse_commands(text)


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ('{"type": "signal", "actor": "wijkteam", "reason": 5}', "'reason'"),
        (
            '{"type": "escalate", "actor": "wijkteam", "to": "fase2", "criteria": "abc"}',
            "'criteria'",
        ),
    ],
)
def test_command_json_is_taken_as_typed(text: str, field: str) -> None:
    from regiekaart.runtime.commands import parse_commands

    with pytest.raises(PolicyError, match=f"{field} is not of its type"):
        parse_commands(text)


def test_a_key_given_twice_in_a_huge_command_is_refused_at_once() -> None:
    from regiekaart.runtime.commands import parse_commands

    text = "{" + ",".join(f'"k{i}": 1' for i in range(40_000)) + ', "k1": 2}'
    started = time.monotonic()
    with pytest.raises(PolicyError, match="'k1' twice"):
        parse_commands(text)
    assert time.monotonic() - started < 5
