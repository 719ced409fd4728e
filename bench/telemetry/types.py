"""Typed telemetry samples as they appear in result files.

Every figure says how it was obtained (``method``) and what it covers (``scope``). A figure that could
not be read carries ``unavailable`` with the reason and no value: never a zero standing in for "unknown".

Results keep per-phase aggregates (first/last/peak, min/max/mean, counts), never every 10 ms sample:
a sweep has hundreds of phases and the file must stay small. The vocabulary of ``method`` strings is
documented in docs/TELEMETRY.md.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr

Scope = Literal["process", "device", "system"]
NOT_RECORDED = "not recorded (result written before schema version 2)"
MIB = 1024 * 1024


class Figure(BaseModel):
    """One measured number, with how it was obtained, or the reason it could not be."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    value: float | None = None
    unit: str
    method: str | None = None
    scope: Scope | None = None
    unavailable: str | None = None

    @classmethod
    def missing(cls, unit: str, reason: str) -> Figure:
        return cls(unit=unit, unavailable=reason)

    @classmethod
    def of(cls, value: float, unit: str, method: str, scope: Scope | None = None) -> Figure:
        return cls(value=float(value), unit=unit, method=method, scope=scope)

    @property
    def ok(self) -> bool:
        return self.value is not None

    def text(self, fmt: str = "{:.1f}") -> str:
        if self.value is None:
            return f"unavailable ({self.unavailable})"
        return f"{fmt.format(self.value)} {self.unit}"


class Series(BaseModel):
    """A quantity polled during a phase, kept as min/max/mean over ``n`` readings."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    unit: str
    method: str | None = None
    n: int = 0
    min: float | None = None
    max: float | None = None
    mean: float | None = None
    unavailable: str | None = None

    @classmethod
    def missing(cls, unit: str, reason: str) -> Series:
        return cls(unit=unit, unavailable=reason)

    @classmethod
    def merge(cls, parts: Iterable[Series], *, unit: str) -> Series:
        """Pool several phases: min of mins, max of maxes, mean weighted by reading count."""
        parts = list(parts)
        usable = [p for p in parts if p.n and p.mean is not None]
        if not usable:
            reasons = sorted({p.unavailable for p in parts if p.unavailable})
            return cls.missing(unit, "; ".join(reasons) or "no readings")
        n = sum(p.n for p in usable)
        return cls(
            unit=unit,
            method=usable[0].method,
            n=n,
            min=min(p.min for p in usable if p.min is not None),
            max=max(p.max for p in usable if p.max is not None),
            mean=sum(p.mean * p.n for p in usable if p.mean is not None) / n,
        )

    def text(self, fmt: str = "{:.0f}") -> str:
        if not self.n or self.mean is None:
            return f"unavailable ({self.unavailable or 'no readings'})"
        low, high, mean = (fmt.format(v) for v in (self.min, self.max, self.mean))
        return f"{low}–{high} {self.unit} (mean {mean}, n={self.n})"


class MemorySpan(BaseModel):
    """One memory quantity over a phase: first reading, last reading, highest reading (MiB).

    ``unavailable`` with values: the reading failed part-way ("incomplete: ..."); the values cover the
    readings before the failure and are not used as figures.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    method: str | None = None
    scope: Scope | None = None
    start_mib: float | None = None
    end_mib: float | None = None
    peak_mib: float | None = None
    n: int = 0
    unavailable: str | None = None

    @classmethod
    def missing(cls, reason: str) -> MemorySpan:
        return cls(unavailable=reason)

    @property
    def ok(self) -> bool:
        """Read on every tick; a span whose reading failed mid-phase keeps its values but is not ok."""
        return self.peak_mib is not None and self.unavailable is None


# -- GPU identity (once per run) ------------------------------------------------------------------


