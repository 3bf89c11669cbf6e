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
            "unknown metric 'bank_npl_ration': no run has this time-series column or summary "
            "figure; did you mean 'bank_npl_ratio'",
        ),
        ("sales", "unknown metric 'sales'"),
        (
            "nosuch_*",
            "pattern 'nosuch_*' matches no time-series column or summary figure of the runs",
        ),
    ],
)
def test_an_unknown_metric_is_an_error_with_close_matches(runs, metric, expected):
    with pytest.raises(CompareError, match="^" + expected.replace("*", r"\*")):
        compare_runs(runs, [metric])


def test_metrics_select_the_summary_figures_too(runs):
    # The README's example: the summary rows are those of the metrics asked for, by name or
    # as the metric a figure is a statistic of (bank_npl_ratio_mean), not all ~100 of them.
    table = compare_runs(runs, ["bank_*_ratio", "sales_units"])
    rows = [row for row in table.index if row.endswith("(summary)")]
    assert rows == [
        "bank_npl_ratio_final (summary)",
        "bank_npl_ratio_mean (summary)",
        "bank_capital_ratio_min (summary)",
        "sales_units (summary)",
    ]
    assert len(table) == 6 + len(rows)  # the mean and final of three time series
    for label, directory in zip(table.columns, runs, strict=True):
        assert table.loc["bank_npl_ratio_mean (summary)", label] == pytest.approx(
            summary(directory)["bank_npl_ratio_mean"], rel=1e-12
        )


def test_a_summary_figure_alone_can_be_asked_for_but_not_without_the_summary(runs):
    table = compare_runs(runs, ["largest_cascade"])
    assert list(table.index) == ["largest_cascade (summary)"]
    with pytest.raises(CompareError, match=r"^unknown metric 'largest_cascade': no run has this "):
        compare_runs(runs, ["largest_cascade"], summary=False)


def test_metrics_that_match_no_summary_figure_leave_no_summary_rows(runs):
    table = compare_runs(runs, ["supplier_cash"])
    assert list(table.index) == ["supplier_cash (mean)", "supplier_cash (final)"]


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
        ("csv as html", "--output writes the comparison table as CSV; for the HTML report"),
        ("html as csv", "--html writes an HTML report; for the table as CSV give --output"),
    ],
)
def test_cli_bad_input_is_an_error_with_exit_code_2(runs, tmp_path, case, expected):
    (tmp_path / "half").mkdir()
    args = {
        "missing": [runs[0], tmp_path / "missing"],
        "half": [tmp_path / "half"],
        "none": [],
        "metric": [runs[0], "--metrics", "bank_npl_ration"],
        "csv as html": [runs[0], "-o", tmp_path / "table.html"],
        "html as csv": [runs[0], "--html", tmp_path / "report.csv"],
    }[case]
    result = invoke("compare", *args)
    assert result.exit_code == 2
    assert result.stderr.startswith("error: ")
    assert expected in result.stderr
    assert result.stdout == ""
    assert not [*tmp_path.glob("table.*"), *tmp_path.glob("report.*")]  # nothing written


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
    for options in ([], ["-m", "sales_units"], ["--no-summary"]):
        result = CliRunner().invoke(app, ["compare", str(runs[0]), str(longer), *options])
        assert result.exit_code == 0, result.output
        assert "the runs cover different horizons" in " ".join(result.output.split()), options
    same = CliRunner().invoke(app, ["compare", str(runs[0]), str(runs[1])])
    assert "different horizons" not in same.output


def test_cli_says_what_each_kind_of_row_is_under_the_table(runs):
    # `supplier_defaults (mean)`, a mean per step, was read as the run's defaults.
    said = " ".join(CliRunner().invoke(app, ["compare", *map(str, runs[:2])]).output.split())
    assert "(mean): the time series' mean per step over the run; (final): its last step's " in said
    assert "(summary): the run's own figure (summary.json)" in said
    bare = CliRunner().invoke(app, ["compare", *map(str, runs[:2]), "--no-summary"]).output
    assert "(summary): the run's" not in " ".join(bare.split())


def test_cli_warns_when_runs_lost_different_numbers_of_suppliers_before_day_0(runs, tmp_path):
    # At 240 days scf_none loses 3 suppliers a run in the warm-up, 170 days none: no figure
    # of compare counts them, and nothing said so.
    lost = tmp_path / "lost"
    shutil.copytree(runs[1], lost)
    data = summary(lost)
    data["warmup_supplier_defaults"] = 2.5
    (lost / "summary.json").write_text(json.dumps(data))
    result = CliRunner().invoke(app, ["compare", str(runs[0]), str(lost)])
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())
    assert "lost different numbers of suppliers in the warm-up, before day 0 (a run: " in said
    assert "tiny (lost) 2.50), which no figure here counts" in said
    same = CliRunner().invoke(app, ["compare", str(runs[0]), str(runs[1])])
    assert "warm-up" not in same.output


