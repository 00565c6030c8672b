"""Stopping a run: the first Ctrl+C finishes and exports, a second one (or the app's cancel) abandons."""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Callable
from typing import Any

ABANDONED = 130
"""Exit status after a second Ctrl+C (the shell's for an interrupt)."""


ABANDON_SIGNAL = getattr(signal, "SIGUSR1", None)
"""Abandon at once, writing nothing: what the app's cancel sends. One signal, so it cannot be
lost the way the second of two quick interrupts is when both arrive before either is handled."""


def install_stop_handler(stop: threading.Event) -> Callable[[], None]:
    """First Ctrl+C (or SIGTERM): finish the step, keep the best model, export it.

    A second Ctrl+C, or ``ABANDON_SIGNAL``, gives up at once. Returns a function that restores
    the old handlers.
    """

    def handler(signum: int, frame: Any) -> None:
        if stop.is_set():
            raise KeyboardInterrupt
        stop.set()
        print("\nstopping: exporting the best model so far (Ctrl+C again to abandon)", file=sys.stderr)

    def abandon(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    if threading.current_thread() is not threading.main_thread():
        return lambda: None  # signals belong to the main thread (e.g. under a test runner)
    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    if ABANDON_SIGNAL is not None:
        previous[ABANDON_SIGNAL] = signal.signal(ABANDON_SIGNAL, abandon)

    def restore() -> None:
        for sig, old in previous.items():
            signal.signal(sig, old)

    return restore
