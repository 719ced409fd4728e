"""The concrete ``Telemetry``: NVML, DXGI and host probes picked by provider and platform.

    telemetry = create_telemetry(provider="cuda", device_id=0)     # bench/telemetry/factory.py
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
becomes "unavailable: <reason>". The order calls are accepted in, and the state a model load hands on
to later windows, are in lifecycle.py.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from bench.models.identity import ModelIdentity
from bench.telemetry.adapters import DmlSelection
from bench.telemetry.api import Phase, PointShape
from bench.telemetry.dxgi import DxgiError, VideoMemoryReader
from bench.telemetry.energy import average_power
from bench.telemetry.gpu import read_inventory, unavailable_inventory
from bench.telemetry.gpu_link import GpuLink, connect_gpu, gpu_phase
from bench.telemetry.host import linux_peak_rss, missing_host_phase
from bench.telemetry.lifecycle import NOT_LOADED, AfterLoad, Lifecycle, infer_own_pid
from bench.telemetry.nvml import Nvml
from bench.telemetry.point_context import session_context
from bench.telemetry.summary import SessionContext, difference, span_growth, summarize_point
from bench.telemetry.tracked import Tracked
from bench.telemetry.types import (
    DeviceMapping,
    DxgiPhase,
    Figure,
    GpuDevice,
    GpuInventory,
    GpuPhase,
    HostPhase,
    PointTelemetry,
    RepetitionTelemetry,
    SessionTelemetry,
)
from bench.telemetry.vram import PRIMARY_LIST, DxgiMemory, NvmlMemory, ProcessKind, ProcessSnapshot
from bench.telemetry.vram_figures import absolute_vram, vram_figures
from bench.telemetry.window import LocalWindow, PartSpec, WindowReport, build_parts
from bench.telemetry.worker import SamplerError, SamplerProcess

S = TypeVar("S")


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
        self._host_bandwidth = host_bandwidth
        self._pid = pid
        self._sampler: SamplerProcess | None = None
        self._inventory = (
            read_inventory(nvml, platform=platform)
            if nvml
            else unavailable_inventory(nvml_reason or "NVML unavailable")
        )
        self._link: GpuLink = connect_gpu(
            provider=provider,
            device_id=device_id,
            inventory=self._inventory,
            nvml=nvml,
            nvml_reason=nvml_reason,
            dml_selection=dml_selection,
            dxgi_reason=self._dxgi_reason,
        )
        self._notes: list[str] = list(self._link.notes)
        polls = self._link.handle is not None or linux_peak_rss() is None  # NVML series, or RSS by polling
        if sampler is not None and (polls or force_sampler):
            try:
                self._sampler = sampler()
            except SamplerError as exc:  # sample nothing rather than sample inside the timed region
                self._notes.append(f"no background telemetry, phase ends only: {exc.reason}")
        self._poll_here = sampler is None  # only tests (a fake NVML module) sample on a thread here
        self._lifecycle = Lifecycle()
        self._loaded: AfterLoad = NOT_LOADED  # replaced whole at the end of each track_load
        # Who this process is in NVML's lists: our pid, plus the one inferred at a load in a container.
        self._self_pids: frozenset[int] = frozenset({pid})
        self._pid_inferred = False
        # Ever seen in the mapped device's process list, over every window so far (None: no readable list).
        self._process_seen: bool | None = None

    @property
    def mapping(self) -> DeviceMapping | None:
        return self._link.mapping

    @property
    def device(self) -> GpuDevice | None:
        return self._link.device

    # -- Telemetry -----------------------------------------------------------------------------

    def inventory(self) -> GpuInventory:
        return self._inventory

    @property
    def pids(self) -> frozenset[int]:
        """This process's pid, and the one NVML lists for it when it runs in another PID namespace."""
        return self._self_pids

    def track_load(self) -> Tracked[SessionTelemetry]:
        return Tracked(
            lambda: self._begin("track_load", interval_s=self.interval_s, baseline=None),
            lambda state, exc: self._ended(state, exc, self._end_load),
        )

    def track_phase(self, phase: Phase, *, point: PointShape) -> Tracked[RepetitionTelemetry]:
        generation = phase == "generation"
        interval = self.interval_s if generation else None  # setup: its two ends suffice
        return Tracked(
            lambda: self._begin(
                f"track_phase({phase!r})",
                interval_s=interval,
                baseline=self._loaded.baseline,
                energy_trace=generation,
            ),
            lambda state, exc: self._ended(state, exc, lambda s, e: self._end_phase(phase, s, e)),
        )

    def close(self) -> None:
        self._lifecycle.close()
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
        link = self._link
        nvml_index = link.mapping.nvml_index if link.handle is not None and link.mapping else None
        return PartSpec(
            pid=self._pid,
            kernel_peak=linux_peak_rss() is not None,
            nvml_index=nvml_index,
            memory_api=link.memory_api,
            memory_kwargs=dict(link.memory_kwargs),
            primary=PRIMARY_LIST.get(self.provider, "compute"),
            self_pids=self._self_pids,
            baseline=baseline,
            energy_trace=energy_trace,
        )

    def _begin(
        self,
        window: str,
        *,
        interval_s: float | None,
        baseline: dict[ProcessKind, ProcessSnapshot] | None,
        energy_trace: bool = False,
    ) -> _PhaseState:
        self._lifecycle.enter(window)  # refuses a window inside another, or after close()
        try:
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
        except BaseException:
            self._lifecycle.leave()
            raise

    def _ended(
        self,
        state: _PhaseState,
        exc: BaseException | None,
        end: Callable[[_PhaseState, BaseException | None], S],
    ) -> S:
        try:
            return end(state, exc)
        finally:
            self._lifecycle.leave()

    def _report(self, state: _PhaseState) -> WindowReport:
        if state.local is not None:
            report = state.local.finish()
        else:
            assert self._sampler is not None
            report = self._sampler.end()
        if state.dxgi is not None:
            state.dxgi.finish()
        return report

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
        gpu = gpu_phase(
            parts,
            link=self._link,
            self_pids=self._self_pids,
            pid_inferred=self._pid_inferred,
        )
        return report, gpu, dxgi, host

    def _vram(
        self, gpu: GpuPhase | None, dxgi: DxgiPhase | None, *, baseline_device_mib: float | None
    ) -> tuple[Figure, Figure, Figure]:
        return vram_figures(
            gpu,
            dxgi,
            gpu_reason=self._link.reason,
            dxgi_reason=self._dxgi_reason,
            concurrent=gpu.concurrent_processes if gpu else [],
            baseline_device_mib=baseline_device_mib,
        )

    def _end_load(self, state: _PhaseState, exc: BaseException | None) -> SessionTelemetry:
        report, gpu, dxgi, host = self._finish(state)
        notes = list(self._notes) + report.notes
        memory = report.parts.memory if report.parts is not None else None
        # Without a reading of this load, the previous load's baseline stays the reference.
        baseline, baseline_device_mib = self._loaded.baseline, self._loaded.baseline_device_mib
        if memory is not None and gpu is not None:
            baseline = {kind: dict(snap) for kind, snap in memory.first.items()}
            inferred = infer_own_pid(memory, gpu)
            if inferred is not None:
                self._self_pids = self._self_pids | {inferred.pid}
                self._pid_inferred = True
                notes.append(inferred.note)
                gpu = inferred.gpu
            baseline_device_mib = gpu.device_used.start_mib
        self._note_process(memory)
        start, end, _ = self._vram(gpu, dxgi, baseline_device_mib=baseline_device_mib)
        vram_baseline, vram_after = absolute_vram(
            gpu, dxgi, gpu_reason=self._link.reason, dxgi_reason=self._dxgi_reason
        )
        if exc is not None:
            notes.append(f"model load failed: {type(exc).__name__}")
        session = SessionTelemetry(
            duration_s=report.duration_s,
            samples=report.samples,
            skipped=report.skipped,
            interval_s=report.interval_s,
            gpu=gpu,
            gpu_unavailable=None if gpu else self._link.reason,
            dxgi=dxgi,
            dxgi_unavailable=None if dxgi else self._dxgi_reason,
            host=host,
            notes=notes,
            provider=self.provider,
            device=self.mapping,
            process_seen=self._process_seen,
            vram_baseline_mib=vram_baseline,
            vram_after_load_mib=vram_after,
            vram_weights_mib=difference(end, start, "after model load − before"),
            host_rss_growth_mib=span_growth(host.rss, "psutil-rss: after model load − before"),
        )
        self._loaded = AfterLoad(
            session=session,
            baseline=baseline,
            baseline_device_mib=baseline_device_mib,
            after_load=end,
            after_load_non_local_mib=dxgi.non_local.end_mib if dxgi is not None else None,
        )
        return session

    def _end_phase(self, phase: Phase, state: _PhaseState, exc: BaseException | None) -> RepetitionTelemetry:
        exited = time.perf_counter()  # before the sampler is asked for its last reading
        report, gpu, dxgi, host = self._finish(state)
        notes = report.notes
        clocks = report.parts.clocks if report.parts is not None else None
        energy_probe = report.parts.energy if report.parts is not None else None
        self._note_process(report.parts.memory if report.parts is not None else None)
        start, end, peak = self._vram(gpu, dxgi, baseline_device_mib=self._loaded.baseline_device_mib)
        reasons = clocks.throttle_reasons() if clocks is not None and gpu is not None else []
        gpu_reason = self._link.reason
        energy = gpu.energy_j if gpu else Figure.missing("J", gpu_reason or "NVML unavailable")
        if exc is not None:
            notes.append(f"phase ended by {type(exc).__name__}")
        repetition = RepetitionTelemetry(
            duration_s=report.duration_s,
            samples=report.samples,
            skipped=report.skipped,
            interval_s=report.interval_s,
            gpu=gpu,
            gpu_unavailable=None if gpu else gpu_reason or "; ".join(report.notes),
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
        return session_context(
            provider=self.provider,
            link=self._link,
            loaded=self._loaded,
            host_bandwidth=self._host_bandwidth,
            dxgi_reason=self._dxgi_reason,
            notes=tuple(self._notes),
            process_seen=self._process_seen,
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
