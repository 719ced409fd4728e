"""Per-point telemetry from the repetitions' samples (pure: no probe, no library).

``SessionContext`` carries what a point needs from the session it ran in (weights, the after-load
reading the KV-cache figure is measured from, the device and its bandwidth); everything else comes from
the repetitions.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field

from bench.models.identity import ModelIdentity
from bench.telemetry.api import PointShape
from bench.telemetry.energy import split_energy
from bench.telemetry.roofline import decode_roofline, kv_cache_theoretical_mib
from bench.telemetry.types import (
    Figure,
    GpuDevice,
    MemorySpan,
    PointTelemetry,
    RepetitionTelemetry,
    Series,
)

SPILL_THRESHOLD_MIB = 64.0  # DXGI upload/readback staging heaps are small; spilled weights or KV are not
MAX_LISTED = 5
NO_LOAD = "no model load was tracked"


@dataclass(frozen=True)
class SessionContext:
    provider: str
    weights: Figure = field(default_factory=lambda: Figure.missing("MiB", NO_LOAD))
    after_load: Figure = field(default_factory=lambda: Figure.missing("MiB", NO_LOAD))
    after_load_non_local_mib: float | None = None
    peak_bandwidth: Figure = field(default_factory=lambda: Figure.missing("GB/s", "unknown"))
    device: GpuDevice | None = None
    gpu_reason: str | None = None
    dxgi_reason: str | None = None
    notes: tuple[str, ...] = ()
    process_not_seen: str | None = None  # CUDA: our pid never in the mapped device's process list


def summarize_point(
    *,
    context: SessionContext,
    point: PointShape,
    model: ModelIdentity,
    setups: Sequence[RepetitionTelemetry | None],
    generations: Sequence[RepetitionTelemetry | None],
    decode_tokens_per_s: Sequence[float],
    generated_tokens: int,
    first_token_s: Sequence[float] = (),
) -> PointTelemetry:
    setup_reps = [s for s in setups if s is not None]
    reps = [g for g in generations if g is not None]
    every = (*setup_reps, *reps)
    notes = _unique([*context.notes, *(note for rep in every for note in rep.notes)])
    concurrent = _unique([c for rep in every if rep.gpu for c in rep.gpu.concurrent_processes])
    gpus = [r.gpu for r in reps if r.gpu is not None]
    gpu_reason = context.gpu_reason or "no GPU readings"

    kv = _largest(
        [
            difference(s.vram_end_mib, context.after_load, "after Generator creation − after model load")
            for s in setup_reps
        ]
    )
    growth = _largest(
        [difference(s.vram_end_mib, s.vram_start_mib, "growth during Generator creation") for s in setup_reps]
    )
    spill, shared_growth = _spill(context, reps)
    throttled = [r for r in reps if r.throttled]
    energy = _mean(
        [r.gpu.energy_j if r.gpu else Figure.missing("J", r.gpu_unavailable or gpu_reason) for r in reps], "J"
    )
    prefill_energy, decode_energy = _energy_split(
        generations, first_token_s, gpu_reason=gpu_reason, decoded_tokens=generated_tokens - point.batch_size
    )
    pcie_generation = _merge([g.pcie_generation for g in gpus], "gen", gpu_reason)
    pcie_width = _merge([g.pcie_width for g in gpus], "lanes", gpu_reason)
    notes.extend(_pcie_notes(context.device, pcie_generation, pcie_width))
    skipped = sum(r.skipped for r in reps)
    if skipped:
        notes.append(
            f"the background sampler fell behind: {skipped} of {skipped + sum(r.samples for r in reps)} "
            "readings skipped (a slow NVML call or a saturated CPU)"
        )

    roofline, roofline_reason = None, None
    try:
        roofline = decode_roofline(
            model=model,
            prompt_tokens=point.prompt_tokens,
            batch_size=point.batch_size,
            output_tokens=point.output_tokens,
            peak_bandwidth=context.peak_bandwidth,
            measured_tokens_per_s=statistics.median(decode_tokens_per_s) if decode_tokens_per_s else None,
        )
    except ValueError as exc:
        roofline_reason = str(exc)

    flags = [
        code
        for code, on in (
            ("throttled", throttled),
            ("memory_spill", spill),
            ("concurrent_gpu_process", concurrent),
            ("gpu_process_not_seen", context.process_not_seen),
        )
        if on
    ]
    return PointTelemetry(
        provider=context.provider,
        repetitions=len(reps),
        vram_weights_mib=context.weights,
        vram_kv_cache_mib=kv,
        vram_setup_growth_mib=growth,
        kv_cache_theoretical_mib=kv_cache_theoretical_mib(
            model=model, batch_size=point.batch_size, max_length=point.max_length
        ),
        vram_peak_mib=_strict_max([r.vram_peak_mib for r in reps], "MiB"),
        shared_memory_growth_mib=shared_growth,
        memory_spill=spill,
        concurrent_gpu_process=bool(concurrent),
        concurrent_processes=concurrent[:MAX_LISTED],
        throttled_repetitions=len(throttled),
        throttle_reasons=_unique([name for r in throttled for name in r.throttle_reasons]),
        throttled_samples=sum(g.clock_events.throttled_samples for g in gpus),
        clock_event_samples=sum(g.clock_events.samples for g in gpus),
        sm_clock_mhz=_merge([g.sm_clock_mhz for g in gpus], "MHz", gpu_reason),
        memory_clock_mhz=_merge([g.memory_clock_mhz for g in gpus], "MHz", gpu_reason),
        temperature_c=_merge([g.temperature_c for g in gpus], "°C", gpu_reason),
        pcie_generation=pcie_generation,
        pcie_width=pcie_width,
        energy_j=energy,
        energy_per_token_j=_per_token(energy, generated_tokens),
        prefill_energy_j=prefill_energy,
        decode_energy_per_token_j=decode_energy,
        avg_power_w=_mean([r.avg_power_w for r in reps], "W"),
        host_peak_rss_mib=_strict_max([_peak(r.host.rss) for r in reps], "MiB"),
        cpu_util_pct=_mean([r.host.cpu_util_pct for r in reps], "%"),
        roofline=roofline,
        roofline_unavailable=roofline_reason,
        gpu_process_not_seen=context.process_not_seen,
        flags=flags,
        notes=notes,
    )


def disabled_point(
    *, provider: str, reason: str, point: PointShape, model: ModelIdentity, repetitions: int
) -> PointTelemetry:
    """Every figure unavailable for ``reason`` but the theoretical KV cache (arithmetic needs no probe)."""
    figure, series = (lambda unit: Figure.missing(unit, reason)), (lambda unit: Series.missing(unit, reason))
    return PointTelemetry(
        provider=provider,
        repetitions=repetitions,
        vram_weights_mib=figure("MiB"),
        vram_kv_cache_mib=figure("MiB"),
        vram_setup_growth_mib=figure("MiB"),
        kv_cache_theoretical_mib=kv_cache_theoretical_mib(
            model=model, batch_size=point.batch_size, max_length=point.max_length
        ),
        vram_peak_mib=figure("MiB"),
        shared_memory_growth_mib=figure("MiB"),
        sm_clock_mhz=series("MHz"),
        memory_clock_mhz=series("MHz"),
        temperature_c=series("°C"),
        pcie_generation=series("gen"),
        pcie_width=series("lanes"),
        energy_j=figure("J"),
        energy_per_token_j=figure("J/token"),
        prefill_energy_j=figure("J"),
        decode_energy_per_token_j=figure("J/token"),
        avg_power_w=figure("W"),
        host_peak_rss_mib=figure("MiB"),
        cpu_util_pct=figure("%"),
        roofline_unavailable=reason,
        notes=[reason],
    )


def repetition_metrics(
    reps: Sequence[RepetitionTelemetry | None], *, generated_tokens: int
) -> dict[str, list[float]]:
    """Per-repetition samples of telemetry metrics in ``bench.metrics``: vram_peak_mib, energy_per_token_j.

    A metric is returned only when every repetition has it, so ``samples[i]`` is repetition ``i``.
    """
    present = [r for r in reps if r is not None]
    metrics: dict[str, list[float]] = {}
    if not present:
        return metrics
    peaks = [r.vram_peak_mib.value for r in present]
    if all(p is not None for p in peaks):
        metrics["vram_peak_mib"] = [float(p) for p in peaks if p is not None]
    energies = [r.gpu.energy_j.value if r.gpu else None for r in present]
    if generated_tokens > 0 and all(e is not None for e in energies):
        metrics["energy_per_token_j"] = [float(e) / generated_tokens for e in energies if e is not None]
    return metrics


# -- helpers --------------------------------------------------------------------------------------


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))


def _source(figure: Figure) -> str:
    return (figure.method or "").split(" ")[0]


def difference(a: Figure, b: Figure, what: str) -> Figure:
    """``a − b`` when both come from the same source (a process figure minus a device delta means nothing)."""
    if a.value is None or b.value is None:
        return Figure.missing(a.unit, a.unavailable or b.unavailable or "missing reading")
    if _source(a) != _source(b):
        return Figure.missing(a.unit, f"readings from different methods ({_source(a)} vs {_source(b)})")
    return Figure.of(a.value - b.value, a.unit, f"{_source(a)}: {what}", a.scope)


def span_growth(span: MemorySpan, method: str) -> Figure:
    if not span.ok or span.start_mib is None or span.end_mib is None:
        return Figure.missing("MiB", span.unavailable or "no readings")
    return Figure.of(span.end_mib - span.start_mib, "MiB", method, span.scope)


def _peak(span: MemorySpan) -> Figure:
    if not span.ok or span.peak_mib is None:
        return Figure.missing("MiB", span.unavailable or "no readings")
    return Figure.of(span.peak_mib, "MiB", span.method or "", span.scope)


def _largest(figures: Sequence[Figure]) -> Figure:
    """The largest available figure (each repetition re-creates the same thing)."""
    usable = [f for f in figures if f.value is not None]
    if not usable:
        return Figure.missing(
            "MiB", next((f.unavailable for f in figures if f.unavailable), "no repetitions")
        )
    return max(usable, key=lambda f: f.value or 0.0)


def _strict_max(figures: Sequence[Figure], unit: str) -> Figure:
    """The largest figure, or unavailable when any repetition's is (a peak over some is no peak)."""
    if not figures:
        return Figure.missing(unit, "no repetitions")
    missing = next((f for f in figures if f.value is None), None)
    if missing is not None:
        return Figure.missing(unit, missing.unavailable or "missing reading")
    return max(figures, key=lambda f: f.value or 0.0)


