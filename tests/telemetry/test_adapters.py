"""DirectML adapter selection against fake DXGI enumerations, as onnxruntime-genai selects.

onnxruntime-genai (src/dml/dml_helpers.cpp) reads ``luid`` (matched in EnumAdapters1 order) and
``device_index`` (the N-th hardware adapter in EnumAdapters1 order); with neither it takes the first
adapter of EnumAdapterByGpuPreference(HIGH_PERFORMANCE). It never reads ``device_id``.
"""

from __future__ import annotations

import pytest

from bench.engine.genai import load_model
from bench.errors import BenchError
from bench.telemetry.adapters import select_dml_adapter
from bench.telemetry.dxgi import MICROSOFT_VENDOR_ID, DxgiEnumeration
from bench.telemetry.session import create_telemetry
from tests.fakes.fake_genai import FakeGenai, Script
from tests.telemetry.fake_dxgi import FakeVideoMemoryReader, rtx_4090_adapter
from tests.telemetry.fake_nvml import FakeGpu, FakeNvml

RTX_4090 = rtx_4090_adapter(luid_low=0x1234)
A2000 = rtx_4090_adapter(
    description="NVIDIA RTX A2000", device_id=0x2531, subsys_id=0x151D10DE, luid_low=0x5678,
    dedicated_video_memory=6 * 1024**3,
)  # fmt: skip
IGPU = rtx_4090_adapter(
    description="Intel(R) UHD Graphics 770", vendor_id=0x8086, device_id=0x4680, subsys_id=0, luid_low=0x9ABC,
    dedicated_video_memory=128 * 1024**2,
)  # fmt: skip
BASIC_RENDER = rtx_4090_adapter(
    description="Microsoft Basic Render Driver", vendor_id=MICROSOFT_VENDOR_ID, device_id=0x8C, luid_low=0x1
)

# A laptop: the iGPU drives the display, so EnumAdapters1 lists it first; high performance: the dGPU.
LAPTOP = DxgiEnumeration(
    plain=[(IGPU, False), (RTX_4090, False), (BASIC_RENDER, True)],
    high_performance=[(RTX_4090, False), (IGPU, False), (BASIC_RENDER, True)],
)
# A workstation with two NVIDIA GPUs: the display card (A2000) first in plain order.
TWO_GPUS = DxgiEnumeration(
    plain=[(A2000, False), (RTX_4090, False), (BASIC_RENDER, True)],
    high_performance=[(RTX_4090, False), (A2000, False), (BASIC_RENDER, True)],
)


@pytest.mark.parametrize(
    ("enumeration", "options", "expected", "genai"),
    [
        (LAPTOP, {}, RTX_4090, {"luid": "0:4660"}),
        (LAPTOP, {"device_id": "0"}, RTX_4090, {"luid": "0:4660"}),
        (LAPTOP, {"device_id": "1"}, IGPU, {"luid": "0:39612"}),
        (LAPTOP, {"device_index": "0"}, IGPU, {"device_index": "0"}),  # genai's own option: plain order
        (LAPTOP, {"luid": "0:4660"}, RTX_4090, {"luid": "0:4660"}),
        (TWO_GPUS, {}, RTX_4090, {"luid": "0:4660"}),
        (TWO_GPUS, {"device_id": "1"}, A2000, {"luid": "0:22136"}),
        (TWO_GPUS, {"device_index": "1"}, RTX_4090, {"device_index": "1"}),
    ],
)
def test_the_adapter_is_the_one_onnxruntime_genai_will_open(enumeration, options, expected, genai):
    selection = select_dml_adapter({**options, "enable_graph_capture": "0"}, enumeration)
    assert selection.adapter == expected
    assert selection.genai_options == {**genai, "enable_graph_capture": "0"}  # others pass through
    assert "device_id" not in selection.genai_options  # genai ignores it: it would silently mean adapter 0


def test_a_software_adapter_ends_the_high_performance_list_but_not_the_plain_one():
    remote = DxgiEnumeration(
        plain=[(BASIC_RENDER, True), (A2000, False), (RTX_4090, False)],
        high_performance=[(RTX_4090, False), (BASIC_RENDER, True), (A2000, False)],
    )
    with pytest.raises(BenchError, match=r"device_id 1: DirectML sees 1 hardware adapter") as info:
        select_dml_adapter({"device_id": "1"}, remote)
    assert info.value.field == "provider_options.dml.device_id"
    assert select_dml_adapter({"device_index": "1"}, remote).adapter == RTX_4090


