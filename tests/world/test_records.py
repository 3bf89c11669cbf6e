"""The tables beyond the time series: network, firms, the firm panel and loan decisions."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from autofin.results.writing import read_results, write_results
from autofin.scenario.loading import load_scenario
from autofin.world.model import simulate

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"


def test_panel_and_loans_tables_follow_the_run(tmp_path):
    scenario = load_scenario(SCENARIOS / "baseline.yaml", ["horizon_days=364"])
    result = simulate(scenario, panel=True, loans=True)
    panel, loans, ts = result.panel, result.loans, result.timeseries
    assert len(panel) == len(result.firms) * len(ts)
    last = panel[panel["step"] == ts["step"].max()]
    assert last["state"].astype(str).tolist() == result.firms["state"].astype(str).tolist()
    supplier_cash = last.loc[result.firms["type"].eq("supplier").to_numpy(), "cash"]
    live = result.firms["state"].astype(str).ne("defaulted").to_numpy()[1:]
    assert supplier_cash[live].sum() == pytest.approx(ts["supplier_cash"].iloc[-1])
    assert panel["scored_pd"].between(0, 1).all()
    firm_loans = loans[loans["kind"] == "firm_loan"]
    per_step = firm_loans.groupby("step")["amount"].sum()
    lending = ts.set_index("step")["bank_lending_volume"]
    assert per_step.reindex(lending.index, fill_value=0).to_numpy() == pytest.approx(lending)
    car = loans[loans["kind"] == "car_loan"]
    assert car["approved"].sum() == ts["loan_approvals"].sum()
    assert set(car["outcome"]) <= {
        "declined",
        "not booked",
        "performing",
        "defaulted",
        "fraud loss",
    }
    # The firms' equity leaves their plant out, so the plant stands beside it: an automaker
    # paying in 170 days holds much of its equity in plant (its payables exceed its current
    # assets; about half, a year in), which its equity column alone misses.
    (maker,) = result.firms[result.firms["type"] == "automaker"].itertuples()
    assert maker.fixed_assets > 0.25 * (maker.equity + maker.fixed_assets)
    assert (result.firms["fixed_assets"] > -1e-6).all()
    again = read_results(write_results(result, tmp_path / "run"))
    assert (tmp_path / "run" / "loans.parquet").is_file()
    pd.testing.assert_frame_equal(again.loans, loans)
    pd.testing.assert_frame_equal(again.firms, result.firms)


def test_network_table_starts_with_every_edge_and_records_each_resourcing():
    scenario = load_scenario(SCENARIOS / "baseline.yaml")
    result = simulate(scenario)
    network, firms, events = result.network, result.firms, result.events
    opening = network[network["step"] == 0]
    assert opening["edge"].is_unique
    assert (firms["tier"].to_numpy()[opening["customer"]] == opening["supplier_tier"] - 1).all()
    shares = opening.groupby("customer")["share"].sum()
    assert shares.between(0, 1 + 1e-9).all()
    moved = network[network["event"] == "resourced"]
    assert len(moved) == result.timeseries["resourced_edges"].sum()
    assert set(moved["previous_supplier"]) <= set(events["agent_id"])
    assert not set(moved["supplier"]) & set(
        events.loc[events["step"] <= moved["step"].min(), "agent_id"]
    )
    defaulted = firms[firms["state"].astype(str) == "defaulted"]
    assert sorted(defaulted["firm"]) == sorted(events["agent_id"])
    assert (
        defaulted["default_step"].to_numpy()
        == events.set_index("agent_id").loc[defaulted["firm"], "step"].to_numpy()
    ).all()
