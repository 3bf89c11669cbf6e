"""Benchmark the browser view: steps per second in the real browser, model step plus redraw.

`autofin viz` serves the scenario on a free port; Debian's Chromium (headless, through
Playwright) opens the page, on its first tab (the clock, defaults, supply network, banks).
Two figures per scenario:

* **Step round trip**: the median time from pressing Step until every panel of the tab shows
  the new step on screen (the clock's counter, the network's drawn title, the last day of the
  defaults and banks series as plotly drew them), i.e. one model step, the panels rebuilt on
  the server, the changes sent and the panels redrawn in the browser.
* **Playing**: steps per second the step counter advances while playing with
  ``--play-interval 1 --render-interval 1``, and the steps drawn per second: steps that every
  panel of the tab showed (the browser draws at most once per frame, so a step the model
  outpaced may never be drawn).

Cases: the baseline (340 suppliers) and a 10,000-supplier world (the baseline with tiers of
1,000, 3,000 and 6,000; the network figure draws the automakers, the firms of the default
cascades and a sample of the rest).
The machine is shared, so repeat and quote medians.

Usage::

    .venv/bin/python benchmarks/viz.py                      # both cases
    .venv/bin/python benchmarks/viz.py --clicks 10 --play-seconds 20
    PYTHONPATH=/tmp/old/src .venv/bin/python benchmarks/viz.py   # another version's page
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "viz"))
sys.path.insert(0, str(ROOT / "tests"))

from playwright.sync_api import sync_playwright  # noqa: E402
from viz_browser import launch, serve, step_count  # noqa: E402

LARGE = """\
extends: baseline.yaml
name: suppliers_10k
description: The baseline world with 10,000 suppliers (1,000, 3,000 and 6,000 by tier).
network:
  tiers: [1000, 3000, 6000]
"""

SHOWN_JS = """(stepDays) => {
  // The step each panel of the first tab shows as drawn on screen: the clock's counter, the
  // network's drawn title, the last day of the defaults and banks series (drawn data).
  const plots = [...document.querySelectorAll('.js-plotly-plot')];
  const title = g => (g.querySelector('.gtitle') || {}).textContent || '';
  const lastDay = start => {
    const g = plots.find(g => title(g).startsWith(start));
    const x = g && g._fullData && g._fullData.length && g._fullData[0].x;
    return x && x.length ? Number(x[x.length - 1]) / stepDays : null;
  };
  const net = plots.map(g => /^Supply network at step (\\d+):/.exec(title(g))).find(m => m);
  const clock = /Step (\\d+) of/.exec(
    (document.querySelector('.autofin-clock') || {}).textContent || '');
  return {
    clock: clock ? Number(clock[1]) : null,
    network: net ? Number(net[1]) : null,
    defaults: lastDay('Defaults over time'),
    banks: lastDay('Banks'),
  };
}"""

PANELS = ("clock", "network", "defaults", "banks")
"""The first tab's panels, all of which must show a step for it to count as drawn."""

CLICK_JS = f"""async ([step, stepDays]) => {{
  const shown = {SHOWN_JS};
  const drawn = () => {{
    const now = shown(stepDays);
    return {list(PANELS)}.every(panel => now[panel] === step);
  }};
  const button = [...document.querySelectorAll('button')]
    .find(b => b.textContent.trim() === 'Step');
  const started = performance.now();
  button.click();
  while (!drawn()) await new Promise(r => requestAnimationFrame(r));
  return (performance.now() - started) / 1000;
}}"""

WATCH_JS = f"""(stepDays) => {{
  // Every animation frame, note the step each panel shows: a step counts as drawn when every
  // panel of the tab has shown it.
  const shown = {SHOWN_JS};
  window.autofinSeen = {{ panels: {{}}, stop: false }};
  for (const panel of {list(PANELS)}) window.autofinSeen.panels[panel] = new Set();
  const watch = () => {{
    const now = shown(stepDays);
    for (const [panel, step] of Object.entries(now)) {{
      if (step !== null) window.autofinSeen.panels[panel].add(step);
    }}
    if (!window.autofinSeen.stop) requestAnimationFrame(watch);
  }};
  requestAnimationFrame(watch);
}}"""

