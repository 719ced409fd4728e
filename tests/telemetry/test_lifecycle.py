"""The order CollectingTelemetry accepts calls in, and what a model load hands on (lifecycle.py)."""

from __future__ import annotations

import pytest

from tests.telemetry.fake_nvml import GIB, FakeGpu, FakeNvml
from tests.telemetry.helpers import cuda, load, summarize


def test_a_window_opened_inside_another_is_refused_and_the_outer_one_still_ends(shape):
    gpu = FakeGpu()
    telemetry = cuda(FakeNvml([gpu]))
    nested = r"track_phase\('generation'\) opened while track_phase\('generator_setup'\) is open"
    with telemetry.track_phase("generator_setup", point=shape) as outer:  # noqa: SIM117 (one inside the other)
        with pytest.raises(RuntimeError, match=nested), telemetry.track_phase("generation", point=shape):
            pass
    assert outer.sample is not None and outer.sample.phase == "generator_setup"
    with telemetry.track_phase("generation", point=shape) as after:  # the refusal left nothing open
        pass
    assert after.sample is not None and after.sample.phase == "generation"
    telemetry.close()


def test_no_window_after_close_and_close_may_be_repeated(shape):
    telemetry = cuda(FakeNvml([FakeGpu()]))
    telemetry.close()
    telemetry.close()
    with pytest.raises(RuntimeError, match=r"track_load after close\(\)"), telemetry.track_load():
        pass
    with (
        pytest.raises(RuntimeError, match=r"after close\(\)"),
        telemetry.track_phase("generation", point=shape),
    ):
        pass


def test_each_load_replaces_what_the_points_after_it_read(shape, model):
    gpu = FakeGpu()
    telemetry = cuda(FakeNvml([gpu]))
    with telemetry.track_phase("generation", point=shape) as before_any:
        pass
    assert (
        summarize(telemetry, shape, model, [], [before_any.sample]).vram_weights_mib.unavailable
        == "no model load was tracked"
    )
    first = load(telemetry, gpu, weights=GIB)
    with telemetry.track_phase("generation", point=shape) as probe:
        pass
    assert (
        summarize(telemetry, shape, model, [], [probe.sample]).vram_weights_mib.value
        == first.vram_weights_mib.value
    )
    gpu.compute_processes = []  # the first model released, a second one loaded by the same telemetry
    second = load(telemetry, gpu, weights=3 * GIB)
    with telemetry.track_phase("generation", point=shape) as probe:
        pass
    point = summarize(telemetry, shape, model, [], [probe.sample])
    assert second.vram_weights_mib.value == 3072 and point.vram_weights_mib.value == 3072
    telemetry.close()
