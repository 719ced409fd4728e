"""Graceful interruption on Linux and Windows.

First Ctrl-C (SIGINT), SIGTERM or Ctrl-Break (SIGBREAK, Windows): ask the sweep to stop after the
current decode step; the runner writes the result with every completed point and ``status:
interrupted``. A second signal raises ``KeyboardInterrupt`` at once; result writes are atomic, so the
last checkpoint stays intact.
"""

from __future__ import annotations

import contextlib
import signal
from collections.abc import Callable, Iterator
from types import FrameType

from bench.engine.genai import StopFlag


def _stop_signals() -> list[signal.Signals]:
    names = ("SIGINT", "SIGTERM", "SIGBREAK")  # SIGBREAK exists on Windows only
    return [getattr(signal, name) for name in names if hasattr(signal, name)]


@contextlib.contextmanager
def graceful_stop(
    stop: StopFlag, *, announce: Callable[[str], None] = lambda _text: None
) -> Iterator[StopFlag]:
    previous: dict[signal.Signals, object] = {}

    def handler(signum: int, _frame: FrameType | None) -> None:
        name = signal.Signals(signum).name
        if stop.requested:
            raise KeyboardInterrupt(f"second {name}")
        stop.request(name)
        announce(f"{name}: stopping after the current step; press Ctrl-C again to abort at once")

    for sig in _stop_signals():
        try:
            previous[sig] = signal.signal(sig, handler)
        except (ValueError, OSError):  # not the main thread, or a signal this platform refuses
            continue
    try:
        yield stop
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)  # type: ignore[arg-type]
