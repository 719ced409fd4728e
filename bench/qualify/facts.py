"""What qualification reads about the GPU once, before any model is loaded.

Built on bench.telemetry's NVML wrapper and inventory (identity, VRAM, driver, PCIe maxima, power
limit), plus the few readings only qualification needs: the default power limit, ECC mode, the card's
own maximum PCIe generation and the clocks at idle. The library is passed in (tests use the fake).
"""

from __future__ import annotations

import sys
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from bench.compare.skus import sku_for
from bench.errors import BenchError
from bench.telemetry.adapters import DmlSelection, resolve_dml_adapter
from bench.telemetry.gpu import map_cuda_device, map_dml_adapter, read_inventory
from bench.telemetry.nvml import Nvml, NvmlError
from bench.telemetry.types import DeviceMapping, Figure, GpuDevice, GpuInventory


class GpuFacts(BaseModel):
    """The GPU being qualified (None with ``no_gpu`` saying why), and the readings around it."""

    model_config = ConfigDict(extra="forbid")

    provider: str
    inventory: GpuInventory | None = None
    mapping: DeviceMapping | None = None
    device: GpuDevice | None = None
    no_gpu: str | None = Field(default=None, description="'no GPU: <why>' when there is no GPU to judge")
    sku: str | None = Field(default=None, description="bench's SKU class (rtx-4090, ...), None when unknown")
    power_default_w: Figure = Field(default_factory=lambda: Figure.missing("W", "not read"))
    ecc_enabled: bool | None = None
    gpu_max_pcie_generation: int | None = Field(default=None, description="the card's own maximum generation")
    idle_sm_clock_mhz: Figure = Field(default_factory=lambda: Figure.missing("MHz", "not read"))
    idle_memory_clock_mhz: Figure = Field(default_factory=lambda: Figure.missing("MHz", "not read"))
    unavailable: dict[str, str] = Field(default_factory=dict, description="reading -> why it failed")


def read_gpu_facts(
    *,
    provider: str,
    device_id: int = 0,
    nvml_module: Any | None = None,
    platform: str | None = None,
) -> GpuFacts:
    """Never raises for a missing GPU or driver: ``no_gpu`` says why and every GPU criterion is not judged."""
    platform = platform or sys.platform
    try:
        nvml = Nvml.open(nvml_module)
    except NvmlError as exc:
        return GpuFacts(provider=provider, no_gpu=f"no GPU: {exc.reason}")
    try:
        return _read(nvml, provider=provider, device_id=device_id, platform=platform)
    finally:
        nvml.close()


def _read(nvml: Nvml, *, provider: str, device_id: int, platform: str) -> GpuFacts:
    inventory = read_inventory(nvml, platform=platform)
    if provider == "cpu":
        return GpuFacts(provider=provider, inventory=inventory, no_gpu="no GPU: provider cpu runs on no GPU")
    if not inventory.available:
        return GpuFacts(provider=provider, inventory=inventory, no_gpu=f"no GPU: {inventory.reason}")
    if provider == "cuda":
        mapping = map_cuda_device(device_id, inventory.devices, device_count=inventory.device_count)
    else:
        # The adapter onnxruntime-genai will run on for this device_id (bench/telemetry/adapters.py).
        try:
            selection = resolve_dml_adapter({"device_id": str(device_id)})
        except BenchError as exc:
            selection = DmlSelection({}, f"device_id {device_id}", unavailable=exc.one_line())
        mapping = map_dml_adapter(inventory.devices, selection)
    device = next((d for d in inventory.devices if d.index == mapping.nvml_index), None)
    if device is None:
        return GpuFacts(
            provider=provider,
            inventory=inventory,
            mapping=mapping,
            no_gpu=f"no GPU: {mapping.unavailable or 'no NVML device for this provider'}",
        )
    facts = GpuFacts(provider=provider, inventory=inventory, mapping=mapping, device=device)
    sku = sku_for(device.name)
    facts.sku = sku.id if sku else None
    handle = nvml.call("nvmlDeviceGetHandleByIndex", device.index)

    def read(field: str, name: str, *args: Any) -> Any:
        try:
            return nvml.call(name, handle, *args)
        except NvmlError as exc:
            facts.unavailable[field] = exc.reason
            return None

    default_mw = read("power_default_w", "nvmlDeviceGetPowerManagementDefaultLimit")
    facts.power_default_w = (
        Figure.of(default_mw / 1000.0, "W", "nvml-power-default-limit", "device")
        if default_mw is not None
        else Figure.missing("W", facts.unavailable["power_default_w"])
    )
    ecc = read("ecc_enabled", "nvmlDeviceGetEccMode")
    facts.ecc_enabled = ecc[0] == nvml.constant("NVML_FEATURE_ENABLED") if ecc is not None else None
    facts.gpu_max_pcie_generation = read("gpu_max_pcie_generation", "nvmlDeviceGetGpuMaxPcieLinkGeneration")
    # Before any model is loaded: what this GPU does with nothing of ours on it.
    for field, constant in (
        ("idle_sm_clock_mhz", "NVML_CLOCK_SM"),
        ("idle_memory_clock_mhz", "NVML_CLOCK_MEM"),
    ):
        value = read(field, "nvmlDeviceGetClockInfo", nvml.constant(constant))
        figure = (
            Figure.of(value, "MHz", "nvml-clock-info (before load)", "device")
            if value is not None
            else Figure.missing("MHz", facts.unavailable[field])
        )
        setattr(facts, field, figure)
    return facts
