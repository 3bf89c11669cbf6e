"""The report in a real browser: Debian's Chromium, driven by Playwright, opening it from disk.

Every figure must render (plotly draws an SVG in the figure's div), the page must request
nothing but `file://` URLs and log no console error. Screenshots go to tests/artifacts/
(git-ignored) for a person to look at.
"""

from __future__ import annotations

import shutil

from autofin.report.page import PANELS, write_report
from chromium import open_in_chromium


def test_report_renders_offline_in_chromium(baseline, tmp_path, artifacts):
    report = write_report(baseline, tmp_path / "report.html")
    seen = open_in_chromium(report, tmp_path / "profile", artifacts / "report_baseline.png")
    assert [url for url in seen["requests"] if not url.startswith("file://")] == []
    assert seen["errors"] == []
    expected = {f"figure-{panel.key.replace('_', '-')}" for panel in PANELS}
    assert set(seen["svgs"]) == expected
    assert all(count > 0 for count in seen["svgs"].values())
    assert (artifacts / "report_baseline.png").stat().st_size > 50_000


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
