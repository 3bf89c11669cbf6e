"""Signals within a block: how Ctrl-C (SIGINT) and SIGTERM are handled while work is under way.

Long work (a run, a sweep, starting a local cluster) handles the signals that stop it in its own
way: a SIGTERM from a cluster's time limit stops a run as Ctrl-C does, a sweep's loop records
each interrupt so library code cannot drop it, a cluster being started holds Ctrl-C back until
it is whole. `handled` is what they share: the handler for the block, the previous ones after.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager

Handler = Callable[[int, object], None]


@contextmanager
def handled(signals: Iterable[signal.Signals], handler: Handler) -> Iterator[bool]:
    """Within the block, ``handler`` handles ``signals``; their previous handlers after it.

    Python lets only the main thread set signal handlers: from another thread (tests call
    the command line from threads) nothing is set, and the block runs with the handlers in
    place.

    Yields:
        Whether the handler was set.
    """
    if threading.current_thread() is not threading.main_thread():
        yield False
        return
    previous = {number: signal.signal(number, handler) for number in signals}
    try:
        yield True
    finally:
        for number, old in previous.items():
            signal.signal(number, old)


def raise_interrupt(signum: int, frame: object) -> None:
    """A handler that stops the work as Ctrl-C does (`KeyboardInterrupt`)."""
    raise KeyboardInterrupt
