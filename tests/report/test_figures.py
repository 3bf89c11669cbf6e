"""The figure functions draw what a reader expects from a run's results, and say what is missing."""

from __future__ import annotations

import dataclasses
import itertools
import json
import re
import shutil

import numpy as np
import pandas as pd
import pytest

from autofin.report import figures
from autofin.report.figures import (
    MAX_NETWORK_NODES,
    banks_figure,
    bullwhip_figure,
    cascade_sizes,
    cascade_sizes_figure,
    defaults_figure,
    finance_figure,
    flows_sankey,
    funnel_figure,
    network_figure,
)
from autofin.report.page import build_report
from autofin.report.runs import ReportDataError
from autofin.results.writing import write_results


def traces(figure, name=None):
    """The figure's traces as plain dictionaries, optionally only those named `name`."""
    data = figure.to_plotly_json()["data"]
    return [t for t in data if name is None or t.get("name") == name]


def values(trace, key):
    """A trace's array, decoded from plotly's typed-array form when needed."""
    return np.asarray(pd.Series(figures_to_list(trace[key])), dtype=float)


def figures_to_list(value):
    if isinstance(value, dict) and "bdata" in value:
        import base64

        return np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"]).tolist()
    return list(value)


def test_defaults_figure_has_a_rate_per_tier_the_cumulative_count_and_cascades(baseline):
    figure = defaults_figure(baseline)
    tiers = [t for t in traces(figure) if t["type"] == "bar"]
    assert [t["name"] for t in tiers] == [f"tier {k} default rate" for k in (1, 2, 3)]
    assert sum(values(t, "y").sum() for t in tiers) > 0
    (cumulative,) = traces(figure, "cumulative defaults")
    assert values(cumulative, "y")[-1] == len(baseline.events)
    (cascades,) = traces(figure, "cascade (defaults caused by a default)")
    assert values(cascades, "customdata").sum() == baseline.events["cause_id"].notna().sum() > 0
    layout = figure.to_plotly_json()["layout"]
    assert layout["xaxis"]["title"]["text"] == "days since start"
    assert "%" in layout["yaxis"]["title"]["text"]


def test_banks_figure_draws_every_bank_and_the_system(baseline):
    figure = banks_figure(baseline)
    banks = baseline.scenario.banks.count
    for bank in range(banks):
        assert len(traces(figure, f"bank {bank}")) == 2  # NPL and capital ratio
    system = traces(figure, "all banks")
    assert len(system) == 2
    capital = values(system[1], "y")
    assert np.allclose(capital, 100 * baseline.timeseries["bank_capital_ratio"])
    (lending,) = traces(figure, "all banks: new lending")
    assert values(lending, "y").sum() == pytest.approx(
        baseline.timeseries["bank_lending_volume"].sum()
    )


def test_sankey_carries_every_flow_between_sectors_and_a_window_carries_less(baseline):
    (whole,) = traces(flows_sankey(baseline))
    flows = baseline.flows[baseline.flows["source"] != baseline.flows["target"]]
    assert values(whole["link"], "value").sum() == pytest.approx(flows["amount"].sum())
    assert "trade payment" in whole["link"]["label"]
    assert "automakers pay" in whole["node"]["label"]
    assert "suppliers tier 3 receive" in whole["node"]["label"]
    assert "outside world receives" in whole["node"]["label"]
    (window,) = traces(flows_sankey(baseline, window=(10, 20)))
    in_window = flows[flows["step"].between(10, 20)]["amount"].sum()
    assert values(window["link"], "value").sum() == pytest.approx(in_window)
    with pytest.raises(ReportDataError, match="first step is after the last"):
        flows_sankey(baseline, window=(20, 10))


def key_colours(figure):
    """The colours of a Sankey's flow-type key, as the reader sees them above it."""
    (key,) = [a for a in figure.to_plotly_json()["layout"]["annotations"] if a.get("name")]
    return re.findall(r"color:(#[0-9a-f]{6})", key["text"])


