"""What a run reports: consistent counts, Parquet tables, a summary that reproduces the
run, intervals over replications, and the command line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from conftest import SCENARIO, VARIANT, write_scenario
from regiekaart import __version__
from regiekaart.cli import app
from regiekaart.simulate.attempts import load_population
from regiekaart.simulate.output import interval
from regiekaart.simulate.run import compare, simulate, write

runner = CliRunner(env={"COLUMNS": "200", "NO_COLOR": "1", "TERM": "dumb"})


def test_counts_add_up_and_the_files_reproduce_the_run(tmp_path: Path) -> None:
    scenario = load_population(SCENARIO)
    result = simulate(scenario, households=2000, weeks=12, replications=2)
    paths = write(result, tmp_path)
    table = pq.read_table(tmp_path / "phases.parquet").to_pydict()
    per_week: dict[tuple[int, int], int] = {}
    for rep, week, count in zip(
        table["replication"], table["week"], table["households"], strict=True
    ):
        per_week[(rep, week)] = per_week.get((rep, week), 0) + count
    assert set(per_week.values()) == {2000}
    assert len(per_week) == 2 * 13
    households = pq.read_table(tmp_path / "households.parquet").to_pydict()
    weeks = np.array([households[f"weeks_{p}"] for p in result.model.phases]).sum(axis=0)
    assert set(weeks.tolist()) == {12}
    assert households["ever_fase1"].count(True) > 0
    refusals = pq.read_table(tmp_path / "refusals.parquet").to_pydict()
    assert "afschalen-3-2" in refusals["rule"]  # the wijkteam is not authorised (§2.3.3)
    transitions = pq.read_table(tmp_path / "transitions.parquet").to_pydict()
    assert ("fase1", "fase2.vrijwillig") in set(
        zip(transitions["source"], transitions["target"], strict=False)
    )
    caseload = pq.read_table(tmp_path / "caseload.parquet").to_pydict()
    assert {"casusregie", "procesregie"} <= set(caseload["role"])
    summary = json.loads((tmp_path / "summary.json").read_text("utf-8"))
    assert summary["policy"]["digest"] == scenario.policy.digest
    assert summary["seed"] == scenario.seed
    assert summary["regiekaart"] == __version__
    assert summary["scenario"]["content"]["events"]["fase1"][0]["kind"] == "signal"
    assert len(paths) == 8
    tagged = pq.read_table(tmp_path / "tags.parquet").to_pydict()
    assert set(tagged) == {"replication", "week", "tag", "count"}
    assert "calamiteit" in tagged["tag"]  # §1.6: the calamity steps of the scenario
    totals = {
        tag: sum(c for t, c, r in zip(tagged["tag"], tagged["count"], tagged["replication"],
                                      strict=True) if t == tag and r == 0)
        for tag in set(tagged["tag"])
    }  # fmt: skip
    for tag, count in totals.items():
        assert result.headlines[0][f"steps tagged/{tag}"] == count
    again = simulate(scenario, households=2000, weeks=12, replications=2)
    assert again.headlines == result.headlines


def test_intervals_follow_students_t() -> None:
    assert interval([5.0]) == {"mean": 5.0, "low": 5.0, "high": 5.0}
    got = interval([1.0, 2.0, 3.0])
    assert got["mean"] == 2.0
    assert got["high"] - got["mean"] == pytest.approx(4.303 * 1.0 / 3**0.5)


def test_comparing_policies_uses_common_random_numbers(
    shipped: dict[str, Any], tmp_path: Path
) -> None:
    scenario = load_population(write_scenario(tmp_path, shipped))
    base = simulate(scenario, households=3000, weeks=20, replications=3)
    same = simulate(scenario, households=3000, weeks=20, replications=3)
    assert all(v == {"mean": 0.0, "low": 0.0, "high": 0.0} for v in compare(base, same).values())
    other = simulate(
        load_population(SCENARIO, policy=VARIANT), households=3000, weeks=20, replications=3
    )
    difference = compare(base, other)
    # the variant lets the wijkteam afschalen from fase 3: its refusals go, fase 3 shrinks
    assert difference["refusals/afschalen-3-2"]["high"] < 0
    assert difference["households at horizon/fase3"]["high"] < 0
    assert difference["mean weeks in/fase3"]["mean"] < 0


def test_the_command_line_writes_the_tables(tmp_path: Path) -> None:
    result = runner.invoke(
        app,
        ["simulate", str(SCENARIO), "--households", "500", "--weeks", "8",
         "--replications", "2", "--out", str(tmp_path / "run")],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "500 households × 8 weeks × 2 replications" in result.output
    assert (tmp_path / "run" / "households.parquet").exists()
    summary = json.loads((tmp_path / "run" / "summary.json").read_text("utf-8"))
    assert summary["households"] == 500
    assert summary["replications"] == 2


def test_the_command_line_compares_two_policies(tmp_path: Path) -> None:
    result = runner.invoke(
        app,
        ["simulate", str(SCENARIO), "--households", "500", "--weeks", "8", "--replications", "2",
         "--compare", str(VARIANT), "--out", str(tmp_path / "cmp"), "--json"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["compare"]["policy"]["id"] == "west-brabant-wijkteam-afschalen"
    assert "refusals/afschalen-3-2" in summary["compare"]["difference"]
    assert (tmp_path / "cmp" / "base" / "summary.json").exists()
    assert (tmp_path / "cmp" / "compare" / "phases.parquet").exists()


def test_a_bad_scenario_is_one_message_and_nothing_runs(
    shipped: dict[str, Any], tmp_path: Path
) -> None:
    shipped["events"]["fase2"][0]["by"] = "buurman"
    path = write_scenario(tmp_path, shipped)
    result = runner.invoke(app, ["simulate", str(path), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert "events.fase2[0].by: unknown party 'buurman'" in result.output
    assert str(path) in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "out").exists()


def test_the_progress_bar_appears_only_after_a_second() -> None:
    import io

    from rich.console import Console

    from regiekaart.cli.simulate import _LazyBar

    stream = io.StringIO()
    bar = _LazyBar(1000, Console(file=stream, force_terminal=True, width=120))
    bar(100)
    assert bar.progress is None  # a quick run prints nothing but its result
    bar.began -= 2.0  # as if the run had lasted two seconds
    bar(100)
    assert bar.progress is not None
    assert bar.progress.tasks[0].completed == 200
    bar.close()
    assert "household-weeks" in stream.getvalue()
