"""Helpers that script a session on the fake NVML: load a model, create a Generator, summarize."""

from __future__ import annotations

import os

from bench.telemetry.api import PointShape
from bench.telemetry.factory import create_telemetry
from bench.telemetry.types import Figure
from tests.telemetry.fake_nvml import FakeGpu, FakeNvml

PID = os.getpid()
LIST = "nvmlDeviceGetComputeRunningProcesses"
GRAPHICS_LIST = "nvmlDeviceGetGraphicsRunningProcesses"


def cuda(fake: FakeNvml, **kwargs):
    return create_telemetry(provider="cuda", nvml=fake, interval_s=0.001, platform="linux", **kwargs)


def load(telemetry, gpu: FakeGpu, *, weights: int, pid: int = PID, wddm: bool = False):
    with telemetry.track_load() as probe:
        gpu.compute_processes = [*gpu.compute_processes, (pid, None if wddm else weights)]
        gpu.used += weights
    return probe.sample


def setup(telemetry, gpu: FakeGpu, shape: PointShape, *, kv: int, pid: int = PID, wddm: bool = False):
    with telemetry.track_phase("generator_setup", point=shape) as probe:
        gpu.used += kv
        gpu.compute_processes = [
            (p, None if wddm else (u or 0) + kv) if p == pid else (p, u) for p, u in gpu.compute_processes
        ]
    return probe.sample


def summarize(telemetry, shape, model, setups, generations, rate=50.0):
    return telemetry.summarize_point(
        point=shape,
        model=model,
        setups=setups,
        generations=generations,
        decode_tokens_per_s=[rate] * len(generations),
        generated_tokens=shape.batch_size * shape.output_tokens,
    )


def fixed_bandwidth(gb_s: float = 50.0):
    return lambda: Figure.of(gb_s, "GB/s", "test bandwidth", "system")
