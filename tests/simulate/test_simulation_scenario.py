"""Population scenarios: the shipped one loads and says where every rate comes from; bad
ones are refused with file, line and path, before anything runs."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from conftest import SCENARIO
from regiekaart.errors import PolicyError
from regiekaart.simulate.attempts import load_population


def test_shipped_scenario_loads_and_expands_the_dominance_mix() -> None:
    scenario = load_population(SCENARIO)
    assert scenario.policy.id == "west-brabant"
    assert scenario.households == 100_000
    assert scenario.horizon_weeks == 52
    up = [a for a in scenario.events["fase2"] if a.kind == "opschalen" and a.to == "fase3"]
    assert {a.dominance for a in up} == {"huiselijk-geweld", "zorg", "veiligheid", "strafbaar-feit"}
    assert sum(a.p for a in up) == pytest.approx(0.002)
    veiligheid = [a for a in up if a.dominance == "veiligheid"]
    assert {a.holders["procesregie"] for a in veiligheid} == {
        ("zvh-baronie",),
        ("zvh-markiezaten",),
    }


def test_every_rate_of_the_shipped_scenario_names_its_origin() -> None:
    data = yaml.safe_load(SCENARIO.read_text("utf-8"))
    for name, kind in data["mix"].items():
        assert kind.get("source"), name
    for state, start in data["start"].items():
        assert start.get("source"), state
    assert data["under_measure"].get("source")
    for state, events in data["events"].items():
        for index, event in enumerate(events):
            assert event.get("source"), f"{state}[{index}]"
            for option, share in event.get("dominance", {}).items():
                assert share.get("source"), f"{state}[{index}].{option}"


def _problem(
    scenario_file: Callable[[dict[str, Any]], Path], data: dict[str, Any]
) -> tuple[Path, str]:
    path = scenario_file(data)
    with pytest.raises(PolicyError) as caught:
        load_population(path)
    return path, str(caught.value)


def _line_of(path: Path, needle: str) -> int:
    for number, line in enumerate(path.read_text("utf-8").splitlines(), start=1):
        if needle in line:
            return number
    raise AssertionError(needle)


def test_a_chance_above_one_names_file_line_and_path(
    shipped: dict[str, Any], scenario_file: Callable[[dict[str, Any]], Path]
) -> None:
    data = copy.deepcopy(shipped)
    data["events"]["fase3"][0]["p"] = 1.5
    path, message = _problem(scenario_file, data)
    assert f"{path}:" in message
    assert "events.fase3[0].p" in message
    assert "1.5 is greater than the maximum of 1" in message
    assert f"{path}:{_line_of(path, 'p: 1.5')}" in message


def test_chances_summing_above_one_for_a_state_are_refused(
    shipped: dict[str, Any], scenario_file: Callable[[dict[str, Any]], Path]
) -> None:
    data = copy.deepcopy(shipped)
    data["events"]["fase4"][0]["p"] = 0.9
    path, message = _problem(scenario_file, data)
    assert (
        f"{path}:{_line_of(path, 'fase4:')} events.fase4: the weekly chances add up to" in message
    )
    assert "more than 1" in message


def test_unknown_phase_party_and_dominance_are_all_reported(
    shipped: dict[str, Any], scenario_file: Callable[[dict[str, Any]], Path]
) -> None:
    data = copy.deepcopy(shipped)
    data["events"]["fase5"] = [{"kind": "close", "by": "wijkteam", "p": 0.1}]
    data["events"]["fase1"][1]["by"] = "buurman"
    data["events"]["fase2"][2]["dominance"]["geluk"] = 0.0
    path, message = _problem(scenario_file, data)
    assert "events.fase5: unknown phase or sub-state 'fase5'" in message
    assert "events.fase1[1].by: unknown party 'buurman'" in message
    assert "events.fase2[2].dominance.geluk: unknown dominance option 'geluk'" in message
    assert f"{path}:{_line_of(path, 'buurman')} " in message


def test_shares_must_add_up_to_one(
    shipped: dict[str, Any], scenario_file: Callable[[dict[str, Any]], Path]
) -> None:
    data = copy.deepcopy(shipped)
    data["start"]["fase1"]["share"] = 0.5
    _, message = _problem(scenario_file, data)
    assert "start: the starting shares add up to 0.7, not 1" in message


def test_a_policy_that_does_not_load_is_a_scenario_error(
    shipped: dict[str, Any], scenario_file: Callable[[dict[str, Any]], Path], tmp_path: Path
) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("regiekaart: 1\nid: [unclosed\n", "utf-8")
    data = copy.deepcopy(shipped)
    data["policy"] = str(broken)
    path, message = _problem(scenario_file, data)
    assert message.startswith(f"{path}:{_line_of(path, 'policy:')} policy: the policy")
    assert "does not load" in message
    assert "YAML syntax error" in message


def test_an_unknown_key_lists_the_allowed_ones(
    shipped: dict[str, Any], scenario_file: Callable[[dict[str, Any]], Path]
) -> None:
    data = copy.deepcopy(shipped)
    data["events"]["fase1"][0]["chance"] = 0.1
    _, message = _problem(scenario_file, data)
    assert "events.fase1[0]" in message
    assert "'chance' was unexpected" in message
