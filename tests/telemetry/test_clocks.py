from __future__ import annotations

import pynvml

from bench.telemetry.clocks import NvmlClocks, decode_reasons, throttle_names
from bench.telemetry.nvml import Nvml
from tests.telemetry.fake_nvml import FakeGpu, FakeNvml


def test_reason_bits_decode_to_names_and_unknown_bits_stay_visible():
    assert decode_reasons(0x1 | 0x40) == ["GpuIdle", "HwThermal"]
    assert decode_reasons(0x4 | 0x8 | 0x20 | 0x80) == [
        "SwPowerCap",
        "HwSlowdown",
        "SwThermal",
        "HwPowerBrake",
    ]
    assert decode_reasons(0x1000) == ["0x1000"]
    assert decode_reasons(pynvml.nvmlClocksEventReasonSyncBoost) == ["SyncBoost"]


def test_idle_app_clocks_sync_boost_and_display_are_not_throttling():
    assert throttle_names(0x1 | 0x2 | 0x10 | 0x100) == []
    assert throttle_names(0x1 | 0x4) == ["SwPowerCap"]


def probe(gpu: FakeGpu) -> NvmlClocks:
    nvml = Nvml.open(FakeNvml([gpu]))
    return NvmlClocks(nvml, nvml.call("nvmlDeviceGetHandleByIndex", 0))


def test_counts_reasons_per_reading_and_diffs_violation_counters():
    gpu = FakeGpu(reasons=0x1)
    clocks = probe(gpu)
    clocks.start()
    gpu.reasons = 0x40 | 0x4
    clocks.poll(slow=False)
    clocks.poll(slow=False)
    gpu.violations_ns[pynvml.NVML_PERF_POLICY_THERMAL] += 12_500_000
    gpu.reasons = 0x0
    clocks.finish()
    events = clocks.clock_events()
    assert events.samples == 4 and events.throttled_samples == 2
    assert events.counts == {"GpuIdle": 1, "SwPowerCap": 2, "HwThermal": 2}
    violations = clocks.violations_ms()
    assert violations["thermal"].value == 12.5 and violations["power"].value == 0.0
    assert clocks.throttle_reasons() == ["SwPowerCap", "HwThermal", "ThermalViolation"]


def test_unsupported_calls_report_why_and_are_not_retried():
    gpu = FakeGpu().unsupported("nvmlDeviceGetCurrentClocksEventReasons", "nvmlDeviceGetViolationStatus")
    fake = FakeNvml([gpu])
    nvml = Nvml.open(fake)
    clocks = NvmlClocks(nvml, nvml.call("nvmlDeviceGetHandleByIndex", 0))
    clocks.start()
    for _ in range(5):
        clocks.poll(slow=False)
    clocks.finish()
    assert fake.calls["nvmlDeviceGetCurrentClocksEventReasons"] == 1
    assert clocks.clock_events().unavailable.startswith("not supported")
    assert clocks.violations_ms()["power"].unavailable.startswith("not supported")
    assert clocks.throttle_reasons() == []
    sm = clocks.series()["sm_clock_mhz"]
    assert (sm.n, sm.min, sm.max) == (7, 2520.0, 2520.0)


def test_slow_readings_only_on_slow_ticks():
    gpu = FakeGpu()
    clocks = probe(gpu)
    clocks.start()
    gpu.temperature = 83
    clocks.poll(slow=False)
    gpu.temperature = 84
    clocks.poll(slow=True)
    series = clocks.series()
    assert series["temperature_c"].n == 2 and series["temperature_c"].max == 84