def _mean(figures: Sequence[Figure], unit: str) -> Figure:
    usable = [f for f in figures if f.value is not None]
    if not usable:
        return Figure.missing(unit, next((f.unavailable for f in figures if f.unavailable), "no repetitions"))
    value = sum(f.value for f in usable if f.value is not None) / len(usable)
    method = f"mean of {len(usable)} of {len(figures)} repetitions: {usable[0].method}"
    return Figure.of(value, unit, method, usable[0].scope)


def _per_token(energy: Figure, generated_tokens: int) -> Figure:
    if energy.value is None or generated_tokens <= 0:
        return Figure.missing("J/token", energy.unavailable or "no generated tokens")
    method = f"{energy.method} over generation (prefill + decode) / generated tokens"
    return Figure.of(energy.value / generated_tokens, "J/token", method, "device")


def _energy_split(
    generations: Sequence[RepetitionTelemetry | None],
    first_token_s: Sequence[float],
    *,
    gpu_reason: str,
    decoded_tokens: int,
) -> tuple[Figure, Figure]:
    """Mean prefill energy and mean decode energy per decoded token over the repetitions."""
    if len(first_token_s) != len(generations):
        missing = "time to first token of each repetition not given: energy not split"
        return Figure.missing("J", missing), Figure.missing("J/token", missing)
    prefills, decodes = [], []
    for rep, first in zip(generations, first_token_s, strict=True):
        if rep is None or rep.gpu is None:
            reason = (rep.gpu_unavailable if rep is not None else None) or gpu_reason
            prefills.append(Figure.missing("J", reason))
            decodes.append(Figure.missing("J/token", reason))
            continue
        trace, trace_reason, end_s = rep.energy_trace
        prefill, decode = split_energy(
            trace, first_token_s=first, end_s=end_s, reason=trace_reason or gpu_reason
        )
        prefills.append(prefill)
        if decode.value is None or decoded_tokens <= 0:
            decodes.append(
                Figure.missing("J/token", decode.unavailable or "no tokens decoded after the first")
            )
        else:
            decodes.append(
                Figure.of(
                    decode.value / decoded_tokens, "J/token", f"{decode.method} / decoded tokens", "device"
                )
            )
    return _mean(prefills, "J"), _mean(decodes, "J/token")