def colour_distance(one, other):
    """How far apart two #rrggbb colours are (0 to 441, each channel 0 to 255)."""
    rgb = [np.array([int(c[i : i + 2], 16) for i in (1, 3, 5)]) for c in (one, other)]
    return float(np.linalg.norm(rgb[0] - rgb[1]))


def test_sankey_nodes_take_no_colour_of_the_flow_types_key(baseline):
    # Tier 1's node was the blue of "trade", tier 3's the green of "vehicle sales": the key
    # seemed to colour the sectors too.
    figure = flows_sankey(baseline)
    (sankey,) = traces(figure)
    key = key_colours(figure)
    assert len(key) >= 8
    nodes = sankey["node"]["color"]
    for node in [nodes] if isinstance(nodes, str) else nodes:
        assert min(colour_distance(node, colour) for colour in key) > 60


def test_every_flow_type_has_its_own_family_and_the_key_names_those_drawn(baseline):
    # Dividends, capacity investment and the banks' facility fell to "supply-chain finance",
    # the family of any flow not listed: orange flows with no instrument switched on.
    from autofin.report.figures import FLOW_FAMILIES
    from autofin.world.ledger import FLOW_NAMES

    assert sorted(FLOW_FAMILIES) == sorted(FLOW_NAMES)
    assert FLOW_FAMILIES["dividends"][0] == "dividends"
    assert FLOW_FAMILIES["capacity_loan_interest"][0] == "bank loans"
    assert FLOW_FAMILIES["facility_draw"][0] == "bank funding"
    figure = flows_sankey(baseline)
    (sankey,) = traces(figure)
    drawn = set(sankey["link"]["customdata"])
    assert "supply-chain finance" not in drawn  # the baseline has no instrument on
    (key,) = [a for a in figure.to_plotly_json()["layout"]["annotations"] if a.get("name")]
    named = {name.strip() for name in re.findall(r"■</span> ([a-z -]+)", key["text"])}
    assert named == drawn


def test_sankeys_of_more_than_two_runs_stand_two_to_a_row(baseline, variant):
    # Four Sankeys side by side, each a quarter of the width, ran their labels together.
    figure = flows_sankey([baseline, variant, baseline])
    cells = [(t["domain"]["x"], t["domain"]["y"]) for t in traces(figure)]
    assert len(cells) == 3
    assert all(x[1] - x[0] > 0.45 for x, _ in cells)
    for (x, y), (other_x, other_y) in itertools.combinations(cells, 2):
        assert x[1] <= other_x[0] or other_x[1] <= x[0] or y[1] <= other_y[0] or other_y[1] <= y[0]
    plot_px = figure.layout.height - 180  # the title and key above, the margin below
    assert all((y[1] - y[0]) * plot_px > 350 for _, y in cells)  # as tall as one run's
    names = [a["text"] for a in figure.to_plotly_json()["layout"]["annotations"][:-1]]
    assert names == [
        f"<b>{run}</b>"
        for run in (
            "long_terms_stress (run 1)",
            "platform_reverse_factoring",
            "long_terms_stress (run 3)",
        )
    ]


def test_finance_figure_shows_volume_cost_and_working_capital(baseline):
    figure = finance_figure(baseline)
    (loans, _cost) = traces(figure, "bank loan")
    assert values(loans, "y").sum() > 0
    (apr,) = traces(figure, "car loans (posted APR)")
    posted = 100 * baseline.timeseries["car_loan_apr"].to_numpy()
    assert np.allclose(values(apr, "y"), posted)
    assert 4 < np.mean(posted) < 9  # % a year
    (cycle,) = traces(figure, "cash-conversion cycle")
    assert np.nanmean(values(cycle, "y")) > 0
    assert traces(figure, "procurement cost index")


def test_finance_figure_marks_the_points_of_a_short_run(baseline):
    # After one step of the browser view a line or a stacked area of one point draws
    # nothing: short series show their points, long ones are lines.
    short = dataclasses.replace(baseline, timeseries=baseline.timeseries.head(1))
    for result, marked in ((short, True), (baseline, False)):
        (volume, _cost) = traces(finance_figure(result), "bank loan")
        assert len(values(volume, "y")) == len(result.timeseries)
        assert ("markers" in volume["mode"]) is marked  # a stacked area: lines by default


