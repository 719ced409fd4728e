"""The fake must stay a faithful stand-in: same function names, parameters and error classes as pynvml."""

from __future__ import annotations

import inspect

import pynvml
import pytest

from bench.telemetry.nvml import Nvml, NvmlError
from tests.telemetry.fake_nvml import FakeNvml, fake_functions, nvml_error


@pytest.mark.parametrize("name", fake_functions())
def test_every_fake_function_exists_in_pynvml_with_the_same_parameters(name):
    real = getattr(pynvml, name, None)
    assert real is not None, (
        f"pynvml has no {name}: the code under test would call something that does not exist"
    )
    fake = getattr(FakeNvml(), name)
    real_params = [p.name for p in inspect.signature(real).parameters.values()]
    fake_params = [p.name for p in inspect.signature(fake).parameters.values()]
    assert fake_params == real_params


def test_errors_are_pynvml_classes_carrying_their_code():
    error = nvml_error(pynvml.NVML_ERROR_NOT_SUPPORTED)
    assert isinstance(error, pynvml.NVMLError_NotSupported)
    assert isinstance(error, pynvml.NVMLError)
    assert error.value == pynvml.NVML_ERROR_NOT_SUPPORTED


def test_the_wrapper_only_calls_functions_real_pynvml_has():
    """Drive a full inventory through the fake and check each name it called against real pynvml."""
    fake = FakeNvml()
    nvml = Nvml.open(fake)
    from bench.telemetry.gpu import read_inventory

    read_inventory(nvml)
    nvml.close()
    missing = [name for name in fake.calls if not hasattr(pynvml, name)]
    assert missing == []


def test_real_pynvml_without_a_driver_says_so():
    try:
        nvml = Nvml.open()
    except NvmlError as exc:
        assert exc.reason  # e.g. "NVML library not found: no NVIDIA driver on this machine"
        if exc.code == pynvml.NVML_ERROR_LIBRARY_NOT_FOUND:
            assert "no NVIDIA driver" in exc.reason
    else:  # a machine with a GPU: nothing to check here
        nvml.close()
        pytest.skip("an NVIDIA driver is present")
