"""Background sampler: calls ``poll(tick)`` every ``interval_s`` on a daemon thread while a phase runs.

It runs inside the sampler process (bench/telemetry/worker.py), not in the process that measures: there
it has an interpreter and a GIL of its own. In the measuring process a thread could not stay out of the
timed region: onnxruntime-genai's Python bindings hold the GIL for the whole of ``append_tokens`` and
``generate_next_token`` (src/python/python.cpp binds them without releasing it), so such a thread runs
only in the Python gaps between those calls, which lie inside TTFT and every decode step, and the
measuring thread waits for it. Only tests that inject a fake NVML module object sample on a thread in
the test process.

One thread per tracked phase, started on enter and joined on exit, rather than one long-lived thread
with phase markers: nothing polls between phases (warmups, tokenization, the runner's bookkeeping) and a
phase's readings can never leak into the next one.

Ticks run on a fixed schedule (start + k × interval); a tick that falls behind is skipped rather than
bursting to catch up. The first and final readings are not taken here: the owner takes them
synchronously on enter and exit so that even a phase shorter than one interval has both.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

DEFAULT_INTERVAL_S = 0.010
JOIN_TIMEOUT_S = 5.0


class Sampler:
    """``with Sampler(poll, interval_s=0.01): ...`` polls in the background until the block ends."""

    def __init__(
        self,
        poll: Callable[[int], None],
        *,
        interval_s: float = DEFAULT_INTERVAL_S,
        name: str = "bench-telemetry",
    ) -> None:
        if interval_s <= 0:
            raise ValueError(f"interval_s must be > 0, got {interval_s}")
        self._poll = poll
        self.interval_s = interval_s
        self._name = name
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.ticks = 0
        self.skipped = 0
        self.error: BaseException | None = None

    def __enter__(self) -> Sampler:
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            # A hung NVML call (a GPU falling off the bus) must not hang the run: give up on the thread.
            self._thread.join(timeout=JOIN_TIMEOUT_S)
            if self._thread.is_alive() and self.error is None:
                self.error = TimeoutError(f"a reading did not return within {JOIN_TIMEOUT_S:.0f} s")
            self._thread = None

    def _run(self) -> None:
        interval, clock, stop = self.interval_s, time.perf_counter, self._stop
        due = clock() + interval
        while not stop.wait(max(0.0, due - clock())):
            try:
                self._poll(self.ticks)
            except BaseException as exc:  # a broken probe ends sampling, never the measurement
                self.error = exc
                return
            self.ticks += 1
            due += interval
            now = clock()
            if due < now:
                missed = int((now - due) / interval) + 1
                self.skipped += missed
                due += missed * interval
