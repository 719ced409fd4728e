"""Host telemetry through psutil: this process's RSS, CPU use, system memory and CPU frequency.

Peak RSS comes from the kernel where it keeps one: Linux records the RSS high-water mark (``VmHWM``)
and lets a process reset it by writing 5 to ``/proc/self/clear_refs``, so each phase gets its exact peak
without any polling, and a CPU run needs no sampler thread at all. Elsewhere RSS is polled each tick,
and on Windows the lifetime peak working set is used when it moved during the phase.

Also the measured host-memory bandwidth that bounds decode on the CPU provider (the CPU has no NVML
to ask): a multi-threaded numpy copy, run once per process and cached.
"""

from __future__ import annotations

import functools
import itertools
import os
import re
import sys
import threading
import time

import numpy as np
import psutil

from bench.telemetry.readings import Span, Stat
from bench.telemetry.types import MIB, Figure, HostPhase, MemorySpan, Series

BANDWIDTH_BUFFER_MIB = 256  # well above the last-level cache of desktop and most server parts
BANDWIDTH_REPEATS = 5


class LinuxPeakRss:
    """The kernel's RSS high-water mark of process ``pid`` (default: this one), reset at each phase start.

    The sampler process resets and reads the measuring process's mark: /proc/<pid>/clear_refs is
    writable by the process's owner.
    """

    _HWM = re.compile(rb"VmHWM:\s+(\d+) kB")

    def __init__(self, pid: int | None = None) -> None:
        self.pid = pid
        self._dir = f"/proc/{pid if pid is not None else 'self'}"

    def reset(self) -> None:
        with open(f"{self._dir}/clear_refs", "w", encoding="ascii") as handle:
            handle.write("5")

    def peak(self) -> int:
        with open(f"{self._dir}/status", "rb") as handle:
            match = self._HWM.search(handle.read())
        if match is None:
            raise OSError(f"no VmHWM in {self._dir}/status")
        return int(match.group(1)) * 1024

    @classmethod
    def probe(cls, pid: int | None = None) -> LinuxPeakRss | None:
        """Available when the reset works here (not on read-only /proc, gVisor, ...)."""
        if not sys.platform.startswith("linux"):
            return None
        peak = cls(pid)
        try:
            peak.reset()
            peak.peak()
        except OSError:
            return None
        return peak


@functools.cache
def linux_peak_rss() -> LinuxPeakRss | None:
    return LinuxPeakRss.probe()