def test_funnel_narrows_from_traffic_to_sales_per_channel(baseline):
    figure = funnel_figure(baseline)
    funnels = [t for t in traces(figure) if t["type"] == "funnel"]
    assert {t["name"] for t in funnels} >= {"walk in", "online"}
    for funnel in funnels:
        stages = values(funnel, "x")
        assert stages[0] > stages[1] > stages[-1] > 0  # traffic > leads > sales
        # Sales can outnumber loan approvals (cash buyers): the stage says it counts both.
        assert list(funnel["y"])[-1] == "sales (cash or loan)"
    assert traces(figure, "median decision time")


def test_two_runs_funnels_stand_side_by_side_not_stacked(baseline, variant):
    # Stacked, two runs' funnels made a bar as long as both runs together, and the thin
    # stages of one hid the other's numbers; one run's channels do add up to its funnel.
    assert funnel_figure([baseline, variant]).layout.funnelmode == "group"
    assert funnel_figure(baseline).layout.funnelmode == "stack"


def test_funnel_leaves_out_numbers_too_small_to_read(baseline, variant):
    # Plotly shrinks a number to fit its bar: thin bars had theirs in 4 px type.
    for results in (baseline, [baseline, variant]):
        text = funnel_figure(results).layout.uniformtext
        assert text.mode == "hide"
        assert text.minsize >= 8


def test_network_draws_every_firm_by_state_and_cascades_as_arrows(baseline):
    figure = network_figure(baseline)
    by_state = {
        t["name"]: t for t in traces(figure) if t["name"] in ("healthy", "distressed", "defaulted")
    }
    drawn = sum(len(values(t, "x")) for t in by_state.values())
    assert drawn == len(baseline.firms)
    assert len(values(by_state["defaulted"], "x")) == len(baseline.events)
    assert any(
        f"at step {s}" in text
        for s in baseline.events["step"]
        for text in by_state["defaulted"]["text"]
    )
    (arrows,) = traces(figure, "default cascade (cause → effect)")
    assert len(values(arrows, "x")) == 3 * baseline.events["cause_id"].notna().sum()
    assert arrows["marker"]["symbol"] == "arrow"
    # Before the first default nothing is marked defaulted and no arrow is drawn.
    first = int(baseline.events["step"].min())
    early = network_figure(baseline, step=first - 1)
    assert not traces(early, "defaulted")
    assert not traces(early, "default cascade (cause → effect)")


def test_network_of_many_firms_is_sampled_with_a_note(baseline):
    n = MAX_NETWORK_NODES * 3
    tier = np.r_[0, np.ones(n - 1, dtype=int)]
    defaulted = np.arange(n) % 10 == 5
    firms = pd.DataFrame(
        {
            "firm": np.arange(n),
            "label": [f"f{i}" for i in range(n)],
            "tier": tier,
            "opening_size": np.ones(n),
            "state": np.where(defaulted, "defaulted", "healthy"),
            "default_step": pd.array(np.where(defaulted, 3, None), "Int64"),
        }
    )
    network = pd.DataFrame(
        {"step": 0, "edge": np.arange(n - 1), "supplier": np.arange(1, n), "customer": 0}
    )
    events = pd.DataFrame(
        {
            "step": [3, 3],
            "agent_id": [15, 25],
            "cause_id": pd.array([5, 15], "Int64"),
        }
    )
    big = dataclasses.replace(baseline, firms=firms, network=network, events=events)
    figure = network_figure(big)
    by_state = {t["name"]: len(values(t, "x")) for t in traces(figure)}
    drawn = by_state["healthy"] + by_state["defaulted"]
    assert MAX_NETWORK_NODES - 2 <= drawn <= MAX_NETWORK_NODES
    assert by_state["defaulted"] / drawn == pytest.approx(defaulted.mean(), abs=0.01)
    (arrows,) = traces(figure, "default cascade (cause → effect)")
    assert len(values(arrows, "x")) == 3 * 2  # both cascade links kept
    title = figure.to_plotly_json()["layout"]["title"]["text"]
    assert f"of {n:,} firms drawn" in title
    assert f"{defaulted.sum():,} defaulted" in title


