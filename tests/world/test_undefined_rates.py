"""A rate with nothing to divide by is undefined (NaN), not 0, and means over steps skip it.

A step without leads has no conversion rate: writing 0 would read as "no lead bought". The
rule is in docs/metrics.md ("Undefined rates").
"""

from __future__ import annotations

import json
import math
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from autofin.results.compare import compare_runs
from autofin.results.replications import simulate_replications
from autofin.results.result import Result
from autofin.results.writing import read_results, write_results
from autofin.scenario.loading import deep_merge
from autofin.scenario.schema import Scenario
from autofin.world.model import simulate
from conftest import SMALL, TINY_SETTINGS

FEW_SHOPPERS = deep_merge(
    TINY_SETTINGS, {"seed": 2, "horizon_days": 182, "consumers": {"population": 500}}
)
"""Half a year of a tiny town: some weeks have no leads, no loans, no sales, others have."""

NOBODY_ONLINE = deep_merge(
    TINY_SETTINGS,
    {"consumers": {"channels": {"walk_in": {"weight": 1.0}, "online": {"weight": 0}}}},
)
"""Every consumer shops at the dealer: the online channel has no lead in the whole run (and,
as in every scenario without bank-app traffic, neither has the bank app)."""


def run(settings: dict[str, Any], **changes: Any) -> Result:
    """The run of ``settings`` with ``changes`` merged in, warnings turned into errors."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return simulate(Scenario.model_validate(deep_merge(settings, changes)))


@pytest.fixture(scope="module")
def few_shoppers() -> Result:
    return run(FEW_SHOPPERS)


@pytest.fixture(scope="module")
def nobody_online() -> Result:
    return run(NOBODY_ONLINE)


@pytest.mark.parametrize(
    ("rate", "denominator"),
    [
        ("conversion_rate", "leads"),
        ("test_drive_rate", "leads"),
        ("conversion_rate_walk_in", "leads_walk_in"),
        ("automated_decision_share", "loan_applications"),
        ("consumer_default_rate", "consumer_loans_active"),
        ("market_share_maker0", "sales_units"),
    ],
)
def test_a_step_with_nothing_to_count_has_no_rate_not_a_rate_of_zero(
    few_shoppers: Result, rate: str, denominator: str
) -> None:
    ts = few_shoppers.timeseries
    empty = ts[denominator] == 0
    assert empty.any(), "the tiny town should have steps with nothing to count"
    assert (~empty).any(), "and steps with something"
    assert ts.loc[empty, rate].isna().all()
    assert ts.loc[~empty, rate].notna().all()


def test_conversion_is_sales_over_leads_in_a_step_with_leads_and_undefined_without(
    few_shoppers: Result,
) -> None:
    ts = few_shoppers.timeseries
    defined = ts["leads"] > 0
    expected = ts["sales_units"][defined] / ts["leads"][defined]
    pd.testing.assert_series_equal(ts["conversion_rate"][defined], expected, check_names=False)
    assert ts["conversion_rate"][~defined].isna().all()


def test_a_tier_whose_suppliers_have_all_defaulted_has_no_default_rate() -> None:
    one_supplier = run(
        TINY_SETTINGS,
        network={"tiers": [1, 4]},
        shocks=[{"type": "force_default", "day": 7, "tier": 1}],
    )
    rate = one_supplier.timeseries["supplier_default_rate_tier1"]
    assert rate.iloc[0] == 1.0  # its one supplier, forced into default in step 1
    assert rate.iloc[1:].isna().all()  # none left to default


def test_a_mean_over_steps_skips_the_steps_without_a_rate(
    few_shoppers: Result, tmp_path: Path
) -> None:
    ts = few_shoppers.timeseries
    with_leads = ts["leads"] > 0
    assert (~with_leads).any()
    over_steps_with_leads = float((ts["sales_units"] / ts["leads"])[with_leads].mean())
    table = compare_runs([write_results(few_shoppers, tmp_path / "run")], ["conversion_rate"])
    assert table.iloc[:, 0]["conversion_rate (mean)"] == pytest.approx(over_steps_with_leads)


def test_the_mean_over_replications_of_a_step_skips_the_replications_without_a_rate() -> None:
    scenario = Scenario.model_validate(deep_merge(FEW_SHOPPERS, {"replications": 3}))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        replicated = simulate_replications(scenario)
    runs = [run(FEW_SHOPPERS, seed=seed) for seed in replicated.summary["replication_seeds"]]
    leads = np.array([r.timeseries["leads"].to_numpy() for r in runs])
    sales = np.array([r.timeseries["sales_units"].to_numpy() for r in runs])
    defined = leads > 0
    rates = sales / np.maximum(leads, 1)
    some = defined.any(axis=0) & ~defined.all(axis=0)
    assert some.any(), "some step should have leads in some replications only"
    counted = defined.sum(axis=0)
    totals = np.where(defined, rates, 0.0).sum(axis=0)
    expected = np.where(counted > 0, totals / np.maximum(counted, 1), np.nan)
    np.testing.assert_allclose(replicated.timeseries["conversion_rate"], expected, rtol=1e-12)


def test_a_channel_nobody_uses_has_no_conversion_in_any_step_nor_over_the_run(
    nobody_online: Result,
) -> None:
    ts, summary = nobody_online.timeseries, nobody_online.summary
    for channel in ("online", "bank_app"):
        assert (ts[f"leads_{channel}"] == 0).all()
        assert ts[f"conversion_rate_{channel}"].isna().all()
        assert ts[f"test_drive_rate_{channel}"].isna().all()
        assert math.isnan(summary[f"conversion_rate_{channel}"])
    assert summary["conversion_rate_walk_in"] == pytest.approx(
        ts["sales_units_walk_in"].sum() / ts["leads_walk_in"].sum()
    )


def test_undefined_figures_are_written_as_null_in_valid_json_and_empty_in_the_csv(
    tmp_path: Path,
) -> None:
    scenario = Scenario.model_validate(deep_merge(NOBODY_ONLINE, {"replications": 2}))
    directory = write_results(simulate_replications(scenario), tmp_path / "run")

    def refuse(constant: str) -> None:
        raise ValueError(f"summary.json holds {constant}, which is not JSON")

    summary = json.loads((directory / "summary.json").read_text(), parse_constant=refuse)
    assert summary["conversion_rate_online"] is None
    assert summary["confidence_95"]["conversion_rate_online"] == [None, None]
    assert summary["conversion_rate_walk_in"] > 0
    csv = pd.read_csv(directory / "timeseries.csv")
    assert csv["conversion_rate_online"].isna().all()
    back = read_results(directory)
    assert back.timeseries["conversion_rate_online"].isna().all()
    assert back.summary["conversion_rate_online"] is None


def test_a_check_that_met_no_fraudster_has_no_power_against_fraud() -> None:
    honest = run(SMALL, consumers={**SMALL["consumers"], "fraud_share": 0.0})
    assert honest.summary["loan_applications"] > 0
    powers = {key: value for key, value in honest.summary.items() if key.endswith("_power_fraud")}
    assert powers
    assert all(math.isnan(value) for value in powers.values())
    rejections = [v for k, v in honest.summary.items() if k.endswith("_false_rejection")]
    assert all(0.0 <= value <= 1.0 for value in rejections)
