"""Stage 4, soak: sustained decode, cut into intervals, judged on pace, throttling, memory and errors.

The soak is one ordinary sweep point repeated for ``duration_s`` (the runner's ``min_time_s``); each
repetition carries its own telemetry (clocks, temperature, clock-event reasons, VRAM, power), so the
intervals are built from the repetitions that fall in them on the measured-time axis (the sum of each
repetition's end-to-end time; the few milliseconds of bookkeeping between repetitions are left out).
Pure: result point in, intervals and rows out.
"""

from __future__ import annotations

import itertools
import statistics
from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict, Field

from bench.qualify.criteria import Criterion, judged, not_judged
from bench.qualify.profile import SoakCriteria
from bench.results.schema import Point, RunStatus
from bench.telemetry.types import RepetitionTelemetry


class SoakInterval(BaseModel):
    """One interval of the soak: what the chart draws and the criteria compare."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    index: int
    start_s: float
    end_s: float
    repetitions: int
    decode_tokens_per_s: float = Field(description="decoded tokens / decode time over the interval")
    sm_clock_mhz: float | None = None
    memory_clock_mhz: float | None = None
    temperature_max_c: float | None = None
    power_w: float | None = None
    throttled_pct: float | None = Field(
        default=None, description="clock-event readings with a throttle reason, in %"
    )
    throttle_reasons: list[str] = Field(default_factory=list)
    throttle_unavailable: str | None = Field(default=None, description="why clock-event reasons are missing")
    vram_peak_mib: float | None = None


class SoakResult(BaseModel):
    model_config = ConfigDict(extra="forbid")

    point_id: str
    measured_s: float
    intervals: list[SoakInterval]


def _weighted(values: Sequence[tuple[float | None, int]]) -> float | None:
    usable = [(v, n) for v, n in values if v is not None and n > 0]
    total = sum(n for _, n in usable)
    return sum(v * n for v, n in usable) / total if total else None


def _interval(
    index: int, start: float, end: float, rates: list[float], reps: list[RepetitionTelemetry | None]
) -> SoakInterval:
    # Every repetition decodes the same number of tokens: the interval's rate is the harmonic mean.
    rate = len(rates) / sum(1.0 / r for r in rates) if rates and all(r > 0 for r in rates) else 0.0
    gpus = [r.gpu for r in reps if r is not None and r.gpu is not None]
    samples = sum(g.clock_events.samples for g in gpus)
    throttled = sum(g.clock_events.throttled_samples for g in gpus)
    temperatures = [g.temperature_c.max for g in gpus if g.temperature_c.max is not None]
    peaks = [r.vram_peak_mib.value for r in reps if r is not None and r.vram_peak_mib.value is not None]
    powers = [r.avg_power_w.value for r in reps if r is not None and r.avg_power_w.value is not None]
    return SoakInterval(
        index=index,
        start_s=start,
        end_s=end,
        repetitions=len(rates),
        decode_tokens_per_s=rate,
        sm_clock_mhz=_weighted([(g.sm_clock_mhz.mean, g.sm_clock_mhz.n) for g in gpus]),
        memory_clock_mhz=_weighted([(g.memory_clock_mhz.mean, g.memory_clock_mhz.n) for g in gpus]),
        temperature_max_c=max(temperatures) if temperatures else None,
        power_w=statistics.fmean(powers) if powers else None,
        throttled_pct=100.0 * throttled / samples if samples else None,
        throttle_reasons=sorted({name for r in reps if r is not None for name in r.throttle_reasons}),
        throttle_unavailable=next(
            (g.clock_events.unavailable for g in gpus if g.clock_events.unavailable),
            None if gpus else next((r.gpu_unavailable for r in reps if r is not None), "no GPU readings"),
        ),
        vram_peak_mib=max(peaks) if peaks else None,
    )


def soak_intervals(point: Point, interval_s: float) -> SoakResult:
    """The point's repetitions grouped into ``interval_s`` windows of measured time."""
    e2e = point.metrics["e2e_latency_ms"].samples if "e2e_latency_ms" in point.metrics else []
    rates = point.metrics["decode_tokens_per_s"].samples if "decode_tokens_per_s" in point.metrics else []
    telemetry: list[RepetitionTelemetry | None] = list(point.repetition_telemetry)
    if len(telemetry) != len(e2e):  # telemetry disabled or missing for some: keep the timings only
        telemetry = [None] * len(e2e)
    ends = list(itertools.accumulate(ms / 1000.0 for ms in e2e))
    intervals: list[SoakInterval] = []
    bucket: list[int] = []
    start = 0.0
    for i, end in enumerate(ends):
        bucket.append(i)
        if end - start >= interval_s or i == len(ends) - 1:
            intervals.append(
                _interval(
                    len(intervals), start, end, [rates[j] for j in bucket], [telemetry[j] for j in bucket]
                )
            )
            bucket, start = [], end
    return SoakResult(point_id=point.id, measured_s=ends[-1] if ends else 0.0, intervals=intervals)


