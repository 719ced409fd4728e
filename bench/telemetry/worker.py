"""The sampler process: continuous telemetry series sampled outside the process that holds the clock.

onnxruntime-genai's Python bindings hold the GIL inside ``append_tokens`` and ``generate_next_token``
(src/python/python.cpp binds them without a ``gil_scoped_release``), so a sampler thread in the measuring
process only runs in the Python gaps between those calls, which lie inside TTFT and every decode step,
and the measuring thread then waits for it. A separate process has its own interpreter and GIL.

    sampler = SamplerProcess.start(nvml_factory="pynvml")
    sampler.begin(spec, 0.01)      # phase start: the child builds the probes, takes first readings, replies
    ...                        # the timed region: the measuring process does no telemetry work at all
    report = sampler.end()     # phase end: final readings, the finished probes come back
    sampler.close()

Messages cross only at phase boundaries, which lie outside the timed region. The child is started with
the ``spawn`` context (the only one on Windows; on Linux it avoids forking a process that holds
onnxruntime's threads). ``nvml_factory`` names what the child opens NVML on, importable by path:
``"pynvml"`` (the real library) or ``"package.module:callable"`` returning a pynvml-like module (the
scripted fake in tests and benchmarks). The child runs at a lower priority than the measuring process.

As with any ``spawn`` child, a script that runs bench from its top level needs the
``if __name__ == "__main__":`` guard (the child re-imports the main module); without it the sampler
process fails to start and the run records "no background telemetry" with the reason.
"""

from __future__ import annotations

import contextlib
import importlib
import multiprocessing
import os
import signal
import sys
from multiprocessing.connection import Connection
from typing import Any

import psutil

from bench.telemetry.nvml import Nvml, NvmlError
from bench.telemetry.window import LocalWindow, PartSpec, WindowReport, open_window

START_TIMEOUT_S = 60.0  # spawning imports bench.telemetry (and pynvml) in a fresh interpreter
REPLY_TIMEOUT_S = 15.0  # longer than the sampler thread's own join timeout
REAL_NVML = "pynvml"


class SamplerError(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def load_nvml_module(factory: str | None) -> Any:
    """``None``: no NVML; ``"pynvml"``: the real one; ``"module:callable"``: what the callable returns."""
    if factory is None:
        return None
    if factory == REAL_NVML:
        from bench.telemetry.nvml import import_pynvml

        return import_pynvml()
    module_name, _, attribute = factory.partition(":")
    module = importlib.import_module(module_name)
    return getattr(module, attribute)() if attribute else module


def _lower_priority() -> None:
    """Below the measuring process: under CPU contention a late sample (counted as skipped) is better
    than a measurement preempted by its own sampler. Linux: SCHED_IDLE, which runs only on a CPU nothing
    else wants (a waking sampler never preempts onnxruntime's intra-op threads); Windows: below normal."""
    with contextlib.suppress(OSError, AttributeError, psutil.Error):
        if sys.platform == "win32":
            psutil.Process().nice(psutil.BELOW_NORMAL_PRIORITY_CLASS)  # type: ignore[attr-defined,unused-ignore]
        elif hasattr(os, "sched_setscheduler") and hasattr(os, "SCHED_IDLE"):
            os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
        else:
            os.nice(10)  # relative to the measuring process


def _serve(conn: Connection, nvml_factory: str | None) -> None:
    """The child: one window at a time, on request; ends when the parent closes the pipe."""
    # Ctrl-C reaches every process of the console's group: the measuring process decides how a run
    # stops (it finishes the repetition and keeps what it completed), the sampler goes on until told.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _lower_priority()
    nvml: Nvml | None = None
    reason: str | None = None
    try:
        module = load_nvml_module(nvml_factory)
        nvml = Nvml.open(module) if module is not None else None
    except NvmlError as exc:
        reason = exc.reason
    except Exception as exc:  # a factory that cannot be imported: say so, keep serving host readings
        reason = f"NVML factory {nvml_factory!r} failed: {type(exc).__name__}: {exc}"
    conn.send(("ready", reason))
    window: LocalWindow | None = None
    try:
        while True:
            try:
                message = conn.recv()
            except EOFError:
                return
            if message[0] == "begin":
                spec: PartSpec = message[1]
                window = open_window(spec, nvml if spec.nvml_index is not None else None, message[2])
                if reason and spec.nvml_index is not None:
                    window.notes.append(f"sampler process has no NVML: {reason}")
                conn.send(("started",))
            elif message[0] == "end" and window is not None:
                conn.send(("report", window.finish()))
                window = None
            else:
                conn.send(("error", f"unexpected message {message[0]!r}"))
    finally:
        if nvml is not None:
            nvml.close()


class SamplerProcess:
    """Parent side of the sampler process."""

    def __init__(self, process: Any, conn: Connection, nvml_reason: str | None) -> None:
        self._process = process
        self._conn = conn
        self.nvml_reason = nvml_reason
        self.failed: str | None = None

    @classmethod
    def start(cls, *, nvml_factory: str | None) -> SamplerProcess:
        """Spawn the child and wait until it is ready; raises ``SamplerError``."""
        context = multiprocessing.get_context("spawn")
        parent, child = context.Pipe()
        process = context.Process(
            target=_serve, args=(child, nvml_factory), name="bench-telemetry", daemon=True
        )
        try:
            process.start()
        except OSError as exc:
            raise SamplerError(f"the sampler process could not start: {exc}") from None
        child.close()
        sampler = cls(process, parent, None)
        _, reason = sampler._reply("ready", START_TIMEOUT_S)
        sampler.nvml_reason = reason
        return sampler

    @property
    def pid(self) -> int | None:
        return int(self._process.pid) if self._process.pid is not None else None

    def _reply(self, expected: str, timeout: float) -> tuple[Any, ...]:
        try:
            if not self._conn.poll(timeout):
                raise SamplerError(f"the sampler process did not answer within {timeout:.0f} s")
            message = self._conn.recv()
        except (EOFError, OSError) as exc:
            raise SamplerError(f"the sampler process is gone ({type(exc).__name__})") from None
        if message[0] != expected:
            raise SamplerError(f"the sampler process answered {message!r}")
        return tuple(message)

    def begin(self, spec: PartSpec, interval_s: float | None) -> None:
        """Start a window (``interval_s`` None: no polling); after a failure every later one fails too."""
        if self.failed:
            return
        try:
            self._conn.send(("begin", spec, interval_s))
            self._reply("started", REPLY_TIMEOUT_S)
        except (SamplerError, OSError) as exc:
            self.failed = getattr(exc, "reason", str(exc))

    def end(self) -> WindowReport:
        if self.failed:
            return WindowReport(parts=None, notes=[f"no background telemetry: {self.failed}"])
        try:
            self._conn.send(("end",))
            (_, report) = self._reply("report", REPLY_TIMEOUT_S)
        except (SamplerError, OSError) as exc:
            self.failed = getattr(exc, "reason", str(exc))
            return WindowReport(parts=None, notes=[f"no background telemetry: {self.failed}"])
        assert isinstance(report, WindowReport)
        return report

    def close(self) -> None:
        self._conn.close()
        self._process.join(timeout=REPLY_TIMEOUT_S)
        if self._process.is_alive():
            self._process.terminate()
            self._process.join(timeout=REPLY_TIMEOUT_S)
