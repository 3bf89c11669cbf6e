"""Debian's Chromium as the browser tests and benchmarks start it (through Playwright)."""

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
