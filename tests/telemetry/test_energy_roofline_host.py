from __future__ import annotations

import pytest

from bench.telemetry.energy import MIN_ENERGY_WINDOW_S, average_power, energy_figure
from bench.telemetry.host import HostProbe, linux_peak_rss, measure_host_bandwidth
from bench.telemetry.roofline import (
    decode_roofline,
    kv_cache_theoretical_mib,
    mean_decode_context,
    nvml_peak_bandwidth_gb_s,
)
from bench.telemetry.types import Figure


def test_energy_needs_a_window_well_above_the_counter_period():
    short = energy_figure(start_mj=1000, end_mj=1500, window_s=0.2, reason=None)
    assert short.value is None and short.unavailable.startswith("window too short (200 ms < 500 ms)")
    ok = energy_figure(start_mj=1000, end_mj=61_000, window_s=MIN_ENERGY_WINDOW_S + 0.5, reason=None)
    assert ok.value == 60.0 and ok.unit == "J" and ok.scope == "device"
    assert average_power(ok, 1.0).value == 60.0
    unsupported = energy_figure(
        start_mj=None, end_mj=None, window_s=5, reason="not supported on this GPU/driver"
    )
    assert unsupported.unavailable == "not supported on this GPU/driver"
    assert average_power(unsupported, 5).unavailable == "not supported on this GPU/driver"


@pytest.mark.parametrize(
    ("bus", "clock", "published"),
    [(384, 10501, 1008), (5120, 2619, 3352), (5120, 1593, 2039), (384, 9751, 936)],  # 4090, H100, A100, 3090
)
def test_nvml_bandwidth_matches_published_figures(bus, clock, published):
    assert nvml_peak_bandwidth_gb_s(bus_width_bits=bus, max_memory_clock_mhz=clock) == pytest.approx(
        published, rel=0.002
    )


def test_decode_roofline(model):
    bandwidth = Figure.of(1000.0, "GB/s", "test")
    roof = decode_roofline(
        model=model,
        prompt_tokens=100,
        batch_size=4,
        output_tokens=50,
        peak_bandwidth=bandwidth,
        measured_tokens_per_s=300.0,
    )
    assert roof.mean_context_tokens == mean_decode_context(prompt_tokens=100, output_tokens=50) == 125
    kv = 2 * 2 * 2 * 64 * 125 * 4 * 2  # K+V × layers × kv heads × head dim × context × batch × fp16
    assert roof.kv_bytes_per_step == kv and roof.bytes_per_step == 6_000_000_000 + kv
    bound = 4 * 1000e9 / (6_000_000_000 + kv)
    assert roof.bound_tokens_per_s.value == pytest.approx(bound)
    assert roof.efficiency_pct.value == pytest.approx(100 * 300 / bound)


def test_roofline_without_bandwidth_or_quantization_says_why(model):
    missing = Figure.missing("GB/s", "provider cpu uses no GPU")
    roof = decode_roofline(
        model=model,
        prompt_tokens=1,
        batch_size=1,
        output_tokens=2,
        peak_bandwidth=missing,
        measured_tokens_per_s=10.0,
    )
    assert "provider cpu uses no GPU" in roof.bound_tokens_per_s.unavailable
    assert roof.efficiency_pct.value is None
    with pytest.raises(ValueError, match="quantization"):
        decode_roofline(
            model=model.model_copy(update={"quantization": None}),
            prompt_tokens=1,
            batch_size=1,
            output_tokens=2,
            peak_bandwidth=missing,
            measured_tokens_per_s=None,
        )


def test_theoretical_kv_cache(model):
    figure = kv_cache_theoretical_mib(model=model, batch_size=2, max_length=1024)
    assert figure.value == 2 * 2 * 2 * 64 * 1024 * 2 * 2 / 2**20


def test_polled_host_probe_reports_rss_cpu_and_memory():
    probe = HostProbe(kernel_peak=None)
    assert probe.polls
    probe.start()
    ballast = bytearray(64 * 1024 * 1024)  # zero-filled, so resident
    probe.poll(slow=True)
    probe.finish()
    host = probe.result()
    assert host.rss.method == "psutil-rss (polled)" and host.rss.scope == "process"
    assert host.rss.peak_mib >= host.rss.start_mib + 32
    assert host.cpu_util_pct.value is not None and host.cpu_util_pct.value >= 0
    assert host.system_available_min_mib.value > 0
    del ballast


def test_the_kernel_peak_catches_a_transient_allocation_without_polling():
    kernel_peak = linux_peak_rss()
    if kernel_peak is None:
        pytest.skip("no resettable RSS high-water mark here (not Linux, or /proc is read-only)")
    probe = HostProbe(kernel_peak=kernel_peak)
    assert not probe.polls  # nothing to sample in the background
    probe.start()
    transient = bytearray(96 * 1024 * 1024)
    del transient  # freed before any reading: only the kernel saw it
    probe.finish()
    rss = probe.result().rss
    assert rss.method == "linux-vmhwm (reset per phase)"
    assert rss.peak_mib >= rss.end_mib + 64


def test_host_bandwidth_is_measured_and_says_how():
    figure = measure_host_bandwidth(buffer_mib=8, repeats=1, threads=2)
    assert figure.value > 0 and figure.unit == "GB/s"
    assert "numpy copy, 2 thread(s), 8 MiB" in figure.method


def test_energy_split_interpolates_the_counter_at_the_first_token():
    from bench.telemetry.energy import counter_at, split_energy

    trace = [(0.0, 1000), (0.5, 1000 + 50_000), (1.0, 1000 + 100_000), (2.0, 1000 + 300_000)]
    assert counter_at(trace, 0.75) == 1000 + 75_000
    assert counter_at(trace, 2.5) is None
    prefill, decode = split_energy(trace, first_token_s=0.75, reason=None)
    assert prefill.value == 75.0 and decode.value == 225.0


def test_energy_split_refuses_sides_too_short_for_the_counter():
    from bench.telemetry.energy import split_energy

    trace = [(0.0, 0), (0.1, 10_000), (3.0, 300_000)]
    prefill, decode = split_energy(trace, first_token_s=0.1, reason=None)
    assert prefill.value is None and prefill.unavailable.startswith("prefill too short (100 ms < 500 ms)")
    assert decode.value == pytest.approx(290.0)
    missing, _ = split_energy([], first_token_s=0.1, reason="not supported on this GPU")
    assert missing.unavailable == "not supported on this GPU"


def test_without_first_token_times_the_energy_is_not_split(fake_nvml, gpu, shape, model):
    from tests.telemetry.helpers import cuda, summarize

    telemetry = cuda(fake_nvml)
    with telemetry.track_phase("generation", point=shape) as probe:
        pass
    point = summarize(telemetry, shape, model, [], [probe.sample])
    assert point.prefill_energy_j.unavailable.startswith("time to first token of each repetition not given")
