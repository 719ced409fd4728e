"""Stage 4 on simulated time: the telemetry of every repetition comes from bench's real probes over the
scripted fake NVML; each repetition stands for 10 s of decode (its end-to-end time), so a 10-minute
soak takes milliseconds."""

from __future__ import annotations

from datetime import datetime, timezone

import pynvml

from bench.qualify.criteria import Status
from bench.qualify.profile import SoakCriteria
from bench.qualify.soak import judge_soak, soak_intervals
from bench.results.schema import Metric, Point, PointParams
from bench.telemetry.api import PointShape
from bench.telemetry.session import create_telemetry
from tests.telemetry.fake_nvml import MIB, FakeGpu, FakeNvml
from tests.telemetry.helpers import PID, load

T0 = datetime(2026, 12, 2, 8, 0, tzinfo=timezone.utc)
REP_S = 10.0
CRITERIA = SoakCriteria(model="nemotron-mini-4b", duration_s=600, interval_s=30)
SHAPE = PointShape(128, 1, 256)
HW_THERMAL = pynvml.nvmlClocksEventReasonHwThermalSlowdown


def soak(gpu: FakeGpu, reps: int = 60, *, script=None, rates=None, error: str | None = None) -> Point:
    """``script(rep, gpu)`` changes the GPU before repetition ``rep`` (simulated time rep x 10 s)."""
    fake = FakeNvml([gpu])
    telemetry = create_telemetry(provider="cuda", nvml=fake, interval_s=0.001, platform="linux")
    load(telemetry, gpu, weights=3000 * MIB)
    samples = []
    for rep in range(reps):
        if script is not None:
            script(rep, gpu)
        with telemetry.track_phase("generation", point=SHAPE) as probe:
            pass
        samples.append(probe.sample)
    telemetry.close()
    return Point(
        id="nemotron-mini-4b|cuda|p128|b1|o256",
        session="s0",
        model="nemotron-mini-4b",
        model_kind="real",
        provider="cuda",
        params=PointParams(prompt_tokens=128, batch_size=1, output_tokens=256),
        status="valid",
        error=error,
        warmups=1,
        repetitions=reps,
        started_at=T0,
        finished_at=T0,
        metrics={
            "e2e_latency_ms": Metric(unit="ms", samples=[REP_S * 1000] * reps),
            "decode_tokens_per_s": Metric(unit="tokens/s", samples=list(rates or [100.0] * reps)),
        },
        repetition_telemetry=samples,
    )


def rows_of(point: Point, criteria: SoakCriteria = CRITERIA, **kwargs):
    rows, result = judge_soak(point, criteria, run_status=kwargs.pop("run_status", "complete"), no_gpu=None)
    return {r.name: r for r in rows}, result


def test_a_steady_gpu_passes_the_soak():
    rows, result = rows_of(soak(FakeGpu()))
    assert {r.status for r in rows.values()} == {Status.PASS}, rows
    assert result is not None and len(result.intervals) == 20 and result.measured_s == 600


def test_a_gpu_that_starts_throttling_after_3_minutes_fails():
    def throttle_from_3_minutes(rep: int, gpu: FakeGpu) -> None:
        gpu.reasons = HW_THERMAL if rep * REP_S >= 180 else pynvml.nvmlClocksEventReasonNone
        gpu.sm_clock = 1400 if rep * REP_S >= 180 else 2520

    rows, result = rows_of(soak(FakeGpu(), script=throttle_from_3_minutes))
    throttled = rows["time throttled (thermal or power)"]
    assert throttled.status is Status.FAIL
    assert throttled.measured is not None and throttled.measured.startswith("70.0 %, from 180 s (HwThermal")
    assert result is not None
    assert [i.throttled_pct for i in result.intervals[:6]] == [0.0] * 6
    assert result.intervals[6].sm_clock_mhz == 1400  # the chart shows the clock falling with it


def test_a_decode_rate_that_sags_fails_the_pace_criterion():
    rates = [100.0] * 30 + [85.0] * 30
    rows, _ = rows_of(soak(FakeGpu(), rates=rates))
    pace = rows["throughput, last interval vs first"]
    assert pace.status is Status.FAIL and "-15.0 %" in (pace.measured or "")


def test_vram_that_grows_every_repetition_fails():
    def leak(rep: int, gpu: FakeGpu) -> None:
        gpu.compute_processes = [(PID, 3000 * MIB + rep * 8 * MIB)]
        gpu.used = 300 * MIB + 3000 * MIB + rep * 8 * MIB

    rows, result = rows_of(soak(FakeGpu(), script=leak))
    growth = rows["VRAM growth across repetitions"]
    assert growth.status is Status.FAIL
    assert (
        result is not None and result.intervals[-1].vram_peak_mib - result.intervals[0].vram_peak_mib == 456
    )


def test_clock_event_reasons_not_supported_leave_throttling_not_judged():
    rows, _ = rows_of(soak(FakeGpu().unsupported("nvmlDeviceGetCurrentClocksEventReasons")))
    row = rows["time throttled (thermal or power)"]
    assert row.status is Status.NOT_JUDGED and "not supported" in row.reason


def test_a_soak_shorter_than_two_intervals_cannot_judge_its_pace():
    rows, _ = rows_of(soak(FakeGpu(), reps=2))
    assert rows["throughput, last interval vs first"].status is Status.NOT_JUDGED


def test_an_error_fails_and_an_interruption_is_not_judged():
    rows, _ = rows_of(soak(FakeGpu(), reps=6, error="onnxruntime-genai failed: CUDA error"))
    assert rows["no errors"].status is Status.FAIL
    rows, _ = judge_soak(None, CRITERIA, run_status="interrupted", run_reasons=["SIGINT"], no_gpu=None)
    assert {r.status for r in rows} == {Status.NOT_JUDGED}


def test_on_the_cpu_the_gpu_criteria_say_no_gpu():
    point = soak(FakeGpu(), reps=9)
    rows, _ = judge_soak(point, CRITERIA, run_status="complete", no_gpu="no GPU: provider cpu runs on no GPU")
    by_name = {r.name: r for r in rows}
    for name in ("time throttled (thermal or power)", "VRAM growth across repetitions"):
        assert by_name[name].status is Status.NOT_JUDGED
        assert by_name[name].reason == "no GPU: provider cpu runs on no GPU"
    assert by_name["throughput, last interval vs first"].status is Status.PASS


def test_interval_rate_is_tokens_over_time_not_a_mean_of_rates():
    point = soak(FakeGpu(), reps=2, rates=[100.0, 50.0])
    result = soak_intervals(point, interval_s=60)
    # Same tokens per repetition: 2 / (1/100 + 1/50) = 66.7 tokens/s, not 75.
    assert round(result.intervals[0].decode_tokens_per_s, 1) == 66.7
