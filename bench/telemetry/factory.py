"""``create_telemetry``: opens the libraries a provider needs and builds its ``Telemetry``."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping
from functools import partial
from typing import Any, Literal

from bench.errors import BenchError
from bench.telemetry.adapters import resolve_dml_adapter
from bench.telemetry.api import Telemetry
from bench.telemetry.collecting import CollectingTelemetry
from bench.telemetry.disabled import DisabledTelemetry
from bench.telemetry.dxgi import (
    DxgiEnumeration,
    DxgiError,
    VideoMemoryReader,
    enumerate_adapters,
    open_video_memory_reader,
)
from bench.telemetry.host import measure_host_bandwidth
from bench.telemetry.nvml import Nvml, NvmlError
from bench.telemetry.sampler import DEFAULT_INTERVAL_S
from bench.telemetry.types import Figure
from bench.telemetry.worker import REAL_NVML, SamplerProcess, load_nvml_module

Sampling = Literal["auto", "process", "thread"]


def create_telemetry(
    *,
    provider: str,
    device_id: int = 0,
    interval_s: float = DEFAULT_INTERVAL_S,
    enabled: bool = True,
    nvml: Any | None = None,
    dxgi: VideoMemoryReader | None = None,
    dxgi_luid: str | None = None,
    provider_options: Mapping[str, str] | None = None,
    dxgi_adapters: Callable[[], DxgiEnumeration] | None = None,
    open_dxgi: Callable[..., VideoMemoryReader] | None = None,
    host_bandwidth: Callable[[], Figure] | None = None,
    platform: str | None = None,
    nvml_factory: str | None = None,
    sampling: Sampling = "auto",
) -> Telemetry:
    """Telemetry for one provider and device.

    ``nvml``: a pynvml-like module (default: the real ``pynvml``). Provider dml: ``provider_options``
    (the scenario's dml options; without them ``device_id`` / ``dxgi_luid``) choose the adapter as
    onnxruntime-genai will (bench/telemetry/adapters.py), over ``dxgi_adapters()`` (default: DXGI's
    enumeration), and ``open_dxgi(luid=...)`` opens the reader of that adapter (``dxgi``: a reader
    given directly, whose adapter is then the only one known);
    ``host_bandwidth``: returns the CPU roofline's bandwidth (default: measured once per process).

    Sampling: continuous series come from a separate sampler process (bench/telemetry/worker.py), which
    opens NVML on ``nvml_factory`` ("pynvml", or "module:callable" returning a pynvml-like module). A
    module object in ``nvml`` cannot cross a process boundary: then ``sampling="auto"`` samples on a
    thread in this process, which only tests should do (it competes for the GIL with the timed code).
    """
    if not interval_s > 0:
        raise BenchError(f"must be > 0, got {interval_s * 1000:g} ms", field="sample_interval_ms")
    if not enabled:
        return DisabledTelemetry(provider)
    platform = platform or sys.platform
    if nvml is not None and nvml_factory is not None:
        raise ValueError("give nvml (a module, sampled on a thread) or nvml_factory (a path), not both")
    forced = sampling == "process"  # even where nothing polls (a CPU run on Linux), e.g. to test it
    if sampling == "auto":
        sampling = "thread" if nvml is not None else "process"
    factory = nvml_factory or (REAL_NVML if nvml is None else None)
    session: Nvml | None = None
    nvml_reason = None
    try:
        session = Nvml.open(nvml if nvml is not None else load_nvml_module(factory))
    except NvmlError as exc:
        nvml_reason = exc.reason
    dxgi_reason = None
    selection = None
    if provider == "dml":
        options = dict(provider_options) if provider_options is not None else {}
        if provider_options is None and dxgi_luid is not None:
            options["luid"] = dxgi_luid
        elif provider_options is None and device_id:
            options["device_id"] = str(device_id)
        if dxgi_adapters is None and dxgi is not None:
            only = [(dxgi.adapter, False)]  # an injected reader: its adapter is the only one known
            dxgi_adapters = lambda: DxgiEnumeration(plain=only, high_performance=only)  # noqa: E731
        selection = resolve_dml_adapter(options, enumerate_dxgi=dxgi_adapters or enumerate_adapters)
        if selection.adapter is None:
            dxgi_reason = selection.unavailable
        elif dxgi is None:
            try:
                dxgi = (open_dxgi or open_video_memory_reader)(luid=selection.adapter.luid)
            except DxgiError as exc:
                dxgi_reason = exc.reason
    return CollectingTelemetry(
        provider=provider,
        device_id=device_id,
        interval_s=interval_s,
        nvml=session,
        nvml_reason=nvml_reason,
        dxgi=dxgi if provider == "dml" else None,
        dxgi_reason=dxgi_reason,
        dml_selection=selection,
        host_bandwidth=host_bandwidth or measure_host_bandwidth,
        platform=platform,
        pid=os.getpid(),
        sampler=partial(SamplerProcess.start, nvml_factory=factory) if sampling == "process" else None,
        force_sampler=forced,
    )
