"""Comparing finished runs: `compare_runs`, its CSV, and the `autofin compare` command."""

from __future__ import annotations

import fnmatch
import json
import math
import shutil
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from autofin.cli import app
from autofin.results.compare import (
    DEFAULT_METRICS,
    CompareError,
    compare_runs,
    summary_figures,
    write_comparison_csv,
)
from autofin.results.provenance import PROVENANCE_KEYS
from autofin.results.writing import write_results
from autofin.scenario.loading import load_scenario_dict
from autofin.world.model import simulate
from conftest import TINY_SETTINGS

TINY = TINY_SETTINGS
DEEP = {
    **TINY,
    "name": "deep",
    "network": {"tiers": [2, 3, 3]},
    "suppliers": {"payment_term_days": [60, 30, 30]},
}


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> list[Path]:
    """Three finished runs: `tiny` with seeds 1 and 2 (same name), and a three-tier `deep`."""
    root = tmp_path_factory.mktemp("runs")
    directories = []
    for folder, data in (
        ("seed1", {**TINY, "seed": 1}),
        ("seed2", {**TINY, "seed": 2}),
        ("deep", DEEP),
    ):
        directories.append(write_results(simulate(load_scenario_dict(data)), root / folder))
    return directories


def timeseries(directory: Path) -> pd.DataFrame:
    return pd.read_parquet(directory / "timeseries.parquet")


def summary(directory: Path) -> dict:
    return json.loads((directory / "summary.json").read_text())