class DmlAdapter(BaseModel):
    """The DXGI adapter DirectML runs on, as bench told onnxruntime-genai to pick it (v2)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    description: str | None = None
    luid: str | None = Field(default=None, description="HighPart:LowPart, onnxruntime-genai's format")
    vendor_id: int | None = None
    device_id: int | None = Field(default=None, description="PCI device id of the adapter")
    subsys_id: int | None = None
    dedicated_video_memory_mib: float | None = None
    selected_by: str = Field(description="e.g. 'device_id 1 (high-performance order) -> luid 0:5678'")
    genai_options: dict[str, str] = Field(
        default_factory=dict, description="the dml provider options onnxruntime-genai was given"
    )
    unavailable: str | None = Field(default=None, description="why the adapter is unknown (no DXGI)")


class DeviceMapping(BaseModel):
    """Which NVML device (and DXGI adapter) stands for the device onnxruntime-genai was told to use."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    provider: str
    requested: str = Field(description="what onnxruntime-genai was given, e.g. 'cuda device_id 0'")
    nvml_index: int | None = None
    uuid: str | None = None
    name: str | None = None
    dxgi_adapter: str | None = Field(default=None, description="DXGI adapter description and LUID (DirectML)")
    adapter: DmlAdapter | None = Field(default=None, description="the DirectML adapter in full (v2)")
    pci_bus_id: str | None = Field(default=None, description="PCI bus id of the NVML device (v2)")
    method: str = Field(description="how the match was made, e.g. 'index (CUDA_DEVICE_ORDER=PCI_BUS_ID)'")
    ambiguous: str | None = Field(default=None, description="why the match may be wrong, when it may be")
    unavailable: str | None = None


class GpuDevice(BaseModel):
    """Identity and static metadata of one GPU, read once per run.

    A field that could not be read is None and ``unavailable[field]`` says why (e.g. "not supported on
    this GPU/driver"); None without an entry there means "does not apply" (driver model on Linux).
    """

    model_config = ConfigDict(extra="forbid")

    index: int = Field(description="NVML index (PCI bus order), not necessarily the CUDA device id")
    name: str
    uuid: str | None = None
    architecture: str | None = None  # "ampere", "ada", "hopper", ...
    compute_capability: str | None = None
    pci_bus_id: str | None = None
    pci_device_id: int | None = Field(
        default=None, description="PCI device id << 16 | vendor id, as NVML gives it"
    )
    pci_subsystem_id: int | None = None
    driver_version: str | None = None
    cuda_driver_version: str | None = Field(default=None, description="highest CUDA the driver supports")
    driver_model: str | None = Field(default=None, description="Windows: WDDM, TCC or MCDM")
    vbios_version: str | None = None
    persistence_mode: bool | None = Field(default=None, description="Linux only")
    memory_total_mib: float | None = None
    power_limit_w: float | None = None
    max_sm_clock_mhz: float | None = None
    max_memory_clock_mhz: float | None = None
    memory_bus_width_bits: int | None = None
    peak_memory_bandwidth_gb_s: float | None = Field(
        default=None, description="bus width / 8 × max memory clock × 2 (double data rate), decimal GB/s"
    )
    pcie_max_generation: int | None = None
    pcie_max_width: int | None = None
    unavailable: dict[str, str] = Field(default_factory=dict, description="field -> why it could not be read")
    # Free-form facts not covered by the fields above. Kept so that documents written before the typed
    # fields existed still load; new code reads the typed fields.
    metadata: dict[str, str | int | float | bool | None] = Field(default_factory=dict)


class GpuInventory(BaseModel):
    """What GPUs bench could see, or why it saw none."""

    model_config = ConfigDict(extra="forbid")

    available: bool
    reason: str | None = Field(default=None, description="why no GPU telemetry is available, when it is not")
    library: str | None = Field(default=None, description="e.g. 'nvml 12.550.54.15, nvidia-ml-py 13.615.71'")
    driver_version: str | None = None
    cuda_driver_version: str | None = None
    device_count: int | None = Field(
        default=None, description="GPUs NVML counted, including any whose metadata could not be read"
    )
    devices: list[GpuDevice] = Field(default_factory=list)


