"""One tracked window's probes: built from a picklable spec, started, polled, finished, reported.

The same code runs in two places. In the measuring process only for tests that inject a fake NVML
module object (``LocalWindow``: the polled probes run on a thread, which under onnxruntime-genai's
GIL-holding calls would steal time inside the timed region). Everywhere else inside the sampler process
(bench/telemetry/worker.py), which builds the probes from the same ``PartSpec``, polls them on its own
thread under its own GIL, and sends the finished probes back: a probe's library bindings are dropped
when it is pickled (``Reading.__reduce__``), its accumulated figures travel.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import psutil

from bench.telemetry.clocks import NvmlClocks
from bench.telemetry.energy import NvmlEnergy
from bench.telemetry.host import HostProbe, LinuxPeakRss
from bench.telemetry.nvml import Nvml, NvmlError
from bench.telemetry.sampler import Sampler
from bench.telemetry.vram import NvmlMemory, ProcessKind, ProcessSnapshot

SLOW_EVERY = 10  # temperature, memory clock, PCIe link, the other process list: every 10th tick (100 ms)


class Part(Protocol):
    polls: bool  # needs the background sampler (False: its start and finish readings say it all)

    def start(self) -> None: ...
    def poll(self, slow: bool) -> None: ...
    def finish(self) -> None: ...


@dataclass(frozen=True)
class PartSpec:
    """Everything needed to build one window's probes, in whichever process samples them."""

    pid: int
    kernel_peak: bool  # Linux VmHWM reset per phase works for ``pid``
    nvml_index: int | None = None  # None: no NVML probes
    memory_api: str = "nvml-memory-v1"
    memory_kwargs: Mapping[str, Any] = field(default_factory=dict)
    primary: ProcessKind = "compute"
    self_pids: frozenset[int] = frozenset()
    baseline: Mapping[ProcessKind, ProcessSnapshot] | None = None
    energy_trace: bool = False  # keep the energy counter's readings to split prefill from decode


@dataclass
class Parts:
    """A window's probes; after ``finish`` they hold the figures (and, sent back, nothing else)."""

    host: HostProbe
    memory: NvmlMemory | None = None
    clocks: NvmlClocks | None = None
    energy: NvmlEnergy | None = None

    def all(self) -> list[Part]:
        return [p for p in (self.host, self.memory, self.clocks, self.energy) if p is not None]


def build_parts(spec: PartSpec, nvml: Nvml | None) -> Parts:
    """The probes ``spec`` asks for; NVML ones only when a session and an index are given."""
    process = psutil.Process(spec.pid)
    parts = Parts(host=HostProbe(process, kernel_peak=LinuxPeakRss(spec.pid) if spec.kernel_peak else None))
    if nvml is not None and spec.nvml_index is not None:
        handle = nvml.call("nvmlDeviceGetHandleByIndex", spec.nvml_index)
        parts.memory = NvmlMemory(
            nvml,
            handle,
            memory_api=spec.memory_api,
            memory_kwargs=spec.memory_kwargs,
            primary=spec.primary,
            self_pids=set(spec.self_pids),
            baseline=spec.baseline,
        )
        parts.clocks = NvmlClocks(nvml, handle)
        parts.energy = NvmlEnergy(nvml, handle, trace=spec.energy_trace)
    return parts


@dataclass
class WindowReport:
    """What one window yields: its finished probes and how the sampling went."""

    parts: Parts | None  # None: the sampler process failed; ``notes`` say why
    duration_s: float = 0.0
    samples: int = 0
    skipped: int = 0
    interval_s: float | None = None
    notes: list[str] = field(default_factory=list)


class LocalWindow:
    """Starts the probes, samples the polled ones on a thread, finishes them; never raises."""

    def __init__(
        self, parts: Parts, interval_s: float | None, extra: Sequence[Part] = (), notes: Sequence[str] = ()
    ) -> None:
        self.parts = parts
        self.notes = list(notes)
        self._all = (*parts.all(), *extra)
        self._polled = tuple(part for part in self._all if part.polls)
        # No thread when nothing needs polling (a CPU run on Linux): nothing can perturb the measurement.
        self.interval_s = interval_s if self._polled else None
        self._sampler: Sampler | None = None
        self._t0 = 0.0

    def _poll(self, tick: int) -> None:
        slow = tick % SLOW_EVERY == SLOW_EVERY - 1
        for part in self._polled:
            part.poll(slow)

    def start(self) -> None:
        self._t0 = time.perf_counter()
        for part in self._all:
            part.start()
        if self.interval_s is not None:
            self._sampler = Sampler(self._poll, interval_s=self.interval_s)
            self._sampler.__enter__()

    def finish(self) -> WindowReport:
        report = WindowReport(parts=self.parts, interval_s=self.interval_s, notes=list(self.notes))
        ticks = 0
        if self._sampler is not None:
            self._sampler.stop()
            ticks = self._sampler.ticks
            if self._sampler.error is not None:
                report.notes.append(f"background sampling stopped early: {self._sampler.error!r}")
            report.skipped = self._sampler.skipped
        for part in self._all:
            part.finish()
        report.duration_s = time.perf_counter() - self._t0
        report.samples = ticks + 2
        return report


def open_window(spec: PartSpec, nvml: Nvml | None, interval_s: float | None) -> LocalWindow:
    """Build and start the probes of ``spec`` here; an NVML failure leaves the host probe alone."""
    notes = []
    try:
        parts = build_parts(spec, nvml)
    except NvmlError as exc:
        parts = build_parts(PartSpec(pid=spec.pid, kernel_peak=spec.kernel_peak), None)
        notes.append(f"NVML device {spec.nvml_index} could not be opened for sampling: {exc.reason}")
    window = LocalWindow(parts, interval_s, notes=notes)
    window.start()
    return window
