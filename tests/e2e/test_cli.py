"""The command line as a policy officer uses it.

Most tests go through typer's test runner (same process, separate stdout and stderr);
a few start the installed ``regiekaart`` console script as a real child process, so the
entry point, the exit codes and the streams are checked as a shell sees them.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import structlog
from typer.testing import CliRunner

from regiekaart.cli import app

ROOT = Path(__file__).resolve().parents[2]
UNIVERSEEL = ROOT / "machines" / "universeel.yaml"
SCENARIOS = sorted((ROOT / "examples" / "scenarios").glob("*.yaml"))
SCRIPT = Path(sys.executable).parent / "regiekaart"

runner = CliRunner(env={"COLUMNS": "320", "NO_COLOR": "1", "TERM": "dumb"})


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    """The CLI configures structlog for its process; give later tests theirs back."""
    saved = structlog.get_config()
    yield
    structlog.configure(**saved)


def invoke(*args: str | Path) -> tuple[int, str, str]:
    result = runner.invoke(app, [str(a) for a in args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


def local_card(tmp_path: Path, body: str, name: str = "lokaal.yaml") -> Path:
    """A local card in ``tmp_path`` that extends the universal card."""
    path = tmp_path / name
    path.write_text(
        f"regiekaart: 1\nextends: {UNIVERSEEL}\nid: lokaal\ntitle: Lokale kaart\n{body}",
        encoding="utf-8",
    )
    return path


# -- validate ------------------------------------------------------------------------------


def test_validate_accepts_the_shipped_cards_and_scenarios() -> None:
    cards = sorted((ROOT / "machines").glob("*.yaml"))
    code, out, _ = invoke("validate", *cards, *SCENARIOS)
    assert code == 0, out
    for path in (*cards, *SCENARIOS):
        assert f"OK {path}" in out
    assert "policy universeel: 4 phases" in out
    assert "scenario calamiteit: 11 steps on policy universeel" in out


MALFORMED = {
    "yaml-syntax": (
        "phases:\n  fase1: {order: 1, title: [Het gewone leven}\n",
        6,
        "",
        "YAML syntax error",
    ),
    "unknown-party": (
        "transitions:\n  opschalen-3-4:\n    deciders: [ambtenaar-ovv]\n",
        7,
        "transitions.opschalen-3-4.deciders[0]",
        "unknown party 'ambtenaar-ovv'",
    ),
    "unknown-phase": (
        "transitions:\n  afschalen-4-3:\n    to: fase5\n",
        7,
        "transitions.afschalen-4-3.to",
        "transition to unknown phase 'fase5'",
    ),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_validate_names_file_line_and_path_of_a_malformed_card(tmp_path: Path, case: str) -> None:
    body, line, path, message = MALFORMED[case]
    card = local_card(tmp_path, body)
    code, out, err = invoke("validate", card)
    assert code == 1
    assert f"INVALID {card}" in out
    assert f"{card}:{line} {path}".rstrip() in out
    assert message in out
    assert "Traceback" not in out + err


def test_validate_names_the_extends_line_that_closes_a_cycle(tmp_path: Path) -> None:
    first, second = tmp_path / "a.yaml", tmp_path / "b.yaml"
    first.write_text("regiekaart: 1\nid: a\ntitle: A\nextends: b\n", encoding="utf-8")
    second.write_text("regiekaart: 1\nid: b\ntitle: B\nextends: a.yaml\n", encoding="utf-8")
    code, out, err = invoke("validate", first)
    assert code == 1
    assert f"{second}:4 extends: cycle in extends: {first} → {second} → {first}" in out
    assert "Traceback" not in out + err


def test_validate_reports_every_file_and_fails_if_one_is_invalid(tmp_path: Path) -> None:
    missing = tmp_path / "bestaat-niet.yaml"
    code, out, _ = invoke("validate", UNIVERSEEL, missing)
    assert code == 2  # a file that cannot be read at all is bad input, not an invalid card
    assert f"OK {UNIVERSEEL}" in out
    assert f"INVALID {missing}" in out
    assert f"{missing}: file not found" in out


def test_validate_checks_a_scenario_against_its_policy(tmp_path: Path) -> None:
    story = tmp_path / "verhaal.yaml"
    story.write_text(
        f"policy: {UNIVERSEEL}\ncase: c\nsteps:\n"
        "  - escalate: {actor: wijkteam, to: fase2}\n"
        "    expect: {roles: {casusregi: [wijkteam]}}\n",
        encoding="utf-8",
    )
    code, out, _ = invoke("validate", story)
    assert code == 1
    assert f"{story}:5 steps[0].expect.roles.casusregi: unknown role 'casusregi'" in out


# -- show ------------------------------------------------------------------------------------


def test_show_prints_the_card_roles_down_phases_across() -> None:
    code, out, err = invoke("show", UNIVERSEEL)
    assert code == 0, err
    titles = [
        "1. Het gewone leven",
        "2. Er zijn zorgen en er is hulp nodig",
        "3. Er is (ook) onveiligheid",
        "4. Er is/dreigt maatschappelijke onrust",
    ]
    header = next(line for line in out.splitlines() if titles[0] in line)
    positions = [header.index(title) for title in titles]
    assert positions == sorted(positions)  # phases across, in their order
    rows = [
        "Casusregie",
        "Procesregie",
        "Behandelregie",
        "Operationeel verantwoordelijk",
        "Bestuurlijk verantwoordelijk",
        "In overleg met",
    ]
    starts = [out.index(f"│ {row}") for row in rows]
    assert starts == sorted(starts)  # roles down, in the card's order
    for kader in ("Vrijwillig kader", "Gedwongen kader"):
        assert out.count(f"• {kader}") == 2  # fase 2 and fase 3
    assert "at once:" in out
    assert "Coördinatie op veiligheid" in out
    assert "Zorgcoördinatie" in out
    assert "Transitions" in out
    assert "fase4 → fase3" in out
    assert "Burgemeester" in out
    assert "gevaar-onder-controle" in out
    assert "Not allowed" in out


def test_show_of_a_malformed_card_is_a_message_and_exit_code_2(tmp_path: Path) -> None:
    card = local_card(tmp_path, "transitions:\n  afschalen-4-3:\n    to: fase5\n")
    code, out, err = invoke("show", card)
    assert code == 2
    assert out == ""
    assert f"{card}:7 transitions.afschalen-4-3.to: transition to unknown phase" in err
    assert "Traceback" not in err


def test_show_of_a_missing_file_is_exit_code_2(tmp_path: Path) -> None:
    code, _, err = invoke("show", tmp_path / "nergens.yaml")
    assert code == 2
    assert "file not found" in err


# -- schema ----------------------------------------------------------------------------------


def test_schema_prints_the_policy_and_the_scenario_schema() -> None:
    code, out, _ = invoke("schema")
    assert code == 0
    assert json.loads(out)["title"] == "regiekaart policy"
    code, out, _ = invoke("schema", "--scenario")
    assert code == 0
    assert json.loads(out)["title"] == "regiekaart scenario"


# -- run -------------------------------------------------------------------------------------


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda p: p.stem)
def test_every_example_scenario_passes(scenario: Path) -> None:
    code, out, err = invoke("run", UNIVERSEEL, scenario)
    assert code == 0, out + err
    assert f"{scenario}: passed" in out


def test_run_shows_refusals_with_rule_and_source() -> None:
    code, out, _ = invoke("run", ROOT / "examples" / "scenarios" / "calamiteit.yaml")
    assert code == 0
    assert "✗ PreconditionNotMet" in out
    assert "rule afschalen-4-3 (§2.3.4, Bijlage 2)" in out
    assert "procesregie: ambtenaar-oov, coordinator-pshi" in out


def test_a_wrong_expectation_fails_naming_the_step_and_the_difference(tmp_path: Path) -> None:
    original = ROOT / "examples" / "scenarios" / "ots-fase2.yaml"
    text = original.read_text(encoding="utf-8")
    wrong = text.replace(
        "      roles:\n        casusregie: [gecertificeerde-instelling]\n"
        "        bestuurlijk_verantwoordelijk",
        "      roles:\n        casusregie: [wijkteam]\n        bestuurlijk_verantwoordelijk",
    )
    assert wrong != text
    story = tmp_path / "ots-fout.yaml"
    story.write_text(wrong, encoding="utf-8")
    code, out, _ = invoke("run", UNIVERSEEL, story)
    assert code == 1
    summary = next(line for line in out.splitlines() if "failed:" in line)
    assert summary.startswith(f"{story}:")
    assert "step 5 (impose_measure) failed: " in summary
    assert "casusregie: expected wijkteam, got gecertificeerde-instelling" in summary


def test_run_json_is_machine_readable(tmp_path: Path) -> None:
    code, out, err = invoke("run", UNIVERSEEL, *SCENARIOS, "--json")
    assert code == 0, err
    document = json.loads(out)
    assert document["passed"] is True
    assert [s["scenario"] for s in document["scenarios"]] == [str(p) for p in SCENARIOS]
    calamity = next(s for s in document["scenarios"] if s["case"] == "calamiteit")
    assert [s["refused"] for s in calamity["steps"]].count("PreconditionNotMet") == 1
    assert calamity["steps"][0]["configuration"] == ["fase4", "fase4.veiligheid", "fase4.zorg"]


def test_run_json_of_a_failing_story_keeps_stdout_pure_json(tmp_path: Path) -> None:
    story = tmp_path / "fout.yaml"
    story.write_text(
        "case: c\nsteps:\n"
        "  - escalate: {actor: wijkteam, to: fase2, criteria: [hulpbehoefte]}\n"
        "    expect: {phase: fase3}\n",
        encoding="utf-8",
    )
    code, out, err = invoke("run", UNIVERSEEL, story, "--json")
    assert code == 1
    document = json.loads(out)
    assert document["passed"] is False
    assert document["scenarios"][0]["steps"][0]["failures"] == ["phase: expected fase3, got fase2"]
    assert f"{story}:3: step 1 (escalate) failed: phase: expected fase3, got fase2" in err


def test_a_malformed_scenario_is_bad_input(tmp_path: Path) -> None:
    story = tmp_path / "kapot.yaml"
    story.write_text(
        "case: c\nsteps:\n  - escalate: {actor: wijkteam, too: fase2}\n", encoding="utf-8"
    )
    code, out, err = invoke("run", UNIVERSEEL, story)
    assert code == 2
    assert f"{story}:3 steps[0].escalate: unknown key 'too'" in err
    assert "Traceback" not in out + err


def test_the_policy_argument_overrides_the_scenarios_own(tmp_path: Path) -> None:
    story = tmp_path / "verhaal.yaml"
    story.write_text(
        "policy: bestaat-niet.yaml\ncase: c\nsteps:\n  - signal: {actor: wijkteam}\n",
        encoding="utf-8",
    )
    code, _, err = invoke("run", story)
    assert code == 2
    assert "verhaal.yaml:1 policy: 'bestaat-niet.yaml': no such policy file" in err
    code, out, err = invoke("run", UNIVERSEEL, story)
    assert code == 0, err
    assert "policy universeel" in out


def test_library_logs_go_to_stderr_only_and_only_with_log() -> None:
    story = ROOT / "examples" / "scenarios" / "twee-casusregisseurs.yaml"
    code, out, err = invoke("run", story)
    assert code == 0
    assert "command.accepted" not in out + err
    code, out, err = invoke("--log", "run", story, "--json")
    assert code == 0
    json.loads(out)  # nothing but the report on stdout
    events = [json.loads(line) for line in err.splitlines()]
    assert {e["event"] for e in events} == {"command.accepted"}
    assert all(e["case"] == "twee-casusregisseurs" for e in events)
    assert len(events) == 7  # the opening and six steps


# -- the documented examples -------------------------------------------------------------------


def test_the_examples_in_the_format_documentation_validate_and_play(tmp_path: Path) -> None:
    """The card, the local card and the story of docs/policy-format.md are real files."""
    text = (ROOT / "docs" / "policy-format.md").read_text(encoding="utf-8")
    files = re.findall(r"```yaml\n(# file: (\S+)\n.*?)```", text, re.S)
    assert {name for _, name in files} >= {"kaart.yaml", "lokaal.yaml", "verhaal.yaml"}
    for body, name in files:
        (tmp_path / name).write_text(body, encoding="utf-8")
    code, out, _ = invoke("validate", *(tmp_path / name for _, name in files))
    assert code == 0, out
    assert "policy lokaal: 3 phases, 5 transitions, 9 parties, extends kaart" in out
    for policy in ("kaart.yaml", "lokaal.yaml"):
        code, out, err = invoke("run", tmp_path / policy, tmp_path / "verhaal.yaml")
        assert code == 0, out + err
        assert "verhaal.yaml: passed (7 steps)" in out


# -- criteria expressions ---------------------------------------------------------------------


def _criteria_card(tmp_path: Path, name: str, version: int, criteria: str) -> Path:
    path = tmp_path / name
    path.write_text(
        f"regiekaart: {version}\nextends: {UNIVERSEEL}\nid: lokaal\ntitle: Lokaal\n"
        f"transitions:\n  afschalen-3-2:\n{criteria}",
        encoding="utf-8",
    )
    return path


ALL_V1 = (
    "    criteria: [hulp-effectief, stagnatie-opgeheven, veiligheid-hersteld]\n"
    "    criteria_mode: all\n"
)
ALL_V2 = "    criteria: {all: [hulp-effectief, stagnatie-opgeheven, veiligheid-hersteld]}\n"


def test_show_says_the_expression_and_the_optional_criteria(tmp_path: Path) -> None:
    card = _criteria_card(
        tmp_path,
        "lokaal.yaml",
        2,
        "    criteria:\n      all: [hulp-effectief, veiligheid-hersteld]\n"
        "      optional: [onrust-weg]\n",
    )
    result = runner.invoke(app, ["show", str(card)])
    assert result.exit_code == 0, result.output
    assert "all of: hulp-effectief, veiligheid-hersteld; optional: onrust-weg" in result.stdout


def test_criteria_mode_in_a_current_card_is_refused_at_its_line(tmp_path: Path) -> None:
    card = _criteria_card(tmp_path, "lokaal.yaml", 2, ALL_V1)
    result = runner.invoke(app, ["validate", str(card)])
    assert result.exit_code != 0
    said = result.stdout + result.stderr
    assert f"{card}:8" in said
    assert "write criteria: {all: [...]} and leave out criteria_mode" in said


@pytest.mark.slow
def test_a_version_1_all_and_its_version_2_expression_are_the_same_card(tmp_path: Path) -> None:
    older = _criteria_card(tmp_path, "oud.yaml", 1, ALL_V1)
    newer = _criteria_card(tmp_path, "nieuw.yaml", 2, ALL_V2)
    result = runner.invoke(
        app,
        ["diff", str(older), str(newer), "--max-states", "60", "--json", "--fail-on-change"],
    )
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert (document["card"], document["behaviour"], document["invariants"]) == ([], [], [])


# -- the installed console script --------------------------------------------------------------


def script(*args: str | Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "FORCE_COLOR"} | {
        "NO_COLOR": "1",
        "COLUMNS": "200",
    }
    return subprocess.run(
        [str(SCRIPT), *map(str, args)],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=300,
        check=False,
    )


def test_the_console_script_validates_and_runs() -> None:
    assert SCRIPT.exists(), f"the package is not installed in {sys.prefix}"
    done = script("validate", "machines/universeel.yaml")
    assert done.returncode == 0, done.stderr
    assert "OK machines/universeel.yaml" in done.stdout
    done = script("run", "examples/scenarios/calamiteit.yaml", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["passed"] is True
    assert done.stderr == ""


def test_the_console_script_reports_bad_input_without_a_traceback(tmp_path: Path) -> None:
    card = local_card(
        tmp_path, "phases:\n  fase1:\n    roles:\n      in_overleg_met: {holders: [buurman]}\n"
    )
    done = script("show", card)
    assert done.returncode == 2
    assert done.stdout == ""
    assert f"{card}:8 phases.fase1.roles.in_overleg_met.holders[0]: unknown party 'buurman'" in (
        done.stderr
    )
    assert "Traceback" not in done.stderr


WEST_BRABANT_STORIES = sorted((ROOT / "examples" / "scenarios" / "west-brabant").glob("*.yaml"))


@pytest.mark.parametrize("scenario", WEST_BRABANT_STORIES, ids=lambda p: p.stem)
def test_west_brabants_own_stories_pass_on_its_card(scenario: Path) -> None:
    """The stories under examples/scenarios/west-brabant/ name West-Brabant's card, with
    the Zorg- en Veiligheidshuis of the werkgebied where the universal card has one
    Veiligheidshuis, and hold on it."""
    assert "machines/west-brabant.yaml" in scenario.read_text("utf-8")
    code, out, err = invoke("run", scenario, "--json")
    assert code == 0, err + out
    (story,) = json.loads(out)["scenarios"]
    assert (story["policy"]["id"], story["passed"]) == ("west-brabant", True)


def test_there_are_west_brabant_stories_for_both_werkgebieden() -> None:
    text = "".join(p.read_text("utf-8") for p in WEST_BRABANT_STORIES)
    assert len(WEST_BRABANT_STORIES) >= 3
    assert "zvh-baronie" in text
    assert "zvh-markiezaten" in text


def test_show_and_case_send_speak_of_the_regiegroep(tmp_path: Path) -> None:
    """The regiegroep of docs/policy-format.md validates, and show gives "2–3 houders" and
    the chair in the card's words."""
    text = (ROOT / "docs" / "policy-format.md").read_text(encoding="utf-8")
    for name in ("file: kaart.yaml", "card: regiegroep.yaml"):
        found = re.search(r"```yaml\n(# " + re.escape(name) + r"\n.*?)```", text, re.S)
        assert found
        (tmp_path / name.split(": ")[1]).write_text(found.group(1), encoding="utf-8")
    card = tmp_path / "regiegroep.yaml"
    code, out, _ = invoke("validate", card)
    assert code == 0, out
    code, out, _ = invoke("show", card)
    assert code == 0
    flat = " ".join(out.split())
    assert "2–3 houders" in flat
    assert "voorzitter:" in flat


def test_a_command_run_in_a_hosts_process_leaves_its_logging_as_it_was() -> None:
    """The command sets up logging for itself (events dropped, or JSON on stderr with
    --log) and puts the host's set-up back when it is done."""
    import structlog

    mine: list[Any] = [structlog.processors.KeyValueRenderer()]
    structlog.configure(processors=mine)
    try:
        for args in (("validate", UNIVERSEEL), ("--log", "validate", UNIVERSEEL)):
            code, _, _ = invoke(*args)
            assert code == 0
            assert structlog.get_config()["processors"] is mine
    finally:
        structlog.reset_defaults()
