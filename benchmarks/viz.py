"""Benchmark the browser view: steps per second in the real browser, model step plus redraw.

`autofin viz` serves the scenario on a free port; Debian's Chromium (headless, through
Playwright) opens the page, on its first tab (the clock, defaults, supply network, banks).
Two figures per scenario:

* **Step round trip**: the median time from pressing Step until every figure of the tab shows
  the new step (the defaults series has the new day and the network's title the new step),
  i.e. one model step, the panels rebuilt on the server and redrawn in the browser.
* **Playing**: steps per second the step counter advances while playing with
  ``--play-interval 1 --render-interval 1``. Panels redraw as often as they can; when the
  model steps faster, Solara renders the newest step (intermediate ones are skipped) and the
  browser draws at most once per frame, so this is the model's pace with the page following,
  not one full redraw per step (the round trip measures that).

Cases: the baseline (340 suppliers) and a 10,000-supplier world (the baseline with tiers of
1,000, 3,000 and 6,000; the network figure draws every defaulted firm and a sample of the rest).
The machine is shared, so repeat and quote medians.

Usage::

    .venv/bin/python benchmarks/viz.py                      # both cases
    .venv/bin/python benchmarks/viz.py --clicks 10 --play-seconds 20
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

DRAWN = """(step, day) => {
  const plots = [...document.querySelectorAll('.js-plotly-plot')];
  const title = g => (g.layout && g.layout.title && g.layout.title.text) || '';
  const net = plots.find(g => title(g).startsWith('Supply network at step ' + step + ':'));
  const defaults = plots.find(g => title(g).startsWith('Defaults over time'));
  if (!net || !defaults || !defaults._fullData || !defaults._fullData.length) return false;
  const x = defaults._fullData[0].x;
  return Boolean(x && x.length && Number(x[x.length - 1]) === day);
}"""

CLICK_JS = f"""async ([step, day]) => {{
  const drawn = {DRAWN};
  const button = [...document.querySelectorAll('button')]
    .find(b => b.textContent.trim() === 'Step');
  const started = performance.now();
  button.click();
  while (!drawn(step, day)) await new Promise(r => requestAnimationFrame(r));
  return (performance.now() - started) / 1000;
}}"""

WATCH_JS = """() => {
  // Every animation frame, note the step the supply network shows and the last day of the
  // defaults series: a step counts as drawn when both panels have shown it.
  window.autofinSeen = { network: new Set(), defaults: new Set(), stop: false };
  const title = g => (g.layout && g.layout.title && g.layout.title.text) || '';
  const watch = () => {
    const plots = [...document.querySelectorAll('.js-plotly-plot')];
    for (const g of plots) {
      const match = /^Supply network at step (\\d+):/.exec(title(g));
      if (match) window.autofinSeen.network.add(Number(match[1]));
      if (title(g).startsWith('Defaults over time') && g._fullData && g._fullData.length) {
        const x = g._fullData[0].x;
        if (x && x.length) window.autofinSeen.defaults.add(Number(x[x.length - 1]));
      }
    }
    if (!window.autofinSeen.stop) requestAnimationFrame(watch);
  };
  requestAnimationFrame(watch);
}"""

SEEN_JS = """(stepDays) => {
  const seen = window.autofinSeen;
  seen.stop = true;
  const days = new Set([...seen.network].map(s => s * stepDays));
  return [...seen.defaults].filter(d => days.has(d)).length;
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
            trips.append(page.evaluate(CLICK_JS, [target, target * step_days]))
        page.get_by_role("button", name="▶", exact=True).click()
        page.wait_for_timeout(1000)
        # Poll the counter; the rate runs to the last change seen (the run may end first).
        page.evaluate(WATCH_JS)
        first, started = step_count(page), time.perf_counter()
        last, ended = first, started
        while time.perf_counter() - started < play_seconds:
            page.wait_for_timeout(250)
            now = step_count(page)
            if now != last:
                last, ended = now, time.perf_counter()
        drawn = page.evaluate(SEEN_JS, step_days)
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