def test_cascade_sizes_follow_the_causes():
    events = pd.DataFrame(
        {"agent_id": [1, 2, 3, 4, 5], "cause_id": pd.array([None, 1, 2, None, 1], "Int64")}
    )
    assert cascade_sizes(events).tolist() == [1, 4]


def test_cascade_ccdf_starts_at_one_and_ends_at_the_largest_share(baseline):
    (curve,) = traces(cascade_sizes_figure(baseline))
    sizes = cascade_sizes(baseline.events)
    share = values(curve, "y")
    assert share[0] == 1.0
    assert share[-1] == pytest.approx((sizes == sizes.max()).mean())
    layout = cascade_sizes_figure(baseline).to_plotly_json()["layout"]
    assert layout["xaxis"]["type"] == layout["yaxis"]["type"] == "log"


def test_bullwhip_is_relative_to_consumer_demand(baseline):
    (bars,) = traces(bullwhip_figure(baseline))
    assert list(bars["x"])[:2] == ["consumer demand", "automaker production"]
    assert list(bars["x"])[2:] == ["orders to tier 1", "orders to tier 2", "orders to tier 3"]
    assert values(bars, "y")[0] == pytest.approx(1.0)
    assert (values(bars, "y") > 0).all()


def test_a_report_rebuilt_from_disk_draws_undefined_bullwhip_ratios_as_gaps(baseline, tmp_path):
    # A world whose orders stop has no bullwhip ratio: NaN in memory, null in summary.json.
    undefined = {key: float("nan") for key in baseline.summary if key.startswith("bullwhip_")}
    run = dataclasses.replace(baseline, summary={**baseline.summary, **undefined})
    directory = write_results(run, tmp_path / "collapsed")
    assert json.loads((directory / "summary.json").read_text())["bullwhip_tier1"] is None
    (bars,) = traces(bullwhip_figure(str(directory)))
    assert values(bars, "y")[0] == pytest.approx(1.0)
    assert np.isnan(values(bars, "y")[1:]).all()
    assert "Bullwhip" in build_report(str(directory))


@pytest.mark.parametrize("name", [name for name in figures.FIGURES if name != "network"])
def test_several_runs_are_overlaid_one_colour_each_with_scenario_names(name, baseline, variant):
    data = traces(figures.FIGURES[name]([baseline, variant]))
    named = " ".join(str(t.get("name", "")) for t in data)
    assert "long_terms_stress" in named
    assert "platform_reverse_factoring" in named
    if name == "flows":
        return  # a Sankey per run, side by side, coloured by flow type

    def colours(label):
        return {
            (t.get("line") or t.get("marker") or {}).get("color")
            for t in data
            if str(t.get("name", "")).startswith(label)
        } - {None}

    assert colours("long_terms_stress")
    assert colours("platform_reverse_factoring")
    assert not colours("long_terms_stress") & colours("platform_reverse_factoring")


def test_figures_accept_a_results_directory(baseline_dir, baseline):
    from_dir = traces(defaults_figure(baseline_dir), "cumulative defaults")[0]
    assert values(from_dir, "y")[-1] == len(baseline.events)
    assert traces(network_figure(str(baseline_dir)))


@pytest.mark.parametrize(
    ("missing", "figure", "message"),
    [
        ("network.parquet", network_figure, "supply network figure needs network.parquet"),
        ("firms.parquet", network_figure, "supply network figure needs firms.parquet"),
        ("flows.parquet", flows_sankey, "capital flows figure needs flows.parquet"),
        ("timeseries.parquet", defaults_figure, r"not a finished autofin run \(no timeseries"),
    ],
)
def test_a_directory_lacking_a_file_fails_clearly(baseline_dir, tmp_path, missing, figure, message):
    copy = tmp_path / "run"
    shutil.copytree(baseline_dir, copy)
    (copy / missing).unlink()
    with pytest.raises(ReportDataError, match=message):
        figure(copy)


