"""The ``autofin`` command (also ``python -m autofin``).

The command line's modules take about half a second to import; Ctrl-C during that time ends
the command with the same message and exit code (130) as an interrupt before a run has
finished, not with a traceback.
"""

from __future__ import annotations

import multiprocessing
import signal
import sys

EXIT_INTERRUPTED = 130  # as `autofin.cli.EXIT_INTERRUPTED` (not imported: that is what may be cut)

if getattr(multiprocessing.current_process(), "_inheriting", False):
    # A worker process of a local sweep's cluster: started by `multiprocessing`, it imports
    # the command's main module first. The terminal sends Ctrl-C to every process of the
    # command, and each worker printed its KeyboardInterrupt's traceback; the sweep itself
    # stops them.
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def main() -> None:
    """Import the command line and run it."""
    try:
        from autofin.cli import app
    except KeyboardInterrupt:
        print("error: interrupted while starting; nothing was run", file=sys.stderr)
        sys.exit(EXIT_INTERRUPTED)
    app()


if __name__ == "__main__":
    main()
