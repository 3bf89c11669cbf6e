"""`benchmarks/same_results.py`: a value that became undefined (NaN) is a difference."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pandas as pd

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "same_results.py"


def _same_results():
    spec = importlib.util.spec_from_file_location("same_results", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_number_turned_nan_is_reported_and_a_shared_nan_is_not():
    compare_frames = _same_results().compare_frames
    old = pd.DataFrame({"rate": [0.0, 0.5, np.nan], "count": [1.0, 2.0, 3.0]})
    new = pd.DataFrame({"rate": [np.nan, 0.5, np.nan], "count": [1.0, 2.0, 3.0]})
    assert compare_frames("timeseries", old, new) == [
        "timeseries.rate: 1 cells differ (1 of them NaN on one side only)"
    ]
    assert compare_frames("timeseries", old, old.copy()) == []


def test_an_infinite_value_against_a_number_is_counted_as_a_difference():
    # A bank's capital ratio without risk assets is infinite: inf against a number (inf / inf
    # as its relative difference) was counted as no cell, '0 cells differ'.
    compare_frames = _same_results().compare_frames
    old = pd.DataFrame({"ratio": [0.1, np.inf, np.inf]})
    new = pd.DataFrame({"ratio": [0.1, 0.2, -np.inf]})
    assert compare_frames("timeseries", old, new) == [
        "timeseries.ratio: 2 cells differ, max relative difference inf"
    ]
    assert compare_frames("timeseries", old, old.copy()) == []