class HostProbe:
    """psutil readings of one phase. ``polls``: whether it needs the background sampler (no kernel peak)."""

    def __init__(
        self, process: psutil.Process | None = None, *, kernel_peak: LinuxPeakRss | None = None
    ) -> None:
        self._process = process or psutil.Process()
        self._kernel_peak = kernel_peak
        self.polls = kernel_peak is None
        self._peak_method = "linux-vmhwm (reset per phase)" if kernel_peak else "psutil-rss (polled)"
        self._peak_wset: list[int] = []  # Windows: lifetime peak working set at start and finish
        self.rss = Span()
        self.available = Stat()
        self.freq = Stat()
        self._reasons: dict[str, str] = {}
        self._cpu0 = self._cpu1 = 0.0
        self._sys0: tuple[float, float] | None = None
        self._sys1: tuple[float, float] | None = None
        self._t0 = self._t1 = 0.0

    def __getstate__(self) -> dict[str, object]:
        # Sent back from the sampler process: the figures travel, the psutil handle does not.
        state = dict(self.__dict__)
        state["_process"] = None
        return state

    def _rss(self, *, ends: bool = False) -> None:
        try:
            info = self._process.memory_info()
        except (psutil.Error, OSError) as exc:
            self._reasons["rss"] = f"psutil: {exc}"
            return
        self.rss.add(info.rss)
        if ends and hasattr(info, "peak_wset"):
            self._peak_wset.append(int(info.peak_wset))

    def _system(self) -> None:
        try:
            self.available.add(psutil.virtual_memory().available)
        except (psutil.Error, OSError) as exc:
            self._reasons["available"] = f"psutil: {exc}"

    def _cpu_freq(self) -> None:
        try:
            freq = psutil.cpu_freq()
        except (NotImplementedError, OSError, psutil.Error) as exc:  # containers without cpufreq
            self._reasons["freq"] = f"psutil: {exc}"
            return
        if freq is None or not freq.current:
            self._reasons["freq"] = "the OS does not report the CPU frequency"
        else:
            self.freq.add(float(freq.current))

    def _cpu_times(self) -> float:
        times = self._process.cpu_times()
        return float(times.user + times.system)

    @staticmethod
    def _system_times() -> tuple[float, float]:
        """(busy, total) CPU seconds over all cores."""
        times = psutil.cpu_times()
        total = float(sum(times))
        idle = float(times.idle + getattr(times, "iowait", 0.0))
        return total - idle, total

    def start(self) -> None:
        self._t0 = time.perf_counter()
        self._cpu0 = self._cpu_times()
        self._sys0 = self._system_times()
        if self._kernel_peak is not None:
            try:
                self._kernel_peak.reset()
            except OSError as exc:
                self._reasons["peak"] = f"resetting VmHWM failed: {exc}"
        self._rss(ends=True)
        self._system()
        self._cpu_freq()

    def poll(self, slow: bool) -> None:
        self._rss()
        if slow:
            self._system()

    def _kernel_peak_reading(self) -> None:
        """Fold the kernel's (or Windows') peak into the span: it saw every allocation, polling did not."""
        peak = None
        if self._kernel_peak is not None and "peak" not in self._reasons:
            try:
                peak = self._kernel_peak.peak()
            except OSError as exc:
                self._reasons["peak"] = f"reading VmHWM failed: {exc}"
        elif len(self._peak_wset) == 2 and self._peak_wset[1] > self._peak_wset[0]:
            peak = self._peak_wset[1]  # the lifetime peak moved, so it was reached in this phase
            self._peak_method = "psutil-rss (polled) + peak working set"
        if peak is not None and self.rss.n and peak > self.rss.peak:
            self.rss.peak = peak

    def finish(self) -> None:
        self._rss(ends=True)
        self._kernel_peak_reading()
        self._system()
        self._cpu_freq()
        self._cpu1 = self._cpu_times()
        self._sys1 = self._system_times()
        self._t1 = time.perf_counter()

    def result(self) -> HostPhase:
        wall = self._t1 - self._t0
        if wall > 0:
            cpu = Figure.of(
                100 * (self._cpu1 - self._cpu0) / wall, "%", "psutil-process-cpu-times", "process"
            )
        else:
            cpu = Figure.missing("%", "zero-length phase")
        system = Figure.missing("%", "no system CPU times")
        if self._sys0 and self._sys1 and self._sys1[1] > self._sys0[1]:
            busy = self._sys1[0] - self._sys0[0]
            system = Figure.of(
                100 * busy / (self._sys1[1] - self._sys0[1]), "%", "psutil-cpu-times", "system"
            )
        if self.available.n:
            available = Figure.of(self.available.min / MIB, "MiB", "psutil-virtual-memory", "system")
        else:
            available = Figure.missing("MiB", self._reasons.get("available", "no readings"))
        return HostPhase(
            rss=self.rss.memory(
                self._peak_method if "peak" not in self._reasons else "psutil-rss (start and end only)",
                "process",
                unavailable=self._reasons.get("rss"),
            ),
            cpu_util_pct=cpu,
            system_cpu_pct=system,
            system_available_min_mib=available,
            cpu_freq_mhz=self.freq.series("MHz", "psutil-cpu-freq", unavailable=self._reasons.get("freq")),
        )


def missing_host_phase(reason: str) -> HostPhase:
    """A phase whose host readings were lost (the sampler process failed)."""
    return HostPhase(
        rss=MemorySpan.missing(reason),
        cpu_util_pct=Figure.missing("%", reason),
        system_cpu_pct=Figure.missing("%", reason),
        system_available_min_mib=Figure.missing("MiB", reason),
        cpu_freq_mhz=Series.missing("MHz", reason),
    )


@functools.cache
def measure_host_bandwidth(
    *, buffer_mib: int = BANDWIDTH_BUFFER_MIB, repeats: int = BANDWIDTH_REPEATS, threads: int | None = None
) -> Figure:
    """Host memory bandwidth in GB/s: best of ``repeats`` multi-threaded copies (STREAM-copy counting).

    numpy releases the GIL while copying, so one thread per physical core copies its own slice in
    parallel. Bytes moved count the read and the write (2 × buffer), as STREAM's copy does. A few
    hundred ms, once per process.
    """
    workers = threads or psutil.cpu_count(logical=False) or os.cpu_count() or 1
    try:
        source = np.ones(buffer_mib * MIB // 8)
        target = np.empty_like(source)
    except MemoryError:
        return Figure.missing("GB/s", f"not enough memory for the {2 * buffer_mib} MiB bandwidth test")
    np.copyto(target, source)  # fault every page in before timing
    bounds = np.linspace(0, source.size, workers + 1).astype(int)
    slices = [(source[a:b], target[a:b]) for a, b in itertools.pairwise(bounds)]
    best = float("inf")
    for _ in range(repeats):
        barrier = threading.Barrier(workers + 1)

        def copy(src: np.ndarray, dst: np.ndarray, barrier: threading.Barrier = barrier) -> None:
            barrier.wait()
            np.copyto(dst, src)

        pool = [threading.Thread(target=copy, args=pair) for pair in slices]
        for thread in pool:
            thread.start()
        barrier.wait()
        start = time.perf_counter()
        for thread in pool:
            thread.join()
        best = min(best, time.perf_counter() - start)
    gb_s = 2 * source.nbytes / best / 1e9
    return Figure.of(
        gb_s,
        "GB/s",
        f"numpy copy, {workers} thread(s), {buffer_mib} MiB, best of {repeats} (read + write bytes)",
        "system",
    )
