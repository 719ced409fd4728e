"""Shared helpers for the comparison tests."""

from __future__ import annotations

from bench.telemetry.types import GpuDevice, GpuInventory


def gpu_inventory(name: str, architecture: str | None = None, driver: str = "565.90") -> GpuInventory:
    """What telemetry records for one NVIDIA GPU with the given driver."""
    return GpuInventory(
        available=True,
        library=f"nvml 12.565, driver {driver}",
        devices=[GpuDevice(index=0, name=name, architecture=architecture, driver_version=driver)],
    )
