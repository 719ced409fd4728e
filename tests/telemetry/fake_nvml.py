"""A scriptable stand-in for the ``pynvml`` module, at the library boundary.

Constants and the ``NVMLError`` class tree are taken from the real pynvml (it imports fine without a
driver), so code that catches ``NVMLError`` and reads ``.value`` behaves the same against both. Only the
functions are fake; their names and parameters match the real ones (checked by a test).

Tests script a ``FakeGpu`` (memory, processes, clocks, reasons, counters, errors) and change it while a
phase runs; ``FakeNvml.wait_for(name)`` blocks until the background sampler has made that call again,
so a transient value is seen without any timing assumption.
"""

from __future__ import annotations

import os
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import pynvml as real

GIB = 1024**3
MIB = 1024**2


def nvml_error(code: int) -> Exception:
    """The exact subclass real pynvml raises for ``code`` (e.g. NVMLError_NotSupported)."""
    return real.NVMLError(code)


@dataclass
class FakeGpu:
    name: str = "NVIDIA GeForce RTX 4090"
    uuid: str = "GPU-11111111-2222-3333-4444-555555555555"
    architecture: int = real.NVML_DEVICE_ARCH_ADA
    compute_capability: tuple[int, int] = (8, 9)
    bus_id: bytes = b"00000000:01:00.0"
    pci_device_id: int = 0x268410DE
    pci_subsystem_id: int = 0x16F310DE
    total: int = 24 * GIB
    used: int = 300 * MIB  # as memory info v2 reports it (reserved excluded)
    reserved: int = 200 * MIB
    memory_v2: bool = True  # False: a driver older than 515 (v2 raises FunctionNotFound)
    max_sm_clock: int = 3105
    max_memory_clock: int = 10501
    bus_width: int = 384
    sm_clock: int = 2520
    memory_clock: int = 10501
    temperature: int = 55
    reasons: int = real.nvmlClocksEventReasonNone
    violations_ns: dict[int, int] = field(
        default_factory=lambda: {real.NVML_PERF_POLICY_POWER: 0, real.NVML_PERF_POLICY_THERMAL: 0}
    )
    energy_mj: int = 1_000_000
    pcie_generation: int = 4
    pcie_width: int = 16
    pcie_max_generation: int = 4
    pcie_max_width: int = 16
    driver_model: int | None = None  # Windows: real.NVML_DRIVER_WDDM / NVML_DRIVER_WDM (TCC)
    persistence_mode: int | None = real.NVML_FEATURE_ENABLED  # None: Windows (not supported)
    vbios: str = "95.02.18.80.87"
    power_limit_mw: int = 450_000
    power_default_limit_mw: int = 450_000
    ecc_mode: int | None = None  # None: not supported (GeForce); else real.NVML_FEATURE_ENABLED/DISABLED
    gpu_max_pcie_generation: int | None = None  # the card's own maximum; None: same as pcie_max_generation
    compute_processes: list[tuple[int, int | None]] = field(default_factory=list)  # (pid, bytes or None)
    graphics_processes: list[tuple[int, int | None]] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)  # function name -> NVML error code it raises

    def unsupported(self, *names: str) -> FakeGpu:
        """GeForce-style limited support: these calls raise NVMLError_NotSupported."""
        for name in names:
            self.errors[name] = real.NVML_ERROR_NOT_SUPPORTED
        return self


def _process(pid: int, used: int | None) -> SimpleNamespace:
    return SimpleNamespace(
        pid=pid, usedGpuMemory=used, gpuInstanceId=0xFFFFFFFF, computeInstanceId=0xFFFFFFFF
    )


