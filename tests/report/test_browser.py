"""The report in a real browser: Debian's Chromium, driven by Playwright, opening it from disk.

Every figure must render (plotly draws an SVG in the figure's div), the page must request
nothing but `file://` URLs and log no console error. Screenshots go to tests/artifacts/
(git-ignored) for a person to look at.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from autofin.report.page import PANELS, write_report
from chromium import CHROMIUM, CHROMIUM_ARGS


def open_in_chromium(report: Path, profile: Path, screenshot: Path) -> dict:
    """Open `report` from disk; return the requests, console errors and SVGs per figure."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run .ci/system-deps (or make test) to install it")
    requests: list[str] = []
    errors: list[str] = []
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(profile),
            executable_path=CHROMIUM,
            args=CHROMIUM_ARGS,
            viewport={"width": 1400, "height": 900},
        )
        try:
            page = context.new_page()
            page.on("request", lambda request: requests.append(request.url))
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.goto(report.as_uri(), wait_until="load")
            page.wait_for_function(
                "() => [...document.querySelectorAll('div.plotly-graph-div')]"
                ".every(d => d.querySelector('svg.main-svg'))",
                timeout=30_000,
            )
            svgs = page.eval_on_selector_all(
                "div.plotly-graph-div",
                "divs => Object.fromEntries(divs.map(d => "
                "[d.id, d.querySelectorAll('svg.main-svg').length]))",
            )
            screenshot.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(screenshot), full_page=True)
        finally:
            context.close()
    return {"requests": requests, "errors": errors, "svgs": svgs}


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
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.goto(report.as_uri(), wait_until="load")
            page.wait_for_function(
                "() => [...document.querySelectorAll('div.plotly-graph-div')]"
                ".every(d => d.querySelector('.gtitle'))",
                timeout=30_000,
            )
            titles = page.eval_on_selector_all(
                "div.plotly-graph-div",
                "divs => divs.map(d => { const t = d.querySelector('.gtitle')"
                ".getBoundingClientRect(), f = d.getBoundingClientRect();"
                " return [d.id, d.querySelector('.gtitle').textContent, t.top - f.top]; })",
            )
            page.screenshot(path=str(artifacts / "report_replicated.png"), full_page=True)
        finally:
            browser.close()
    assert any("replications" in text for _, text, _ in titles)
    assert [(name, gap) for name, _, gap in titles if gap < 0] == []
