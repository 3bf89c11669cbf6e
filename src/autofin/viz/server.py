"""Serving the page: `autofin viz` runs Solara's server on the app module in a child process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from autofin.viz.plotly_view import PLOTLY_JS_DIR

LOCALHOST = "127.0.0.1"
APP_MODULE = "autofin.viz.app"
SCENARIO_ENV = "AUTOFIN_VIZ_SCENARIO"
PLAY_INTERVAL_ENV = "AUTOFIN_VIZ_PLAY_INTERVAL"
RENDER_INTERVAL_ENV = "AUTOFIN_VIZ_RENDER_INTERVAL"
"""How `autofin viz` tells the page's process what to open and how fast to play."""


def address(host: str, port: int) -> str:
    """The page's address."""
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}/"


def server_command(host: str, port: int, open_browser: bool = False) -> list[str]:
    """The Solara command line that serves the page."""
    return [
        sys.executable,
        "-m",
        "solara",
        "run",
        APP_MODULE,
        "--host",
        host,
        "--port",
        str(port),
        "--production",
        "--open" if open_browser else "--no-open",
        "--no-check-version",
        "--log-level",
        "warning",
    ]


def server_environment(
    scenario: Path | None, play_interval: int = 100, render_interval: int = 1
) -> dict[str, str]:
    """The environment of the server process: the scenario and the playback settings."""
    env = {**os.environ, PLAY_INTERVAL_ENV: str(play_interval)}
    env[RENDER_INTERVAL_ENV] = str(render_interval)
    env["SOLARA_TELEMETRY_MIXPANEL_ENABLE"] = "False"
    env["SOLARA_ASSETS_EXTRA_LOCATIONS"] = str(PLOTLY_JS_DIR)
    # Solara's "This website runs on Solara" badge is pinned over the page's bottom right
    # corner, where it covered a chart's title at laptop widths; the tab says autofin.
    env["SOLARA_THEME_SHOW_BANNER"] = "False"
    env["SOLARA_THEME_TITLE"] = "autofin"
    # Solara warns that its cookie falls back to samesite=lax over http; that is expected here.
    env["PYTHONWARNINGS"] = "ignore:Cookies with samesite:UserWarning"
    if scenario is not None:
        env[SCENARIO_ENV] = str(Path(scenario).resolve())
    else:
        env.pop(SCENARIO_ENV, None)
    return env


def serve(
    scenario: Path | None,
    host: str,
    port: int,
    open_browser: bool = False,
    play_interval: int = 100,
    render_interval: int = 1,
) -> int:
    """Run the server until it stops (Ctrl-C); returns its exit code."""
    process = subprocess.Popen(
        server_command(host, port, open_browser),
        env=server_environment(scenario, play_interval, render_interval),
    )
    # Stopped with SIGTERM (not Ctrl-C), stop the server too rather than orphan it.
    signal.signal(signal.SIGTERM, lambda *_: process.terminate())
    try:
        return process.wait()
    except KeyboardInterrupt:
        process.terminate()
        process.wait()
        return 130