def test_cli_metrics_limit_the_summary_printed_and_written_as_the_readme_says(runs, tmp_path):
    out = tmp_path / "comparison.csv"
    result = invoke("compare", *runs[:2], "--metrics", "bank_*_ratio,sales_units", "-o", out)
    assert result.exit_code == 0, result.output
    written = pd.read_csv(out, index_col="figure")
    assert list(written.index) == [
        "bank_npl_ratio (mean)",
        "bank_npl_ratio (final)",
        "bank_capital_ratio (mean)",
        "bank_capital_ratio (final)",
        "sales_units (mean)",
        "sales_units (final)",
        "bank_npl_ratio_final (summary)",
        "bank_npl_ratio_mean (summary)",
        "bank_capital_ratio_min (summary)",
        "sales_units (summary)",
    ]
    assert "sales_units (summary)" in result.stdout
    assert "supplier_defaults" not in result.stdout
    assert "suppliers (summary)" not in result.stdout


def test_cli_says_when_no_summary_figure_matches_the_metrics(runs, tmp_path):
    out = tmp_path / "comparison.csv"
    result = invoke("compare", *runs[:2], "-m", "supplier_cash", "-o", out)
    assert result.exit_code == 0, result.output
    said = " ".join(result.stdout.split())
    assert "no summary figure matches --metrics 'supplier_cash'" in said
    assert "(summary)" not in said
    assert list(pd.read_csv(out, index_col="figure").index) == [
        "supplier_cash (mean)",
        "supplier_cash (final)",
    ]


@pytest.fixture(scope="module")
def overlapping(tmp_path_factory) -> dict[str, Path]:
    """`tiny` over 8 seeds (0-7); at 30-day terms over 3 (0-2), and over 3 from seed 100."""
    from autofin.results.replications import simulate_replications

    root = tmp_path_factory.mktemp("overlapping")
    runs = {
        "eight": {**TINY, "replications": 8},
        "three": {**TINY, "replications": 3, "automakers": {"payment_term_days": 30}},
        "apart": {**TINY, "replications": 3, "seed": 100},
    }
    return {
        folder: write_results(simulate_replications(load_scenario_dict(data)), root / folder)
        for folder, data in runs.items()
    }


def per_seed(directory: Path) -> dict[int, dict[str, float]]:
    """A replicated run's summary figures by seed, from its replications.parquet."""
    table = pd.read_parquet(directory / "replications.parquet")
    return {
        int(row["seed"]): row.drop(["seed", "replication"]).to_dict() for _, row in table.iterrows()
    }


def test_runs_with_the_same_base_seed_pair_on_the_seeds_they_share(overlapping):
    from scipy import stats

    from autofin.results.compare import paired_differences

    eight, three = per_seed(overlapping["eight"]), per_seed(overlapping["three"])
    assert sorted(eight) == list(range(8))
    assert sorted(three) == [0, 1, 2]
    table = paired_differences([overlapping["eight"], overlapping["three"]]).set_index("figure")
    assert set(table["run"]) == {"tiny (three)"}
    assert (table["seeds"] <= 3).all()
    for figure, row in table.iterrows():
        gaps = [three[seed][figure] - eight[seed][figure] for seed in (0, 1, 2)]
        gaps = [gap for gap in gaps if math.isfinite(gap)]
        assert row["seeds"] == len(gaps), figure
        assert same(row["difference"], sum(gaps) / len(gaps) if gaps else math.nan), figure
    # Shorter terms shorten the cash cycle seed by seed; the interval is the t interval of
    # exactly the three seed-by-seed differences.
    figure = "invoice_to_cash_days_mean"
    gaps = [three[seed][figure] - eight[seed][figure] for seed in (0, 1, 2)]
    mean, spread = sum(gaps) / 3, stats.tstd(gaps) / math.sqrt(3)
    half = stats.t.ppf(0.975, 2) * spread
    row = table.loc[figure]
    assert row["seeds"] == 3
    assert row["low"] == pytest.approx(mean - half)
    assert row["high"] == pytest.approx(mean + half)
    # Not the difference of the runs' means, which counts seeds 3-7 of one run only.
    unpaired = summary(overlapping["three"])[figure] - summary(overlapping["eight"])[figure]
    assert row["difference"] != pytest.approx(unpaired)


def test_a_figure_with_one_pair_of_values_has_no_interval_and_is_not_beyond_noise(tmp_path):
    """Shared seeds are not pairs: a figure with a value in one shared seed only is no evidence."""
    from autofin.results.compare import paired_differences
    from autofin.results.replications import simulate_replications

    figure = "invoice_to_cash_days_mean"
    first = simulate_replications(load_scenario_dict({**TINY, "replications": 3}))
    other = simulate_replications(
        load_scenario_dict({**TINY, "replications": 3, "automakers": {"payment_term_days": 30}})
    )
    other.replicates.loc[other.replicates["seed"] > 0, figure] = math.nan
    a, b = write_results(first, tmp_path / "a"), write_results(other, tmp_path / "b")
    row = paired_differences([a, b]).set_index("figure").loc[figure]
    assert row["seeds"] == 1
    assert math.isnan(row["low"])
    assert math.isnan(row["high"])
    said = " ".join(invoke("compare", a, b).stdout.split())
    assert f"{figure}:" not in said  # not listed beyond noise
    assert "beyond noise (paired over 3 seeds" in said, said[said.find("beyond noise") :][:120]


