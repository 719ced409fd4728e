from __future__ import annotations

from bench.telemetry.summary import difference, repetition_metrics
from bench.telemetry.types import Figure
from tests.telemetry.helpers import cuda, load


def test_a_difference_needs_both_readings_from_the_same_method():
    process = Figure.of(7000, "MiB", "nvml-process", "process")
    delta = Figure.of(6000, "MiB", "nvml-device-delta (nvml-memory-v2; ...)", "device")
    assert difference(process, Figure.of(6000, "MiB", "nvml-process", "process"), "x").value == 1000
    mixed = difference(process, delta, "x")
    assert (
        mixed.value is None
        and mixed.unavailable == "readings from different methods (nvml-process vs nvml-device-delta)"
    )
    assert difference(process, Figure.missing("MiB", "GPU is lost"), "x").unavailable == "GPU is lost"


def test_repetition_metrics_only_when_every_repetition_has_the_figure(fake_nvml, gpu, shape):
    telemetry = cuda(fake_nvml)
    load(telemetry, gpu, weights=1024**3)
    reps = []
    for _ in range(2):
        with telemetry.track_phase("generation", point=shape) as probe:
            pass
        reps.append(probe.sample)
    metrics = repetition_metrics(reps, generated_tokens=128)
    assert metrics == {"vram_peak_mib": [1024.0, 1024.0]}  # energy: windows too short, so no samples at all
    assert repetition_metrics([None], generated_tokens=128) == {}
