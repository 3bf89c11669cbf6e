"""The HTML report: one self-contained offline file with provenance, headline table and figures."""

from __future__ import annotations

import json
import re
import shutil

import pandas as pd
import pytest
from plotly.offline import get_plotlyjs
from typer.testing import CliRunner

from autofin.cli import app
from autofin.report.page import PANELS, build_report, write_report
from autofin.report.runs import ReportDataError, runs
from autofin.results.compare import compare_runs


@pytest.fixture(scope="module")
def page(baseline) -> str:
    return build_report(baseline)


def test_plotly_js_is_embedded_once_and_nothing_is_fetched(page):
    assert page.count(get_plotlyjs()[:200]) == 1
    ours = page.replace(get_plotlyjs(), "")  # plotly.js itself names URLs it never fetches here
    assert not re.search(r"<script[^>]+src=", ours)
    assert not re.search(r"<link[^>]+href=", ours)
    assert "cdn.plot.ly" not in ours
    assert "@import" not in ours
    assert not re.search(r"<a\s", ours)  # link-free


def test_header_shows_provenance_and_the_headline_figures(page, baseline):
    summary = baseline.summary
    for key in ("scenario_sha256", "autofin_version", "mesa_version", "timestamp_utc"):
        assert str(summary[key]) in page
    assert f"<th>seed</th><td class='number'>{summary['seed']}</td>" in page
    assert "<title>autofin report: long_terms_stress</title>" in page
    assert "<th>supplier defaults</th>" in page
    assert f"<td class='number'>{summary['supplier_defaults']}</td>" in page


def test_every_figure_has_its_div_and_caption(page):
    for panel in PANELS:
        assert f'id="figure-{panel.key.replace("_", "-")}"' in page
        assert panel.caption.replace("'", "&#x27;") in page
    assert "Not drawn" not in page


def test_comparison_report_overlays_the_runs(baseline, variant):
    page = build_report([baseline, variant])
    title = "<title>autofin comparison: long_terms_stress, platform_reverse_factoring</title>"
    assert title in page
    assert page.count(get_plotlyjs()[:200]) == 1
    assert '"name":"long_terms_stress: default rate"' in page
    assert '"name":"platform_reverse_factoring: default rate"' in page
    # Overlaid, the defaults are lines, and the caption says so (it spoke of bars).
    assert "one colour per run" in page
    assert "(bars, left axis)" not in page
    # A network per run.
    assert "figure-network-long-terms-stress" in page
    assert "figure-network-platform-reverse-factoring" in page


def layouts(page):
    """Each figure's layout on the page, by its div's id."""
    decoder = json.JSONDecoder()
    found = {}
    for match in re.finditer(r'Plotly\.newPlot\(\s*"([^"]+)",\s*', page):
        _data, end = decoder.raw_decode(page, match.end())
        start = re.compile(r",\s*").match(page, end).end()
        found[match.group(1)], _ = decoder.raw_decode(page, start)
    return found


@pytest.fixture(scope="module")
def same_scenario_twice(baseline_dir, tmp_path_factory):
    """Two results folders of the same scenario: the baseline's and a copy named "again"."""
    again = tmp_path_factory.mktemp("twice") / "again"
    shutil.copytree(baseline_dir, again)
    return [baseline_dir, again]


def test_runs_of_one_scenario_are_named_as_compare_names_them(same_scenario_twice):
    # The page said "#1" and "#2" where the terminal says which folder each run is.
    labels = [run.label for run in runs(same_scenario_twice)]
    assert labels == ["long_terms_stress (baseline)", "long_terms_stress (again)"]
    assert labels == list(compare_runs(same_scenario_twice).columns)
    page = build_report(same_scenario_twice)
    assert all(f"{label}</th>" in page for label in labels)
    assert "long_terms_stress #" not in page


def test_each_runs_network_title_names_its_run(same_scenario_twice):
    # Every copy was titled "Supply network (end of run)": which run is which?
    found = layouts(build_report(same_scenario_twice))
    titles = [found[key]["title"]["text"] for key in found if key.startswith("figure-network-")]
    assert len(titles) == 2
    assert titles[0].startswith("long_terms_stress (baseline): Supply network")
    assert titles[1].startswith("long_terms_stress (again): Supply network")


def test_the_banks_caption_says_what_a_comparison_draws(baseline, variant):
    # Compared, no bank is drawn on its own, but the caption spoke of per-bank lines.
    captions = {}
    for drawn in ([baseline], [baseline, variant]):
        page = build_report(drawn)
        banks = re.search(r"<section id='banks'.*?<p class='caption'>(.*?)</p>", page, re.S)
        captions[len(drawn)] = banks.group(1)
    assert "per bank (thin)" in captions[1]
    assert "per bank" not in captions[2]
    assert "one colour per run" in captions[2]


def test_a_run_without_the_network_tables_gets_a_note_instead(baseline_dir, tmp_path):
    import shutil

    copy = tmp_path / "old"
    shutil.copytree(baseline_dir, copy)
    (copy / "network.parquet").unlink()
    page = build_report(copy)
    assert "Not drawn: long_terms_stress: the supply network figure needs network.parquet" in page
    assert 'id="figure-defaults"' in page