class FakeNvml:
    """Module-like object: ``FakeNvml(gpus=[FakeGpu()])`` where bench expects ``pynvml``."""

    def __init__(
        self,
        gpus: list[FakeGpu] | None = None,
        *,
        init_error: int | None = None,
        driver: str = "560.35.03",
        cuda: int = 12060,
        nvml_version: str = "12.560.35.03",
    ) -> None:
        self.gpus = list(gpus) if gpus is not None else [FakeGpu()]
        self.init_error = init_error
        self.driver = driver
        self.cuda = cuda
        self.nvml_version = nvml_version
        self.initialised = 0
        self.calls: Counter[str] = Counter()
        self._changed = threading.Condition()

    def __getattr__(self, name: str) -> Any:
        # Constants, struct versions and the NVMLError class tree come from the real module.
        if name.startswith(("NVML", "nvmlClocks", "nvmlMemory_", "NVMLError")):
            return getattr(real, name)
        raise AttributeError(name)

    # -- test helpers ---------------------------------------------------------------------------

    def wait_for(self, name: str, times: int = 1, timeout: float = 10.0) -> None:
        """Block until ``name`` has been called ``times`` more times (by any thread)."""
        with self._changed:
            target = self.calls[name] + times
            if not self._changed.wait_for(lambda: self.calls[name] >= target, timeout=timeout):
                raise TimeoutError(f"{name} was not called {times} more time(s) within {timeout} s")

    def _enter(self, name: str, gpu: FakeGpu | None = None) -> None:
        with self._changed:
            self.calls[name] += 1
            self._changed.notify_all()
        if name not in ("nvmlInit", "nvmlShutdown") and not self.initialised:
            raise nvml_error(real.NVML_ERROR_UNINITIALIZED)
        if gpu is not None and name in gpu.errors:
            raise nvml_error(gpu.errors[name])

    # -- system ---------------------------------------------------------------------------------

    def nvmlInit(self) -> None:
        self._enter("nvmlInit")
        if self.init_error is not None:
            raise nvml_error(self.init_error)
        self.initialised += 1

    def nvmlShutdown(self) -> None:
        self._enter("nvmlShutdown")
        if not self.initialised:
            raise nvml_error(real.NVML_ERROR_UNINITIALIZED)
        self.initialised -= 1

    def nvmlSystemGetDriverVersion(self) -> str:
        self._enter("nvmlSystemGetDriverVersion")
        return self.driver

    def nvmlSystemGetCudaDriverVersion(self) -> int:
        self._enter("nvmlSystemGetCudaDriverVersion")
        return self.cuda

    def nvmlSystemGetNVMLVersion(self) -> str:
        self._enter("nvmlSystemGetNVMLVersion")
        return self.nvml_version

    def nvmlDeviceGetCount(self) -> int:
        self._enter("nvmlDeviceGetCount")
        return len(self.gpus)

    def nvmlDeviceGetHandleByIndex(self, index: int) -> FakeGpu:
        self._enter("nvmlDeviceGetHandleByIndex")
        if not 0 <= index < len(self.gpus):
            raise nvml_error(real.NVML_ERROR_INVALID_ARGUMENT)
        return self.gpus[index]

    # -- identity -------------------------------------------------------------------------------

    def nvmlDeviceGetName(self, handle: FakeGpu) -> str:
        self._enter("nvmlDeviceGetName", handle)
        return handle.name

    def nvmlDeviceGetUUID(self, handle: FakeGpu) -> str:
        self._enter("nvmlDeviceGetUUID", handle)
        return handle.uuid

    def nvmlDeviceGetArchitecture(self, device: FakeGpu) -> int:
        self._enter("nvmlDeviceGetArchitecture", device)
        return device.architecture

    def nvmlDeviceGetCudaComputeCapability(self, handle: FakeGpu) -> tuple[int, int]:
        self._enter("nvmlDeviceGetCudaComputeCapability", handle)
        return handle.compute_capability

    def nvmlDeviceGetPciInfo(self, handle: FakeGpu) -> SimpleNamespace:
        self._enter("nvmlDeviceGetPciInfo", handle)
        # Real pynvml returns a ctypes struct: busId reads as bytes.
        return SimpleNamespace(
            busId=handle.bus_id, pciDeviceId=handle.pci_device_id, pciSubSystemId=handle.pci_subsystem_id
        )

    def nvmlDeviceGetDriverModel(self, handle: FakeGpu) -> list[int]:
        self._enter("nvmlDeviceGetDriverModel", handle)
        if handle.driver_model is None:
            raise nvml_error(real.NVML_ERROR_NOT_SUPPORTED)
        return [handle.driver_model, handle.driver_model]

    def nvmlDeviceGetVbiosVersion(self, handle: FakeGpu) -> str:
        self._enter("nvmlDeviceGetVbiosVersion", handle)
        return handle.vbios

    def nvmlDeviceGetPersistenceMode(self, handle: FakeGpu) -> int:
        self._enter("nvmlDeviceGetPersistenceMode", handle)
        if handle.persistence_mode is None:
            raise nvml_error(real.NVML_ERROR_NOT_SUPPORTED)
        return handle.persistence_mode

    def nvmlDeviceGetEnforcedPowerLimit(self, handle: FakeGpu) -> int:
        self._enter("nvmlDeviceGetEnforcedPowerLimit", handle)
        return handle.power_limit_mw

    def nvmlDeviceGetPowerManagementDefaultLimit(self, handle: FakeGpu) -> int:
        self._enter("nvmlDeviceGetPowerManagementDefaultLimit", handle)
        return handle.power_default_limit_mw

    def nvmlDeviceGetEccMode(self, handle: FakeGpu) -> list[int]:
        self._enter("nvmlDeviceGetEccMode", handle)
        if handle.ecc_mode is None:
            raise nvml_error(real.NVML_ERROR_NOT_SUPPORTED)
        return [handle.ecc_mode, handle.ecc_mode]  # [current, pending]

    def nvmlDeviceGetMaxClockInfo(self, handle: FakeGpu, type: int) -> int:
        self._enter("nvmlDeviceGetMaxClockInfo", handle)
        return handle.max_sm_clock if type == real.NVML_CLOCK_SM else handle.max_memory_clock

    def nvmlDeviceGetMemoryBusWidth(self, device: FakeGpu) -> int:
        self._enter("nvmlDeviceGetMemoryBusWidth", device)
        return device.bus_width

    def nvmlDeviceGetMaxPcieLinkGeneration(self, handle: FakeGpu) -> int:
        self._enter("nvmlDeviceGetMaxPcieLinkGeneration", handle)
        return handle.pcie_max_generation

    def nvmlDeviceGetGpuMaxPcieLinkGeneration(self, handle: FakeGpu) -> int:
        self._enter("nvmlDeviceGetGpuMaxPcieLinkGeneration", handle)
        if handle.gpu_max_pcie_generation is None:
            return handle.pcie_max_generation
        return handle.gpu_max_pcie_generation

    def nvmlDeviceGetMaxPcieLinkWidth(self, handle: FakeGpu) -> int:
        self._enter("nvmlDeviceGetMaxPcieLinkWidth", handle)
        return handle.pcie_max_width

    # -- memory and processes -------------------------------------------------------------------

    def nvmlDeviceGetMemoryInfo(self, handle: FakeGpu, version: int | None = None) -> SimpleNamespace:
        self._enter("nvmlDeviceGetMemoryInfo", handle)
        if version:
            if not handle.memory_v2:
                raise nvml_error(real.NVML_ERROR_FUNCTION_NOT_FOUND)
            free = handle.total - handle.used - handle.reserved
            return SimpleNamespace(
                version=version, total=handle.total, reserved=handle.reserved, free=free, used=handle.used
            )
        used = handle.used + handle.reserved  # v1 counts driver-reserved memory as used
        return SimpleNamespace(total=handle.total, free=handle.total - used, used=used)

    def nvmlDeviceGetComputeRunningProcesses(self, handle: FakeGpu) -> list[SimpleNamespace]:
        self._enter("nvmlDeviceGetComputeRunningProcesses", handle)
        return [_process(pid, used) for pid, used in list(handle.compute_processes)]

    def nvmlDeviceGetGraphicsRunningProcesses(self, handle: FakeGpu) -> list[SimpleNamespace]:
        self._enter("nvmlDeviceGetGraphicsRunningProcesses", handle)
        return [_process(pid, used) for pid, used in list(handle.graphics_processes)]

    # -- clocks, throttling, power --------------------------------------------------------------

    def nvmlDeviceGetClockInfo(self, handle: FakeGpu, type: int) -> int:
        self._enter("nvmlDeviceGetClockInfo", handle)
        return handle.sm_clock if type == real.NVML_CLOCK_SM else handle.memory_clock

    def nvmlDeviceGetTemperature(self, handle: FakeGpu, sensor: int) -> int:
        self._enter("nvmlDeviceGetTemperature", handle)
        return handle.temperature

    def nvmlDeviceGetCurrentClocksEventReasons(self, handle: FakeGpu) -> int:
        self._enter("nvmlDeviceGetCurrentClocksEventReasons", handle)
        return handle.reasons

    def nvmlDeviceGetViolationStatus(self, device: FakeGpu, perfPolicyType: int) -> SimpleNamespace:
        self._enter("nvmlDeviceGetViolationStatus", device)
        return SimpleNamespace(referenceTime=0, violationTime=device.violations_ns.get(perfPolicyType, 0))

    def nvmlDeviceGetCurrPcieLinkGeneration(self, handle: FakeGpu) -> int:
        self._enter("nvmlDeviceGetCurrPcieLinkGeneration", handle)
        return handle.pcie_generation

    def nvmlDeviceGetCurrPcieLinkWidth(self, handle: FakeGpu) -> int:
        self._enter("nvmlDeviceGetCurrPcieLinkWidth", handle)
        return handle.pcie_width

    def nvmlDeviceGetTotalEnergyConsumption(self, handle: FakeGpu) -> int:
        self._enter("nvmlDeviceGetTotalEnergyConsumption", handle)
        return handle.energy_mj