def test_without_factory6_the_default_is_the_first_hardware_adapter_in_plain_order():
    old_windows = DxgiEnumeration(plain=LAPTOP.plain, high_performance=None)
    assert select_dml_adapter({}, old_windows).adapter == IGPU


def test_a_luid_low_part_beyond_std_stol_is_passed_as_its_plain_index():
    big = rtx_4090_adapter(luid_low=0x9000_0000)
    selection = select_dml_adapter(
        {}, DxgiEnumeration(plain=[(IGPU, False), (big, False)], high_performance=[(big, False)])
    )
    assert selection.genai_options == {"device_index": "1"} and "std::stol" in selection.method


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"device_id": "0", "luid": "0:4660"}, "one of device_id, device_index, luid"),
        ({"luid": "0:77"}, "no hardware DXGI adapter has LUID 0:77"),
        ({"device_index": "3"}, "EnumAdapters1 order has 2 hardware adapter"),
        ({"device_id": "first"}, "must be an adapter index"),
    ],
)
def test_options_that_name_no_adapter_are_refused(options, message):
    with pytest.raises(BenchError, match=message):
        select_dml_adapter(options, LAPTOP)


def test_without_dxgi_only_what_needs_no_translation_is_accepted():
    default = select_dml_adapter({}, None, reason="DXGI exists on Windows only")
    assert default.genai_options == {} and default.adapter is None
    assert default.record().unavailable == "DXGI exists on Windows only"
    assert select_dml_adapter({"luid": "0:4660"}, None).genai_options == {"luid": "0:4660"}
    with pytest.raises(BenchError, match="needs DXGI to find the adapter"):
        select_dml_adapter({"device_id": "1"}, None, reason="DXGI exists on Windows only")


def test_load_model_gives_genai_the_luid_and_records_the_adapter(tmp_path):
    fake = FakeGenai(Script(available=("cpu", "dml")))
    loaded = load_model(
        fake.module,
        tmp_path,
        provider="dml",
        provider_options={"device_id": "1"},
        dxgi_adapters=lambda: TWO_GPUS,
    )
    assert fake.provider_options == {"dml": {"luid": "0:22136"}}
    adapter = loaded.dml_adapter
    assert (adapter.description, adapter.luid, adapter.vendor_id) == ("NVIDIA RTX A2000", "0:22136", 0x10DE)
    assert adapter.dedicated_video_memory_mib == 6 * 1024 and adapter.selected_by.startswith("device_id 1")


def test_telemetry_reads_and_maps_the_same_adapter_genai_runs_on():
    # NVML numbers by PCI bus: the RTX 4090 is NVML 0, the A2000 NVML 1.
    nvml = FakeNvml(
        [
            FakeGpu(),
            FakeGpu(
                name="NVIDIA RTX A2000",
                pci_device_id=0x253110DE,
                pci_subsystem_id=0x151D10DE,
                bus_id=b"00000000:02:00.0",
            ),
        ]
    )
    opened = []

    def open_dxgi(*, luid: str) -> FakeVideoMemoryReader:
        opened.append(luid)
        return FakeVideoMemoryReader(next(a for a, _ in TWO_GPUS.plain if a.luid == luid))

    telemetry = create_telemetry(
        provider="dml",
        provider_options={"device_id": "1"},
        nvml=nvml,
        dxgi_adapters=lambda: TWO_GPUS,
        open_dxgi=open_dxgi,
        platform="win32",
        interval_s=0.001,
    )
    with telemetry.track_load() as load:
        pass
    telemetry.close()
    mapping = load.sample.device
    assert opened == ["0:22136"] and load.sample.dxgi.adapter.startswith("NVIDIA RTX A2000")
    assert mapping.nvml_index == 1 and mapping.name == "NVIDIA RTX A2000"
    assert mapping.adapter.luid == "0:22136" and mapping.pci_bus_id == "00000000:02:00.0"
