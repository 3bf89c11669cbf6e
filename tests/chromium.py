"""Debian's Chromium as the browser tests and benchmarks start it (through Playwright)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

CHROMIUM = "/usr/bin/chromium"
"""Installed by `.ci/system-deps` (apt); Playwright's own browser download does not work here."""

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
"""Headless, as root, and with no background traffic to hosts this machine cannot reach."""


def open_in_chromium(
    report: Path, profile: Path, screenshot: Path, evaluate: str | None = None
) -> dict[str, Any]:
    """Open an HTML file from disk once every plotly figure in it has drawn.

    Args:
        report: The page.
        profile: A fresh folder for the browser's profile.
        screenshot: Where the whole page's screenshot goes.
        evaluate: JavaScript evaluated on the drawn page, if any.

    Returns:
        The URLs requested (``requests``), the console errors (``errors``), the number of
        SVGs of each figure by its div's id (``svgs``) and what ``evaluate`` gave
        (``evaluated``).
    """
    import pytest
    from playwright.sync_api import sync_playwright

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
            evaluated = page.evaluate(evaluate) if evaluate is not None else None
            screenshot.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(screenshot), full_page=True)
        finally:
            context.close()
    return {"requests": requests, "errors": errors, "svgs": svgs, "evaluated": evaluated}
