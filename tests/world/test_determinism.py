"""Same scenario and seed give identical results; another seed gives other results."""

from __future__ import annotations

import pandas as pd

from autofin.world.model import simulate
from conftest import small_scenario


def test_same_seed_gives_identical_results():
    first = simulate(small_scenario(seed=7))
    second = simulate(small_scenario(seed=7))
    pd.testing.assert_frame_equal(first.timeseries, second.timeseries)
    pd.testing.assert_frame_equal(first.flows, second.flows)
    pd.testing.assert_frame_equal(first.events, second.events)


def test_different_seed_gives_different_results():
    first = simulate(small_scenario(seed=7))
    second = simulate(small_scenario(seed=8))
    assert not first.timeseries.equals(second.timeseries)
