"""Household partitions on a real Dask LocalCluster give the single-process result."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from conftest import SCENARIO
from regiekaart.cli import app
from regiekaart.simulate.attempts import load_population
from regiekaart.simulate.kernel import simulate_range
from regiekaart.simulate.model import compile_model
from regiekaart.simulate.run import simulate
from regiekaart.simulate.scale import simulate_on_cluster

distributed = pytest.importorskip("distributed")
runner = CliRunner(env={"COLUMNS": "200", "NO_COLOR": "1", "TERM": "dumb"})


@pytest.mark.slow
def test_two_workers_give_identical_results() -> None:
    scenario = load_population(SCENARIO)
    model = compile_model(scenario)
    alone = simulate_range(model, 0, 5000, replication=1, weeks=20)
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        spread = simulate_on_cluster(client, model, 5000, replication=1, weeks=20, partitions=7)
        assert len(client.scheduler_info()["workers"]) == 2
        result = simulate(scenario, households=3000, weeks=10, replications=2, client=client)
        args = ["simulate", str(SCENARIO), "--households", "800", "--weeks", "6", "--json"]
        on_cluster = runner.invoke(app, [*args, "--scheduler", cluster.scheduler_address])
    alone_cli = runner.invoke(app, args)
    assert on_cluster.exit_code == 0, on_cluster.output
    assert json.loads(on_cluster.output)["results"] == json.loads(alone_cli.output)["results"]
    for name in ("occupancy", "edges", "weeks_in_phase", "ever", "kind"):
        assert np.array_equal(getattr(alone, name), getattr(spread, name)), name
    assert (
        result.headlines == simulate(scenario, households=3000, weeks=10, replications=2).headlines
    )
