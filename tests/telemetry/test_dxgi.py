from __future__ import annotations

import sys
import uuid

import pytest

from bench.telemetry import dxgi
from tests.telemetry.fake_dxgi import rtx_4090_adapter


def test_import_is_safe_and_off_windows_the_reader_says_why():
    if sys.platform == "win32":
        pytest.skip("on Windows the real DXGI path runs")
    with pytest.raises(dxgi.DxgiError, match="Windows only"):
        dxgi.open_video_memory_reader(luid="0:1")
    with pytest.raises(dxgi.DxgiError, match="Windows only"):
        dxgi.list_adapters()


def test_guid_layout_matches_windows():
    guid = dxgi._GUID.parse("645967a4-1392-4310-a798-8053ce3e93fd")
    assert (guid.Data1, guid.Data2, guid.Data3) == (0x645967A4, 0x1392, 0x4310)
    assert bytes(guid.Data4) == bytes.fromhex("a7988053ce3e93fd")
    assert bytes(guid) == uuid.UUID("645967a4-1392-4310-a798-8053ce3e93fd").bytes_le


def test_adapter_luid_uses_onnxruntime_genai_format():
    adapter = rtx_4090_adapter(luid_high=1, luid_low=70000)
    assert adapter.luid == "1:70000"
    assert adapter.label == "NVIDIA GeForce RTX 4090 (LUID 1:70000)"


@pytest.mark.parametrize(
    "error", [OSError("exception: access violation reading 0x0"), AttributeError("no export")]
)
def test_a_ctypes_failure_in_the_dxgi_code_is_a_reason_not_a_crash(error):
    from bench.telemetry.dxgi import DxgiError, _as_dxgi_error

    with (
        pytest.raises(DxgiError, match="QueryVideoMemoryInfo failed"),
        _as_dxgi_error("QueryVideoMemoryInfo"),
    ):
        raise error
