"""``bench env``: what bench would record about this machine, GPUs included, or why there are none."""

from __future__ import annotations

import sys
from typing import Any

import typer
from pydantic import BaseModel, ConfigDict, Field
from rich.markup import escape
from rich.table import Table

from bench.cli.common import JsonOption
from bench.console import make_console
from bench.environment import (
    HostInfo,
    ProviderInfo,
    SoftwareInfo,
    collect_host,
    collect_providers,
    collect_software,
    environment_flags,
)
from bench.telemetry.dxgi import DxgiError, list_adapters
from bench.telemetry.gpu import read_inventory, unavailable_inventory
from bench.telemetry.nvml import Nvml, NvmlError
from bench.telemetry.types import GpuDevice, GpuInventory


class DxgiAdapter(BaseModel):
    model_config = ConfigDict(extra="forbid")

    description: str
    luid: str
    vendor_id: str
    dedicated_video_memory_mib: float


class EnvReport(BaseModel):
    """Everything ``bench env`` shows; ``--json`` prints it as one document."""

    model_config = ConfigDict(extra="forbid")

    host: HostInfo
    software: SoftwareInfo
    providers: list[ProviderInfo]
    env_vars: dict[str, str] = Field(default_factory=dict)
    gpus: GpuInventory
    dxgi_adapters: list[DxgiAdapter] | None = Field(None, description="Windows: adapters in DirectML's order")
    dxgi_unavailable: str | None = None


def collect_gpus(module: Any | None = None) -> GpuInventory:
    """The GPU inventory through NVML (``module``: a pynvml-like module; default the real one)."""
    try:
        nvml = Nvml.open(module)
    except NvmlError as exc:
        return unavailable_inventory(exc.reason)
    try:
        return read_inventory(nvml)
    finally:
        nvml.close()


def collect_env(
    *, nvml_module: Any | None = None, genai_module: Any | None = None, platform: str | None = None
) -> EnvReport:
    platform = platform or sys.platform
    adapters, dxgi_reason = None, None
    if platform == "win32":
        try:
            adapters = [
                DxgiAdapter(
                    description=a.description,
                    luid=a.luid,
                    vendor_id=f"{a.vendor_id:#06x}",
                    dedicated_video_memory_mib=a.dedicated_video_memory / 2**20,
                )
                for a in list_adapters()
            ]
        except DxgiError as exc:
            dxgi_reason = exc.reason
    return EnvReport(
        host=collect_host(),
        software=collect_software(),
        providers=collect_providers(genai_module),
        env_vars=environment_flags(),
        gpus=collect_gpus(nvml_module),
        dxgi_adapters=adapters,
        dxgi_unavailable=dxgi_reason,
    )


def env(json_output: JsonOption = False) -> None:
    """Show the host, software versions, execution providers and GPUs that a result would record.

    Every GPU figure bench cannot read says why ("unavailable: not supported on this GPU/driver"); with
    no GPU, the reason is shown instead of a table.
    """
    report = collect_env()
    if json_output:
        typer.echo(report.model_dump_json(indent=1))
        return
    console = make_console()
    for table in render(report):
        console.print(table)


# -- rendering ------------------------------------------------------------------------------------


def _pairs(title: str, rows: list[tuple[str, str]]) -> Table:
    table = Table(title=escape(title), title_justify="left", show_header=False)
    table.add_column("key", style="bold")
    table.add_column("value", overflow="fold")
    for key, value in rows:
        table.add_row(escape(key), escape(value))  # values hold brackets: pip install 'bench[cuda]'
    return table


def _value(value: object) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:,.1f}" if value != int(value) else f"{value:,.0f}"
    return str(value)


