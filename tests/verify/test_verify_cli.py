"""``regiekaart verify`` and ``regiekaart diff`` through the real command line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import attrs
import pytest
from typer.testing import CliRunner

from regiekaart import load_policy
from regiekaart.analysis.enumeration import Scope
from regiekaart.analysis.invariants import Invariant
from regiekaart.cli import app
from regiekaart.runtime.commands import Escalate
from regiekaart.verify import explore
from regiekaart.verify._walker import _check_authority
from regiekaart.verify.exhaustive import start_case
from regiekaart.verify.findings import AUTHORITY, RULES_FIRE
from regiekaart.verify.report import load_invariants

ROOT = Path(__file__).resolve().parents[2]
MACHINES = ROOT / "machines"
CHANGES = ROOT / "examples" / "policy-changes"
WEST_BRABANT = str(MACHINES / "west-brabant.yaml")

runner = CliRunner()


def test_verify_violation_exits_1_with_json_and_a_scenario_file(tmp_path: Path) -> None:
    result = runner.invoke(
        app,
        [
            "verify",
            str(CHANGES / "client-casusregie-fase3.yaml"),
            "--max-states",
            "150",
            "--examples",
            "0",
            "--json",
            "--out",
            str(tmp_path),
        ],
    )
    assert result.exit_code == 1, result.output
    document = json.loads(result.stdout)
    assert document["passed"] is False
    assert document["exploration"]["bound_hit"] is True
    rows = {row["check"]: row for row in document["checks"]}
    assert rows["casusregisseur-professional"]["status"] == "violated"
    assert rows["warme-overdracht"]["status"] == "not proven"
    written = Path(rows["casusregisseur-professional"]["file"])
    assert written.parent == tmp_path
    # The story names the card outside its own folder: the card's folder must be trusted.
    refused = runner.invoke(app, ["run", str(written)])
    assert refused.exit_code == 2, refused.output
    replay = runner.invoke(app, ["run", "--path", str(CHANGES), str(written)])
    assert replay.exit_code == 0, replay.output
    assert "passed" in replay.output


@pytest.mark.slow
def test_verify_bound_is_not_proven_unless_allowed() -> None:
    args = ["verify", WEST_BRABANT, "--max-states", "60", "--examples", "2"]
    bounded = runner.invoke(app, args)
    assert bounded.exit_code == 1, bounded.output
    assert "Bound hit" in bounded.output
    assert "not proven" in bounded.output
    assert "NOT VERIFIED" in bounded.output
    allowed = runner.invoke(app, [*args, "--allow-bound"])
    assert allowed.exit_code == 0, allowed.output


def test_verify_host_invariants_from_a_module_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(ROOT / "examples"))
    args = ["verify", WEST_BRABANT, "--max-states", "60", "--examples", "0", "--json"]
    result = runner.invoke(app, [*args, "--invariants", "host_invariants:INVARIANTS"])
    assert result.exit_code == 1  # the bound, not a violation
    checks = {row["check"]: row["status"] for row in json.loads(result.stdout)["checks"]}
    assert checks["burgemeester-bestuurlijk-in-fase4"] == "not proven"
    assert checks["procesregie-professioneel"] == "not proven"


def test_verify_loads_host_invariants_from_an_installed_entry_point(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A host package that declares ``[project.entry-points."regiekaart.invariants"]`` is
    found by its installed metadata, with no flag on the command line."""
    info = tmp_path / "onze_gemeente-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: onze-gemeente\nVersion: 1.0\n", encoding="utf-8"
    )
    (info / "entry_points.txt").write_text(
        "[regiekaart.invariants]\nonze-gemeente = host_invariants:INVARIANTS\n", encoding="utf-8"
    )
    monkeypatch.syspath_prepend(str(ROOT / "examples"))
    monkeypatch.syspath_prepend(str(tmp_path))
    args = ["verify", WEST_BRABANT, "--max-states", "60", "--examples", "0", "--json"]
    result = runner.invoke(app, args)
    checks = {row["check"]: row["status"] for row in json.loads(result.stdout)["checks"]}
    assert checks["burgemeester-bestuurlijk-in-fase4"] == "not proven"
    assert checks["procesregie-professioneel"] == "not proven"


def test_host_invariant_that_fails_is_reported_with_its_story() -> None:
    wrong = Invariant(
        id="casusregie-bij-de-rechter",
        title="Casusregie ligt in fase 2 bij de rechter (opzettelijk fout)",
        source="test",
        checks=(("holder_kind", {"role": "casusregie", "kinds": ["court"], "in": ["fase2"]}),),
    )
    run = explore(load_policy(WEST_BRABANT), max_states=40, extra=[wrong])
    assert run.status("casusregie-bij-de-rechter") == "violated"
    assert len(run.findings_for("casusregie-bij-de-rechter")[0].trace) == 1


def test_bad_invariant_spec_is_bad_input() -> None:
    result = runner.invoke(
        app, ["verify", WEST_BRABANT, "--invariants", "no_such_module_here:X", "--examples", "0"]
    )
    assert result.exit_code == 2
    with pytest.raises(ValueError, match=r"package\.module:attribute"):
        load_invariants("missing-colon")
    with pytest.raises(ValueError, match=r"not regiekaart\.invariants\.Invariant"):
        load_invariants("json:__all__")


def test_bad_policy_is_bad_input(tmp_path: Path) -> None:
    broken = tmp_path / "kapot.yaml"
    broken.write_text("regiekaart: 1\nid: [\n", encoding="utf-8")
    result = runner.invoke(app, ["verify", str(broken)])
    assert result.exit_code == 2
    assert "kapot.yaml" in result.output