def test_a_run_whose_data_changed_after_it_is_refused_as_compare_refuses_it(baseline_dir, tmp_path):
    import shutil

    copy = tmp_path / "edited"
    shutil.copytree(baseline_dir, copy)
    series = pd.read_parquet(copy / "timeseries.parquet")
    series.loc[0, "supplier_defaults"] += 1
    series.to_parquet(copy / "timeseries.parquet")
    with pytest.raises(ReportDataError, match=r"timeseries.parquet changed after the run"):
        build_report(copy)


def test_write_report_needs_a_run():
    with pytest.raises(ReportDataError, match="no run to draw"):
        write_report([], "unused.html")


def invoke(*args):
    return CliRunner().invoke(app, [str(a) for a in args])


def test_autofin_report_builds_it_from_a_results_directory(baseline_dir, tmp_path):
    target = tmp_path / "out" / "r.html"
    result = invoke("report", baseline_dir, "-o", target)
    assert result.exit_code == 0, result.output
    assert f"report: {target}" in result.stdout
    assert "Defaults over time" in target.read_text(encoding="utf-8")


def test_autofin_report_on_a_missing_directory_exits_2_without_traceback(tmp_path):
    result = invoke("report", tmp_path / "nowhere")
    assert result.exit_code == 2
    assert "no such results directory" in result.stderr
    assert "Traceback" not in result.output


def test_a_report_into_a_folder_or_under_a_file_is_bad_input_exit_2(baseline_dir, tmp_path):
    """`-o` names the report's file: a folder, or a path under a file, is a mistake (exit 2)."""
    (tmp_path / "a_file").write_text("x")
    for target in (tmp_path, tmp_path / "a_file" / "r.html"):
        result = invoke("report", baseline_dir, "-o", target)
        assert result.exit_code == 2, (target, result.output)
        assert str(target) in result.stderr
        assert "Traceback" not in result.output
    assert (
        "is a folder; give the report's file name"
        in invoke("report", baseline_dir, "-o", tmp_path).stderr
    )
    # A table's name gets no HTML page under it.
    result = invoke("report", baseline_dir, "-o", tmp_path / "report.csv")
    assert result.exit_code == 2
    assert "--output writes an HTML report" in result.stderr
    assert not (tmp_path / "report.csv").exists()


def test_autofin_compare_writes_the_comparison_report(baseline_dir, variant_dir, tmp_path):
    target = tmp_path / "compare.html"
    result = invoke("compare", baseline_dir, variant_dir, "--html", target)
    assert result.exit_code == 0, result.output
    page = target.read_text(encoding="utf-8")
    assert '"name":"platform_reverse_factoring: default rate"' in page
    assert "<th>figure</th><th class='run'>long_terms_stress</th>" in page


def test_autofin_run_writes_a_report_unless_told_not_to(tmp_path):
    scenario = tmp_path / "s.yaml"
    scenario.write_text(
        "name: tiny\nhorizon_days: 70\nnetwork: {tiers: [3, 4]}\n"
        "suppliers: {payment_term_days: [60, 30]}\n"
        "consumers: {population: 500}\nbanks: {count: 2}\n",
        encoding="utf-8",
    )
    with_report = invoke("run", scenario, "-o", tmp_path / "a", "--panel", "--loans")
    assert with_report.exit_code == 0, with_report.output
    assert f"report: {tmp_path / 'a' / 'report.html'}" in with_report.stdout
    written = {path.name for path in (tmp_path / "a").iterdir()}
    assert {"report.html", "panel.parquet", "loans.parquet", "network.parquet"} <= written
    without = invoke("run", scenario, "-o", tmp_path / "b", "--no-report")
    assert without.exit_code == 0, without.output
    written = {path.name for path in (tmp_path / "b").iterdir()}
    assert "report.html" not in written
    assert "panel.parquet" not in written
    assert "loans.parquet" not in written


def test_a_replicated_run_shows_each_headline_figures_interval():
    from autofin.results.replications import simulate_replications
    from autofin.scenario.loading import load_scenario_dict
    from conftest import TINY_SETTINGS

    result = simulate_replications(
        load_scenario_dict({**TINY_SETTINGS, "seed": 5, "replications": 3})
    )
    page = build_report(result)
    low, high = result.summary["confidence_95"]["sales_units"]
    assert low < high
    row = re.search(r"<th>sales units</th><td class='number'>(.*?)</td>", page).group(1)
    shown = re.search(r"<span class='interval'>(.*?) – (.*?)</span>", row).groups()
    assert [float(bound.replace(",", "")) for bound in shown] == pytest.approx([low, high], 1e-3)
    assert "95% confidence interval" in page
    # Figures equal in every replication (the suppliers counted) show no interval.
    suppliers = re.search(r"<th>suppliers</th><td class='number'>(.*?)</td>", page).group(1)
    assert "interval" not in suppliers


def test_a_single_run_shows_no_interval(page):
    assert "class='interval'" not in page
    assert "confidence interval" not in page