# -- per-phase readings ---------------------------------------------------------------------------


class ClockEvents(BaseModel):
    """Clock-event (throttle) reasons polled during a phase: how many readings showed each reason."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    samples: int = 0
    counts: dict[str, int] = Field(default_factory=dict, description="reason name -> readings showing it")
    throttled_samples: int = Field(default=0, description="readings with a thermal or power throttle reason")
    unavailable: str | None = None


class GpuPhase(BaseModel):
    """NVML readings over one phase, for the device the provider runs on."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    nvml_index: int
    memory_api: str = Field(description="nvml-memory-v2 (reserved memory separated) or nvml-memory-v1")
    device_used: MemorySpan
    process_used: MemorySpan
    concurrent_processes: list[str] = Field(
        default_factory=list, description="other processes that appeared, left or changed GPU memory"
    )
    unreported_processes: list[int] = Field(
        default_factory=list,
        description="other pids listed without a memory figure (WDDM): their changes cannot be seen",
    )
    sm_clock_mhz: Series
    memory_clock_mhz: Series
    temperature_c: Series
    pcie_generation: Series
    pcie_width: Series
    clock_events: ClockEvents
    violations_ms: dict[str, Figure] = Field(
        default_factory=dict, description="NVML violation counters (power, thermal) diffed across the phase"
    )
    energy_j: Figure


class DxgiPhase(BaseModel):
    """DXGI ``QueryVideoMemoryInfo`` for this process on the DirectML adapter (Windows)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    adapter: str
    local: MemorySpan = Field(description="dedicated video memory (dxgi-local)")
    non_local: MemorySpan = Field(description="shared system memory (dxgi-nonlocal): growth means spill")
    local_budget_mib: Figure


class HostPhase(BaseModel):
    """psutil readings of this process and the host over one phase."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    rss: MemorySpan
    cpu_util_pct: Figure = Field(description="process CPU time / wall time, in % of one core (as top shows)")
    system_cpu_pct: Figure = Field(description="all cores, in % of the whole machine")
    system_available_min_mib: Figure
    cpu_freq_mhz: Series


class _Phase(BaseModel):
    """Readings every tracked window has, whatever it wraps."""

    model_config = ConfigDict(extra="forbid")

    duration_s: float
    samples: int = Field(description="readings taken: first + background + final")
    skipped: int = Field(default=0, description="background readings skipped: the sampler fell behind")
    interval_s: float | None = Field(default=None, description="background sampling interval; None: none ran")
    gpu: GpuPhase | None = None
    gpu_unavailable: str | None = None
    dxgi: DxgiPhase | None = None
    dxgi_unavailable: str | None = None
    host: HostPhase
    notes: list[str] = Field(default_factory=list)


class SessionTelemetry(_Phase):
    """Per (model, provider) session: memory before and after the model was loaded."""

    provider: str
    device: DeviceMapping | None = None
    process_seen: bool | None = Field(
        default=None,
        description="this process appeared in the mapped device's process list (None: list unreadable) (v2)",
    )
    vram_baseline_mib: Figure = Field(description="before the model was loaded")
    vram_after_load_mib: Figure
    vram_weights_mib: Figure = Field(description="after load − before load")
    host_rss_growth_mib: Figure = Field(description="process RSS after load − before (weights on the CPU)")


class RepetitionTelemetry(_Phase):
    """Per measured repetition and phase: memory after Generator creation or while generating, clocks..."""

    phase: str = Field(description="generator_setup or generation")
    vram_start_mib: Figure
    vram_end_mib: Figure
    vram_peak_mib: Figure
    throttled: bool = Field(description="a throttle reason was seen or a violation counter moved")
    throttle_reasons: list[str] = Field(default_factory=list)
    avg_power_w: Figure
    # The energy counter's course over a generation phase, (s since start, mJ): kept in memory to split
    # the energy at the first token when the point is summarized, never written to the result.
    _energy_trace: list[tuple[float, int]] = PrivateAttr(default_factory=list)
    _energy_reason: str | None = PrivateAttr(default=None)
    _energy_end_s: float | None = PrivateAttr(default=None)

    def keep_energy_trace(
        self, trace: list[tuple[float, int]], reason: str | None, *, end_s: float | None = None
    ) -> None:
        """``trace`` timed from when the caller's phase began; ``end_s``: when the caller's phase ended."""
        self._energy_trace, self._energy_reason, self._energy_end_s = list(trace), reason, end_s

    @property
    def energy_trace(self) -> tuple[list[tuple[float, int]], str | None, float | None]:
        return self._energy_trace, self._energy_reason, self._energy_end_s