def test_a_missing_directory_fails_clearly(tmp_path):
    with pytest.raises(ReportDataError, match="no such results directory"):
        banks_figure(tmp_path / "nowhere")


def test_a_window_without_flows_says_so(baseline):
    figure = flows_sankey(baseline, window=(10_000, 10_001))
    assert not traces(figure)
    notes = [a["text"] for a in figure.to_plotly_json()["layout"]["annotations"]]
    assert "long_terms_stress: no flows in these steps" in notes


def test_the_model_draws_after_each_step_but_not_before_the_first():
    from pathlib import Path

    from autofin.scenario.loading import load_scenario
    from autofin.world.model import AutofinModel

    scenarios = Path(__file__).resolve().parents[2] / "scenarios"
    model = AutofinModel(load_scenario(scenarios / "baseline.yaml"))
    with pytest.raises(ReportDataError, match="no step has run yet"):
        defaults_figure(model.result())
    model.step()
    model.step()
    result = model.result()
    assert len(result.timeseries) == 2
    for draw in figures.FIGURES.values():
        assert draw(result).data


def test_funnel_shows_the_distribution_of_decision_times_when_loans_were_kept():
    from pathlib import Path

    from autofin.scenario.loading import load_scenario
    from autofin.world.model import simulate

    scenarios = Path(__file__).resolve().parents[2] / "scenarios"
    result = simulate(load_scenario(scenarios / "baseline.yaml", ["horizon_days=182"]), loans=True)
    bars = [t for t in traces(funnel_figure(result)) if t["type"] == "bar"]
    (histogram,) = bars
    applications = (result.loans["kind"] == "car_loan").sum()
    assert histogram["name"] == f"decisions ({applications:,})"
    assert values(histogram, "y").sum() == pytest.approx(100)


def test_an_automaker_default_is_marked_on_the_count_and_on_the_network():
    from autofin.world.model import simulate
    from conftest import small_scenario

    scenario = small_scenario(
        network={"automakers": 2},
        automakers={"payment_term_days": 60},
        shocks=[{"type": "force_default", "day": 98, "tier": 0}],
    )
    result = simulate(scenario)
    figure = defaults_figure(result)
    (makers,) = traces(figure, "automaker default")
    series = result.timeseries
    at = series.loc[series["automaker_defaults"] > 0, "day"].tolist()
    assert values(makers, "x").tolist() == at  # the day it defaulted
    count = (series["supplier_defaults"] + series["automaker_defaults"]).cumsum()
    assert values(makers, "y").tolist() == count[series["automaker_defaults"] > 0].tolist()
    assert makers["hovertemplate"].endswith("of 2 automakers defaulted")
    # The suppliers' bars keep their own scale: no bar of 50% (one automaker of two) beside them.
    bars = [t for t in traces(figure) if t["type"] == "bar"]
    assert max(values(bar, "y").max() for bar in bars) < 50.0
    network = network_figure(result)
    defaulted = traces(network, "defaulted")[0]
    assert any("automakers" in text for text in defaulted["text"])


def test_cascade_ccdf_axes_span_the_sizes_and_shares_a_cascade_can_have(baseline):
    # Sizes start at 1 and shares end at 1; plotly's own log ranges reached 0.1 and 10. Each
    # axis spans a decade at least, so that two powers of ten are labelled.
    layout = cascade_sizes_figure(baseline).to_plotly_json()["layout"]
    sizes = cascade_sizes(baseline.events)
    low, high = (10**bound for bound in layout["xaxis"]["range"])
    assert 0.8 < low <= 1
    assert max(sizes.max(), 10) < high < 1.5 * max(sizes.max(), 10)
    low, high = (10**bound for bound in layout["yaxis"]["range"])
    assert low < min((sizes == sizes.max()).mean(), 0.1)
    assert 1 < high < 1.1  # no tick above a share of 1


