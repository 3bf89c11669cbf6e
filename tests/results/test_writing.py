"""Writing results to a directory and reading them back; provenance."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from autofin.results.provenance import PROVENANCE_KEYS, provenance
from autofin.results.result import Result
from autofin.results.writing import RESULT_FILES, read_results, write_results
from autofin.scenario.loading import load_scenario_dict, scenario_hash
from conftest import TINY_SETTINGS

SCENARIO = TINY_SETTINGS


@pytest.fixture
def result() -> Result:
    scenario = load_scenario_dict(SCENARIO)
    steps = np.arange(scenario.steps)
    timeseries = pd.DataFrame(
        {
            "step": steps,
            "day": (steps + 1) * scenario.step_days,
            "supplier_default_rate": np.linspace(0.0, 0.05, scenario.steps),
            "supplier_defaults": np.arange(scenario.steps) % 3,
            "automaker_cash": np.full(scenario.steps, 1.25e9),
        }
    )
    flows = pd.DataFrame(
        {
            "step": [0, 0, 1],
            "source": ["automakers", "suppliers_tier1", "banks"],
            "target": ["suppliers_tier1", "suppliers_tier2", "suppliers_tier2"],
            "flow": ["trade_payment", "trade_payment", "loan"],
            "amount": [1.5e6, 2.0e5, 3.3e4],
        }
    )
    events = pd.DataFrame(
        {
            "step": [3, 4],
            "day": [28, 35],
            "agent_type": ["supplier", "supplier"],
            "agent_id": [12, 7],
            "event": ["default", "default"],
            "cause_id": pd.array([None, 12], dtype="Int64"),
        }
    )
    summary = {
        "supplier_defaults": np.int64(2),
        "mean_supplier_default_rate": np.float64(0.025),
        "by_tier": {"tier1": 0.01, "tier2": 0.04},
        **provenance(scenario, 0.5),
    }
    return Result(scenario, timeseries, flows, events, summary)


def test_write_results_writes_the_six_files(tmp_path, result):
    directory = write_results(result, tmp_path / "out" / "tiny")
    assert directory == tmp_path / "out" / "tiny"
    assert sorted(path.name for path in directory.iterdir()) == sorted(RESULT_FILES)
    assert set(RESULT_FILES) == {
        "timeseries.parquet",
        "timeseries.csv",
        "flows.parquet",
        "events.parquet",
        "summary.json",
        "scenario.resolved.yaml",
    }


def test_results_round_trip(tmp_path, result):
    again = read_results(write_results(result, tmp_path))
    assert again.scenario == result.scenario
    pd.testing.assert_frame_equal(again.timeseries, result.timeseries)
    pd.testing.assert_frame_equal(again.flows, result.flows)
    pd.testing.assert_frame_equal(again.events, result.events)
    assert again.summary == json.loads(json.dumps(again.summary))
    assert again.summary["supplier_defaults"] == 2
    assert again.summary["by_tier"] == {"tier1": 0.01, "tier2": 0.04}
    assert again.summary["scenario_sha256"] == scenario_hash(result.scenario)


def test_the_csv_holds_the_same_time_series(tmp_path, result):
    write_results(result, tmp_path)
    csv = pd.read_csv(tmp_path / "timeseries.csv")
    pd.testing.assert_frame_equal(csv, result.timeseries, check_dtype=False)


def test_summary_json_is_pretty_standard_json(tmp_path, result):
    result.summary["undefined_ratio"] = float("nan")
    write_results(result, tmp_path)
    text = (tmp_path / "summary.json").read_text(encoding="utf-8")
    assert text.startswith("{\n  ")
    assert "NaN" not in text
    summary = json.loads(text)
    assert summary["undefined_ratio"] is None
    assert summary["mean_supplier_default_rate"] == 0.025


def test_the_resolved_scenario_re_loads_with_the_recorded_hash(tmp_path, result):
    write_results(result, tmp_path)
    assert read_results(tmp_path).summary["scenario_sha256"] == scenario_hash(
        read_results(tmp_path).scenario
    )


def test_writing_again_replaces_the_files_and_leaves_no_temporary_files(tmp_path, result):
    write_results(result, tmp_path)
    result.summary["supplier_defaults"] = 5
    write_results(result, tmp_path)
    assert sorted(path.name for path in tmp_path.iterdir()) == sorted(RESULT_FILES)
    assert read_results(tmp_path).summary["supplier_defaults"] == 5


def test_a_crash_while_writing_keeps_the_previous_file_whole(tmp_path, result, monkeypatch):
    write_results(result, tmp_path)
    before = (tmp_path / "timeseries.parquet").read_bytes()

    def crash(self: pd.DataFrame, path: Path, **kwargs: object) -> None:
        Path(path).write_bytes(b"PAR1 half a file")
        raise OSError("disk full")

    monkeypatch.setattr(pd.DataFrame, "to_parquet", crash)
    with pytest.raises(OSError, match="disk full"):
        write_results(result, tmp_path)
    assert (tmp_path / "timeseries.parquet").read_bytes() == before
    assert sorted(path.name for path in tmp_path.iterdir()) == sorted(RESULT_FILES)


def test_reading_an_incomplete_directory_names_the_missing_files(tmp_path, result):
    write_results(result, tmp_path)
    (tmp_path / "events.parquet").unlink()
    with pytest.raises(FileNotFoundError, match=r"missing: events\.parquet"):
        read_results(tmp_path)


def test_provenance_identifies_the_run(result):
    record = provenance(result.scenario, 1.234)
    assert tuple(record) == PROVENANCE_KEYS
    assert record["scenario_name"] == "tiny"
    assert record["scenario_sha256"] == scenario_hash(result.scenario)
    assert record["seed"] == result.scenario.seed
    assert record["wall_time_s"] == pytest.approx(1.234)
    assert record["numpy_version"] == np.__version__
    for key in ("autofin_version", "mesa_version", "python_version"):
        assert record[key] not in ("", "unknown")
    stamp = datetime.fromisoformat(record["timestamp_utc"])
    assert stamp.utcoffset() == UTC.utcoffset(None)
    assert json.loads(json.dumps(record)) == record