@pytest.mark.slow
def test_diff_json_names_the_changed_rule_and_the_broken_obligation() -> None:
    result = runner.invoke(
        app,
        [
            "diff",
            WEST_BRABANT,
            str(CHANGES / "afschalen-zonder-plan.yaml"),
            "--max-states",
            "150",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert [(c["kind"], c["where"]) for c in document["card"]] == [("transition", "afschalen-4-3")]
    assert document["card"][0]["old"]["requires"] == ["fase3-plan"]
    assert document["card"][0]["new"]["requires"] == []
    broken = {i["check"]: i for i in document["invariants"]}
    assert "geen-afschalen-fase1-geen-opschalen-fase4" in broken
    assert broken["geen-afschalen-fase1-geen-opschalen-fase4"]["trace"]
    gained = [b for b in document["behaviour"] if b["accepted_by"] == "new"]
    assert gained
    assert all(b["rule"] == "afschalen-4-3" for b in gained)
    assert all("PreconditionNotMet" in b["refusal"] for b in gained)


@pytest.mark.slow
def test_diff_terminal_report() -> None:
    result = runner.invoke(
        app,
        ["diff", WEST_BRABANT, str(CHANGES / "zonder-afschalen-3-2.yaml"), "--max-states", "80"],
    )
    assert result.exit_code == 0, result.output
    assert "afschalen-3-2" in result.output
    assert "removed" in result.output
    assert "accepted by OLD, refused by NEW" in result.output


@pytest.mark.slow
def test_diff_fails_on_change_only_when_asked_and_only_on_a_change() -> None:
    changed = ["diff", WEST_BRABANT, str(CHANGES / "zonder-afschalen-3-2.yaml")]
    bound = ["--max-states", "80"]
    assert runner.invoke(app, [*changed, *bound]).exit_code == 0
    failed = runner.invoke(app, [*changed, *bound, "--fail-on-change", "--json"])
    assert failed.exit_code == 1, failed.output
    assert json.loads(failed.stdout)["behaviour"], "the report is printed before the exit"
    same = runner.invoke(app, ["diff", WEST_BRABANT, WEST_BRABANT, *bound, "--fail-on-change"])
    assert same.exit_code == 0, same.output


def _in_one_process_and_in_two(*args: str, exit_code: int) -> tuple[Any, Any]:
    """The JSON documents of a command run with ``--workers 1`` and ``--workers 2``."""
    runs = [runner.invoke(app, [*args, "--json", "--workers", n]) for n in ("1", "2")]
    assert [r.exit_code for r in runs] == [exit_code, exit_code]
    return json.loads(runs[0].stdout), json.loads(runs[1].stdout)


@pytest.mark.slow
def test_verify_runs_the_same_in_one_process_and_in_two() -> None:
    policy = str(CHANGES / "client-casusregie-fase3.yaml")
    first, second = _in_one_process_and_in_two(
        "verify", policy, "--max-states", "150", "--examples", "0", exit_code=1
    )
    for document in (first, second):
        for timing in ("seconds", "situations_per_second", "workers"):
            document["exploration"].pop(timing, None)
    assert first == second


@pytest.mark.slow
def test_diff_runs_the_same_in_one_process_and_in_two() -> None:
    new = str(CHANGES / "afschalen-zonder-plan.yaml")
    first, second = _in_one_process_and_in_two(
        "diff", WEST_BRABANT, new, "--max-states", "120", exit_code=0
    )
    assert first["behaviour"], "the change lets afschalen 4→3 happen without the plan"
    assert first == second


def test_every_dominance_names_each_option_and_says_so_in_the_json() -> None:
    args = ["verify", WEST_BRABANT, "--max-states", "40", "--examples", "0", "--json"]
    default, every = (
        json.loads(runner.invoke(app, [*args, *extra]).stdout)["exploration"]
        for extra in ([], ["--every-dominance"])
    )
    assert default["scope"]["dominance"] == "representatives"
    assert every["scope"]["dominance"] == "all"
    assert every["commands_tried"] > default["commands_tried"]


def test_dead_rule_is_reported_on_a_complete_run() -> None:
    # Without household members no measure can be imposed, so the gedwongen sub-states
    # are unreachable: the run is complete and says so.
    run = explore(
        load_policy(WEST_BRABANT), scope=Scope(refusals=False, holders="none"), household=()
    )
    assert not run.bound_hit
    unreachable = {f.subject for f in run.findings if f.kind == "unreachable"}
    assert unreachable == {"fase2.gedwongen", "fase3.gedwongen"}
    assert run.status(RULES_FIRE) == "holds"


def test_authority_check_reads_the_deciders_not_the_runtime() -> None:
    """An event the runtime would never accept (a client escalating) is caught by the
    verifier's own check, which reads only the rule's deciders."""
    policy = load_policy(WEST_BRABANT)
    case = start_case(policy)
    accepted = case.apply(Escalate(actor="wijkteam", to="fase2", criteria=("hulpbehoefte",)))
    forged = attrs.evolve(accepted, command=attrs.evolve(accepted.command, actor="client"))
    found = _check_authority(policy, dict(case.roles), forged, case, set())
    assert found is not None
    assert found.check == AUTHORITY
    assert "client" in found.detail
    assert _check_authority(policy, dict(case.roles), accepted, case, set()) is None


@pytest.mark.slow
def test_host_example_file_passes() -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "host_test_example.py"],
        cwd=ROOT / "examples",
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "1 passed" in completed.stdout
