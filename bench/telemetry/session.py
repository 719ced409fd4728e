"""The concrete ``Telemetry``: NVML, DXGI and host probes picked by provider and platform.

    telemetry = create_telemetry(provider="cuda", device_id=0)
    with telemetry.track_load() as probe:        # baseline before, weights after
        load()
    with telemetry.track_phase("generator_setup", point=shape) as setup: ...
    with telemetry.track_phase("generation", point=shape) as generation: ...
    point = telemetry.summarize_point(...)
    telemetry.close()

Each tracked window takes a first reading on enter, is polled by the sampler process while it runs
(load and generation; Generator creation is short and only needs its two ends; see worker.py), and takes
a final reading on exit. The measuring process itself works only at those two boundaries (and reads
DXGI there, which only it can). Nothing a probe does can raise into the measurement: a failing reading
becomes "unavailable: <reason>".
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Generic, Literal, TypeVar

from bench.errors import BenchError
from bench.models.identity import ModelIdentity
from bench.providers import GPU_PROVIDERS
from bench.telemetry.adapters import DmlSelection, resolve_dml_adapter, select_dml_adapter
from bench.telemetry.api import Phase, PointShape, Probe, Telemetry
from bench.telemetry.dxgi import (
    DxgiEnumeration,
    DxgiError,
    VideoMemoryReader,
    enumerate_adapters,
    open_video_memory_reader,
)
from bench.telemetry.energy import average_power
from bench.telemetry.gpu import map_cuda_device, map_dml_adapter, read_inventory, unavailable_inventory
from bench.telemetry.host import linux_peak_rss, measure_host_bandwidth, missing_host_phase
from bench.telemetry.nvml import Nvml, NvmlError
from bench.telemetry.roofline import NVML_BANDWIDTH_METHOD
from bench.telemetry.sampler import DEFAULT_INTERVAL_S
from bench.telemetry.summary import (
    NO_LOAD,
    SessionContext,
    difference,
    disabled_point,
    span_growth,
    summarize_point,
)
from bench.telemetry.types import (
    MIB,
    DeviceMapping,
    DxgiPhase,
    Figure,
    GpuDevice,
    GpuInventory,
    GpuPhase,
    HostPhase,
    MemorySpan,
    PointTelemetry,
    RepetitionTelemetry,
    SessionTelemetry,
)
from bench.telemetry.vram import (
    PRIMARY_LIST,
    DxgiMemory,
    NvmlMemory,
    ProcessKind,
    ProcessSnapshot,
    choose_memory_api,
)
from bench.telemetry.window import LocalWindow, Parts, PartSpec, WindowReport, build_parts
from bench.telemetry.worker import REAL_NVML, SamplerError, SamplerProcess, load_nvml_module

T = TypeVar("T")

DISABLED = "telemetry disabled (--no-telemetry)"
MAX_PIDS_SHOWN = 5  # pids named in an "unverified" VRAM method
Sampling = Literal["auto", "process", "thread"]


class _Tracked(Generic[T]):
    """Context manager around one window; ``__enter__`` returns the ``Probe`` the sample lands in."""

    def __init__(self, begin: Callable[[], Any], end: Callable[[Any, BaseException | None], T]) -> None:
        self._begin = begin
        self._end = end
        self.probe: Probe[T] = Probe()

    def __enter__(self) -> Probe[T]:
        self._state = self._begin()
        return self.probe

    def __exit__(self, exc_type: Any, exc: BaseException | None, tb: Any) -> None:
        self.probe.sample = self._end(self._state, exc)


@dataclass
class _PhaseState:
    """One open window: probes sampled here (tests) or in the sampler process; DXGI always here."""

    local: LocalWindow | None
    dxgi: DxgiMemory | None
    energy_trace: bool
    entered: float = field(default_factory=time.perf_counter)  # when the caller got control back


class CollectingTelemetry:
    """``Telemetry`` for one provider and device, with whichever probes the platform offers."""

    def __init__(
        self,
        *,
        provider: str,
        device_id: int,
        interval_s: float,
        nvml: Nvml | None,
        nvml_reason: str | None,
        dxgi: VideoMemoryReader | None,
        dxgi_reason: str | None,
        dml_selection: DmlSelection | None = None,
        host_bandwidth: Callable[[], Figure],
        platform: str,
        pid: int,
        sampler: Callable[[], SamplerProcess] | None = None,
        force_sampler: bool = False,
    ) -> None:
        self.provider = provider
        self.device_id = device_id
        self.interval_s = interval_s
        self._nvml = nvml
        self._dxgi = dxgi
        self._dxgi_reason = dxgi_reason if provider == "dml" else None
        self._dml_selection = dml_selection
        self._host_bandwidth = host_bandwidth
        self._platform = platform
        self._pid = pid
        self._self_pids = {pid}
        self._pid_inferred = False
        self._process_seen: bool | None = None  # None: no readable process list of the mapped device
        self._sampler: SamplerProcess | None = None
        self._inventory = (
            read_inventory(nvml, platform=platform)
            if nvml
            else unavailable_inventory(nvml_reason or "NVML unavailable")
        )
        self.mapping: DeviceMapping | None = None
        self.device: GpuDevice | None = None
        self._handle: Any = None
        self._gpu_reason: str | None = None
        self._memory_api = "nvml-memory-v1"
        self._memory_kwargs: dict[str, Any] = {}
        self._notes: list[str] = []
        self._connect_gpu(nvml_reason)
        polls = self._handle is not None or linux_peak_rss() is None  # NVML series, or RSS by polling
        if sampler is not None and (polls or force_sampler):
            try:
                self._sampler = sampler()
            except SamplerError as exc:  # sample nothing rather than sample inside the timed region
                self._notes.append(f"no background telemetry, phase ends only: {exc.reason}")
        self._poll_here = sampler is None  # only tests (a fake NVML module) sample on a thread here
        # Session state, set by track_load and read by the phases and summaries after it.
        self._baseline: dict[ProcessKind, ProcessSnapshot] | None = None
        self._baseline_device_mib: float | None = None
        self._session: SessionTelemetry | None = None
        self._after_load: Figure | None = None
        self._after_load_non_local_mib: float | None = None

    # -- set-up --------------------------------------------------------------------------------

    def _connect_gpu(self, nvml_reason: str | None) -> None:
        if self.provider == "cpu":
            self._gpu_reason = "provider cpu uses no GPU"
            return
        if self.provider not in GPU_PROVIDERS:
            self._gpu_reason = f"provider {self.provider}: bench reads GPU telemetry for cuda and dml only"
            return
        devices = self._inventory.devices
        if self.provider == "cuda":
            self.mapping = map_cuda_device(self.device_id, devices, device_count=self._inventory.device_count)
        else:
            selection = self._dml_selection or select_dml_adapter({}, None, reason=self._dxgi_reason)
            self.mapping = map_dml_adapter(devices, selection)
        if self._nvml is None:
            self._gpu_reason = nvml_reason or "NVML unavailable"
            return
        if self.mapping.nvml_index is None:
            self._gpu_reason = self.mapping.unavailable or "no NVML device for this provider"
            return
        if self.mapping.ambiguous:
            self._notes.append(f"device mapping may be wrong: {self.mapping.ambiguous}")
        self.device = next((d for d in devices if d.index == self.mapping.nvml_index), None)
        try:
            self._handle = self._nvml.call("nvmlDeviceGetHandleByIndex", self.mapping.nvml_index)
        except NvmlError as exc:
            self._gpu_reason = exc.reason
            return
        self._memory_api, self._memory_kwargs, why_v1 = choose_memory_api(self._nvml, self._handle)
        if why_v1:
            self._notes.append(f"{self._memory_api} used ({why_v1}): 'used' includes driver-reserved memory")

    # -- Telemetry -----------------------------------------------------------------------------

    def inventory(self) -> GpuInventory:
        return self._inventory

    @property
    def pids(self) -> frozenset[int]:
        """This process's pid, and the one NVML lists for it when it runs in another PID namespace."""
        return frozenset(self._self_pids)

    def track_load(self) -> _Tracked[SessionTelemetry]:
        return _Tracked(lambda: self._begin(interval_s=self.interval_s, baseline=None), self._end_load)

    def track_phase(self, phase: Phase, *, point: PointShape) -> _Tracked[RepetitionTelemetry]:
        generation = phase == "generation"
        interval = self.interval_s if generation else None  # setup: its two ends suffice
        return _Tracked(
            lambda: self._begin(interval_s=interval, baseline=self._baseline, energy_trace=generation),
            lambda state, exc: self._end_phase(phase, state, exc),
        )

    def close(self) -> None:
        if self._sampler is not None:
            self._sampler.close()
            self._sampler = None
        if self._dxgi is not None:
            with contextlib.suppress(DxgiError):
                self._dxgi.close()
            self._dxgi = None
        if self._nvml is not None:
            self._nvml.close()
            self._nvml = None

    # -- windows -------------------------------------------------------------------------------

    def _spec(self, *, baseline: dict[ProcessKind, ProcessSnapshot] | None, energy_trace: bool) -> PartSpec:
        nvml_index = self.mapping.nvml_index if self._handle is not None and self.mapping else None
        return PartSpec(
            pid=self._pid,
            kernel_peak=linux_peak_rss() is not None,
            nvml_index=nvml_index,
            memory_api=self._memory_api,
            memory_kwargs=dict(self._memory_kwargs),
            primary=PRIMARY_LIST.get(self.provider, "compute"),
            self_pids=frozenset(self._self_pids),
            baseline=baseline,
            energy_trace=energy_trace,
        )

    def _begin(
        self,
        *,
        interval_s: float | None,
        baseline: dict[ProcessKind, ProcessSnapshot] | None,
        energy_trace: bool = False,
    ) -> _PhaseState:
        spec = self._spec(baseline=baseline, energy_trace=energy_trace)
        # DXGI reports the calling process's own usage, so it is read here, at the two ends only.
        dxgi = DxgiMemory(self._dxgi) if self._dxgi is not None else None
        if dxgi is not None:
            dxgi.start()
        if self._sampler is not None:
            self._sampler.begin(spec, interval_s)
            return _PhaseState(None, dxgi, energy_trace)
        local = LocalWindow(build_parts(spec, self._nvml), interval_s if self._poll_here else None)
        local.start()
        return _PhaseState(local, dxgi, energy_trace)

    def _report(self, state: _PhaseState) -> WindowReport:
        report = state.local.finish() if state.local is not None else self._sampler_end()
        if state.dxgi is not None:
            state.dxgi.finish()
        return report

    def _sampler_end(self) -> WindowReport:
        assert self._sampler is not None
        return self._sampler.end()

    def _gpu_phase(self, parts: Parts | None) -> GpuPhase | None:
        if parts is None:
            return None
        memory, clocks, energy = parts.memory, parts.clocks, parts.energy
        if memory is None or clocks is None or energy is None or self.mapping is None:
            return None
        series = clocks.series()
        driver_model = self.device.driver_model if self.device else None
        process = memory.process_span(driver_model=driver_model)
        if self._pid_inferred and process.ok:
            process = process.model_copy(update={"method": "nvml-process (pid inferred at model load)"})
        return GpuPhase(
            nvml_index=self.mapping.nvml_index if self.mapping.nvml_index is not None else -1,
            memory_api=self._memory_api,
            device_used=memory.device_span(),
            process_used=process,
            concurrent_processes=memory.concurrent(),
            unreported_processes=sorted(memory.unreported - self._self_pids),
            sm_clock_mhz=series["sm_clock_mhz"],
            memory_clock_mhz=series["memory_clock_mhz"],
            temperature_c=series["temperature_c"],
            pcie_generation=series["pcie_generation"],
            pcie_width=series["pcie_width"],
            clock_events=clocks.clock_events(),
            violations_ms=clocks.violations_ms(),
            energy_j=energy.energy(),
        )

    def _note_process(self, memory: NvmlMemory | None) -> None:
        """Whether this process has shown up in the mapped device's own process list (compute for CUDA)."""
        if memory is None or memory.list_reasons.get(PRIMARY_LIST.get(self.provider, "compute")):
            return
        self._process_seen = bool(self._process_seen) or memory.own_seen or self._pid_inferred

    def _finish(
        self, state: _PhaseState
    ) -> tuple[WindowReport, GpuPhase | None, DxgiPhase | None, HostPhase]:
        report = self._report(state)
        parts = report.parts
        host = parts.host.result() if parts is not None else missing_host_phase("; ".join(report.notes))
        dxgi = state.dxgi.result() if state.dxgi else None
        return report, self._gpu_phase(parts), dxgi, host

    def _vram_source(self, gpu: GpuPhase | None, dxgi: DxgiPhase | None) -> tuple[MemorySpan | None, str]:
        """The best VRAM reading this platform gave: DXGI local, then NVML per-process, then device-wide."""
        if self._gpu_reason and dxgi is None:
            return None, self._gpu_reason
        reasons = []
        if dxgi is not None:
            if dxgi.local.ok:
                return dxgi.local, ""
            reasons.append(f"dxgi: {dxgi.local.unavailable}")
        elif self._dxgi_reason:
            reasons.append(f"dxgi: {self._dxgi_reason}")
        if gpu is None:
            reasons.append(self._gpu_reason or "NVML unavailable")
            return None, "; ".join(reasons)
        if gpu.process_used.ok:
            return gpu.process_used, ""
        reasons.append(f"per-process: {gpu.process_used.unavailable}")
        if gpu.device_used.ok:
            return gpu.device_used, "; ".join(reasons)
        reasons.append(f"device: {gpu.device_used.unavailable}")
        return None, "; ".join(reasons)

    def _vram_figures(
        self,
        gpu: GpuPhase | None,
        dxgi: DxgiPhase | None,
        *,
        concurrent: Sequence[str],
        baseline_device_mib: float | None,
    ) -> tuple[Figure, Figure, Figure]:
        """(start, end, peak): absolute for a per-process source, else relative to the device baseline."""
        span, reason = self._vram_source(gpu, dxgi)
        if span is None:
            missing = Figure.missing("MiB", reason)
            return missing, missing, missing
        start, end, peak = (v or 0.0 for v in (span.start_mib, span.end_mib, span.peak_mib))
        if span.scope == "process":
            method = span.method or ""
            return (
                Figure.of(start, "MiB", method, "process"),
                Figure.of(end, "MiB", method, "process"),
                Figure.of(peak, "MiB", method, "process"),
            )
        # Device-wide: a delta over the device's used memory before the model was loaded.
        if baseline_device_mib is None:
            missing = Figure.missing(
                "MiB", "device-wide delta needs a reading before model load (track_load)"
            )
            return missing, missing, missing
        if concurrent:
            missing = Figure.missing(
                "MiB",
                f"device-wide delta invalidated: another process changed GPU memory ({'; '.join(concurrent)})"
                + (f"; {reason}" if reason else ""),
            )
            return missing, missing, missing
        method = f"nvml-device-delta ({span.method}; {reason})"
        if gpu is not None and gpu.unreported_processes:
            # WDDM lists other processes without their memory: a change in theirs cannot be detected.
            shown = ", ".join(str(pid) for pid in gpu.unreported_processes[:MAX_PIDS_SHOWN])
            method = (
                f"nvml-device-delta-unverified ({span.method}; {reason}; {len(gpu.unreported_processes)} "
                f"other GPU process(es), pid {shown}, whose memory the driver does not report)"
            )
        base = baseline_device_mib
        return (
            Figure.of(start - base, "MiB", method, "device"),
            Figure.of(end - base, "MiB", method, "device"),
            Figure.of(peak - base, "MiB", method, "device"),
        )

    def _end_load(self, state: _PhaseState, exc: BaseException | None) -> SessionTelemetry:
        report, gpu, dxgi, host = self._finish(state)
        notes = list(self._notes) + report.notes
        memory = report.parts.memory if report.parts is not None else None
        concurrent = gpu.concurrent_processes if gpu else []
        if memory is not None and gpu is not None:
            self._baseline = {kind: dict(snap) for kind, snap in memory.first.items()}
            if not memory.own_seen and len(memory.appeared) == 1:
                # Another PID namespace (a container): NVML lists host pids, never ours. The one process
                # that appeared while the model loaded is this one; it must not count as concurrent.
                (pid,) = memory.appeared
                self._self_pids.add(pid)
                self._pid_inferred = True
                notes.append(
                    f"this process's pid is not in NVML's process lists (container?): pid {pid}, which "
                    "appeared while the model loaded, is taken as this process"
                )
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
                gpu = gpu.model_copy(update={"concurrent_processes": concurrent, "process_used": process})
            self._baseline_device_mib = gpu.device_used.start_mib
        self._note_process(memory)
        start, end, _ = self._vram_figures(
            gpu, dxgi, concurrent=concurrent, baseline_device_mib=self._baseline_device_mib
        )
        self._after_load = end
        self._after_load_non_local_mib = dxgi.non_local.end_mib if dxgi is not None else None
        baseline, after = self._absolute(gpu, dxgi)
        if exc is not None:
            notes.append(f"model load failed: {type(exc).__name__}")
        session = SessionTelemetry(
            duration_s=report.duration_s,
            samples=report.samples,
            skipped=report.skipped,
            interval_s=report.interval_s,
            gpu=gpu,
            gpu_unavailable=None if gpu else self._gpu_reason,
            dxgi=dxgi,
            dxgi_unavailable=None if dxgi else self._dxgi_reason,
            host=host,
            notes=notes,
            provider=self.provider,
            device=self.mapping,
            process_seen=self._process_seen,
            vram_baseline_mib=baseline,
            vram_after_load_mib=after,
            vram_weights_mib=difference(end, start, "after model load − before"),
            host_rss_growth_mib=span_growth(host.rss, "psutil-rss: after model load − before"),
        )
        self._session = session
        return session

    def _absolute(self, gpu: GpuPhase | None, dxgi: DxgiPhase | None) -> tuple[Figure, Figure]:
        span, reason = self._vram_source(gpu, dxgi)
        if span is None or span.start_mib is None or span.end_mib is None:
            missing = Figure.missing("MiB", reason)
            return missing, missing
        return (
            Figure.of(span.start_mib, "MiB", span.method or "", span.scope),
            Figure.of(span.end_mib, "MiB", span.method or "", span.scope),
        )

    def _end_phase(self, phase: Phase, state: _PhaseState, exc: BaseException | None) -> RepetitionTelemetry:
        exited = time.perf_counter()  # before the sampler is asked for its last reading
        report, gpu, dxgi, host = self._finish(state)
        notes = report.notes
        clocks = report.parts.clocks if report.parts is not None else None
        energy_probe = report.parts.energy if report.parts is not None else None
        self._note_process(report.parts.memory if report.parts is not None else None)
        concurrent = gpu.concurrent_processes if gpu else []
        start, end, peak = self._vram_figures(
            gpu, dxgi, concurrent=concurrent, baseline_device_mib=self._baseline_device_mib
        )
        reasons = clocks.throttle_reasons() if clocks is not None and gpu is not None else []
        energy = gpu.energy_j if gpu else Figure.missing("J", self._gpu_reason or "NVML unavailable")
        if exc is not None:
            notes.append(f"phase ended by {type(exc).__name__}")
        repetition = RepetitionTelemetry(
            duration_s=report.duration_s,
            samples=report.samples,
            skipped=report.skipped,
            interval_s=report.interval_s,
            gpu=gpu,
            gpu_unavailable=None if gpu else self._gpu_reason or "; ".join(report.notes),
            dxgi=dxgi,
            dxgi_unavailable=None if dxgi else self._dxgi_reason,
            host=host,
            notes=notes,
            phase=phase,
            vram_start_mib=start,
            vram_end_mib=end,
            vram_peak_mib=peak,
            throttled=bool(reasons),
            throttle_reasons=reasons,
            avg_power_w=average_power(energy, report.duration_s),
        )
        if energy_probe is not None and state.energy_trace:
            # The trace is timed from the sampler's first reading, taken before this process got its
            # reply; the caller's TTFT is timed from after it. perf_counter is one clock for every
            # process of the machine (CLOCK_MONOTONIC, QueryPerformanceCounter): shift by the difference.
            offset = state.entered - energy_probe.started_at
            trace = [(t - offset, mj) for t, mj in energy_probe.trace]
            repetition.keep_energy_trace(trace, energy_probe.reason, end_s=exited - state.entered)
        return repetition

    # -- per point -----------------------------------------------------------------------------

    def _context(self) -> SessionContext:
        if self.provider == "cpu":
            bandwidth = self._host_bandwidth()  # measured once per process, outside any timed phase
        elif self.device is None:
            bandwidth = Figure.missing("GB/s", self._gpu_reason or "no GPU device")
        elif self.device.peak_memory_bandwidth_gb_s is None:
            reason = self.device.unavailable.get("peak_memory_bandwidth_gb_s", "unknown")
            bandwidth = Figure.missing("GB/s", reason)
        else:
            bandwidth = Figure.of(
                self.device.peak_memory_bandwidth_gb_s, "GB/s", NVML_BANDWIDTH_METHOD, "device"
            )
        session = self._session
        not_seen = None
        if self.provider == "cuda" and self._process_seen is False and self.mapping is not None:
            bus = f" (PCI {self.mapping.pci_bus_id})" if self.mapping.pci_bus_id else ""
            not_seen = (
                f"this process never appeared in the compute-process list of NVML device "
                f"{self.mapping.nvml_index}{bus}, the GPU bench maps {self.mapping.requested} to: "
                "onnxruntime-genai may have run on another GPU (CUDA_VISIBLE_DEVICES, CUDA_DEVICE_ORDER), "
                "so this GPU's memory, clocks and energy may not be the run's"
            )
        return SessionContext(
            provider=self.provider,
            weights=session.vram_weights_mib if session else Figure.missing("MiB", NO_LOAD),
            after_load=self._after_load or Figure.missing("MiB", NO_LOAD),
            after_load_non_local_mib=self._after_load_non_local_mib,
            peak_bandwidth=bandwidth,
            device=self.device,
            gpu_reason=self._gpu_reason,
            dxgi_reason=self._dxgi_reason,
            notes=tuple(self._notes),
            process_not_seen=not_seen,
        )

    def summarize_point(
        self,
        *,
        point: PointShape,
        model: ModelIdentity,
        setups: Sequence[RepetitionTelemetry | None],
        generations: Sequence[RepetitionTelemetry | None],
        decode_tokens_per_s: Sequence[float],
        generated_tokens: int,
        first_token_s: Sequence[float] = (),
    ) -> PointTelemetry:
        return summarize_point(
            context=self._context(),
            point=point,
            model=model,
            setups=setups,
            generations=generations,
            decode_tokens_per_s=decode_tokens_per_s,
            generated_tokens=generated_tokens,
            first_token_s=first_token_s,
        )


