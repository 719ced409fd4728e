"""Environment metadata recorded once per run: host, software versions, execution providers.

Small ``collect_*`` functions, one per concern (after pyperf's ``_collect_metadata``). GPU identity is
collected by ``bench.telemetry``; this module only records what the host and Python packages say.
"""

from __future__ import annotations

import os
import platform
import socket
import sys
from collections.abc import Mapping, Sequence
from importlib import metadata

import psutil
from pydantic import BaseModel, ConfigDict, Field

import bench

GENAI_DISTRIBUTIONS = {
    "onnxruntime-genai": "cpu",
    "onnxruntime-genai-cuda": "cuda",
    "onnxruntime-genai-directml": "dml",
}
ORT_DISTRIBUTIONS = ("onnxruntime", "onnxruntime-gpu", "onnxruntime-directml")


class HostInfo(BaseModel):
    model_config = ConfigDict(extra="forbid")

    hostname: str
    os: str
    os_release: str
    os_version: str
    machine: str
    cpu_model: str
    cpu_count_logical: int | None = None
    cpu_count_physical: int | None = None
    cpu_freq_max_mhz: float | None = None
    ram_total_bytes: int
    python_version: str
    python_implementation: str


class SoftwareInfo(BaseModel):
    model_config = ConfigDict(extra="forbid")

    bench: str
    onnxruntime: str | None = Field(None, description="installed onnxruntime distribution and version")
    onnxruntime_genai: str | None = None
    onnxruntime_genai_build: str | None = Field(None, description="cpu, cuda or dml: which genai wheel")
    onnxruntime_genai_distribution: str | None = Field(
        None, description="version 2: the genai wheel's distribution name, e.g. onnxruntime-genai-directml"
    )
    numpy: str | None = None
    onnx: str | None = None
    nvidia_ml_py: str | None = None
    problems: list[str] = Field(default_factory=list, description="e.g. two conflicting genai builds")


class ProviderInfo(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    available: bool
    reason: str | None = None


def _cpu_model() -> str:
    if sys.platform.startswith("linux"):
        try:
            with open("/proc/cpuinfo", encoding="utf-8") as handle:
                for line in handle:
                    if line.startswith("model name"):
                        return line.split(":", 1)[1].strip()
        except OSError:
            pass
    # Windows and macOS: platform.processor() is the best the standard library offers.
    return platform.processor() or platform.machine() or "unknown"


def collect_host() -> HostInfo:
    freq = None
    try:
        cpu_freq = psutil.cpu_freq()
        freq = float(cpu_freq.max or cpu_freq.current) if cpu_freq else None
    except (NotImplementedError, OSError, FileNotFoundError):  # containers without cpufreq
        freq = None
    return HostInfo(
        hostname=socket.gethostname(),
        os=platform.system(),
        os_release=platform.release(),
        os_version=platform.version(),
        machine=platform.machine(),
        cpu_model=_cpu_model(),
        cpu_count_logical=psutil.cpu_count(logical=True),
        cpu_count_physical=psutil.cpu_count(logical=False),
        cpu_freq_max_mhz=freq or None,
        ram_total_bytes=psutil.virtual_memory().total,
        python_version=platform.python_version(),
        python_implementation=platform.python_implementation(),
    )


def _version(distribution: str) -> str | None:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return None


def module_providers(module: str, distributions: Mapping[str, Sequence[str]] | None = None) -> dict[str, str]:
    """Every installed distribution that provides the top-level ``module``, with its version.

    onnxruntime, onnxruntime-gpu and onnxruntime-directml all install the module ``onnxruntime``; the
    three genai wheels all install ``onnxruntime_genai``. With two installed, the files of one overwrite
    the other's: which build Python imports is an accident of install order.
    """
    mapping = distributions if distributions is not None else metadata.packages_distributions()
    names = sorted({_canonical(name) for name in mapping.get(module, ())})
    return {name: _version(name) or "unknown version" for name in names}


def _canonical(name: str) -> str:
    return name.lower().replace("_", "-").replace(".", "-")


def runtime_conflicts(distributions: Mapping[str, Sequence[str]] | None = None) -> list[str]:
    """One line per module that two distributions provide, with the fix."""
    problems = []
    for module, what in (("onnxruntime_genai", "onnxruntime-genai"), ("onnxruntime", "onnxruntime")):
        found = module_providers(module, distributions)
        if len(found) > 1:
            listed = ", ".join(f"{name} {version}" for name, version in found.items())
            problems.append(
                f"several {what} builds are installed ({listed}); they provide the same module "
                f"`{module}` and one overwrote the other: pip uninstall -y {' '.join(found)}, then "
                "pip install 'bench[cpu]' (or [cuda] or [dml]: exactly one)"
            )
    return problems


def collect_software(distributions: Mapping[str, Sequence[str]] | None = None) -> SoftwareInfo:
    genai = {dist: v for dist in GENAI_DISTRIBUTIONS if (v := _version(dist))}
    ort = module_providers("onnxruntime", distributions) or {
        dist: v for dist in ORT_DISTRIBUTIONS if (v := _version(dist))
    }
    genai_dist, genai_version = next(iter(genai.items()), (None, None))
    ort_dist, ort_version = next(iter(ort.items()), (None, None))
    return SoftwareInfo(
        bench=bench.__version__,
        onnxruntime=f"{ort_dist} {ort_version}" if ort_dist else None,
        onnxruntime_genai=genai_version,
        onnxruntime_genai_build=GENAI_DISTRIBUTIONS[genai_dist] if genai_dist else None,
        onnxruntime_genai_distribution=genai_dist,
        numpy=_version("numpy"),
        onnx=_version("onnx"),
        nvidia_ml_py=_version("nvidia-ml-py"),
        problems=runtime_conflicts(distributions),
    )


def collect_providers(genai_module: object | None = None) -> list[ProviderInfo]:
    """Which execution providers this onnxruntime-genai build can use, with the reason when not."""
    if genai_module is None:
        try:
            import onnxruntime_genai
        except ImportError as exc:
            missing = (
                f"onnxruntime-genai is not installed ({exc}); pip install 'bench[cpu]' (or [cuda], [dml])"
            )
            return [
                ProviderInfo(name=name, available=False, reason=missing) for name in ("cpu", "cuda", "dml")
            ]
        genai_module = onnxruntime_genai
    providers = [ProviderInfo(name="cpu", available=True)]
    for name, probe, fix in (
        ("cuda", "is_cuda_available", "install the CUDA build: pip install 'bench[cuda]'"),
        (
            "dml",
            "is_dml_available",
            "DirectML needs Windows and the DirectML build: pip install 'bench[dml]'",
        ),
    ):
        check = getattr(genai_module, probe, None)
        try:
            available = bool(check()) if check else False
        except Exception as exc:  # a probe that fails is an unavailable provider, with its reason
            providers.append(ProviderInfo(name=name, available=False, reason=f"{probe}() failed: {exc}"))
            continue
        reason: str | None = None if available else f"not available in this onnxruntime-genai build ({fix})"
        providers.append(ProviderInfo(name=name, available=available, reason=reason))
    return providers


def environment_flags() -> dict[str, str]:
    """Environment variables that change what is measured (thread counts, device selection)."""
    keys = ("OMP_NUM_THREADS", "CUDA_VISIBLE_DEVICES", "CUDA_DEVICE_ORDER", "ORT_DISABLE_ALL_OPTIMIZATION")
    return {key: os.environ[key] for key in keys if key in os.environ}