# -- per point ------------------------------------------------------------------------------------


class Roofline(BaseModel):
    """Memory-bandwidth bound on decode tokens/s and how close the measured rate came to it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    weight_bytes: int = Field(
        description="every weight initializer read once per decode step (v2: all dtypes)"
    )
    weights_by_dtype: dict[str, int] = Field(
        default_factory=dict, description="weight_bytes by element type, e.g. 'int4 (MatMulNBits)' (v2)"
    )
    kv_bytes_per_step: float = Field(
        description="K and V read per step at the mean decode context, whole batch"
    )
    mean_context_tokens: float = Field(
        description="prompt + output/2: mean positions attended while decoding"
    )
    bytes_per_step: float
    batch_size: int
    peak_bandwidth_gb_s: Figure
    bound_tokens_per_s: Figure = Field(description="batch × bandwidth / bytes per step")
    measured_tokens_per_s: float | None = Field(
        default=None, description="median decode tokens/s of the point"
    )
    efficiency_pct: Figure = Field(description="measured / bound × 100")


class PointTelemetry(BaseModel):
    """Per sweep point: aggregated telemetry, roofline and the reasons behind a flagged point."""

    model_config = ConfigDict(extra="forbid")

    provider: str
    repetitions: int
    vram_weights_mib: Figure
    vram_kv_cache_mib: Figure = Field(
        description="after Generator creation − after model load: KV cache plus what the allocator kept"
    )
    vram_setup_growth_mib: Figure = Field(description="growth during Generator creation (largest repetition)")
    kv_cache_theoretical_mib: Figure = Field(description="from the architecture at batch × max length")
    vram_peak_mib: Figure
    shared_memory_growth_mib: Figure = Field(description="DXGI non-local growth over after-load (DirectML)")
    memory_spill: bool = False
    concurrent_gpu_process: bool = False
    concurrent_processes: list[str] = Field(default_factory=list)
    throttled_repetitions: int = 0
    throttle_reasons: list[str] = Field(default_factory=list)
    throttled_samples: int = 0
    clock_event_samples: int = 0
    sm_clock_mhz: Series
    memory_clock_mhz: Series
    temperature_c: Series
    pcie_generation: Series
    pcie_width: Series
    energy_j: Figure = Field(description="mean GPU energy of one generation phase (prefill + decode)")
    energy_per_token_j: Figure = Field(
        description="energy_j / generated tokens: includes the prefill (see the two figures below)"
    )
    prefill_energy_j: Figure = Field(
        default_factory=lambda: Figure.missing("J", NOT_RECORDED),
        description="mean energy from the start of the generation phase to the first token (v2)",
    )
    decode_energy_per_token_j: Figure = Field(
        default_factory=lambda: Figure.missing("J/token", NOT_RECORDED),
        description="mean energy after the first token / tokens decoded after it (v2)",
    )
    avg_power_w: Figure
    host_peak_rss_mib: Figure
    cpu_util_pct: Figure
    roofline: Roofline | None = None
    roofline_unavailable: str | None = None
    gpu_process_not_seen: str | None = Field(
        default=None, description="CUDA: why the mapped GPU may not be the one the run used (v2)"
    )
    flags: list[str] = Field(
        default_factory=list,
        description="throttled, memory_spill, concurrent_gpu_process, gpu_process_not_seen",
    )
    notes: list[str] = Field(default_factory=list)
