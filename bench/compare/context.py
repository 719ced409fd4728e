"""Where a session of a run measured (GPU, provider, driver, onnxruntime-genai, CPU): what grouping,
pooling and matching all read from a result document."""

from __future__ import annotations

from dataclasses import dataclass

from bench.compare.baselines import GpuKey, gpu_key
from bench.results.schema import ResultDocument, Session


@dataclass(frozen=True)
class RunContext:
    """Where one session of a run measured: GPU (None for the CPU provider), versions."""

    gpu: GpuKey | None
    gpu_unknown_reason: str | None  # a GPU provider ran but bench could not tell which GPU
    provider: str
    driver: str | None
    onnxruntime_genai: str | None
    cpu_model: str

    @property
    def versions(self) -> str:
        return versions_label(self.driver, self.onnxruntime_genai)


def versions_label(driver: str | None, onnxruntime_genai: str | None) -> str:
    """How reports and the dashboard name a pair of versions: "driver 572.16, onnxruntime-genai 0.18"."""
    parts = []
    if driver:
        parts.append(f"driver {driver}")
    if onnxruntime_genai:
        parts.append(f"onnxruntime-genai {onnxruntime_genai}")
    return ", ".join(parts) or "versions unknown"


def driver_version(document: ResultDocument) -> str | None:
    """The GPU driver version a run recorded, if any (older files kept it in ``metadata``)."""
    gpus = document.environment.gpus
    for device in gpus.devices:
        if device.driver_version:
            return device.driver_version
        legacy = device.metadata.get("driver_version")
        if legacy:
            return str(legacy)
    if gpus.library and "driver" in gpus.library:
        return gpus.library.split("driver", 1)[1].strip(" ,;:") or None
    return None


def run_context(document: ResultDocument, session: Session) -> RunContext:
    gpus = document.environment.gpus
    gpu: GpuKey | None = None
    unknown: str | None = None
    if session.provider != "cpu":
        index = session.device_id or 0
        device = next((d for d in gpus.devices if d.index == index), None)
        if device is None and gpus.devices:
            device = gpus.devices[0]
        if device is not None:
            gpu = gpu_key(device.name, device.architecture)
        else:
            why = gpus.reason or "no NVML"
            unknown = f"provider {session.provider} ran but no GPU identity was recorded ({why})"
    return RunContext(
        gpu=gpu,
        gpu_unknown_reason=unknown,
        provider=session.provider,
        driver=driver_version(document) if session.provider != "cpu" else None,
        onnxruntime_genai=document.environment.software.onnxruntime_genai,
        cpu_model=document.environment.host.cpu_model,
    )


def run_architectures(document: ResultDocument) -> list[str]:
    """The GPU architectures a run's sessions measured on (none for CPU sessions), sorted."""
    found = {run_context(document, s).gpu for s in document.sessions}
    return sorted({gpu.architecture for gpu in found if gpu is not None and gpu.architecture})


GroupKey = tuple[str, str, str]  # (GPU or "cpu", driver, onnxruntime-genai)


def group_key(context: RunContext) -> GroupKey:
    """Runs with the same key measured the same hardware and software: their rounds pool together."""
    return (gpu_id(context), context.driver or "", context.onnxruntime_genai or "")


def gpu_id(context: RunContext) -> str:
    """The GPU's SKU or name; "cpu" for the CPU provider; "unknown gpu" when a GPU ran unidentified."""
    if context.gpu is not None:
        return context.gpu.sku or context.gpu.name or "unknown gpu"
    return "unknown gpu" if context.gpu_unknown_reason else "cpu"


def group_label(context: RunContext) -> str:
    """How reports name a group of candidate runs: GPU and versions."""
    where = context.gpu.label if context.gpu else "no GPU"
    return f"{where}; {context.versions}"


def where_label(context: RunContext) -> str:
    """The GPU's label, or the CPU's for the CPU provider."""
    if context.gpu is not None:
        return context.gpu.label
    if context.gpu_unknown_reason:
        return "unknown GPU"
    return f"CPU: {context.cpu_model}"
