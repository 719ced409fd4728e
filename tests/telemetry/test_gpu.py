from __future__ import annotations

import pynvml
import pytest

from bench.telemetry.adapters import DmlSelection
from bench.telemetry.gpu import cuda_version_text, map_cuda_device, map_dml_adapter, read_inventory
from bench.telemetry.nvml import Nvml
from bench.telemetry.types import GpuDevice
from tests.telemetry.fake_dxgi import rtx_4090_adapter
from tests.telemetry.fake_nvml import FakeGpu, FakeNvml


def inventory(*gpus: FakeGpu, platform: str = "linux"):
    nvml = Nvml.open(FakeNvml(list(gpus)))
    try:
        return read_inventory(nvml, platform=platform)
    finally:
        nvml.close()


def test_inventory_reads_identity_and_metadata():
    inv = inventory(FakeGpu())
    assert inv.available and inv.reason is None
    assert inv.driver_version == "560.35.03" and inv.cuda_driver_version == "12.6"
    assert inv.library.startswith("nvml 12.560.35.03")
    (device,) = inv.devices
    assert (device.name, device.architecture, device.compute_capability) == (
        "NVIDIA GeForce RTX 4090",
        "ada",
        "8.9",
    )
    assert device.uuid.startswith("GPU-") and device.pci_bus_id == "00000000:01:00.0"
    assert device.persistence_mode is True and device.driver_model is None
    assert device.power_limit_w == 450.0 and device.memory_total_mib == 24576.0
    assert device.peak_memory_bandwidth_gb_s == pytest.approx(1008.1, abs=0.1)  # the published 1008 GB/s
    assert (device.pcie_max_generation, device.pcie_max_width) == (4, 16)
    assert device.unavailable == {}


def test_geforce_limits_become_reasons_never_defaults():
    gpu = FakeGpu().unsupported("nvmlDeviceGetEnforcedPowerLimit", "nvmlDeviceGetMemoryBusWidth")
    (device,) = inventory(gpu).devices
    assert device.power_limit_w is None and device.memory_bus_width_bits is None
    assert device.unavailable["power_limit_w"].startswith("not supported on this GPU/driver")
    assert device.peak_memory_bandwidth_gb_s is None
    assert "peak_memory_bandwidth_gb_s" in device.unavailable


def test_windows_reads_the_driver_model_and_skips_persistence_mode():
    gpu = FakeGpu(driver_model=pynvml.NVML_DRIVER_WDDM, persistence_mode=None)
    (device,) = inventory(gpu, platform="win32").devices
    assert device.driver_model == "WDDM"
    assert device.persistence_mode is None and "persistence_mode" not in device.unavailable
    tcc = FakeGpu(driver_model=pynvml.NVML_DRIVER_WDM, persistence_mode=None)
    assert inventory(tcc, platform="win32").devices[0].driver_model == "TCC"


def test_linux_does_not_report_a_driver_model_as_missing():
    (device,) = inventory(FakeGpu()).devices
    assert device.driver_model is None and "driver_model" not in device.unavailable


def test_unknown_architecture_code_is_kept():
    (device,) = inventory(FakeGpu(architecture=42)).devices
    assert device.architecture == "unknown (42)"


def test_no_devices_says_why():
    inv = inventory()
    assert not inv.available and "sees no GPU" in inv.reason


def test_cuda_version_text():
    assert cuda_version_text(12040) == "12.4" and cuda_version_text(11080) == "11.8"


def devices(*names: str) -> list[GpuDevice]:
    return [GpuDevice(index=i, name=name, uuid=f"GPU-{i}{i}{i}-abc") for i, name in enumerate(names)]


def test_cuda_mapping_by_index_is_exact_with_pci_bus_order():
    mapping = map_cuda_device(1, devices("A100", "RTX 4090"), env={"CUDA_DEVICE_ORDER": "PCI_BUS_ID"})
    assert mapping.nvml_index == 1 and mapping.ambiguous is None
    assert mapping.method == "index (CUDA_DEVICE_ORDER=PCI_BUS_ID)"


def test_cuda_mapping_warns_when_cuda_may_order_fastest_first():
    mapping = map_cuda_device(0, devices("A100", "RTX 4090"), env={})
    assert mapping.nvml_index == 0 and "CUDA_DEVICE_ORDER=PCI_BUS_ID" in mapping.ambiguous
    assert map_cuda_device(0, devices("RTX 4090"), env={}).ambiguous is None  # one GPU: nothing to confuse