class DisabledTelemetry:
    """``--no-telemetry``: touches no library; every point says telemetry was disabled."""

    def __init__(self, provider: str = "cpu") -> None:
        self.provider = provider

    def inventory(self) -> GpuInventory:
        return GpuInventory(available=False, reason=f"{DISABLED}: GPU inventory not read")

    def track_load(self) -> _Tracked[SessionTelemetry]:
        return _Tracked(lambda: None, lambda state, exc: None)  # type: ignore[arg-type,return-value]

    def track_phase(self, phase: Phase, *, point: PointShape) -> _Tracked[RepetitionTelemetry]:
        return _Tracked(lambda: None, lambda state, exc: None)  # type: ignore[arg-type,return-value]

    def summarize_point(
        self,
        *,
        point: PointShape,
        model: ModelIdentity,
        setups: Sequence[RepetitionTelemetry | None],
        generations: Sequence[RepetitionTelemetry | None],
        decode_tokens_per_s: Sequence[float],
        generated_tokens: int,
        first_token_s: Sequence[float] = (),
    ) -> PointTelemetry:
        return disabled_point(
            provider=self.provider, reason=DISABLED, point=point, model=model, repetitions=len(generations)
        )

    def close(self) -> None:
        pass


def create_telemetry(
    *,
    provider: str,
    device_id: int = 0,
    interval_s: float = DEFAULT_INTERVAL_S,
    enabled: bool = True,
    nvml: Any | None = None,
    dxgi: VideoMemoryReader | None = None,
    dxgi_luid: str | None = None,
    provider_options: Mapping[str, str] | None = None,
    dxgi_adapters: Callable[[], DxgiEnumeration] | None = None,
    open_dxgi: Callable[..., VideoMemoryReader] | None = None,
    host_bandwidth: Callable[[], Figure] | None = None,
    platform: str | None = None,
    nvml_factory: str | None = None,
    sampling: Sampling = "auto",
) -> Telemetry:
    """Telemetry for one provider and device.

    ``nvml``: a pynvml-like module (default: the real ``pynvml``). Provider dml: ``provider_options``
    (the scenario's dml options; without them ``device_id`` / ``dxgi_luid``) choose the adapter as
    onnxruntime-genai will (bench/telemetry/adapters.py), over ``dxgi_adapters()`` (default: DXGI's
    enumeration), and ``open_dxgi(luid=...)`` opens the reader of that adapter (``dxgi``: a reader
    given directly, whose adapter is then the only one known);
    ``host_bandwidth``: returns the CPU roofline's bandwidth (default: measured once per process).

    Sampling: continuous series come from a separate sampler process (bench/telemetry/worker.py), which
    opens NVML on ``nvml_factory`` ("pynvml", or "module:callable" returning a pynvml-like module). A
    module object in ``nvml`` cannot cross a process boundary: then ``sampling="auto"`` samples on a
    thread in this process, which only tests should do (it competes for the GIL with the timed code).
    """
    if not interval_s > 0:
        raise BenchError(f"must be > 0, got {interval_s * 1000:g} ms", field="sample_interval_ms")
    if not enabled:
        return DisabledTelemetry(provider)
    platform = platform or sys.platform
    if nvml is not None and nvml_factory is not None:
        raise ValueError("give nvml (a module, sampled on a thread) or nvml_factory (a path), not both")
    forced = sampling == "process"  # even where nothing polls (a CPU run on Linux), e.g. to test it
    if sampling == "auto":
        sampling = "thread" if nvml is not None else "process"
    factory = nvml_factory or (REAL_NVML if nvml is None else None)
    session: Nvml | None = None
    nvml_reason = None
    try:
        session = Nvml.open(nvml if nvml is not None else load_nvml_module(factory))
    except NvmlError as exc:
        nvml_reason = exc.reason
    dxgi_reason = None
    selection = None
    if provider == "dml":
        options = dict(provider_options) if provider_options is not None else {}
        if provider_options is None and dxgi_luid is not None:
            options["luid"] = dxgi_luid
        elif provider_options is None and device_id:
            options["device_id"] = str(device_id)
        if dxgi_adapters is None and dxgi is not None:
            only = [(dxgi.adapter, False)]  # an injected reader: its adapter is the only one known
            dxgi_adapters = lambda: DxgiEnumeration(plain=only, high_performance=only)  # noqa: E731
        selection = resolve_dml_adapter(options, enumerate_dxgi=dxgi_adapters or enumerate_adapters)
        if selection.adapter is None:
            dxgi_reason = selection.unavailable
        elif dxgi is None:
            try:
                dxgi = (open_dxgi or open_video_memory_reader)(luid=selection.adapter.luid)
            except DxgiError as exc:
                dxgi_reason = exc.reason
    return CollectingTelemetry(
        provider=provider,
        device_id=device_id,
        interval_s=interval_s,
        nvml=session,
        nvml_reason=nvml_reason,
        dxgi=dxgi if provider == "dml" else None,
        dxgi_reason=dxgi_reason,
        dml_selection=selection,
        host_bandwidth=host_bandwidth or measure_host_bandwidth,
        platform=platform,
        pid=os.getpid(),
        sampler=partial(SamplerProcess.start, nvml_factory=factory) if sampling == "process" else None,
        force_sampler=forced,
    )