def _merge(parts: Sequence[Series], unit: str, reason: str) -> Series:
    return Series.merge(parts, unit=unit) if parts else Series.missing(unit, reason)


def _spill(context: SessionContext, reps: Sequence[RepetitionTelemetry]) -> tuple[bool, Figure]:
    """Shared-memory growth over after-load (DXGI non-local), or dedicated memory above its budget."""
    if context.provider != "dml":
        return False, Figure.missing("MiB", "DXGI shared memory is read for provider dml only")
    dxgis = [r.dxgi for r in reps if r.dxgi is not None]
    peaks = [d.non_local.peak_mib for d in dxgis if d.non_local.ok and d.non_local.peak_mib is not None]
    if not peaks or context.after_load_non_local_mib is None:
        return False, Figure.missing("MiB", context.dxgi_reason or "no DXGI readings")
    growth = max(peaks) - context.after_load_non_local_mib
    over_budget = any(
        d.local.peak_mib is not None
        and d.local_budget_mib.value is not None
        and d.local.peak_mib > d.local_budget_mib.value
        for d in dxgis
    )
    figure = Figure.of(growth, "MiB", "dxgi-nonlocal: peak while generating − after model load", "process")
    return growth > SPILL_THRESHOLD_MIB or over_budget, figure


def _pcie_notes(device: GpuDevice | None, generation: Series, width: Series) -> list[str]:
    # The link trains down when idle, and a phase's first and last readings are taken at its idle edges:
    # judge the best link seen under load, not the worst.
    if device is None or generation.max is None or width.max is None:
        return []
    max_gen, max_width = device.pcie_max_generation, device.pcie_max_width
    if (max_gen and generation.max < max_gen) or (max_width and width.max < max_width):
        return [
            f"PCIe link ran at gen{generation.max:.0f} x{width.max:.0f} at best while generating, below the "
            f"maximum gen{max_gen} x{max_width}"
        ]
    return []
