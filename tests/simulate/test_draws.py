"""Random numbers and kernel results do not depend on how households are split."""

from __future__ import annotations

import itertools

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import SCENARIO
from regiekaart.simulate import draws
from regiekaart.simulate.attempts import load_population
from regiekaart.simulate.kernel import simulate_range
from regiekaart.simulate.model import compile_model


@settings(max_examples=25, derandomize=True, deadline=None)
@given(
    cuts=st.lists(st.integers(min_value=1, max_value=999), max_size=12),
    week=st.integers(min_value=0, max_value=520),
    seed=st.integers(min_value=0, max_value=2**63),
)
def test_any_split_of_households_draws_the_same_uniforms(
    cuts: list[int], week: int, seed: int
) -> None:
    whole = draws.uniforms(seed, 0, week, draws.WEEKLY, 0, 1000)
    bounds = [0, *sorted(set(cuts)), 1000]
    parts = [
        draws.uniforms(seed, 0, week, draws.WEEKLY, a, b) for a, b in itertools.pairwise(bounds)
    ]
    assert np.array_equal(np.concatenate(parts), whole)
    assert whole.min() >= 0.0
    assert whole.max() < 1.0


def test_weeks_decisions_replications_and_seeds_draw_different_streams() -> None:
    base = draws.uniforms(1, 0, 0, draws.WEEKLY, 0, 64)
    for other in (
        draws.uniforms(2, 0, 0, draws.WEEKLY, 0, 64),
        draws.uniforms(1, 1, 0, draws.WEEKLY, 0, 64),
        draws.uniforms(1, 0, 1, draws.WEEKLY, 0, 64),
        draws.uniforms(1, 0, 0, draws.START, 0, 64),
    ):
        assert not np.array_equal(base, other)


def test_the_last_cumulative_column_is_one_and_picks_stay_in_the_table() -> None:
    row = draws.cumulative([0.1, 0.2, 0.3], 5)
    assert row.tolist()[-1] == 1.0
    assert len(row) == 6
    assert draws.pick(0.0, row) == 0
    assert draws.pick(0.1, row) == 1
    assert draws.pick(0.999999999, row) == 3  # past the table: "nothing"
    full = draws.cumulative([0.1, 0.2, 0.7], 5)
    assert draws.pick(0.999999999, full) == 2  # chances adding up to one: always an attempt
    assert draws.pick(0.05, draws.cumulative([], 5)) == 0


def test_kernel_results_are_identical_for_any_block_size() -> None:
    model = compile_model(load_population(SCENARIO))
    whole = simulate_range(model, 0, 3000, weeks=20, trajectory=True)
    split = simulate_range(model, 0, 3000, weeks=20, trajectory=True, block=457)
    assert np.array_equal(whole.trajectory, split.trajectory)
    assert np.array_equal(whole.edges, split.edges)
    assert np.array_equal(whole.occupancy, split.occupancy)
    assert np.array_equal(whole.weeks_in_phase, split.weeks_in_phase)
    tail = simulate_range(model, 1000, 3000, weeks=20, trajectory=True)
    assert np.array_equal(whole.trajectory[:, 1000:], tail.trajectory)
