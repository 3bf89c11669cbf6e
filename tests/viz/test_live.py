"""The page's incremental results equal the full rebuild, and its plain figures the report's."""

from __future__ import annotations

import json

import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
import pytest

from autofin.report import figures
from autofin.report.canvas import plain_figures
from autofin.report.runs import Run
from autofin.results.result import Result
from autofin.scenario.loading import load_scenario
from autofin.viz.live import LiveModel
from autofin.world.model import AutofinModel
from conftest import SCENARIOS

TABLES = ("timeseries", "events", "flows", "network", "firms")
CLOCK = {"wall_time_s", "timestamp_utc"}
"""Provenance read from the clock when the summary is made."""


@pytest.fixture(scope="module")
def stressed_checkpoints() -> list[tuple[int, object, object]]:
    """The stressed baseline (defaults, cascades, re-sourcing) read both ways at checkpoints.

    One `LiveModel` follows the whole run, so its tables are the ones grown step by step.
    """
    model = AutofinModel(load_scenario(SCENARIOS / "long_terms_stress.yaml"))
    live = LiveModel(model)
    checkpoints = []
    for step in range(1, model.spec.steps + 1):
        model.step()
        if step in (1, 2, 40, 100) or step == model.spec.steps:
            result = live.result()
            for table in (*TABLES, "summary"):
                getattr(result, table)
            checkpoints.append((step, result, model.result()))
        elif step % 7 == 0:
            live.result().timeseries  # noqa: B018  (grown on some steps, not on others)
    return checkpoints


@pytest.mark.parametrize("table", TABLES)
def test_live_tables_equal_the_full_rebuild_at_every_checkpoint(stressed_checkpoints, table):
    for step, live, full in stressed_checkpoints:
        assert live.step == step
        pd.testing.assert_frame_equal(getattr(live, table), getattr(full, table))


def test_the_stressed_run_exercises_defaults_and_re_sourcing(stressed_checkpoints):
    _, live, _ = stressed_checkpoints[-1]
    assert len(live.events) > 0
    assert (live.network["event"] == "resourced").any()


def test_live_summary_equals_the_full_rebuild_but_for_the_clock(stressed_checkpoints):
    for _, live, full in stressed_checkpoints:

        def comparable(summary: dict) -> str:  # JSON text: NaN equals NaN
            kept = {k: v for k, v in summary.items() if k not in CLOCK}
            return json.dumps(kept, sort_keys=True, default=str)

        assert comparable(live.summary) == comparable(full.summary)


@pytest.mark.parametrize(
    "build",
    [
        figures.defaults_figure,
        figures.banks_figure,
        figures.network_figure,
        figures.flows_sankey,
        figures.finance_figure,
        figures.funnel_figure,
    ],
)
def test_plain_figures_are_the_report_figures_data(stressed_checkpoints, build):
    _, live, full = stressed_checkpoints[-1]
    with plain_figures():
        plain = build([Run(live, "stressed")])
    report = build([Run(full, "stressed")])
    assert isinstance(plain, dict)
    assert json.loads(pio.to_json(go.Figure(plain))) == json.loads(pio.to_json(report))


def test_a_result_field_not_built_lazily_comes_from_the_full_rebuild(monkeypatch):
    model = AutofinModel(load_scenario(SCENARIOS / "long_terms_stress.yaml"))
    model.step()
    live = LiveModel(model).result()
    # As if a field had been added to Result with a default factory (no class attribute).
    monkeypatch.delattr(Result, "replicates")
    assert "replicates" not in vars(live)
    assert live.replicates is None  # from AutofinModel.result(), not an AttributeError
    with pytest.raises(AttributeError):
        live.no_such_table  # noqa: B018
