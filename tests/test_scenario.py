"""Scenarios: case stories read from files and played on a real case.

The stories here are small on purpose: each shows one promise of the scenario format
(an expectation that holds, one that does not and says why, a malformed step that is
named by file, line and path). The shipped stories under ``examples/scenarios`` are
played in full, through the command line, by ``tests/e2e/test_cli.py``.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import attrs
import pytest

from regiekaart import Escalate, Policy, PolicyError, PolicyErrors, load_policy
from regiekaart import errors as errors_module
from regiekaart.runtime.commands import COMMAND_TYPES
from regiekaart.scenario import (
    STEP_COMMANDS,
    check_scenario,
    is_scenario_file,
    load_scenario,
    play,
    scenario_schema,
    validate_scenario,
)

ROOT = Path(__file__).resolve().parent.parent
UNIVERSEEL = ROOT / "machines" / "universeel.yaml"
EXAMPLES = ROOT / "examples" / "scenarios"


@pytest.fixture(scope="module")
def policy() -> Policy:
    return load_policy(UNIVERSEEL)


def write(tmp_path: Path, text: str, name: str = "verhaal.yaml") -> Path:
    """A scenario file in ``tmp_path`` on the universal card (the policy line is prepended)."""
    path = tmp_path / name
    path.write_text(f"policy: {UNIVERSEEL}\n{text}", encoding="utf-8")
    return path


OPSCHALEN = """\
case: c-1
household:
  - {id: ouder, group: volwassen}
  - {id: kind, group: jeugd}
steps:
  - escalate:
      actor: wijkteam
      to: fase2
      criteria: [hulpbehoefte]
      reason: Huisbezoek na signaal van school.
    expect:
      phase: fase2
      configuration: fase2.vrijwillig
      roles: {casusregie: [wijkteam]}
"""


def problems_of(excinfo: pytest.ExceptionInfo[PolicyError]) -> list[PolicyError]:
    error = excinfo.value
    return list(error.errors) if isinstance(error, PolicyErrors) else [error]


# -- reading ---------------------------------------------------------------------------------


def test_a_story_reads_into_commands_with_their_lines(tmp_path: Path) -> None:
    path = write(tmp_path, OPSCHALEN)
    scenario = load_scenario(path)
    assert scenario.case_id == "c-1"
    assert scenario.policy == UNIVERSEEL
    assert [m.group for m in scenario.household] == ["volwassen", "jeugd"]
    (step,) = scenario.steps
    assert step.index == 1
    assert step.line == 7  # the "- escalate:" line, counting the prepended policy line
    assert step.command == Escalate(
        actor="wijkteam",
        to="fase2",
        criteria=("hulpbehoefte",),
        reason="Huisbezoek na signaal van school.",
    )
    assert step.expect.configuration == ("fase2.vrijwillig",)
    assert not step.expect.exact
    assert scenario.opener == "wijkteam"  # no opened_by: the first step's actor registers the case


def test_the_policy_path_is_read_from_the_scenario_folder() -> None:
    scenario = load_scenario(EXAMPLES / "calamiteit.yaml")
    assert scenario.policy is not None
    assert scenario.policy.resolve() == UNIVERSEEL.resolve()
    assert scenario.opened_by == "politie"
    assert scenario.start == datetime(2026, 3, 14, 22, 30, tzinfo=timezone(timedelta(hours=1)))


def test_one_id_where_a_list_is_expected_is_a_list_of_one(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
case: c-2
steps:
  - escalate:
      actor: wijkteam
      together: veilig-thuis
      criteria: huiselijk-geweld
      to: fase3
      holders: {procesregie: veilig-thuis}
""",
    )
    command = load_scenario(path).steps[0].command
    assert command.together == ("veilig-thuis",)
    assert command.criteria == ("huiselijk-geweld",)
    assert command.holders == {"procesregie": ("veilig-thuis",)}


def test_an_unknown_command_names_file_line_path_and_the_known_commands(tmp_path: Path) -> None:
    path = write(tmp_path, "case: c\nsteps:\n  - escalte: {actor: wijkteam, to: fase2}\n")
    with pytest.raises(PolicyError) as excinfo:
        load_scenario(path)
    (problem,) = problems_of(excinfo)
    assert (problem.file, problem.line, problem.path) == (str(path), 4, "steps[0]")
    assert "'escalte'" in problem.message
    assert "escalate" in problem.message
    assert str(problem).startswith(f"{path}:4 steps[0]: ")