def judge_soak(
    point: Point | None,
    criteria: SoakCriteria,
    *,
    run_status: RunStatus,
    run_reasons: Sequence[str] = (),
    no_gpu: str | None,
) -> tuple[list[Criterion], SoakResult | None]:
    subject = point.id if point else criteria.model
    if point is None or not point.repetitions:
        why = (point.error if point else None) or "; ".join(run_reasons) or f"run {run_status}"
        rows = [
            not_judged("soak", name, subject=subject, threshold=t, reason=f"nothing measured: {why}")
            for name, t in _names(criteria)
        ]
        if run_status == "failed" or (point is not None and point.error):
            rows[-1] = judged("soak", "no errors", ok=False, subject=subject, threshold="none", measured=why)
        return rows, None
    result = soak_intervals(point, criteria.interval_s)
    intervals = result.intervals
    rows = [
        _pace(intervals, criteria, subject, result.measured_s),
        _throttling(intervals, criteria, subject, no_gpu),
        _vram_growth(intervals, criteria, subject, no_gpu),
        _errors(point, run_status, run_reasons, subject),
    ]
    return rows, result


def _names(criteria: SoakCriteria) -> list[tuple[str, str]]:
    return [
        ("throughput, last interval vs first", f"drop <= {criteria.throughput_drop_max_pct:g} %"),
        ("time throttled (thermal or power)", f"<= {criteria.throttle_time_max_pct:g} % of readings"),
        ("VRAM growth across repetitions", f"<= {criteria.vram_growth_max_mib:g} MiB"),
        ("no errors", "none"),
    ]


def _pace(
    intervals: list[SoakInterval], criteria: SoakCriteria, subject: str, measured_s: float
) -> Criterion:
    name, threshold = _names(criteria)[0]
    if len(intervals) < 2:
        return not_judged(
            "soak",
            name,
            subject=subject,
            threshold=threshold,
            reason=f"{len(intervals)} interval(s) in {measured_s:.1f} s: needs two "
            "(duration_s >= 2 x interval_s)",
        )
    first, last = intervals[0].decode_tokens_per_s, intervals[-1].decode_tokens_per_s
    drop = 100.0 * (1.0 - last / first) if first > 0 else 100.0
    change = 100.0 * (last / first - 1.0) if first > 0 else -100.0
    return judged(
        "soak",
        name,
        ok=drop <= criteria.throughput_drop_max_pct,
        subject=subject,
        threshold=threshold,
        measured=f"{first:.1f} -> {last:.1f} tokens/s ({change:+.1f} %) over {measured_s:.0f} s, "
        f"{len(intervals)} intervals",
    )


def _throttling(
    intervals: list[SoakInterval], criteria: SoakCriteria, subject: str, no_gpu: str | None
) -> Criterion:
    name, threshold = _names(criteria)[1]
    if no_gpu:
        return not_judged("soak", name, subject=subject, threshold=threshold, reason=no_gpu)
    judged_intervals = [i for i in intervals if i.throttled_pct is not None]
    if len(judged_intervals) != len(intervals) or not intervals:
        return not_judged(
            "soak",
            name,
            subject=subject,
            threshold=threshold,
            reason="unavailable: "
            + (
                next((i.throttle_unavailable for i in intervals if i.throttle_unavailable), None)
                or f"clock-event reasons missing in {len(intervals) - len(judged_intervals)} interval(s)"
            ),
        )
    weights = [i.repetitions for i in intervals]
    share = sum((i.throttled_pct or 0.0) * w for i, w in zip(intervals, weights, strict=True)) / sum(weights)
    onset = next((i for i in intervals if (i.throttled_pct or 0.0) > 0), None)
    reasons = sorted({r for i in intervals for r in i.throttle_reasons})
    detail = f"{share:.1f} %"
    if onset is not None:
        detail += f", from {onset.start_s:.0f} s ({', '.join(reasons) or 'reasons unknown'})"
    return judged(
        "soak",
        name,
        ok=share <= criteria.throttle_time_max_pct,
        subject=subject,
        threshold=threshold,
        measured=detail,
    )


def _vram_growth(
    intervals: list[SoakInterval], criteria: SoakCriteria, subject: str, no_gpu: str | None
) -> Criterion:
    name, threshold = _names(criteria)[2]
    if no_gpu:
        return not_judged("soak", name, subject=subject, threshold=threshold, reason=no_gpu)
    peaks = [i.vram_peak_mib for i in intervals]
    if len(intervals) < 2 or any(p is None for p in peaks):
        why = "needs two intervals" if len(intervals) < 2 else "unavailable: VRAM not read in every interval"
        return not_judged("soak", name, subject=subject, threshold=threshold, reason=why)
    first, last = peaks[0], peaks[-1]
    assert first is not None and last is not None
    growth = last - first
    return judged(
        "soak",
        name,
        ok=growth <= criteria.vram_growth_max_mib,
        subject=subject,
        threshold=threshold,
        measured=f"{first:.0f} -> {last:.0f} MiB peak ({growth:+.0f} MiB, first vs last interval)",
    )


def _errors(point: Point, run_status: RunStatus, run_reasons: Sequence[str], subject: str) -> Criterion:
    name, threshold = "no errors", "none"
    if run_status == "interrupted" and not point.error:
        return not_judged(
            "soak",
            name,
            subject=subject,
            threshold=threshold,
            reason="interrupted: " + "; ".join(run_reasons),
        )
    problems = [p for p in (point.error, *(run_reasons if run_status == "failed" else ())) if p]
    if point.status == "invalid" and not problems:
        problems = list(point.reasons)
    return judged(
        "soak",
        name,
        ok=not problems,
        subject=subject,
        threshold=threshold,
        measured="; ".join(problems) or f"{point.repetitions} repetitions without an error",
    )
