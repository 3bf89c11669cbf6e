"""The report in a real browser: Debian's Chromium, driven by Playwright, opening it from disk.

Every figure must render (plotly draws an SVG in the figure's div), the page must request
nothing but `file://` URLs and log no console error. Screenshots go to tests/artifacts/
(git-ignored) for a person to look at.
"""

from __future__ import annotations

import shutil
from itertools import combinations

import pytest

from autofin.report.page import PANELS, write_report
from chromium import open_in_chromium

FUNNEL_TEXT_HEIGHTS = (
    "[...document.querySelectorAll('#figure-funnel text.bartext')]"
    ".map(t => t.getBoundingClientRect().height).filter(h => h > 0)"
)
"""The height in pixels of every number drawn in the funnel's bars (a hidden one has none)."""

SMALLEST_TEXT_PX = 9
"""A 9 px line of text: the 8 px type below which a number is left out of its bar."""

FOUR_RUNS = (
    """({
  width: document.documentElement.scrollWidth,
  window: window.innerWidth,
  networks: Object.fromEntries([...document.querySelectorAll("div[id^='figure-network-']")]
    .map(d => [d.id, d.querySelector('.gtitle').textContent])),
  sankeys: [...document.querySelectorAll('div[id^="figure-flows"] g.sankey')]
    .map(g => [...g.querySelectorAll('.node-label')].map(t => {
      const r = t.getBoundingClientRect();
      return [t.textContent, r.left, r.top, r.right, r.bottom];
    })),
  ticks: ['xtick', 'ytick'].map(a =>
    [...document.querySelectorAll(`#figure-cascades .${a} text`)].map(t => t.textContent)),
  funnel: """
    + FUNNEL_TEXT_HEIGHTS
    + "})"
)
"""What the reader of a comparison of four runs sees: the page's width, the networks' titles,
the Sankeys' node labels (text and box), the funnel's numbers and the cascades' tick labels."""


def test_report_renders_offline_in_chromium(baseline, tmp_path, artifacts):
    report = write_report(baseline, tmp_path / "report.html")
    seen = open_in_chromium(
        report, tmp_path / "profile", artifacts / "report_baseline.png", FUNNEL_TEXT_HEIGHTS
    )
    assert [url for url in seen["requests"] if not url.startswith("file://")] == []
    assert seen["errors"] == []
    expected = {f"figure-{panel.key.replace('_', '-')}" for panel in PANELS}
    assert set(seen["svgs"]) == expected
    assert all(count > 0 for count in seen["svgs"].values())
    assert (artifacts / "report_baseline.png").stat().st_size > 50_000
    # The funnel's numbers are readable, or left out (plotly shrank some to 4 px to fit).
    assert seen["evaluated"]
    assert min(seen["evaluated"]) >= SMALLEST_TEXT_PX


def test_comparison_report_renders_offline_in_chromium(
    baseline_dir, variant_dir, tmp_path, artifacts
):
    # Opened from a copy in a fresh folder: the file needs nothing beside it.
    report = write_report([baseline_dir, variant_dir], tmp_path / "built" / "compare.html")
    alone = tmp_path / "alone" / "compare.html"
    alone.parent.mkdir()
    shutil.move(report, alone)
    seen = open_in_chromium(alone, tmp_path / "profile", artifacts / "report_comparison.png")
    assert [url for url in seen["requests"] if not url.startswith("file://")] == []
    assert seen["errors"] == []
    assert "figure-network-platform-reverse-factoring" in seen["svgs"]
    assert all(count > 0 for count in seen["svgs"].values())


def test_every_figure_title_lies_inside_its_figure(tmp_path, artifacts):
    # A replicated run's network title has a second line (which replication it draws), which
    # plotly pushed up over the figure's top edge.
    from autofin.results.replications import simulate_replications
    from autofin.scenario.loading import load_scenario_dict
    from conftest import TINY_SETTINGS

    result = simulate_replications(load_scenario_dict({**TINY_SETTINGS, "replications": 2}))
    report = write_report(result, tmp_path / "report.html")
    seen = open_in_chromium(
        report,
        tmp_path / "profile",
        artifacts / "report_replicated.png",
        evaluate="[...document.querySelectorAll('div.plotly-graph-div')].map(d => {"
        " const t = d.querySelector('.gtitle'); return [d.id, t ? t.textContent : '',"
        " t ? t.getBoundingClientRect().top - d.getBoundingClientRect().top : 0]; })",
    )
    titles = seen["evaluated"]
    assert any("replications" in text for _, text, _ in titles)
    assert [(name, gap) for name, _, gap in titles if gap < 0] == []


@pytest.fixture(scope="module")
def four_runs(baseline_dir, variant_dir, tmp_path_factory, artifacts):
    """A comparison of four runs, two of each scenario, as Chromium draws it (`FOUR_RUNS`)."""
    folder = tmp_path_factory.mktemp("four")
    again, variant_again = folder / "again", folder / "variant_again"
    shutil.copytree(baseline_dir, again)
    shutil.copytree(variant_dir, variant_again)
    report = write_report(
        [baseline_dir, again, variant_dir, variant_again], folder / "compare.html"
    )
    seen = open_in_chromium(report, folder / "profile", artifacts / "report_four.png", FOUR_RUNS)
    assert seen["errors"] == []
    return seen["evaluated"]


def test_four_runs_page_is_no_wider_than_the_window(four_runs):
    # The provenance table's SHA-256 values did not wrap: 2,051 px in a 1,400 px window.
    assert four_runs["width"] <= four_runs["window"]


def test_each_runs_network_is_titled_with_its_runs_name(four_runs):
    titles = four_runs["networks"]
    assert len(titles) == 4
    for label in (
        "long_terms_stress (baseline)",
        "long_terms_stress (again)",
        "platform_reverse_factoring (variant)",
        "platform_reverse_factoring (variant_again)",
    ):
        assert sum(title.startswith(f"{label}: Supply network") for title in titles.values()) == 1


def test_four_runs_sankey_labels_do_not_overlap(four_runs):
    # Four Sankeys side by side ran "suppliers tier 3 pays" into "... receives".
    assert len(four_runs["sankeys"]) == 8  # the whole run and its last quarter, four runs each
    for labels in four_runs["sankeys"]:
        assert len(labels) > 4
        overlapping = [
            (a[0], b[0])
            for a, b in combinations(labels, 2)
            if a[1] < b[3] and b[1] < a[3] and a[2] < b[4] and b[2] < a[4]
        ]
        assert overlapping == []


def test_four_runs_funnel_draws_no_number_too_small_to_read(four_runs):
    # Four bars to a stage are too thin for plotly's 12 px numbers: it drew them at 4 px.
    assert all(height >= SMALLEST_TEXT_PX for height in four_runs["funnel"])


def test_cascade_axes_label_powers_of_ten_only(four_runs):
    # Plotly labelled the ticks between 1, 0.1 and 0.01 "5" and "2", which read as values.
    for labels in four_runs["ticks"]:
        assert len(labels) >= 2
        assert all(label in ("0.001", "0.01", "0.1", "1", "10", "100", "1000") for label in labels)
