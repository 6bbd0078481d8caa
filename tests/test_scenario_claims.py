"""Scenario expectations that say what a story needs and no more.

``roles: {ROLE: {one_of | includes | excludes | empty}}``, ``facts``, ``measures``,
``dominance``, ``recorded`` and ``not_recorded`` (from a step on: "no melding after an
advice"). Each is shown to pass on the case it describes and to fail, in words, on one
that differs; a claim naming something the card does not know is a located error.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from case_stories import MACHINES
from regiekaart import PolicyErrors
from regiekaart.runtime.commands import COMMAND_TYPES
from regiekaart.scenario import load_scenario, play, scenario_schema, validate_scenario

STORY = """\
title: Een verhaal met beweringen
policy: {policy}
case: beweringen
household:
  - {{id: bewoner, group: volwassen}}
opened_by: wijkteam
steps:
  - escalate:
      actor: wijkteam
      to: fase2
      criteria: [noodzaak-hulp]
    expect:
      recorded: [open, escalate]
      roles:
        casusregie: {{one_of: [wijkteam, cjg]}}
        procesregie: {{empty: true}}
      facts: {{risico-inschatting: false}}
      measures: []
      dominance: null
  - advice:
      actor: wijkteam
      adviser: ambtenaar-oov
    expect:
      not_recorded: [melding]
  - escalate:
      actor: wijkteam
      together: veiligheidshuis
      to: fase3
      criteria: [overlast]
      dominance: veiligheid
    expect:
      dominance: veiligheid
      roles:
        procesregie: {{includes: veiligheidshuis, excludes: [wijkteam, veilig-thuis]}}
  - decision:
      actor: ambtenaar-oov
      together: [politie, om]
      decision: risico-inschatting
    expect:
      facts: {{risico-inschatting: true}}
{extra}"""


def _story(tmp_path: Path, extra: str = "", **replace: str) -> Path:
    text = STORY.format(policy=MACHINES / "universeel.yaml", extra=extra)
    for old, new in replace.items():
        text = text.replace(old.replace("_", " "), new)
    path = tmp_path / "verhaal.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_claims_hold_on_the_case_they_describe(tmp_path: Path) -> None:
    result = play(load_scenario(_story(tmp_path)))
    assert [step.failures for step in result.steps] == [()] * 4, result.summary()


def test_a_melding_after_the_advice_breaks_not_recorded(tmp_path: Path) -> None:
    melding = "  - melding:\n      actor: wijkteam\n      to: veilig-thuis\n"
    result = play(load_scenario(_story(tmp_path, extra=melding)))
    failures = result.steps[-1].failures
    assert failures == ("not_recorded: a melding was recorded, which step 2 ruled out",), failures


@pytest.mark.parametrize(
    ("old", "new", "step", "said"),
    [
        ("one_of: [wijkteam, cjg]", "one_of: [cjg]", 0,
         "casusregie: expected one holder of cjg, got wijkteam"),
        ("procesregie: {empty: true}", "bestuurlijk_verantwoordelijk: {empty: true}", 0,
         "bestuurlijk_verantwoordelijk: expected no holder, got wethouder"),
        ("includes: veiligheidshuis", "includes: veilig-thuis", 2,
         "procesregie: expected veilig-thuis among the holders, got veiligheidshuis"),
        ("excludes: [wijkteam, veilig-thuis]", "excludes: [veiligheidshuis]", 2,
         "procesregie: expected veiligheidshuis not to hold it, got veiligheidshuis"),
        ("{risico-inschatting: true}", "{risico-inschatting: false}", 3,
         "fact risico-inschatting: expected not set, got set"),
        ("dominance: null", "dominance: veiligheid", 0,
         "dominance: expected veiligheid, got none"),
        ("measures: []", "measures: [ots]", 0,
         "measures: expected ots in force, got none"),
        ("recorded: [open, escalate]", "recorded: [open, melding]", 0,
         "recorded: no melding in the log so far"),
    ],
)  # fmt: skip
def test_a_claim_that_does_not_hold_says_what_differs(
    tmp_path: Path, old: str, new: str, step: int, said: str
) -> None:
    path = _story(tmp_path)
    path.write_text(path.read_text("utf-8").replace(old, new, 1), encoding="utf-8")
    result = play(load_scenario(path))
    assert said in result.steps[step].failures, result.steps[step].failures
    assert not result.passed


@pytest.mark.parametrize(
    ("old", "new", "said"),
    [
        ("one_of: [wijkteam, cjg]", "one_of: [wijkteam, buurman]", "unknown party 'buurman'"),
        ("procesregie: {empty: true}", "regie: {empty: true}", "unknown role 'regie'"),
        ("{risico-inschatting: false}", "{geluk: false}", "unknown fact 'geluk'"),
        ("measures: []", "measures: [straf]", "unknown measure 'straf'"),
        ("dominance: null", "dominance: geld", "unknown dominance 'geld'"),
    ],
)
def test_a_claim_naming_what_the_card_does_not_know_is_located(
    tmp_path: Path, old: str, new: str, said: str
) -> None:
    path = _story(tmp_path)
    text = path.read_text("utf-8")
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    line = 1 + text.split("\n").index(next(x for x in text.split("\n") if old.split(":")[0] in x))
    with pytest.raises(PolicyErrors) as raised:
        validate_scenario(path)
    (error,) = [e for e in raised.value.errors if said in str(e)]
    assert error.file == str(path)
    assert error.line is not None
    assert abs(error.line - line) <= 6


@pytest.mark.parametrize(
    "claim",
    ["{one_of: []}", "{}", "{empty: false}", "{einde: true}", "{includes: 3}"],
)
def test_a_malformed_claim_is_a_schema_error(tmp_path: Path, claim: str) -> None:
    path = _story(tmp_path)
    path.write_text(
        path.read_text("utf-8").replace("{one_of: [wijkteam, cjg]}", claim, 1), encoding="utf-8"
    )
    with pytest.raises(PolicyErrors) as raised:
        load_scenario(path)
    assert all(e.file == str(path) and e.line for e in raised.value.errors)


def test_the_schema_names_every_event_kind() -> None:
    """``recorded``/``not_recorded`` accept exactly the command types the runtime has."""
    expect = scenario_schema()["$defs"]["expect"]["properties"]
    for key in ("recorded", "not_recorded"):
        one, many = expect[key]["oneOf"]
        assert set(one["enum"]) == set(many["items"]["enum"]) == set(COMMAND_TYPES)
