"""GPU memory through NVML: device-wide used memory and this process's memory from the process lists.

Per-process memory (``usedGpuMemory`` of our pid) is exact where the platform reports it: Linux and
Windows TCC. Under WDDM it is always unavailable (pynvml gives ``None``), so the caller falls back to
the device-wide delta, which is only sound if no other process changed its GPU memory meanwhile: this
probe watches the process lists for that.

Device memory uses ``nvmlDeviceGetMemoryInfo`` v2 when the driver has it (``used`` excludes the
driver-reserved memory; driver >= 515), else v1; which one is recorded as ``memory_api``.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from typing import Any, Literal

from bench.telemetry.dxgi import DxgiError, VideoMemoryReader
from bench.telemetry.nvml import Nvml, NvmlError
from bench.telemetry.readings import Reading, Span
from bench.telemetry.types import MIB, DxgiPhase, Figure, MemorySpan

ProcessKind = Literal["compute", "graphics"]
# Newest first: the unversioned calls are pinned to the driver's _v3 (R510+), _v2 serves older drivers.
PROCESS_LISTS: dict[ProcessKind, tuple[str, ...]] = {
    "compute": ("nvmlDeviceGetComputeRunningProcesses", "nvmlDeviceGetComputeRunningProcesses_v2"),
    "graphics": ("nvmlDeviceGetGraphicsRunningProcesses", "nvmlDeviceGetGraphicsRunningProcesses_v2"),
}
# What each list holds of ours: CUDA contexts are compute processes; DirectML (D3D12) ones graphics.
PRIMARY_LIST: dict[str, ProcessKind] = {"cuda": "compute", "dml": "graphics"}

ProcessSnapshot = dict[int, "int | None"]  # pid -> usedGpuMemory (None under WDDM)
MAX_CHANGES_KEPT = 5


def choose_memory_api(nvml: Nvml, handle: Any) -> tuple[str, dict[str, Any], str | None]:
    """(``nvml-memory-v2`` or ``-v1``, kwargs for nvmlDeviceGetMemoryInfo, why v2 was not used)."""
    version = nvml.constant("nvmlMemory_v2")
    if version is None:
        return "nvml-memory-v1", {}, "nvidia-ml-py has no nvmlMemory_v2"
    try:
        nvml.call("nvmlDeviceGetMemoryInfo", handle, version=version)
    except NvmlError as exc:
        return "nvml-memory-v1", {}, f"memory info v2: {exc.reason}"
    return "nvml-memory-v2", {"version": version}, None


def describe_changes(baseline: Mapping[int, int | None], now: Mapping[int, int | None]) -> dict[int, str]:
    """pid -> how its GPU memory differs from the baseline (empty: nothing changed)."""
    changes = {}
    for pid, used in now.items():
        if pid not in baseline:
            size = f" ({used / MIB:.0f} MiB)" if used is not None else ""
            changes[pid] = f"pid {pid} appeared{size}"
        elif used is not None and baseline[pid] is not None and used != baseline[pid]:
            before = baseline[pid] or 0
            changes[pid] = f"pid {pid} changed its GPU memory {before / MIB:.0f} -> {used / MIB:.0f} MiB"
    changes.update({pid: f"pid {pid} left" for pid in baseline if pid not in now})
    return changes


class NvmlMemory:
    """Memory probe for one phase on one device."""

    polls = True

    def __init__(
        self,
        nvml: Nvml,
        handle: Any,
        *,
        memory_api: str,
        memory_kwargs: Mapping[str, Any],
        primary: ProcessKind,
        self_pids: set[int],
        baseline: Mapping[ProcessKind, ProcessSnapshot] | None,
    ) -> None:
        self.memory_api = memory_api
        self.self_pids = self_pids
        self._device_info = Reading(partial(nvml.bind, "nvmlDeviceGetMemoryInfo", handle, **memory_kwargs))
        self._lists = {
            kind: Reading(partial(nvml.bind, name, handle)) for kind, name in PROCESS_LISTS.items()
        }
        self._primary: ProcessKind = primary
        self._secondary: ProcessKind = "graphics" if primary == "compute" else "compute"
        self.baseline: dict[ProcessKind, ProcessSnapshot] | None = (
            dict(baseline) if baseline is not None else None
        )
        self.first: dict[ProcessKind, ProcessSnapshot] = {}
        self._last_raw: dict[ProcessKind, Any] = {}
        self.device = Span()
        self.process = Span()
        self.own_seen = False
        self.own_unreported = False  # our pid is listed without a memory figure (WDDM)
        self.appeared: set[int] = set()  # other pids seen that were not in the first snapshot
        self.changes: dict[int, str] = {}
        self.last_used: dict[int, int] = {}  # pid -> latest usedGpuMemory, for every pid listed
        self.unreported: set[int] = set()  # other pids listed without a memory figure (WDDM)

    def poll(self, slow: bool) -> None:
        info = self._device_info()
        if info is not None:
            self.device.add(int(info.used))
        self._read_list(self._primary, own=True)
        if slow:
            self._read_list(self._secondary, own=False)

    def _read_list(self, kind: ProcessKind, *, own: bool) -> None:
        processes = self._lists[kind]()
        if processes is None:
            return
        raw = [(p.pid, p.usedGpuMemory) for p in processes]
        own_used = None
        for pid, used in raw:
            if pid in self.self_pids:
                if not own:  # the secondary list may show our context without a figure; the primary decides
                    continue
                self.own_seen = True
                if used is None:
                    self.own_unreported = True
                elif own_used is None or used > own_used:
                    own_used = used
            elif used is None:
                self.unreported.add(int(pid))
        if own:
            # Not listed yet means no context yet: 0 bytes, not "unknown" (baseline before load).
            self.process.add(int(own_used) if own_used is not None else 0)
        if raw == self._last_raw.get(kind):
            return  # the common case: nothing changed since the last tick
        self._last_raw[kind] = raw
        self.last_used.update({int(pid): int(used) for pid, used in raw if used is not None})
        others = {
            int(pid): (None if used is None else int(used)) for pid, used in raw if pid not in self.self_pids
        }
        if kind not in self.first:
            self.first[kind] = others
        self.appeared.update(pid for pid in others if pid not in self.first[kind])
        reference = self.baseline.get(kind) if self.baseline is not None else None
        if reference is None:
            reference = self.first[kind]
        for pid, change in describe_changes(reference, others).items():
            if pid not in self.changes and len(self.changes) < MAX_CHANGES_KEPT:
                self.changes[pid] = change

    def start(self) -> None:
        self.poll(slow=True)

    def finish(self) -> None:
        self.poll(slow=True)

    @property
    def list_reasons(self) -> dict[ProcessKind, str]:
        return {kind: reading.reason for kind, reading in self._lists.items() if reading.reason}

    def device_span(self) -> MemorySpan:
        return self.device.memory(self.memory_api, "device", unavailable=self._device_info.reason)

    def process_span(self, *, driver_model: str | None) -> MemorySpan:
        primary_reason = self._lists[self._primary].reason
        if primary_reason:
            return MemorySpan.missing(f"process list: {primary_reason}")
        if self.own_unreported:
            model = driver_model or "WDDM"
            return MemorySpan.missing(f"per-process GPU memory is not reported under {model}")
        if not self.own_seen:
            return MemorySpan.missing(
                "this process is not in NVML's process list (no GPU context yet, or another PID namespace "
                "such as a container)"
            )
        return self.process.memory("nvml-process", "process")

    def concurrent(self) -> list[str]:
        return list(self.changes.values())


class DxgiMemory:
    """This process's local (dedicated) and non-local (shared) video memory from a ``VideoMemoryReader``.

    Read at the two ends of a phase only: DXGI reports the calling process's own usage, so the sampler
    process cannot read it for us, and polling it here would put work inside the timed region. D3D12
    allocations made while generating stay allocated until the phase ends, so the end is the peak.
    """

    polls = False

    def __init__(self, reader: VideoMemoryReader) -> None:
        self._reader = reader
        self.local = Span()
        self.non_local = Span()
        self.budget: int | None = None
        self.reason: str | None = None

    def poll(self, slow: bool) -> None:
        if self.reason is not None:
            return
        try:
            local, non_local = self._reader.query()
        except DxgiError as exc:
            self.reason = exc.reason
            return
        self.local.add(local.current_usage)
        self.non_local.add(non_local.current_usage)
        self.budget = local.budget

    def start(self) -> None:
        self.poll(slow=True)

    def finish(self) -> None:
        self.poll(slow=True)

    def result(self) -> DxgiPhase:
        budget = (
            Figure.of(self.budget / MIB, "MiB", "dxgi-local-budget", "process")
            if self.budget is not None
            else Figure.missing("MiB", self.reason or "no readings")
        )
        return DxgiPhase(
            adapter=self._reader.adapter.label,
            local=self.local.memory("dxgi-local", "process", unavailable=self.reason),
            non_local=self.non_local.memory("dxgi-nonlocal", "process", unavailable=self.reason),
            local_budget_mib=budget,
        )
