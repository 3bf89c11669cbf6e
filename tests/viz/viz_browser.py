"""Serving the page on a free port and driving it with Debian's Chromium through Playwright.

Shared by the browser tests and `benchmarks/viz.py`. The server runs in its own process group
so that stopping it stops Solara's child too.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

import psutil

from chromium import CHROMIUM, CHROMIUM_ARGS

AUTOFIN = str(Path(sys.executable).with_name("autofin"))
STEP_TEXT = re.compile(r"^Step (\d+) of (\d+)")


def free_port() -> int:
    """A port nobody listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Server:
    """A running `autofin viz` server."""

    process: subprocess.Popen
    port: int
    log: Path
    children: list[psutil.Process] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def is_local(self, url: str) -> bool:
        """Whether a request stays on this server (or inside the page: blob and data URLs)."""
        local = (f"http://127.0.0.1:{self.port}/", f"ws://127.0.0.1:{self.port}/")
        return url.startswith(local) or url.startswith(("blob:" + local[0], "data:"))


@contextmanager
def serve(*args: str, timeout: float = 120.0, log_dir: Path | None = None) -> Iterator[Server]:
    """Run `autofin viz ARGS --port <free>` until the block ends, then stop its process group.

    Raises:
        RuntimeError: The page did not answer within ``timeout`` seconds.
    """
    port = free_port()
    log_dir = log_dir or Path(os.environ.get("TMPDIR", "/tmp"))
    log = log_dir / f"autofin-viz-{port}.log"
    with log.open("w") as output:
        process = subprocess.Popen(
            [AUTOFIN, "viz", *args, "--port", str(port)],
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = Server(process, port, log)
    try:
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"autofin viz exited: {log.read_text()}")
            try:
                with urllib.request.urlopen(server.url, timeout=2):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"autofin viz did not answer: {log.read_text()}") from None
                time.sleep(0.3)
        server.children = psutil.Process(process.pid).children(recursive=True)
        yield server
    finally:
        stop(server)


def stop(server: Server) -> None:
    """Stop the server's whole process group: SIGTERM, then SIGKILL after 10 s."""
    process = server.process
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
    _, alive = psutil.wait_procs(server.children, timeout=10)
    for child in alive:
        child.kill()


def launch(playwright):
    """Debian's Chromium, headless, with nothing fetched in the background."""
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


def step_count(page) -> int:
    """The step counter shown on the page."""
    text = page.get_by_text(STEP_TEXT).inner_text(timeout=30_000)
    return int(STEP_TEXT.match(text).group(1))


FIGURES_JS = """() => [...document.querySelectorAll('.js-plotly-plot')].map(g => ({
    title: (g.layout && g.layout.title && g.layout.title.text) || '',
    traces: (g._fullData || []).map(t => ({
        name: t.name || '',
        x: Array.from(t.x || []).map(Number),
        y: Array.from(t.y || []).map(Number),
    })),
    shapes: ((g.layout && g.layout.shapes) || []).map(s => ({x0: s.x0, name: s.name || ''})),
}))"""


def figures(page) -> dict[str, dict]:
    """The page's plotly figures by title: their traces' data and their shapes."""
    return {f["title"]: f for f in page.evaluate(FIGURES_JS)}