def test_seed_pairings_say_which_seeds_were_paired_and_left_out(overlapping):
    from autofin.results.compare import seed_pairings

    both, apart = seed_pairings([overlapping["eight"], overlapping["three"], overlapping["apart"]])
    assert both.paired
    assert both.shared == (0, 1, 2)
    assert both.left_out == (3, 4, 5, 6, 7)
    assert both.describe() == (
        "tiny (three) paired with tiny (eight) on 3 seeds (0-2); "
        "left out seeds 3-7 (tiny (eight) only)"
    )
    assert not apart.paired
    assert apart.shared == ()


@pytest.mark.parametrize(
    ("seeds", "paired"),
    [((7, 8, 9), False), ((6, 7, 8), True), ((0,), False), ((), False)],
)
def test_runs_sharing_fewer_than_two_seeds_are_not_paired(seeds, paired):
    from autofin.results.compare import SeedPairing

    pairing = SeedPairing("a", "b", tuple(range(8)), seeds)
    assert pairing.paired is paired
    assert pairing.describe().startswith("no paired differences for b") is not paired


def test_runs_with_no_seed_in_common_are_refused_saying_which_seeds_each_has(overlapping):
    from autofin.results.compare import paired_differences

    assert paired_differences([overlapping["eight"], overlapping["apart"]]).empty
    result = invoke("compare", overlapping["eight"], overlapping["apart"])
    assert result.exit_code == 0, result.output  # the table is still there
    said = " ".join(result.stdout.split())
    assert (
        "no paired differences for tiny (apart): it shares 0 seeds with tiny (eight) "
        "(tiny (eight) has seeds 0-7; tiny (apart) has seeds 100-102); paired differences "
        "need at least 2 shared seeds"
    ) in said
    assert "beyond noise" not in said


def test_cli_pairs_8_replications_with_3_from_the_same_seed(overlapping):
    result = invoke("compare", overlapping["eight"], overlapping["three"], overlapping["apart"])
    assert result.exit_code == 0, result.output
    said = " ".join(result.stdout.split())
    assert "tiny (three) paired with tiny (eight) on 3 seeds (0-2); left out seeds 3-7" in said
    assert "no paired differences for tiny (apart)" in said
    assert "differences from tiny (eight) beyond noise (paired over 3 seeds" in said
    assert "invoice_to_cash_days_mean: tiny (three) -" in said


def test_cli_pairs_only_the_summary_figures_of_the_metrics(replicated):
    from autofin.results.compare import paired_differences

    table = paired_differences(replicated, ["invoice_to_cash_*"])
    assert list(table["figure"]) == ["invoice_to_cash_days_mean"]
    result = invoke("compare", *replicated, "-m", "invoice_to_cash_days")
    said = " ".join(result.stdout.split())
    assert (
        "beyond noise (paired over 4 seeds, 95% interval excluding 0): 1 of 1 (about 0.05" in said
    )
    assert "invoice_to_cash_days_mean: tiny (term30) -" in said


def test_a_figure_undefined_in_every_run_asked_for_by_name_is_an_empty_row(tmp_path):
    # Twenty consumers apply for no car loan: the approval rate and the booked loans' default
    # share have nothing to divide by (null in summary.json). Asked for, they were an
    # 'unknown metric' (exit 2, 'did you mean ...'), though every run reports them.
    nobody = {**TINY, "consumers": {"population": 20}}
    run = write_results(simulate(load_scenario_dict(nobody)), tmp_path / "nobody")
    assert summary(run)["loan_applications"] == 0
    assert summary(run)["booked_loan_default_share"] is None
    names = ["booked_loan_default_share", "loan_approval_rate"]
    table = compare_runs([run], names)
    assert sorted(table.index) == [f"{name} (summary)" for name in names]
    assert table.isna().all().all()
    result = invoke("compare", run, "-m", ",".join(names))
    assert result.exit_code == 0, result.output
    assert "booked_loan_default_share (summary)" in result.stdout
    assert "no summary figure matches" not in result.stdout
    # Without --metrics the table keeps to the figures with a value.
    assert "loan_approval_rate (summary)" not in compare_runs([run]).index


def test_cli_compares_horizons_in_days_and_warns_when_steps_differ_in_length(runs, tmp_path):
    # Weekly against fortnightly steps over the same days: it warned of "different horizons
    # (steps: 10, 5)" and said nothing of the per-step means being per different periods.
    days = TINY["horizon_days"]
    fortnightly = write_results(
        simulate(load_scenario_dict({**TINY, "step_days": 14, "horizon_days": days})),
        tmp_path / "fortnightly",
    )
    result = CliRunner().invoke(app, ["compare", str(runs[0]), str(fortnightly)])
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())
    assert "different horizons" not in said
    assert "the runs' steps differ in length (days per step:" in said