def test_cuda_visible_devices_by_uuid_and_by_index():
    gpus = devices("A100", "RTX 4090")
    by_uuid = map_cuda_device(0, gpus, env={"CUDA_VISIBLE_DEVICES": "GPU-111"})
    assert by_uuid.nvml_index == 1 and by_uuid.method == "uuid from CUDA_VISIBLE_DEVICES"
    by_index = map_cuda_device(
        0, gpus, env={"CUDA_VISIBLE_DEVICES": "1,0", "CUDA_DEVICE_ORDER": "PCI_BUS_ID"}
    )
    assert by_index.nvml_index == 1


@pytest.mark.parametrize(
    ("visible", "device_id", "reason"),
    [("", 0, "empty"), ("0", 1, "lists 1 device"), ("GPU-999", 0, "matches 0"), ("MIG-abc", 0, "MIG")],
)
def test_cuda_mapping_failures_say_why(visible, device_id, reason):
    mapping = map_cuda_device(device_id, devices("A100", "RTX 4090"), env={"CUDA_VISIBLE_DEVICES": visible})
    assert mapping.nvml_index is None and reason in mapping.unavailable


def nvml_devices(*gpus: FakeGpu) -> list[GpuDevice]:
    return inventory(*gpus).devices


def chosen(adapter) -> DmlSelection:
    return DmlSelection({"luid": adapter.luid}, "test", adapter)


def no_dxgi(reason: str) -> DmlSelection:
    return DmlSelection({}, "onnxruntime-genai's default adapter", unavailable=reason)


def test_dml_maps_the_adapter_by_pci_ids():
    gpus = nvml_devices(
        FakeGpu(name="NVIDIA RTX A2000", pci_device_id=0x253110DE, pci_subsystem_id=0x151D10DE), FakeGpu()
    )
    mapping = map_dml_adapter(gpus, chosen(rtx_4090_adapter()))
    assert mapping.nvml_index == 1 and mapping.method == "pci device + subsystem id"
    assert mapping.dxgi_adapter.startswith("NVIDIA GeForce RTX 4090 (LUID 0:4660)")
    assert mapping.adapter.luid == "0:4660" and mapping.adapter.dedicated_video_memory_mib == 24 * 1024
    assert mapping.pci_bus_id == "00000000:01:00.0"


def test_dml_identical_gpus_are_ambiguous_and_name_is_the_fallback():
    twins = nvml_devices(FakeGpu(), FakeGpu())
    assert "identical" in map_dml_adapter(twins, chosen(rtx_4090_adapter())).ambiguous
    other_ids = nvml_devices(FakeGpu(pci_subsystem_id=0x1))
    assert map_dml_adapter(other_ids, chosen(rtx_4090_adapter())).method == "name"


def test_dml_on_a_non_nvidia_adapter_has_no_nvml_device():
    intel = rtx_4090_adapter(description="Intel(R) Arc(TM) A770", vendor_id=0x8086, device_id=0x56A0)
    mapping = map_dml_adapter(nvml_devices(FakeGpu()), chosen(intel))
    assert mapping.nvml_index is None and "not an NVIDIA GPU" in mapping.unavailable


def test_dml_without_dxgi_guesses_only_with_a_single_gpu():
    one = map_dml_adapter(nvml_devices(FakeGpu()), no_dxgi("DXGI exists on Windows only"))
    assert one.nvml_index == 0 and "DirectML may use another adapter" in one.ambiguous
    two = map_dml_adapter(nvml_devices(FakeGpu(), FakeGpu()), no_dxgi("x"))
    assert two.nvml_index is None and "cannot tell" in two.unavailable


def test_a_gpu_that_could_not_be_read_does_not_shift_the_cuda_mapping():
    # NVML counted two GPUs; GPU 0 failed to read (GPU is lost), so the inventory holds GPU 1 only.
    only_gpu_1 = [GpuDevice(index=1, name="RTX 4090", uuid="GPU-111-abc")]
    lost = map_cuda_device(0, only_gpu_1, env={}, device_count=2)
    assert lost.nvml_index is None and "NVML device 0 could not be read" in (lost.unavailable or "")
    second = map_cuda_device(1, only_gpu_1, env={"CUDA_DEVICE_ORDER": "PCI_BUS_ID"}, device_count=2)
    assert second.nvml_index == 1 and second.method == "index (CUDA_DEVICE_ORDER=PCI_BUS_ID)"
    assert map_cuda_device(1, only_gpu_1, env={}, device_count=2).method != "index (only one GPU)"
