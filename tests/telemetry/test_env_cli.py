from __future__ import annotations

import json

import pynvml
import pytest
import typer
from typer.testing import CliRunner

from bench.cli.env import env
from bench.telemetry import nvml as nvml_module
from tests.telemetry.fake_nvml import FakeGpu, FakeNvml


@pytest.fixture
def app() -> typer.Typer:
    app = typer.Typer()
    app.command()(env)
    return app


def use_nvml(monkeypatch, fake: FakeNvml) -> None:
    monkeypatch.setattr(nvml_module, "import_pynvml", lambda: fake)


def test_lists_gpus_with_their_metadata_as_json(app, monkeypatch):
    gpu = FakeGpu().unsupported("nvmlDeviceGetEnforcedPowerLimit")
    use_nvml(monkeypatch, FakeNvml([gpu]))
    result = CliRunner().invoke(app, ["--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["gpus"]["available"] is True
    (device,) = report["gpus"]["devices"]
    assert device["name"] == "NVIDIA GeForce RTX 4090" and device["architecture"] == "ada"
    assert device["power_limit_w"] is None
    assert device["unavailable"]["power_limit_w"].startswith("not supported on this GPU/driver")
    assert {p["name"] for p in report["providers"]} == {"cpu", "cuda", "dml"}
    assert report["host"]["cpu_model"] and report["software"]["bench"]


def test_tables_show_unavailable_fields_with_their_reason(app, monkeypatch):
    use_nvml(monkeypatch, FakeNvml([FakeGpu().unsupported("nvmlDeviceGetEnforcedPowerLimit")]))
    result = CliRunner().invoke(app, [], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "GPU 0: NVIDIA GeForce RTX 4090" in result.output
    assert "unavailable: not supported on this GPU/driver" in result.output
    assert "1,008.1 GB/s" in result.output


def test_no_gpu_says_why(app, monkeypatch):
    use_nvml(monkeypatch, FakeNvml(init_error=pynvml.NVML_ERROR_LIBRARY_NOT_FOUND))
    result = CliRunner().invoke(app, [], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "NVML library not found: no NVIDIA driver on this machine" in result.output
    as_json = json.loads(CliRunner().invoke(app, ["--json"]).output)
    assert as_json["gpus"] == {
        "available": False,
        "reason": "NVML library not found: no NVIDIA driver on this machine",
        "library": as_json["gpus"]["library"],
        "driver_version": None,
        "cuda_driver_version": None,
        "device_count": None,
        "devices": [],
    }


def test_missing_binding_says_how_to_install_it(app, monkeypatch):
    def missing():
        raise nvml_module.NvmlError(
            "nvidia-ml-py is not installed (No module named 'pynvml'); pip install nvidia-ml-py"
        )

    monkeypatch.setattr(nvml_module, "import_pynvml", missing)
    result = CliRunner().invoke(app, ["--json"])
    assert "pip install nvidia-ml-py" in json.loads(result.output)["gpus"]["reason"]
