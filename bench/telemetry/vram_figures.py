"""VRAM figures from one window's readings: the best source the platform gave, absolute or a delta."""

from __future__ import annotations

from collections.abc import Sequence

from bench.telemetry.types import DxgiPhase, Figure, GpuPhase, MemorySpan

MAX_PIDS_SHOWN = 5  # pids named in an "unverified" VRAM method


def vram_source(
    gpu: GpuPhase | None, dxgi: DxgiPhase | None, *, gpu_reason: str | None, dxgi_reason: str | None
) -> tuple[MemorySpan | None, str]:
    """The best VRAM reading this platform gave: DXGI local, then NVML per-process, then device-wide."""
    if gpu_reason and dxgi is None:
        return None, gpu_reason
    reasons = []
    if dxgi is not None:
        if dxgi.local.ok:
            return dxgi.local, ""
        reasons.append(f"dxgi: {dxgi.local.unavailable}")
    elif dxgi_reason:
        reasons.append(f"dxgi: {dxgi_reason}")
    if gpu is None:
        reasons.append(gpu_reason or "NVML unavailable")
        return None, "; ".join(reasons)
    if gpu.process_used.ok:
        return gpu.process_used, ""
    reasons.append(f"per-process: {gpu.process_used.unavailable}")
    if gpu.device_used.ok:
        return gpu.device_used, "; ".join(reasons)
    reasons.append(f"device: {gpu.device_used.unavailable}")
    return None, "; ".join(reasons)


def vram_figures(
    gpu: GpuPhase | None,
    dxgi: DxgiPhase | None,
    *,
    gpu_reason: str | None,
    dxgi_reason: str | None,
    concurrent: Sequence[str],
    baseline_device_mib: float | None,
) -> tuple[Figure, Figure, Figure]:
    """(start, end, peak): absolute for a per-process source, else relative to the device baseline."""
    span, reason = vram_source(gpu, dxgi, gpu_reason=gpu_reason, dxgi_reason=dxgi_reason)
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
        missing = Figure.missing("MiB", "device-wide delta needs a reading before model load (track_load)")
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


def absolute_vram(
    gpu: GpuPhase | None, dxgi: DxgiPhase | None, *, gpu_reason: str | None, dxgi_reason: str | None
) -> tuple[Figure, Figure]:
    """(start, end) of the best source as read, with no baseline subtracted."""
    span, reason = vram_source(gpu, dxgi, gpu_reason=gpu_reason, dxgi_reason=dxgi_reason)
    if span is None or span.start_mib is None or span.end_mib is None:
        missing = Figure.missing("MiB", reason)
        return missing, missing
    return (
        Figure.of(span.start_mib, "MiB", span.method or "", span.scope),
        Figure.of(span.end_mib, "MiB", span.method or "", span.scope),
    )