def test_cascade_ccdf_labels_powers_of_ten_only(baseline):
    # Plotly labelled the ticks between 1, 0.1 and 0.01 "5" and "2", which read as values.
    layout = cascade_sizes_figure(baseline).to_plotly_json()["layout"]
    for axis in ("xaxis", "yaxis"):
        assert layout[axis]["type"] == "log"
        assert layout[axis]["dtick"] == 1


def test_cascades_of_one_default_each_are_said_to_be_so(baseline):
    alone = baseline.events.assign(cause_id=pd.array([None] * len(baseline.events), "Int64"))
    figure = cascade_sizes_figure(dataclasses.replace(baseline, events=alone))
    notes = [note["text"] for note in figure.to_plotly_json()["layout"]["annotations"]]
    assert notes == ["every cascade is one default: no default caused another"]


def test_a_conversion_rate_defined_between_undefined_steps_is_drawn_as_a_dot(baseline):
    # A line joins defined neighbours only: a step with leads between two without drew nothing.
    ts = baseline.timeseries.copy()
    ts["conversion_rate"] = np.nan
    ts.loc[10, "conversion_rate"] = 0.25
    (line,) = traces(
        figures.funnel_figure(dataclasses.replace(baseline, timeseries=ts)), "all channels"
    )
    sizes = list(line["marker"]["size"])
    assert "markers" in line["mode"]
    assert sizes[10] > 0
    assert sum(size > 0 for size in sizes) == 1


def _pieces(xs, ys):
    """A trace's points split where plotly breaks it: at a point with no x or no y."""
    pieces, piece = [], []
    for x, y in zip(xs, ys, strict=True):
        if np.isnan(x) or np.isnan(y):
            if piece:
                pieces.append(piece)
            piece = []
        else:
            piece.append((x, y))
    return [*pieces, piece] if piece else pieces


def test_the_decision_time_band_stops_where_no_loan_was_decided(baseline):
    # Filled along every step and back, the band closed each stretch of the 90th percentile
    # onto itself across the weeks without a decision: triangles from the bottom of the log
    # axis to hundreds of minutes over weeks with no data.
    ts = baseline.timeseries.copy()
    columns = ["decision_minutes_p10", "median_decision_minutes", "decision_minutes_p90"]
    ts.loc[[5, 6, 7, 9, 11, 20], columns] = np.nan  # steps 8 and 10 decided alone
    figure = funnel_figure(dataclasses.replace(baseline, timeseries=ts))
    band, *whiskers = traces(figure, "10th–90th percentile")
    assert band["fill"] == "toself"
    day = ts["day"].to_numpy(dtype=float)
    covered = []
    for piece in _pieces(values(band, "x"), values(band, "y")):
        xs, ys = np.array(piece).T
        half = len(xs) // 2
        rows = np.searchsorted(day, xs[:half])
        # Along the 90th percentile over consecutive steps that all have decisions, and back
        # along the 10th percentile over the same steps.
        assert np.array_equal(rows, np.arange(rows[0], rows[0] + half))
        assert np.array_equal(xs[half:], xs[:half][::-1])
        assert np.allclose(ys[:half], ts["decision_minutes_p90"].to_numpy()[rows])
        assert np.allclose(ys[half:], ts["decision_minutes_p10"].to_numpy()[rows][::-1])
        covered.extend(rows)
    defined = set(np.flatnonzero(ts["decision_minutes_p90"].notna().to_numpy()))
    assert sorted(covered) == sorted(defined - {8, 10})
    # A step decided alone has a band of no width: a whisker from its 10th to its 90th
    # percentile, with a mark at each end.
    (whiskers,) = whiskers
    assert "markers" in whiskers["mode"]
    assert _pieces(values(whiskers, "x"), values(whiskers, "y")) == [
        [(day[row], ts.loc[row, columns[0]]), (day[row], ts.loc[row, columns[2]])]
        for row in (8, 10)
    ]