def same(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or a == pytest.approx(b, rel=1e-12, abs=0)


def test_one_column_per_run_labelled_by_scenario_name_and_directory_when_repeated(runs):
    table = compare_runs(runs)
    assert list(table.columns) == ["tiny (seed1)", "tiny (seed2)", "deep"]
    assert table.index.name == "figure"
    assert all(dtype == "float64" for dtype in table.dtypes)


def test_same_name_and_same_folder_name_fall_back_to_the_path(runs, tmp_path):
    copy = tmp_path / "seed1"
    shutil.copytree(runs[0], copy)
    table = compare_runs([runs[0], copy, runs[0]])
    assert list(table.columns) == [f"tiny ({runs[0]})", f"tiny ({copy})", f"tiny ({runs[0]}) #2"]


def test_default_rows_are_mean_and_final_of_the_headline_metrics_then_the_summary(runs):
    table = compare_runs(runs)
    columns = list(timeseries(runs[0]).columns)
    present = [
        column
        for name in DEFAULT_METRICS
        for column in (fnmatch.filter(columns, name) if "*" in name else [name])
        if column in columns
    ]
    assert {"supplier_default_rate", "bank_npl_ratio", "sales_units"} <= set(present)
    metric_rows = [f"{name} ({kind})" for name in present for kind in ("mean", "final")]
    assert list(table.index[: len(metric_rows)]) == metric_rows
    summary_rows = list(table.index[len(metric_rows) :])
    assert all(row.endswith(" (summary)") for row in summary_rows)
    keys = [row.removesuffix(" (summary)") for row in summary_rows]
    assert "supplier_defaults_tier3" in keys  # only the deep run has a third tier
    assert not set(keys) & set(PROVENANCE_KEYS)


def test_means_and_finals_are_those_of_the_timeseries(runs):
    table = compare_runs(runs, ["*"], summary=False)
    for label, directory in zip(table.columns, runs, strict=True):
        frame = timeseries(directory)
        for metric in frame.columns.drop(["step", "day"]):
            assert same(table.loc[f"{metric} (mean)", label], frame[metric].mean()), metric
            assert same(table.loc[f"{metric} (final)", label], frame[metric].iloc[-1]), metric


def test_summary_rows_are_the_numeric_non_provenance_figures(runs):
    table = compare_runs(runs, [])
    assert not any(row.endswith(("(mean)", "(final)")) for row in table.index)
    for label, directory in zip(table.columns, runs, strict=True):
        figures = dict(summary_figures(summary(directory)))
        assert figures["supplier_defaults"] == summary(directory)["supplier_defaults"]
        for key, value in figures.items():
            assert table.loc[f"{key} (summary)", label] == value
    assert math.isnan(table.loc["supplier_defaults_tier3 (summary)", "tiny (seed1)"])


def test_summary_figures_flatten_nested_numbers_and_skip_the_rest():
    data = {"seed": 4, "wall_time_s": 1.5, "a": 1, "b": {"c": 0.5, "d": "x"}, "e": True}
    assert list(summary_figures(data)) == [("a", 1), ("b.c", 0.5)]


def test_a_metric_of_some_runs_only_is_empty_for_the_others(runs):
    table = compare_runs(runs, ["orders_tier3", "sales_units"], summary=False)
    assert list(table.index) == [
        "orders_tier3 (mean)",
        "orders_tier3 (final)",
        "sales_units (mean)",
        "sales_units (final)",
    ]
    assert table.loc["orders_tier3 (mean)", ["tiny (seed1)", "tiny (seed2)"]].isna().all()
    assert table.loc["orders_tier3 (final)", "deep"] == timeseries(runs[2])["orders_tier3"].iloc[-1]


def test_glob_patterns_select_matching_columns_in_order_without_repeats(runs):
    table = compare_runs(runs, ["bank_*_ratio", "bank_npl_ratio", "orders_tier?"], summary=False)
    metrics = list(dict.fromkeys(row.rsplit(" (", 1)[0] for row in table.index))
    assert metrics == [
        "bank_npl_ratio",
        "bank_capital_ratio",
        "orders_tier1",
        "orders_tier2",
        "orders_tier3",
    ]
    assert "step (mean)" not in compare_runs(runs, ["*"]).index


def test_a_folder_that_mixes_two_runs_is_refused(runs, tmp_path):
    mixed = tmp_path / "mixed"
    shutil.copytree(runs[0], mixed)
    shutil.copy(runs[1] / "timeseries.parquet", mixed / "timeseries.parquet")
    with pytest.raises(CompareError, match=r"timeseries\.parquet does not match the SHA-256"):
        compare_runs([runs[1], mixed])


def test_the_default_picks_up_columns_added_later_such_as_financing_volumes(runs, tmp_path):
    later = tmp_path / "later"
    shutil.copytree(runs[0], later)
    frame = timeseries(later)
    frame["financing_volume_future_instrument"] = range(len(frame))
    frame.to_parquet(later / "timeseries.parquet", index=False)
    # A run written by an older autofin, before summary.json recorded the files' SHA-256s.
    summary = json.loads((later / "summary.json").read_text())
    del summary["file_sha256"]
    (later / "summary.json").write_text(json.dumps(summary))
    table = compare_runs([runs[1], later])
    row = "financing_volume_future_instrument (final)"
    assert table.loc[row, "tiny (later)"] == len(frame) - 1
    assert math.isnan(table.loc[row, "tiny (seed2)"])
    assert "financing_volume_future_instrument (mean)" not in compare_runs(runs).index


@pytest.mark.parametrize(
    ("metric", "expected"),
    [
        (
            "bank_npl_ration",
            "unknown metric 'bank_npl_ration': no run has this time-series column; "
            "did you mean 'bank_npl_ratio'",
        ),
        ("sales", "unknown metric 'sales'"),
        ("nosuch_*", "pattern 'nosuch_*' matches no time-series column of the runs"),
    ],
)
def test_an_unknown_metric_is_an_error_with_close_matches(runs, metric, expected):
    with pytest.raises(CompareError, match="^" + expected.replace("*", r"\*")):
        compare_runs(runs, [metric])


def test_bad_directories_are_errors(runs, tmp_path):
    (tmp_path / "half").mkdir()
    (tmp_path / "file.txt").write_text("x")
    with pytest.raises(CompareError, match="no such directory"):
        compare_runs([runs[0], tmp_path / "missing"])
    with pytest.raises(CompareError, match="not a directory"):
        compare_runs([tmp_path / "file.txt"])
    with pytest.raises(CompareError, match=r"unfinished or not an autofin run \(no summary.json\)"):
        compare_runs([tmp_path / "half"])
    with pytest.raises(CompareError, match="at least one run directory"):
        compare_runs([])


def test_the_csv_round_trips(runs, tmp_path):
    table = compare_runs(runs)
    path = write_comparison_csv(table, tmp_path / "sub" / "comparison.csv")
    back = pd.read_csv(path, index_col="figure")
    pd.testing.assert_frame_equal(back, table, check_exact=True)
    assert [p.name for p in path.parent.iterdir()] == ["comparison.csv"]  # no temporary left


def invoke(*args: str | Path):
    result = CliRunner().invoke(app, [str(arg) for arg in args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    return result


def test_cli_prints_the_table_with_readable_numbers(runs):
    result = invoke("compare", *runs)
    assert result.exit_code == 0, result.output
    table = compare_runs(runs)
    lines = result.stdout.splitlines()
    header = next(line for line in lines if "figure" in line)
    assert all(label in header for label in table.columns)
    ratio = table.loc["bank_capital_ratio (final)", "deep"]
    row = next(line for line in lines if "bank_capital_ratio (final)" in line)
    assert f"{ratio * 100:.4g}%" in row
    debt = table.loc["supplier_debt (mean)", "tiny (seed1)"]
    assert debt >= 1000
    assert f"{debt:,.0f}" in next(line for line in lines if "supplier_debt (mean)" in line)
    assert "scenario_sha256" not in result.stdout


def test_cli_metrics_are_comma_separated_or_repeated_and_written_as_csv(runs, tmp_path):
    out = tmp_path / "cmp.csv"
    result = invoke(
        "compare", *runs, "--metrics", "sales_units,bank_*_ratio", "-m", "supplier_cash",
        "--no-summary", "-o", out,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert f"csv: {out}" in result.stdout
    expected = compare_runs(runs, ["sales_units", "bank_*_ratio", "supplier_cash"], summary=False)
    pd.testing.assert_frame_equal(pd.read_csv(out, index_col="figure"), expected)


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("missing", "missing: no such directory"),
        ("half", "half: unfinished or not an autofin run (no summary.json)"),
        ("none", "give at least one run directory"),
        ("metric", "unknown metric 'bank_npl_ration'"),
    ],
)
def test_cli_bad_input_is_an_error_with_exit_code_2(runs, tmp_path, case, expected):
    (tmp_path / "half").mkdir()
    args = {
        "missing": [runs[0], tmp_path / "missing"],
        "half": [tmp_path / "half"],
        "none": [],
        "metric": [runs[0], "--metrics", "bank_npl_ration"],
    }[case]
    result = invoke("compare", *args)
    assert result.exit_code == 2
    assert result.stderr.startswith("error: ")
    assert expected in result.stderr
    assert result.stdout == ""


@pytest.fixture(scope="module")
def replicated(tmp_path_factory) -> list[Path]:
    """`tiny` at 60-day automaker terms and at 30, four replications each (same seeds)."""
    from autofin.results.replications import simulate_replications

    root = tmp_path_factory.mktemp("replicated")
    return [
        write_results(
            simulate_replications(
                load_scenario_dict(
                    {**TINY, "replications": 4, "automakers": {"payment_term_days": term}}
                )
            ),
            root / f"term{term}",
        )
        for term in (60, 30)
    ]


def test_paired_differences_match_the_seed_by_seed_differences(replicated):
    from autofin.results.compare import paired_differences

    table = paired_differences(replicated).set_index("figure")
    per_seed = [pd.read_parquet(d / "replications.parquet").set_index("seed") for d in replicated]
    gap = per_seed[1]["supplier_financing_volume"] - per_seed[0]["supplier_financing_volume"]
    row = table.loc["supplier_financing_volume"]
    assert row["difference"] == pytest.approx(gap.mean())
    assert row["seeds"] == 4
    assert row["low"] < row["difference"] < row["high"]
    # What does not differ (the suppliers in business) has no interval beyond 0.
    assert table.loc["suppliers", "difference"] == 0
    assert table.loc["suppliers", "low"] == 0 == table.loc["suppliers", "high"]
    # A single run has no seeds to pair with.
    assert paired_differences([replicated[0], *replicated[:0]]).empty


def test_cli_says_which_differences_are_beyond_noise(replicated, runs):
    result = CliRunner().invoke(app, ["compare", *map(str, replicated)])
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())
    assert "differences from tiny (term60) beyond noise (paired over 4 seeds" in said
    assert "would be by chance alone" in said
    # Shorter terms shorten the cash cycle, by more than the seeds' noise.
    assert "invoice_to_cash_days_mean: tiny (term30) -" in said
    unpaired = CliRunner().invoke(app, ["compare", *map(str, runs[:2])])
    assert "no paired differences" in " ".join(unpaired.output.split())


def test_cli_warns_when_runs_cover_different_horizons(runs, tmp_path):
    longer = write_results(
        simulate(load_scenario_dict({**TINY, "horizon_days": 2 * TINY["horizon_days"]})),
        tmp_path / "longer",
    )
    result = CliRunner().invoke(app, ["compare", str(runs[0]), str(longer)])
    assert result.exit_code == 0, result.output
    assert "the runs cover different horizons" in " ".join(result.output.split())
    same = CliRunner().invoke(app, ["compare", str(runs[0]), str(runs[1])])
    assert "different horizons" not in same.output
