"""GPU inventory (identity and static metadata, once per run) and device mapping.

Mapping matters because the numbers are only honest if they come from the GPU onnxruntime-genai ran
on: NVML numbers devices in PCI bus order, CUDA by default fastest first, and DirectML picks a DXGI
adapter. Each mapping records how it was made and why it might be wrong.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping, Sequence
from importlib import metadata
from typing import Any

from bench.telemetry.adapters import DmlSelection
from bench.telemetry.dxgi import NVIDIA_VENDOR_ID
from bench.telemetry.nvml import Nvml, NvmlError, text
from bench.telemetry.roofline import nvml_peak_bandwidth_gb_s
from bench.telemetry.types import MIB, DeviceMapping, GpuDevice, GpuInventory

# pynvml constant name -> architecture name; looked up with getattr because older bindings lack newer ones.
_ARCHITECTURES = {
    "NVML_DEVICE_ARCH_KEPLER": "kepler",
    "NVML_DEVICE_ARCH_MAXWELL": "maxwell",
    "NVML_DEVICE_ARCH_PASCAL": "pascal",
    "NVML_DEVICE_ARCH_VOLTA": "volta",
    "NVML_DEVICE_ARCH_TURING": "turing",
    "NVML_DEVICE_ARCH_AMPERE": "ampere",
    "NVML_DEVICE_ARCH_ADA": "ada",
    "NVML_DEVICE_ARCH_HOPPER": "hopper",
    "NVML_DEVICE_ARCH_BLACKWELL": "blackwell",
    "NVML_DEVICE_ARCH_RUBIN": "rubin",
}
_DRIVER_MODELS = {"NVML_DRIVER_WDDM": "WDDM", "NVML_DRIVER_WDM": "TCC", "NVML_DRIVER_MCDM": "MCDM"}


def architecture_name(nvml: Nvml, code: int) -> str:
    for constant, name in _ARCHITECTURES.items():
        if nvml.constant(constant) == code:
            return name
    return f"unknown ({code})"


def cuda_version_text(code: int) -> str:
    """NVML encodes CUDA 12.4 as 12040."""
    return f"{code // 1000}.{(code % 1000) // 10}"


class _Fields:
    """Reads optional fields one by one, keeping the reason for each one that failed."""

    def __init__(self, nvml: Nvml) -> None:
        self.nvml = nvml
        self.unavailable: dict[str, str] = {}

    def read(
        self,
        field: str,
        name: str | tuple[str, ...],
        *args: Any,
        convert: Callable[[Any], Any] = lambda v: v,
        applies: bool = True,
    ) -> Any:
        try:
            return convert(self.nvml.bind(name, *args)())
        except NvmlError as exc:
            if applies:
                self.unavailable[field] = exc.reason
            return None


def read_device(
    nvml: Nvml, index: int, *, driver_version: str | None, cuda_driver_version: str | None, platform: str
) -> GpuDevice:
    handle = nvml.call("nvmlDeviceGetHandleByIndex", index)
    fields = _Fields(nvml)
    windows = platform == "win32"
    name = fields.read("name", "nvmlDeviceGetName", handle, convert=text) or f"GPU {index}"
    pci = fields.read("pci_bus_id", "nvmlDeviceGetPciInfo", handle)
    memory = fields.read("memory_total_mib", "nvmlDeviceGetMemoryInfo", handle)
    bus_width = fields.read("memory_bus_width_bits", "nvmlDeviceGetMemoryBusWidth", handle, convert=int)
    max_memory_clock = fields.read(
        "max_memory_clock_mhz",
        "nvmlDeviceGetMaxClockInfo",
        handle,
        nvml.constant("NVML_CLOCK_MEM"),
        convert=float,
    )
    unavailable = fields.unavailable
    bandwidth = None
    if bus_width and max_memory_clock:
        bandwidth = nvml_peak_bandwidth_gb_s(bus_width_bits=bus_width, max_memory_clock_mhz=max_memory_clock)
    else:
        unavailable["peak_memory_bandwidth_gb_s"] = "needs memory bus width and max memory clock"
    capability = fields.read("compute_capability", "nvmlDeviceGetCudaComputeCapability", handle)
    return GpuDevice(
        index=index,
        name=name,
        uuid=fields.read("uuid", "nvmlDeviceGetUUID", handle, convert=text),
        architecture=fields.read(
            "architecture", "nvmlDeviceGetArchitecture", handle, convert=lambda c: architecture_name(nvml, c)
        ),
        compute_capability=f"{capability[0]}.{capability[1]}" if capability else None,
        pci_bus_id=text(pci.busId) if pci is not None else None,
        pci_device_id=int(pci.pciDeviceId) if pci is not None else None,
        pci_subsystem_id=int(pci.pciSubSystemId) if pci is not None else None,
        driver_version=driver_version,
        cuda_driver_version=cuda_driver_version,
        # Driver model exists on Windows only; persistence mode on Linux only: elsewhere "does not apply".
        driver_model=fields.read(
            "driver_model",
            ("nvmlDeviceGetDriverModel", "nvmlDeviceGetDriverModel_v1"),  # the first needs the driver's _v2
            handle,
            applies=windows,
            convert=lambda models: _driver_model_name(nvml, models[0]),
        ),
        vbios_version=fields.read("vbios_version", "nvmlDeviceGetVbiosVersion", handle, convert=text),
        persistence_mode=fields.read(
            "persistence_mode",
            "nvmlDeviceGetPersistenceMode",
            handle,
            applies=not windows,
            convert=lambda mode: mode == nvml.constant("NVML_FEATURE_ENABLED"),
        ),
        memory_total_mib=memory.total / MIB if memory is not None else None,
        power_limit_w=fields.read(
            "power_limit_w",
            ("nvmlDeviceGetEnforcedPowerLimit", "nvmlDeviceGetPowerManagementLimit"),
            handle,
            convert=lambda mw: mw / 1000.0,
        ),
        max_sm_clock_mhz=fields.read(
            "max_sm_clock_mhz",
            "nvmlDeviceGetMaxClockInfo",
            handle,
            nvml.constant("NVML_CLOCK_SM"),
            convert=float,
        ),
        max_memory_clock_mhz=max_memory_clock,
        memory_bus_width_bits=bus_width,
        peak_memory_bandwidth_gb_s=bandwidth,
        pcie_max_generation=fields.read(
            "pcie_max_generation", "nvmlDeviceGetMaxPcieLinkGeneration", handle, convert=int
        ),
        pcie_max_width=fields.read("pcie_max_width", "nvmlDeviceGetMaxPcieLinkWidth", handle, convert=int),
        unavailable=unavailable,
    )


def _driver_model_name(nvml: Nvml, code: int) -> str:
    for constant, name in _DRIVER_MODELS.items():
        if nvml.constant(constant) == code:
            return name
    return f"unknown ({code})"


def _binding_version() -> str | None:
    try:
        return metadata.version("nvidia-ml-py")
    except metadata.PackageNotFoundError:
        return None


def read_inventory(nvml: Nvml, *, platform: str | None = None) -> GpuInventory:
    """Every GPU NVML sees, with metadata; an inventory that says why when there are none."""
    platform = platform or sys.platform
    try:
        driver = text(nvml.call("nvmlSystemGetDriverVersion"))
    except NvmlError as exc:
        driver = None
        driver_reason = exc.reason
    try:
        cuda = cuda_version_text(int(nvml.call("nvmlSystemGetCudaDriverVersion")))
    except NvmlError:
        cuda = None
    try:
        library = f"nvml {text(nvml.call('nvmlSystemGetNVMLVersion'))}"
    except NvmlError:
        library = "nvml (version unknown)"
    binding = _binding_version()
    if binding:
        library += f", nvidia-ml-py {binding}"
    try:
        count = int(nvml.call("nvmlDeviceGetCount"))
    except NvmlError as exc:
        return GpuInventory(
            available=False,
            reason=f"NVML could not count GPUs: {exc.reason}",
            library=library,
            driver_version=driver,
            cuda_driver_version=cuda,
        )
    if count == 0:
        return GpuInventory(
            available=False,
            reason="NVML sees no GPU (driver loaded, no device visible)",
            library=library,
            driver_version=driver,
            cuda_driver_version=cuda,
        )
    devices = []
    problems = []
    for index in range(count):
        try:
            devices.append(
                read_device(nvml, index, driver_version=driver, cuda_driver_version=cuda, platform=platform)
            )
        except NvmlError as exc:
            problems.append(f"GPU {index}: {exc.reason}")
    if driver is None:
        problems.append(f"driver version: {driver_reason}")
    return GpuInventory(
        available=bool(devices),
        reason="; ".join(problems) if problems else None,
        device_count=count,
        library=library,
        driver_version=driver,
        cuda_driver_version=cuda,
        devices=devices,
    )


def unavailable_inventory(reason: str) -> GpuInventory:
    return GpuInventory(
        available=False, reason=reason, library=f"nvidia-ml-py {_binding_version() or 'missing'}"
    )


# -- device mapping -------------------------------------------------------------------------------


def map_cuda_device(
    device_id: int,
    devices: Sequence[GpuDevice],
    env: Mapping[str, str] | None = None,
    *,
    device_count: int | None = None,
) -> DeviceMapping:
    """The NVML device behind CUDA ``device_id``, honouring CUDA_VISIBLE_DEVICES and CUDA_DEVICE_ORDER.

    ``devices`` may lack a GPU whose metadata could not be read, so devices are found by their NVML
    index, and ``device_count`` (what NVML counted) decides whether there is only one GPU.
    """
    env = os.environ if env is None else env
    count = max(device_count or 0, len(devices))
    requested = f"cuda device_id {device_id}"

    def missing(reason: str) -> DeviceMapping:
        return DeviceMapping(provider="cuda", requested=requested, method="none", unavailable=reason)

    if not devices:
        return missing("no GPU visible to NVML")
    ordered_by_bus = env.get("CUDA_DEVICE_ORDER", "").strip().upper() == "PCI_BUS_ID"
    visible = env.get("CUDA_VISIBLE_DEVICES")
    entry: str | None = None
    if visible is not None:
        entries = [e.strip() for e in visible.split(",")]
        if visible.strip() == "":
            return missing("CUDA_VISIBLE_DEVICES is empty: CUDA sees no GPU")
        if device_id >= len(entries):
            return missing(
                f"CUDA_VISIBLE_DEVICES={visible} lists {len(entries)} device(s), device_id is {device_id}"
            )
        entry = entries[device_id]
        requested += f" (CUDA_VISIBLE_DEVICES={visible})"
    if entry is not None and not entry.lstrip("-").isdigit():
        if entry.startswith("MIG-"):
            return missing(f"MIG instance {entry}: bench does not map MIG instances to NVML devices")
        matches = [d for d in devices if d.uuid and d.uuid.startswith(entry)]
        if len(matches) != 1:
            return missing(
                f"CUDA_VISIBLE_DEVICES entry {entry!r} matches {len(matches)} NVML device(s) by UUID"
            )
        return _mapped("cuda", requested, matches[0], method="uuid from CUDA_VISIBLE_DEVICES")
    index = int(entry) if entry is not None else device_id
    if not 0 <= index < count:
        return missing(f"device index {index} out of range: NVML sees {count} GPU(s)")
    device = next((d for d in devices if d.index == index), None)
    if device is None:
        return missing(f"NVML device {index} could not be read (see the GPU inventory)")
    if count == 1:
        return _mapped("cuda", requested, device, method="index (only one GPU)")
    if ordered_by_bus:
        return _mapped("cuda", requested, device, method="index (CUDA_DEVICE_ORDER=PCI_BUS_ID)")
    same_model = len({d.name for d in devices}) == 1 and len(devices) == count
    ambiguous = (
        "CUDA_DEVICE_ORDER is not PCI_BUS_ID: CUDA numbers GPUs fastest first, NVML by PCI bus, so CUDA "
        f"device {index} may be another NVML device; set CUDA_DEVICE_ORDER=PCI_BUS_ID"
        + (" (all GPUs are the same model: name and architecture are right either way)" if same_model else "")
    )
    return _mapped("cuda", requested, device, method="index assuming PCI bus order", ambiguous=ambiguous)


def map_dml_adapter(devices: Sequence[GpuDevice], selection: DmlSelection) -> DeviceMapping:
    """The NVML device behind the DXGI adapter DirectML uses: by PCI device/subsystem id, then by name."""
    requested = f"dml {selection.method}"
    adapter = selection.adapter
    record = selection.record()

    def mapped(device: GpuDevice, *, method: str, ambiguous: str | None = None) -> DeviceMapping:
        found = _mapped("dml", requested, device, method=method, ambiguous=ambiguous)
        label = adapter.label if adapter else None
        return found.model_copy(update={"adapter": record, "dxgi_adapter": label})

    if adapter is None:
        nvidia = list(devices)
        if len(nvidia) == 1:
            return mapped(
                nvidia[0],
                method="only NVIDIA GPU",
                ambiguous=f"DXGI unavailable ({selection.unavailable}): DirectML may use another adapter "
                "(an integrated GPU)",
            )
        return DeviceMapping(
            provider="dml",
            requested=requested,
            method="none",
            adapter=record,
            unavailable="cannot tell which adapter DirectML uses: "
            f"DXGI unavailable ({selection.unavailable})",
        )
    label = adapter.label
    if adapter.vendor_id != NVIDIA_VENDOR_ID:
        return DeviceMapping(
            provider="dml",
            requested=requested,
            method="none",
            dxgi_adapter=label,
            adapter=record,
            unavailable=f"DirectML adapter {adapter.description} (vendor {adapter.vendor_id:#06x}) is not an "
            "NVIDIA GPU: NVML does not cover it",
        )
    pci_id = (adapter.device_id << 16) | adapter.vendor_id
    by_pci = [d for d in devices if d.pci_device_id == pci_id and d.pci_subsystem_id == adapter.subsys_id]
    if len(by_pci) > 1:
        by_pci = [d for d in by_pci if d.name == adapter.description] or by_pci
    if len(by_pci) == 1:
        return mapped(by_pci[0], method="pci device + subsystem id")
    if len(by_pci) > 1:
        return mapped(
            by_pci[0],
            method="pci device + subsystem id",
            ambiguous=f"{len(by_pci)} identical GPUs and DXGI gives no PCI bus id: took the first",
        )
    by_name = [d for d in devices if d.name == adapter.description]
    if len(by_name) >= 1:
        return mapped(
            by_name[0],
            method="name",
            ambiguous=f"{len(by_name)} GPUs share this name: took the first" if len(by_name) > 1 else None,
        )
    return DeviceMapping(
        provider="dml",
        requested=requested,
        method="none",
        dxgi_adapter=label,
        adapter=record,
        unavailable=f"no NVML device matches DXGI adapter {adapter.description}",
    )


def _mapped(
    provider: str,
    requested: str,
    device: GpuDevice,
    *,
    method: str,
    ambiguous: str | None = None,
) -> DeviceMapping:
    return DeviceMapping(
        provider=provider,
        requested=requested,
        nvml_index=device.index,
        uuid=device.uuid,
        name=device.name,
        pci_bus_id=device.pci_bus_id,
        method=method,
        ambiguous=ambiguous,
    )