class PoweredNvml(FakeNvml):
    """A fake whose energy counter advances with wall time at ``watts``, in steps of ``update_s``,
    as the real counter does (it updates every 20-100 ms)."""

    def __init__(self, gpus: list[FakeGpu] | None = None, *, watts: float = 300.0, update_s: float = 0.02):
        super().__init__(gpus)
        self.watts = watts
        self.update_s = update_s

    def nvmlDeviceGetTotalEnergyConsumption(self, handle: FakeGpu) -> int:
        self._enter("nvmlDeviceGetTotalEnergyConsumption", handle)
        steps = int(time.perf_counter() / self.update_s)
        return handle.energy_mj + int(steps * self.update_s * self.watts * 1000)


def gpu_of_parent_process() -> FakeNvml:
    """Importable by path for the sampler process (``tests.telemetry.fake_nvml:gpu_of_parent_process``):
    one GPU whose compute-process list holds the process that started the sampler, with 6 GiB."""
    return PoweredNvml([FakeGpu(compute_processes=[(os.getppid(), 6 * GIB)])])


def fake_functions() -> list[str]:
    return sorted(name for name in vars(FakeNvml) if name.startswith("nvml"))


def gpu_of_this_process() -> FakeNvml:
    """The same GPU for sampling on a thread in this process: its list holds this process."""
    return PoweredNvml([FakeGpu(compute_processes=[(os.getpid(), 6 * GIB)])])
