from __future__ import annotations

import pynvml
import pytest

from bench.telemetry.nvml import Nvml, NvmlError, text
from tests.telemetry.fake_nvml import FakeGpu, FakeNvml


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        (pynvml.NVML_ERROR_LIBRARY_NOT_FOUND, "NVML library not found: no NVIDIA driver on this machine"),
        (pynvml.NVML_ERROR_DRIVER_NOT_LOADED, "NVIDIA driver not loaded"),
        (pynvml.NVML_ERROR_NO_PERMISSION, "no permission to query the GPU"),
    ],
)
def test_init_failures_become_reasons_not_exceptions_of_pynvml(code, expected):
    with pytest.raises(NvmlError) as raised:
        Nvml.open(FakeNvml(init_error=code))
    assert raised.value.reason.startswith(expected)
    assert raised.value.code == code


def test_an_unknown_error_code_keeps_the_code_and_library_text():
    nvml = Nvml.open(FakeNvml([FakeGpu(errors={"nvmlDeviceGetName": pynvml.NVML_ERROR_IN_USE})]))
    handle = nvml.call("nvmlDeviceGetHandleByIndex", 0)
    with pytest.raises(NvmlError, match=f"NVML error {pynvml.NVML_ERROR_IN_USE}"):
        nvml.call("nvmlDeviceGetName", handle)


def test_bind_prefers_the_first_name_the_binding_has():
    fake = FakeNvml()
    nvml = Nvml.open(fake)
    handle = nvml.call("nvmlDeviceGetHandleByIndex", 0)
    fake.gpus[0].reasons = 0x40
    read = nvml.bind(
        ("nvmlDeviceGetCurrentClocksEventReasons", "nvmlDeviceGetCurrentClocksThrottleReasons"), handle
    )
    assert read() == 0x40
    with pytest.raises(NvmlError, match="not in this nvidia-ml-py version"):
        nvml.bind("nvmlDeviceGetSomethingFromTheFuture", handle)


def test_close_shuts_down_once_and_survives_a_lost_gpu():
    fake = FakeNvml()
    nvml = Nvml.open(fake)
    nvml.close()
    nvml.close()
    assert fake.calls["nvmlShutdown"] == 1 and fake.initialised == 0


def test_text_decodes_struct_bytes():
    assert text(b"00000000:01:00.0\x00") == "00000000:01:00.0"
    assert text("GPU-1") == "GPU-1"


def _binding(**functions):
    """A pynvml-like module with the real error classes and the given functions only."""
    from types import SimpleNamespace

    return SimpleNamespace(
        NVMLError=pynvml.NVMLError,
        NVMLLibraryMismatchError=pynvml.NVMLLibraryMismatchError,
        NVML_ERROR_FUNCTION_NOT_FOUND=pynvml.NVML_ERROR_FUNCTION_NOT_FOUND,
        **functions,
    )


def test_a_call_the_old_driver_lacks_moves_on_to_the_older_name_for_good():
    calls = []

    def new_name():  # nvidia-ml-py 13 has it; a driver before R535 does not
        calls.append("new")
        raise pynvml.NVMLError(pynvml.NVML_ERROR_FUNCTION_NOT_FOUND)

    def old_name():
        calls.append("old")
        return 0x40

    read = Nvml(_binding(new=new_name, old=old_name)).bind(("new", "old"))
    assert read() == 0x40 and read() == 0x40
    assert calls == ["new", "old", "old"]  # the missing entry point is tried once, not on every tick


def test_pynvml_version_mismatch_is_a_reason_not_a_crash():
    def v3_only():  # what @throwOnVersionMismatch raises: a plain Exception, not an NVMLError
        raise pynvml.NVMLLibraryMismatchError(
            "Unversioned function called and the pyNVML version does not match"
        )

    def v2():
        return ["process"]

    nvml = Nvml(_binding(lists=v3_only, lists_v2=v2))
    assert nvml.bind(("lists", "lists_v2"))() == ["process"]
    with pytest.raises(NvmlError, match="driver too old"):
        nvml.bind("lists")()
