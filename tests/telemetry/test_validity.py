from __future__ import annotations

import math

from bench.telemetry.types import Figure, PointTelemetry, Series
from bench.validity import assess_point


def telemetry(**changes: object) -> PointTelemetry:
    missing, series = Figure.missing("MiB", "test"), Series.missing("MHz", "test")
    fields: dict[str, object] = dict(
        provider="cuda",
        repetitions=10,
        vram_weights_mib=missing,
        vram_kv_cache_mib=missing,
        vram_setup_growth_mib=missing,
        kv_cache_theoretical_mib=missing,
        vram_peak_mib=missing,
        shared_memory_growth_mib=missing,
        sm_clock_mhz=series,
        memory_clock_mhz=series,
        temperature_c=series,
        pcie_generation=series,
        pcie_width=series,
        energy_j=missing,
        energy_per_token_j=missing,
        avg_power_w=missing,
        host_peak_rss_mib=missing,
        cpu_util_pct=missing,
    )
    fields.update(changes)
    return PointTelemetry(**fields)  # type: ignore[arg-type]


def test_a_clean_point_is_valid():
    validity = assess_point(
        error=None, token_count_ok=True, metric_cv={"decode_tokens_per_s": 0.02}, telemetry=telemetry()
    )
    assert validity.status == "valid" and validity.reasons == []


def test_throttled_repetitions_flag_the_point_with_counts_and_reasons():
    point = telemetry(
        throttled_repetitions=2,
        throttle_reasons=["HwThermal"],
        throttled_samples=37,
        clock_event_samples=1000,
    )
    validity = assess_point(error=None, token_count_ok=True, metric_cv={}, telemetry=point)
    assert validity.status == "flagged"
    assert validity.reasons == [
        "throttled: 2 of 10 repetitions ran under HwThermal; 37 of 1000 clock readings throttled"
    ]


def test_cv_above_the_threshold_flags_only_gate_metrics():
    cv = {"decode_tokens_per_s": 0.14, "itl_ms": 0.9, "ttft_ms": math.nan}  # itl_ms is not a gate metric
    validity = assess_point(error=None, token_count_ok=True, metric_cv=cv, cv_threshold=0.10, telemetry=None)
    assert validity.status == "flagged"
    assert validity.reasons == [
        "high_cv: decode_tokens_per_s varies 14.0% between repetitions (threshold 10%)"
    ]
    relaxed = assess_point(error=None, token_count_ok=True, metric_cv=cv, cv_threshold=0.20, telemetry=None)
    assert relaxed.status == "valid"


def test_spill_and_concurrent_process_are_flags():
    point = telemetry(
        memory_spill=True,
        shared_memory_growth_mib=Figure.of(900, "MiB", "dxgi-nonlocal"),
        concurrent_gpu_process=True,
        concurrent_processes=["pid 4242 appeared"],
    )
    validity = assess_point(error=None, token_count_ok=True, metric_cv={}, telemetry=point)
    assert validity.codes == ["memory_spill", "concurrent_gpu_process"]
    assert "by 900 MiB" in validity.reasons[0] and "pid 4242 appeared" in validity.reasons[1]


def test_failures_are_invalid_and_keep_the_flags_after_them():
    mismatch = assess_point(
        error="token count mismatch: generated 3",
        token_count_ok=False,
        metric_cv={},
        telemetry=telemetry(memory_spill=True),
    )
    assert mismatch.status == "invalid" and mismatch.codes == ["token_count_mismatch", "memory_spill"]
    failed = assess_point(
        error="onnxruntime-genai failed: OOM", token_count_ok=True, metric_cv={}, telemetry=None
    )
    assert failed.status == "invalid" and failed.reasons == ["failed: onnxruntime-genai failed: OOM"]
