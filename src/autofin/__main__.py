"""The ``autofin`` command (also ``python -m autofin``).

The command line's modules take about half a second to import; Ctrl-C during that time ends
the command with the same message and exit code (130) as an interrupt before a run has
finished, not with a traceback.
"""

from __future__ import annotations

import sys

EXIT_INTERRUPTED = 130  # as `autofin.cli.EXIT_INTERRUPTED` (not imported: that is what may be cut)


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
