"""Which NVML device a provider's run uses and how its memory is read (found once, at set-up), and
that device's readings of one window as a ``GpuPhase``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bench.providers import GPU_PROVIDERS
from bench.telemetry.adapters import DmlSelection, select_dml_adapter
from bench.telemetry.gpu import map_cuda_device, map_dml_adapter
from bench.telemetry.nvml import Nvml, NvmlError
from bench.telemetry.types import DeviceMapping, GpuDevice, GpuInventory, GpuPhase
from bench.telemetry.vram import choose_memory_api
from bench.telemetry.window import Parts


@dataclass(frozen=True)
class GpuLink:
    """The mapped device and NVML handle, or why there is none (``reason``); notes for every point."""

    mapping: DeviceMapping | None = None
    device: GpuDevice | None = None
    handle: Any = None
    reason: str | None = None
    memory_api: str = "nvml-memory-v1"
    memory_kwargs: dict[str, Any] = field(default_factory=dict)
    notes: tuple[str, ...] = ()


def connect_gpu(
    *,
    provider: str,
    device_id: int,
    inventory: GpuInventory,
    nvml: Nvml | None,
    nvml_reason: str | None,
    dml_selection: DmlSelection | None,
    dxgi_reason: str | None,
) -> GpuLink:
    """Map the provider's device to NVML (CUDA ordinal or DirectML adapter) and open its handle."""
    if provider == "cpu":
        return GpuLink(reason="provider cpu uses no GPU")
    if provider not in GPU_PROVIDERS:
        return GpuLink(reason=f"provider {provider}: bench reads GPU telemetry for cuda and dml only")
    devices = inventory.devices
    if provider == "cuda":
        mapping = map_cuda_device(device_id, devices, device_count=inventory.device_count)
    else:
        selection = dml_selection or select_dml_adapter({}, None, reason=dxgi_reason)
        mapping = map_dml_adapter(devices, selection)
    if nvml is None:
        return GpuLink(mapping=mapping, reason=nvml_reason or "NVML unavailable")
    if mapping.nvml_index is None:
        return GpuLink(mapping=mapping, reason=mapping.unavailable or "no NVML device for this provider")
    notes = [f"device mapping may be wrong: {mapping.ambiguous}"] if mapping.ambiguous else []
    device = next((d for d in devices if d.index == mapping.nvml_index), None)
    try:
        handle = nvml.call("nvmlDeviceGetHandleByIndex", mapping.nvml_index)
    except NvmlError as exc:
        return GpuLink(mapping=mapping, device=device, reason=exc.reason, notes=tuple(notes))
    memory_api, memory_kwargs, why_v1 = choose_memory_api(nvml, handle)
    if why_v1:
        notes.append(f"{memory_api} used ({why_v1}): 'used' includes driver-reserved memory")
    return GpuLink(
        mapping=mapping,
        device=device,
        handle=handle,
        memory_api=memory_api,
        memory_kwargs=memory_kwargs,
        notes=tuple(notes),
    )


def gpu_phase(
    parts: Parts | None, *, link: GpuLink, self_pids: frozenset[int], pid_inferred: bool
) -> GpuPhase | None:
    """One window's NVML readings of the linked device, or ``None`` where any of them is missing."""
    mapping = link.mapping
    if parts is None:
        return None
    memory, clocks, energy = parts.memory, parts.clocks, parts.energy
    if memory is None or clocks is None or energy is None or mapping is None:
        return None
    series = clocks.series()
    driver_model = link.device.driver_model if link.device else None
    process = memory.process_span(driver_model=driver_model)
    if pid_inferred and process.ok:
        process = process.model_copy(update={"method": "nvml-process (pid inferred at model load)"})
    return GpuPhase(
        nvml_index=mapping.nvml_index if mapping.nvml_index is not None else -1,
        memory_api=link.memory_api,
        device_used=memory.device_span(),
        process_used=process,
        concurrent_processes=memory.concurrent(),
        unreported_processes=sorted(memory.unreported - self_pids),
        sm_clock_mhz=series["sm_clock_mhz"],
        memory_clock_mhz=series["memory_clock_mhz"],
        temperature_c=series["temperature_c"],
        pcie_generation=series["pcie_generation"],
        pcie_width=series["pcie_width"],
        clock_events=clocks.clock_events(),
        violations_ms=clocks.violations_ms(),
        energy_j=energy.energy(),
    )
