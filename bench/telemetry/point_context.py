"""What every point summary of one session shares: the roofline's bandwidth and the load's figures."""

from __future__ import annotations

from collections.abc import Callable

from bench.telemetry.gpu_link import GpuLink
from bench.telemetry.lifecycle import AfterLoad
from bench.telemetry.roofline import NVML_BANDWIDTH_METHOD
from bench.telemetry.summary import NO_LOAD, SessionContext
from bench.telemetry.types import Figure


def peak_bandwidth(provider: str, link: GpuLink, host_bandwidth: Callable[[], Figure]) -> Figure:
    """The memory bandwidth the roofline divides by: the host's on CPU, NVML's figure on a GPU."""
    if provider == "cpu":
        return host_bandwidth()  # measured once per process, outside any timed phase
    device = link.device
    if device is None:
        return Figure.missing("GB/s", link.reason or "no GPU device")
    if device.peak_memory_bandwidth_gb_s is None:
        return Figure.missing("GB/s", device.unavailable.get("peak_memory_bandwidth_gb_s", "unknown"))
    return Figure.of(device.peak_memory_bandwidth_gb_s, "GB/s", NVML_BANDWIDTH_METHOD, "device")


def process_not_seen(provider: str, link: GpuLink, process_seen: bool | None) -> str | None:
    """CUDA: why the mapped GPU's figures may not be the run's when our process never showed on it."""
    mapping = link.mapping
    if provider != "cuda" or process_seen is not False or mapping is None:
        return None
    bus = f" (PCI {mapping.pci_bus_id})" if mapping.pci_bus_id else ""
    return (
        f"this process never appeared in the compute-process list of NVML device "
        f"{mapping.nvml_index}{bus}, the GPU bench maps {mapping.requested} to: "
        "onnxruntime-genai may have run on another GPU (CUDA_VISIBLE_DEVICES, CUDA_DEVICE_ORDER), "
        "so this GPU's memory, clocks and energy may not be the run's"
    )


def session_context(
    *,
    provider: str,
    link: GpuLink,
    loaded: AfterLoad,
    host_bandwidth: Callable[[], Figure],
    dxgi_reason: str | None,
    notes: tuple[str, ...],
    process_seen: bool | None,
) -> SessionContext:
    return SessionContext(
        provider=provider,
        weights=loaded.session.vram_weights_mib if loaded.session else Figure.missing("MiB", NO_LOAD),
        after_load=loaded.after_load or Figure.missing("MiB", NO_LOAD),
        after_load_non_local_mib=loaded.after_load_non_local_mib,
        peak_bandwidth=peak_bandwidth(provider, link, host_bandwidth),
        device=link.device,
        gpu_reason=link.reason,
        dxgi_reason=dxgi_reason,
        notes=notes,
        process_not_seen=process_not_seen(provider, link, process_seen),
    )