SEEN_JS = """() => {
  const seen = window.autofinSeen;
  seen.stop = true;
  const sets = Object.values(seen.panels);
  return [...sets[0]].filter(step => sets.every(set => set.has(step))).length;
}"""


def measure(scenario: Path, clicks: int, play_seconds: float, step_days: int) -> dict:
    """Step round trips and the playing rates of one scenario in the browser."""
    with (
        serve(str(scenario), "--play-interval", "1", "--render-interval", "1") as server,
        sync_playwright() as playwright,
    ):
        browser = launch(playwright)
        page = browser.new_page(viewport={"width": 1600, "height": 1100})
        page.goto(server.url)
        page.get_by_role("button", name="Step", exact=True).wait_for(timeout=120_000)
        trips = []
        for _ in range(clicks + 1):  # the first click (first figures drawn) is not counted
            target = step_count(page) + 1
            trips.append(page.evaluate(CLICK_JS, [target, step_days]))
        page.get_by_role("button", name="▶", exact=True).click()
        page.wait_for_timeout(1000)
        # Poll the counter; the rate runs to the last change seen (the run may end first).
        page.evaluate(WATCH_JS, step_days)
        first, started = step_count(page), time.perf_counter()
        last, ended = first, started
        while time.perf_counter() - started < play_seconds:
            page.wait_for_timeout(250)
            now = step_count(page)
            if now != last:
                last, ended = now, time.perf_counter()
        drawn = page.evaluate(SEEN_JS)
        elapsed = max(time.perf_counter() - started, 1e-9)
        browser.close()
    round_trip = statistics.median(trips[1:])
    return {
        "round_trip_s": round_trip,
        "round_trip_steps_per_s": 1 / round_trip,
        "playing_steps_per_s": (last - first) / max(ended - started, 1e-9),
        "playing_drawn_per_s": drawn / elapsed,
    }


COLUMNS = (
    ("round_trip_s", "step round trip", "{:>13.0f} ms", 1000),
    ("round_trip_steps_per_s", "steps/s clicking", "{:>16.2f}", 1),
    ("playing_steps_per_s", "steps/s playing", "{:>15.2f}", 1),
    ("playing_drawn_per_s", "drawn/s playing", "{:>15.2f}", 1),
)


def row(label: str, figures: dict) -> str:
    """One line of the table."""
    cells = [fmt.format(figures[key] * scale) for key, _, fmt, scale in COLUMNS]
    return f"{label:<22} " + " ".join(cells)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clicks", type=int, default=8, help="Step presses timed per run.")
    parser.add_argument("--play-seconds", type=float, default=15.0, help="Seconds of play.")
    parser.add_argument("--runs", type=int, default=3, help="Runs per case (medians printed).")
    parser.add_argument("--only", choices=["baseline", "suppliers_10k"], default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        large = Path(folder) / "suppliers_10k.yaml"
        # A scenario may only extend files in its own folder: the baseline is copied beside it.
        shutil.copy(ROOT / "scenarios" / "baseline.yaml", Path(folder) / "baseline.yaml")
        large.write_text(LARGE)
        cases = {"baseline": ROOT / "scenarios" / "baseline.yaml", "suppliers_10k": large}
        print(f"{'scenario':<22} " + " ".join(f"{title:>16}" for _, title, _, _ in COLUMNS))
        for name, path in cases.items():
            if args.only and name != args.only:
                continue
            measured = []
            for run in range(1, args.runs + 1):
                measured.append(measure(path, args.clicks, args.play_seconds, step_days=7))
                print(row(f"{name} run {run}", measured[-1]), flush=True)
            medians = {key: statistics.median(m[key] for m in measured) for key, *_ in COLUMNS}
            print(row(f"{name} MEDIAN", medians), flush=True)


if __name__ == "__main__":
    main()