def test_every_malformed_step_is_reported_at_once(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
case: c
start: gisteren
steps:
  - escalate: {actr: wijkteam, to: fase2}
  - escalate: {actor: wijkteam}
  - escalate: {actor: wijkteam, to: fase2}
    close: {actor: wijkteam}
  - change: {actor: wijkteam, direction: sideways}
  - escalate: {actor: wijkteam, to: fase2}
    expect: {refused: NotAuthorised}
  - escalate: {actor: wijkteam, to: fase2}
    at: morgen
""",
    )
    with pytest.raises(PolicyErrors) as excinfo:
        load_scenario(path)
    found: dict[tuple[int | None, str], str] = {}
    for problem in excinfo.value.errors:
        found[(problem.line, problem.path)] = (
            found.get((problem.line, problem.path), "") + problem.message
        )
    assert "not a date and time" in found[(3, "start")]
    assert "unknown key 'actr'" in found[(5, "steps[0].escalate")]
    assert "'actor' is a required property" in found[(5, "steps[0].escalate")]
    assert "'to' is a required property" in found[(6, "steps[1].escalate")]
    assert "exactly one command" in found[(7, "steps[2]")]
    assert "found: escalate, close" in found[(7, "steps[2]")]
    assert "'sideways'" in found[(9, "steps[3].change.direction")]
    assert "'NotAuthorised'" in found[(11, "steps[4].expect.refused")]
    assert "not a date and time" in found[(13, "steps[5].at")]


def test_a_yaml_syntax_error_names_its_line(tmp_path: Path) -> None:
    path = write(tmp_path, "case: c\nsteps:\n  - escalate: {actor: wijkteam, to: [fase2}\n")
    with pytest.raises(PolicyError) as excinfo:
        load_scenario(path)
    assert excinfo.value.file == str(path)
    assert excinfo.value.line == 4
    assert "YAML syntax error" in excinfo.value.message


def test_a_scenario_is_told_apart_from_a_policy(tmp_path: Path) -> None:
    assert is_scenario_file(EXAMPLES / "ots-fase2.yaml")
    assert not is_scenario_file(UNIVERSEEL)
    assert not is_scenario_file(tmp_path / "missing.yaml")


def test_claims_the_policy_does_not_know_are_named_before_playing(
    tmp_path: Path, policy: Policy
) -> None:
    path = write(
        tmp_path,
        """\
case: c
opened_by: wijkteem
household:
  - {id: kind, group: kind}
steps:
  - escalate: {actor: wijkteam, to: fase2, criteria: [hulpbehoefte]}
    expect:
      phase: fase5
      configuration: fase2.vrijwilig
      roles: {casusregi: [wijkteam], procesregie: [niemand]}
      open_obligations: {onbekend: [wethouder]}
""",
    )
    scenario = load_scenario(path)
    found = {p.path: (p.line, p.message) for p in check_scenario(scenario, policy)}
    assert found["opened_by"] == (3, "unknown party 'wijkteem'")
    assert found["household[0].group"][0] == 5
    assert "unknown member group 'kind'" in found["household[0].group"][1]
    assert "unknown phase 'fase5'" in found["steps[0].expect.phase"][1]
    assert "unknown state 'fase2.vrijwilig'" in found["steps[0].expect.configuration"][1]
    assert "unknown role 'casusregi'" in found["steps[0].expect.roles.casusregi"][1]
    assert found["steps[0].expect.roles.procesregie"] == (11, "unknown party 'niemand'")
    assert "unknown obligation 'onbekend'" in found["steps[0].expect.open_obligations.onbekend"][1]
    with pytest.raises(PolicyErrors):
        play(scenario, policy)


def test_a_scenario_without_a_policy_asks_for_one(tmp_path: Path) -> None:
    path = tmp_path / "zonder.yaml"
    path.write_text(OPSCHALEN, encoding="utf-8")
    with pytest.raises(PolicyError, match="names no policy"):
        validate_scenario(path)
    scenario, resolved = validate_scenario(path, UNIVERSEEL)
    assert resolved.id == "universeel"
    assert play(scenario, resolved).passed


# -- playing ---------------------------------------------------------------------------------


def test_a_story_that_holds_passes_step_by_step(tmp_path: Path, policy: Policy) -> None:
    result = play(load_scenario(write(tmp_path, OPSCHALEN)), policy)
    assert result.passed
    assert result.opening.rule == "open"
    assert result.opening.configuration == ("fase1",)
    (step,) = result.steps
    assert step.accepted
    assert step.rule == "opschalen-1-2"
    assert step.source == "§2.3.1, Bijlage 2"
    assert step.configuration == ("fase2", "fase2.vrijwillig")
    assert step.roles["casusregie"] == ("wijkteam",)
    assert result.summary().endswith("passed (1 step)")


def test_every_difference_is_named(tmp_path: Path, policy: Policy) -> None:
    path = write(
        tmp_path,
        """\
case: c
steps:
  - escalate:
      actor: wijkteam
      to: fase2
      criteria: [hulpbehoefte]
    expect:
      phase: fase3
      configuration: [fase2]
      rule: opschalen-2-3
      roles: {casusregie: [client], procesregie: [gemeentelijk-procesregisseur]}
      open_obligations: {oov-en-wethouder-informeren: [wethouder]}
      informed: {wethouder: [wijkteam]}
""",
    )
    result = play(load_scenario(path), policy)
    assert not result.passed
    failures = result.steps[0].failures
    assert "rule: expected opschalen-2-3, got opschalen-1-2" in failures
    assert "phase: expected fase3, got fase2" in failures
    assert "configuration: expected fase2, got fase2, fase2.vrijwillig" in failures
    assert "casusregie: expected client, got wijkteam" in failures
    assert "procesregie: expected gemeentelijk-procesregisseur, got no holder" in failures
    assert "open obligations: expected oov-en-wethouder-informeren: wethouder, got none" in failures
    assert "informed: wethouder is not recorded as informed by wijkteam" in failures
    summary = result.summary()
    assert summary.startswith(f"{path}:4: step 1 (escalate) failed: ")


def test_a_refusal_must_be_expected_and_is_matched_by_kind(tmp_path: Path, policy: Policy) -> None:
    path = write(
        tmp_path,
        """\
case: c
opened_by: ambtenaar-oov
steps:
  - escalate: {actor: ambtenaar-oov, to: fase4, criteria: [totale-escalatie]}
  - deescalate: {actor: burgemeester, to: fase3, criteria: [gevaar-onder-controle]}
    expect: {refused: CriteriaNotMet, rule: afschalen-4-3}
  - deescalate: {actor: burgemeester, to: fase3, criteria: [gevaar-onder-controle]}
    expect: {refused: NotAuthorized}
  - deescalate: {actor: wijkteam, to: fase3, criteria: [gevaar-onder-controle]}
  - decision: {actor: veiligheidshuis, decision: fase3-plan}
    expect: {refused: CommandRefused}
""",
    )
    result = play(load_scenario(path), policy)
    first, plan_missing, wrong_kind, unexpected, accepted = result.steps
    assert first.passed
    # PreconditionNotMet is a CriteriaNotMet: naming the general kind is enough.
    assert type(plan_missing.refusal).__name__ == "PreconditionNotMet"
    assert plan_missing.passed
    assert wrong_kind.failures[0].startswith(
        "expected refusal NotAuthorized, got PreconditionNotMet"
    )
    assert unexpected.failures[0].startswith("refused with NotAuthorized: ")
    assert accepted.failures == (
        "expected refusal CommandRefused, but it was accepted (rule fase3-plan)",
    )
    # A refused step changes nothing.
    assert plan_missing.configuration == first.configuration
    assert plan_missing.roles == first.roles


def test_roles_compare_as_sets_and_null_means_not_held(tmp_path: Path, policy: Policy) -> None:
    path = write(
        tmp_path,
        """\
case: c
steps:
  - escalate: {actor: burgemeester, to: fase4, criteria: [totale-escalatie]}
    expect:
      configuration: [fase4.zorg, fase4, fase4.veiligheid]
      roles:
        procesregie: [coordinator-pshi, ambtenaar-oov]
        casusregie: coordinator-pshi
        behandelregie: null
      open_obligations: {burgemeester-bij-fase4: [burgemeester]}
""",
    )
    result = play(load_scenario(path), policy)
    assert result.passed, result.summary()


def test_two_casusregisseurs_are_recorded_as_informed_of_each_other() -> None:
    result = play(load_scenario(EXAMPLES / "twee-casusregisseurs.yaml"))
    assert result.passed, result.summary()
    both = result.steps[2]
    assert set(both.roles["casusregie"]) == {"reclassering", "gecertificeerde-instelling"}
    assert both.event is not None
    recorded = {(i.recipient, i.by) for i in both.event.informed if i.done}
    assert ("reclassering", ("gecertificeerde-instelling",)) in recorded
    assert ("gecertificeerde-instelling", ("reclassering",)) in recorded


def test_times_come_from_the_story_not_the_wall_clock(tmp_path: Path, policy: Policy) -> None:
    path = write(
        tmp_path,
        """\
case: c
start: 2026-01-05T09:00:00+01:00
steps:
  - signal: {actor: wijkteam}
  - signal: {actor: wijkteam}
    at: 2026-02-01 14:00:00
  - signal: {actor: wijkteam}
""",
    )
    scenario = load_scenario(path)
    first = play(scenario, policy)
    times = [s.event.at for s in (first.opening, *first.steps) if s.event is not None]
    cet = timezone(timedelta(hours=1))
    assert times == [
        datetime(2026, 1, 5, 9, tzinfo=cet),
        datetime(2026, 1, 5, 10, tzinfo=cet),
        datetime(2026, 2, 1, 14, tzinfo=UTC),  # no zone given: UTC
        datetime(2026, 2, 1, 15, tzinfo=UTC),
    ]
    assert play(scenario, policy).as_json() == first.as_json()


def test_the_result_is_plain_json(policy: Policy) -> None:
    result = play(load_scenario(EXAMPLES / "calamiteit.yaml"), policy)
    document = json.loads(json.dumps(result.as_json()))
    assert document["passed"] is True
    assert document["policy"]["id"] == "universeel"
    assert document["opening"]["command"]["type"] == "open"
    refused = document["steps"][4]
    assert refused["accepted"] is False
    assert refused["refused"] == "PreconditionNotMet"
    assert refused["rule"] == "afschalen-4-3"
    assert refused["source"] == "§2.3.4, Bijlage 2"
    assert refused["at"] is None
    accepted = document["steps"][6]
    assert accepted["configuration"] == ["fase3", "fase3.vrijwillig"]
    assert accepted["roles"]["procesregie"] == ["veiligheidshuis"]
    assert {d["recipient"] for d in accepted["open_obligations"]} == {"ambtenaar-oov", "wethouder"}


def test_a_case_that_cannot_be_opened_points_at_the_household(
    tmp_path: Path, policy: Policy
) -> None:
    path = write(
        tmp_path,
        """\
case: c
household:
  - {id: kind, group: jeugd}
  - {id: kind, group: jeugd}
steps:
  - signal: {actor: wijkteam}
""",
    )
    with pytest.raises(PolicyError) as excinfo:
        play(load_scenario(path), policy)
    assert excinfo.value.path == "household"
    assert excinfo.value.line == 3
    assert "unique" in excinfo.value.message


# -- the schema follows the engine -----------------------------------------------------------


def test_the_schema_describes_every_step_command_with_its_fields() -> None:
    schema = scenario_schema()
    step = schema["properties"]["steps"]["items"]
    assert set(step["properties"]) == {*STEP_COMMANDS, "expect", "at"}
    for kind in STEP_COMMANDS:
        fields = attrs.fields(COMMAND_TYPES[kind])
        definition = schema["$defs"][kind]
        assert set(definition["properties"]) == {f.name for f in fields}, kind
        required = {f.name for f in fields if f.default is attrs.NOTHING}
        assert set(definition["required"]) == required, kind


def test_the_schema_knows_every_kind_of_refusal() -> None:
    refusals = {
        name
        for name, value in vars(errors_module).items()
        if isinstance(value, type) and issubclass(value, errors_module.CommandRefused)
    }
    enum = scenario_schema()["$defs"]["expect"]["properties"]["refused"]["enum"]
    assert set(enum) == refusals


def test_ids_a_case_could_not_have_are_problems_of_the_file(tmp_path: Path) -> None:
    story = tmp_path / "verhaal.yaml"
    story.write_text(
        'policy: universeel\ncase: "gezin\\u001b[2K"\nhousehold:\n'
        '  - {id: "kind\\u0007", group: jeugd}\nsteps:\n  - {signal: {actor: wijkteam}}\n',
        encoding="utf-8",
    )
    with pytest.raises(PolicyErrors) as refused:
        load_scenario(story)
    found = {(e.line, e.path) for e in refused.value.errors}
    assert found == {(2, "case"), (4, "household[0]")}
    assert "\x1b" not in str(refused.value)