_GPU_FIELDS: tuple[tuple[str, str, str], ...] = (
    ("uuid", "UUID", ""),
    ("architecture", "architecture", ""),
    ("compute_capability", "compute capability", ""),
    ("pci_bus_id", "PCI bus id", ""),
    ("driver_version", "driver", ""),
    ("cuda_driver_version", "CUDA (driver supports up to)", ""),
    ("driver_model", "driver model", ""),
    ("vbios_version", "VBIOS", ""),
    ("persistence_mode", "persistence mode", ""),
    ("memory_total_mib", "memory", " MiB"),
    ("memory_bus_width_bits", "memory bus width", " bits"),
    ("max_memory_clock_mhz", "max memory clock", " MHz"),
    ("peak_memory_bandwidth_gb_s", "peak memory bandwidth", " GB/s"),
    ("max_sm_clock_mhz", "max SM clock", " MHz"),
    ("power_limit_w", "power limit", " W"),
    ("pcie_max_generation", "PCIe max generation", ""),
    ("pcie_max_width", "PCIe max width", " lanes"),
)


def gpu_rows(device: GpuDevice) -> list[tuple[str, str]]:
    rows = []
    for field, label, unit in _GPU_FIELDS:
        value = getattr(device, field)
        if value is not None:
            rows.append((label, f"{_value(value)}{unit}"))
        elif field in device.unavailable:
            rows.append((label, f"unavailable: {device.unavailable[field]}"))
        else:
            rows.append((label, "does not apply on this OS"))
    return rows


def render(report: EnvReport) -> list[Table]:
    host, software = report.host, report.software
    tables = [
        _pairs(
            "host",
            [
                ("hostname", host.hostname),
                ("OS", f"{host.os} {host.os_release} ({host.os_version})"),
                (
                    "CPU",
                    f"{host.cpu_model} ({host.cpu_count_physical} cores, {host.cpu_count_logical} threads"
                    + (f", max {host.cpu_freq_max_mhz:.0f} MHz)" if host.cpu_freq_max_mhz else ")"),
                ),
                ("RAM", f"{host.ram_total_bytes / 2**30:.1f} GiB"),
                ("Python", f"{host.python_implementation} {host.python_version}"),
            ],
        ),
        _pairs(
            "software",
            [
                ("bench", software.bench),
                ("onnxruntime", software.onnxruntime or "not installed"),
                (
                    "onnxruntime-genai",
                    f"{software.onnxruntime_genai} ({software.onnxruntime_genai_build} build)"
                    if software.onnxruntime_genai
                    else "not installed",
                ),
                ("numpy", software.numpy or "–"),
                ("onnx", software.onnx or "–"),
                ("nvidia-ml-py", software.nvidia_ml_py or "not installed"),
                *[("problem", problem) for problem in software.problems],
            ],
        ),
    ]
    providers = Table(title="execution providers", title_justify="left")
    for column in ("provider", "available", "reason"):
        providers.add_column(column)
    for provider in report.providers:
        providers.add_row(provider.name, "yes" if provider.available else "no", escape(provider.reason or ""))
    tables.append(providers)
    tables.append(_pairs("environment", list(report.env_vars.items()) or [("(none set)", "")]))
    gpus = report.gpus
    if not gpus.devices:
        tables.append(
            _pairs("GPUs", [("none", gpus.reason or "no GPU found"), ("library", gpus.library or "–")])
        )
    for device in gpus.devices:
        tables.append(_pairs(f"GPU {device.index}: {device.name}", gpu_rows(device)))
    if gpus.devices and gpus.reason:
        tables.append(_pairs("GPU problems", [("", gpus.reason)]))
    if report.dxgi_adapters is not None:
        tables.append(
            _pairs(
                "DXGI adapters (DirectML order)",
                [
                    (
                        f"{i}",
                        f"{a.description} (LUID {a.luid}, vendor {a.vendor_id}, "
                        f"{a.dedicated_video_memory_mib:.0f} MiB)",
                    )
                    for i, a in enumerate(report.dxgi_adapters)
                ]
                or [("none", "no hardware adapter")],
            )
        )
    elif report.dxgi_unavailable:
        tables.append(_pairs("DXGI adapters", [("unavailable", report.dxgi_unavailable)]))
    return tables