def _day_axes(figure):
    """The figure's x axes that run along days since the start (titled so, or matching one)."""
    layout = figure.to_plotly_json()["layout"]
    axes = {key: axis for key, axis in layout.items() if key.startswith("xaxis")}
    titled = {
        key for key, axis in axes.items() if (axis.get("title") or {}).get("text") == figures.DAYS
    }
    return {
        key: axis
        for key, axis in axes.items()
        if key in titled or "xaxis" + axis.get("matches", "-")[1:] in titled
    }


def test_the_first_step_is_drawn_on_whole_days(baseline):
    # One point at day 7: plotly's own axis ran from 6.6 to 7.4, ticked at 6.6, 6.8, 7, 7.2.
    from autofin.world.model import AutofinModel
    from conftest import small_scenario

    model = AutofinModel(small_scenario())
    model.step()
    first = model.result()
    (day,) = first.timeseries["day"]
    step = first.scenario.step_days
    cells = {defaults_figure: 1, banks_figure: 3, finance_figure: 4, funnel_figure: 2}
    for draw, count in cells.items():
        axes = _day_axes(draw(first))
        assert len(axes) == count, draw.__name__
        for key, axis in axes.items():
            low, high = axis["range"]
            assert axis["autorange"] is False, (draw.__name__, key)
            assert axis["tickmode"] == "linear"
            ticks = axis["tick0"] + axis["dtick"] * np.arange(-100, 100)
            ticks = ticks[(low <= ticks) & (ticks <= high)]
            assert len(ticks) >= 2
            assert np.array_equal(ticks, np.round(ticks)), (draw.__name__, key, ticks)
            assert low <= day - step < day + step <= high  # a step's room either side
        # A whole run is left to plotly, whose ticks at that span are whole days.
        for axis in _day_axes(draw(baseline)).values():
            assert axis["autorange"] is True
            assert "range" not in axis


def test_the_networks_step_labels_are_explained_in_words_not_by_a_text_sample(baseline):
    # A text trace's legend sample is plotly's "Aa": "Aa step of default (red numbers)".
    steps = np.sort(baseline.events["step"].to_numpy())
    figure = network_figure(baseline, step=int(steps[figures.MAX_STEP_LABELS // 2]))
    (labels,) = [t for t in traces(figure) if t.get("mode") == "text"]
    assert labels["text"]  # the steps are written beside the defaulted firms
    assert labels["showlegend"] is False
    caption = figure.to_plotly_json()["layout"]["xaxis"]["title"]["text"]
    assert "red numbers: the step a firm defaulted" in caption
    before = network_figure(baseline, step=int(steps[0]) - 1)
    assert "red numbers" not in before.to_plotly_json()["layout"]["xaxis"]["title"]["text"]


def test_neighbouring_defaults_of_a_tier_share_one_step_label():
    # Each firm's own label: in a tier of 3,000 the steps of neighbours were written over one
    # another ("75 106 95 121" in one blot).
    x = np.array([0.10, 0.11, 0.115, 0.50, 0.90, 0.905, 0.91, 0.92, 0.10])
    y = np.array([3, 3, 3, 3, 2, 2, 2, 2, 1])
    steps = np.array([9, 3, 5, 12, 121, 75, 106, 95, 40])
    places, texts = figures._step_labels(x, y, steps, width=1.0)
    assert texts == ["40", "75–121 (4)", "3, 5, 9", "12"]
    expected = [[0.10, 1], [0.90875, 2], [0.325 / 3, 3], [0.5, 3]]
    assert np.allclose(places, expected)
    # Near is measured on the network's width, not the defaulted firms' spread: two
    # neighbours alone share a label too.
    _, texts = figures._step_labels(np.array([0.10, 0.12]), np.array([1, 1]), steps[:2], 1.0)
    assert texts == ["3, 9"]
    # A group spans at most the gap: forty defaults spread along a tier are not one label.
    spread = np.linspace(0.0, 1.0, 40)
    _, texts = figures._step_labels(spread, np.ones(40), np.arange(40), 1.0)
    assert len(texts) == 20
    assert figures._step_labels(np.zeros(0), np.zeros(0), np.zeros(0), 1.0)[1] == []
