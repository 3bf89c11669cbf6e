"""Replications: a scenario over several seeds, reported as means with confidence intervals."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from typer.testing import CliRunner

from autofin.cli import app
from autofin.results.compare import compare_runs, natural_range
from autofin.results.replications import mean_confidence_interval, simulate_replications
from autofin.results.writing import read_results, write_results
from autofin.scenario.loading import load_scenario_dict
from autofin.world.model import simulate
from conftest import TINY, TINY_SETTINGS, write


@pytest.fixture(scope="module")
def replicated():
    """The tiny scenario over three replications from seed 5, and its three single runs."""
    scenario = load_scenario_dict({**TINY_SETTINGS, "seed": 5, "replications": 3})
    singles = [simulate(load_scenario_dict({**TINY_SETTINGS, "seed": s})) for s in (5, 6, 7)]
    return simulate_replications(scenario), singles


def test_each_replication_is_the_single_run_with_its_seed(replicated):
    combined, singles = replicated
    assert combined.summary["replication_seeds"] == [5, 6, 7]
    table = combined.replicates
    assert list(table["seed"]) == [5, 6, 7]
    for row, single in zip(table.itertuples(), singles, strict=True):
        assert row.sales_units == single.summary["sales_units"]
        assert row.supplier_defaults == single.summary["supplier_defaults"]


def test_summary_reports_means_and_intervals_that_contain_them(replicated):
    combined, singles = replicated
    sales = [single.summary["sales_units"] for single in singles]
    assert combined.summary["sales_units"] == pytest.approx(np.mean(sales))
    low, high = combined.summary["confidence_95"]["sales_units"]
    assert low <= combined.summary["sales_units"] <= high
    if np.std(sales) > 0:
        assert low < min(sales) or high > max(sales) or low < high


def test_time_series_is_the_step_by_step_mean(replicated):
    combined, singles = replicated
    expected = np.mean([single.timeseries["sales_units"].to_numpy() for single in singles], axis=0)
    np.testing.assert_allclose(combined.timeseries["sales_units"], expected)
    assert len(combined.timeseries) == len(singles[0].timeseries)


def test_mean_flows_keep_each_runs_totals(replicated):
    combined, singles = replicated
    totals = [single.flows.groupby("flow")["amount"].sum() for single in singles]
    expected = pd.concat(totals, axis=1).fillna(0.0).mean(axis=1)
    got = combined.flows.groupby("flow")["amount"].sum()
    pd.testing.assert_series_equal(got.sort_index(), expected.sort_index(), check_names=False)


def test_events_say_which_replication_they_come_from(replicated):
    combined, singles = replicated
    assert len(combined.events) == sum(len(single.events) for single in singles)
    assert set(combined.events["replication"]) <= {0, 1, 2}


def test_the_interval_is_the_student_t_interval():
    low, high = mean_confidence_interval(np.array([1.0, 2.0, 3.0, 4.0]))
    half = stats.t.ppf(0.975, 3) * np.std([1, 2, 3, 4], ddof=1) / 2
    assert (low, high) == pytest.approx((2.5 - half, 2.5 + half))
    # One value (a rate defined in one replication of three, say) has no spread: no interval,
    # not one of zero width around it.
    assert all(math.isnan(v) for v in mean_confidence_interval(np.array([7.0, np.nan, np.nan])))
    assert all(math.isnan(v) for v in mean_confidence_interval(np.array([np.nan])))


def test_an_interval_stays_within_what_the_figure_can_be():
    # Defaults in four replications: 0, 0, 0, 3. The t-interval reaches below 0 (-1.64);
    # no count of defaults can, so the interval starts at 0 and keeps its upper end.
    values = np.array([0.0, 0.0, 0.0, 3.0])
    low, high = mean_confidence_interval(values)
    assert low < 0
    assert mean_confidence_interval(values, natural_range("supplier_defaults")) == (0.0, high)
    # A share cannot pass 1; an NPL ratio is a share; a figure whose name says neither, or a
    # difference of estimates, keeps the whole t-interval.
    shares = np.array([0.9, 1.0, 1.0, 1.0])
    assert mean_confidence_interval(shares, natural_range("conversion_rate_online"))[1] == 1.0
    assert natural_range("bank_npl_ratio_mean") == (0.0, 1.0)
    for signed in ("bank_capital_ratio_min", "bank_app_incremental_sales"):
        assert natural_range(signed) == (-math.inf, math.inf)
    # Losses and bad debts are booked at least 0 (a recovery above the claim is income), and
    # scored against realised defaults is a ratio of two counts: intervals of the baseline's
    # eight replications reached -57,289 for fraud losses and -2.97 for that ratio.
    for amount in (
        "trade_bad_debt",
        "fraud_losses",
        "credit_losses_bank_loan",
        "bank_credit_losses",
        "scored_pd_one_year_ratio",
        "supplier_financing_cost",  # its interval reached below 0 in a report's headline
        "financing_cost_factoring",
        "procurement_cost_index_final",
    ):
        assert natural_range(amount) == (0.0, math.inf), amount


def test_a_replicated_runs_intervals_never_show_a_negative_count(replicated):
    combined, _ = replicated
    intervals = combined.summary["confidence_95"]
    for figure in ("supplier_defaults", "sales_units", "consumer_loan_defaults"):
        assert intervals[figure][0] >= 0, figure


def test_replicated_results_round_trip_and_compare_with_intervals(replicated, tmp_path):
    combined, _ = replicated
    directory = write_results(combined, tmp_path / "rep")
    again = read_results(directory)
    pd.testing.assert_frame_equal(again.replicates, combined.replicates)
    table = compare_runs([directory])
    column = table.columns[0]
    mean = table.loc["sales_units (summary)", column]
    low = table.loc["sales_units (95% CI low)", column]
    high = table.loc["sales_units (95% CI high)", column]
    assert low <= mean <= high
    assert "confidence_95.sales_units (summary)" not in table.index


def test_cli_runs_replications_and_a_single_run_writes_no_replication_table(tmp_path):
    scenario = write(tmp_path, "tiny.yaml", TINY)
    runner = CliRunner()
    result = runner.invoke(
        app, ["run", str(scenario), "-o", str(tmp_path / "r"), "--replications", "2"]
    )
    assert result.exit_code == 0, result.output
    summary = json.loads((tmp_path / "r" / "summary.json").read_text())
    assert summary["replications"] == 2
    assert summary["replication_seeds"] == [0, 1]
    assert len(pd.read_parquet(tmp_path / "r" / "replications.parquet")) == 2
    # A single run into the same folder leaves no stale replication table behind.
    result = runner.invoke(app, ["run", str(scenario), "-o", str(tmp_path / "r")])
    assert result.exit_code == 0, result.output
    assert not (tmp_path / "r" / "replications.parquet").exists()


def test_the_python_api_makes_the_runs_autofin_run_makes(tmp_path):
    """`autofin.simulate_replications` gives what `autofin run` writes; `simulate`, one run."""
    import autofin

    path = write(tmp_path, "tiny.yaml", TINY + "replications: 2\n")
    result = CliRunner().invoke(app, ["run", str(path), "-o", str(tmp_path / "r"), "--no-report"])
    assert result.exit_code == 0, result.output
    written = json.loads((tmp_path / "r" / "summary.json").read_text())
    scenario = autofin.load_scenario(path)
    combined = autofin.simulate_replications(scenario)
    assert combined.summary["replication_seeds"] == written["replication_seeds"] == [0, 1]
    for key in ("sales_units", "supplier_defaults", "bank_lending_volume"):
        assert combined.summary[key] == pytest.approx(written[key], rel=1e-12)
    single = autofin.simulate(scenario)
    assert "replications" not in single.summary
    assert single.summary["sales_units"] == combined.replicates["sales_units"].iloc[0]


def test_zero_replications_is_bad_input(tmp_path):
    scenario = write(tmp_path, "tiny.yaml", TINY)
    result = CliRunner().invoke(app, ["run", str(scenario), "--set", "replications=0"])
    assert result.exit_code == 2
    assert "replications" in result.output


def test_the_bullwhip_figure_of_replications_shows_the_mean_of_each_replications(replicated):
    # The variance of the mean series over replications is not the mean of their variances
    # (averaging seeds smooths demand more than orders): the figure shows what the summary
    # table does, each replication's bullwhip averaged.
    from autofin.report.figures import bullwhip_figure

    combined, singles = replicated
    (bars,) = bullwhip_figure(combined).data
    shown = dict(zip(bars.x, bars.y, strict=True))
    for label, key in (
        ("automaker production", "bullwhip_production"),
        ("orders to tier 1", "bullwhip_tier1"),
    ):
        # (A replication with no demand has none: the summary's mean leaves it out.)
        mean = np.nanmean([single.summary[key] for single in singles])
        assert shown[label] == pytest.approx(mean)


def test_the_network_figure_says_it_draws_the_first_replication(replicated):
    # firms.parquet and network.parquet are the first replication's: a network drawn all
    # healthy beside defaults counted over every replication must say whose it is.
    from autofin.report.figures import network_figure

    combined, _ = replicated
    title = network_figure(combined).layout.title.text
    assert "the first of 3 replications (seed 5)" in title


def test_a_figure_defined_in_one_replication_only_is_printed_without_an_interval():
    # It read "33.33% – 33.33%": one seed's value as if its mean were known exactly.
    from rich.console import Console

    from autofin.cli import _summary_table

    summary = {
        "scenario_name": "tiny",
        "seed": 1,
        "replications": 3,
        "sales_units": 10.0,
        "conversion_rate_online": 0.25,
        "confidence_95": {"sales_units": [8.0, 12.0], "conversion_rate_online": [None, None]},
    }
    console = Console(width=120, record=True)
    console.print(_summary_table(summary))
    rows = {
        line.split("│")[1].strip(): line
        for line in console.export_text().splitlines()
        if line.count("│") > 2
    }
    assert "8 – 12" in rows["sales_units"]
    assert "one replication only" in rows["conversion_rate_online"]


def test_progress_counts_the_warm_up_steps_of_every_replication():
    # The warm-up is a quarter of the baseline's work; the bar sat at 0 through it (until
    # 2026-12-06), as if the run had not started.
    scenario = load_scenario_dict(
        {**TINY_SETTINGS, "warmup_days": 21, "horizon_days": 28, "replications": 2}
    )
    calls = []
    simulate_replications(scenario, progress=lambda done, total: calls.append((done, total)))
    assert calls == [(done, 14) for done in range(1, 15)]  # 2 runs of 3 warm-up and 4 steps
