"""The order a ``CollectingTelemetry`` accepts calls in, and the value each model load hands on.

Life cycle of one telemetry object (one provider, possibly several models loaded in turn)::

    open ──track_load / track_phase──▶ window open ──exit──▶ open ── ... ──close()──▶ closed

- One window at a time: the sampler process follows one window, so a window opened inside another is
  a bug in the caller and is refused (``RuntimeError``) rather than mixing two windows' readings.
- Nothing after ``close()``: the libraries are released; ``close()`` itself may be repeated.
- Each ``track_load`` ends by building an ``AfterLoad`` whole; it replaces the previous one, and every
  later phase and point summary reads it. Before any load there is ``NOT_LOADED`` (figures that need
  a load say so). A second model loaded by the same object starts from its own ``AfterLoad``.
"""

from __future__ import annotations

from dataclasses import dataclass

from bench.telemetry.types import MIB, Figure, GpuPhase, MemorySpan, SessionTelemetry
from bench.telemetry.vram import NvmlMemory, ProcessKind, ProcessSnapshot


@dataclass(frozen=True)
class AfterLoad:
    """What the last ``track_load`` measured, read by the phases and point summaries after it."""

    session: SessionTelemetry | None = None
    baseline: dict[ProcessKind, ProcessSnapshot] | None = None  # process lists before the load
    baseline_device_mib: float | None = None  # device-wide used memory before the load
    after_load: Figure | None = None
    after_load_non_local_mib: float | None = None


NOT_LOADED = AfterLoad()


class Lifecycle:
    """Refuses calls out of order (see the module docstring); holds no measurement."""

    def __init__(self) -> None:
        self._window: str | None = None
        self._closed = False

    def enter(self, window: str) -> None:
        if self._closed:
            raise RuntimeError(f"telemetry: {window} after close()")
        if self._window is not None:
            raise RuntimeError(
                f"telemetry: {window} opened while {self._window} is open; windows do not nest"
            )
        self._window = window

    def leave(self) -> None:
        self._window = None

    def close(self) -> None:
        self._closed = True


@dataclass(frozen=True)
class InferredPid:
    """This process's pid as NVML lists it, found at model load when it runs in another PID namespace."""

    pid: int
    gpu: GpuPhase  # the load's GPU phase with that pid counted as this process, not a concurrent one
    note: str


def infer_own_pid(memory: NvmlMemory, gpu: GpuPhase) -> InferredPid | None:
    """In a container NVML lists host pids, never ours: the one process that appeared while the model
    loaded is this one, and must not count as concurrent. ``None`` when ours was seen or it is unclear."""
    if memory.own_seen or len(memory.appeared) != 1:
        return None
    (pid,) = memory.appeared
    concurrent = [text for other, text in memory.changes.items() if other != pid]
    used = memory.last_used.get(pid)
    process = gpu.process_used
    if used is not None:
        process = MemorySpan(
            method="nvml-process (pid inferred at model load)",
            scope="process",
            start_mib=0.0,
            end_mib=used / MIB,
            peak_mib=used / MIB,
            n=1,
        )
    note = (
        f"this process's pid is not in NVML's process lists (container?): pid {pid}, which "
        "appeared while the model loaded, is taken as this process"
    )
    return InferredPid(
        pid, gpu.model_copy(update={"concurrent_processes": concurrent, "process_used": process}), note
    )
