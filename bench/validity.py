"""Is a point's measurement trustworthy? ``valid``, ``flagged`` (with reasons) or ``invalid`` (pure).

Invalid: the work itself was wrong (a failure, a token-count mismatch): the numbers mean nothing.
Flagged: the work was right but the conditions were not (throttling, unstable timings, memory spilled
to system RAM, another process on the GPU): the numbers are kept and shown, never fed into a baseline
silently. Each reason is a stable code plus human text, written ``code: text`` into the result.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from bench.metrics import GATE_METRICS
from bench.status import PointStatus
from bench.telemetry.types import PointTelemetry

DEFAULT_CV_THRESHOLD = 0.10

# Stable reason codes (other tools match on them; add, never rename).
FAILED = "failed"
TOKEN_COUNT_MISMATCH = "token_count_mismatch"
THROTTLED = "throttled"
HIGH_CV = "high_cv"
MEMORY_SPILL = "memory_spill"
CONCURRENT_GPU_PROCESS = "concurrent_gpu_process"
GPU_PROCESS_NOT_SEEN = "gpu_process_not_seen"
NO_STABILITY_EVIDENCE = "no_stability_evidence"


@dataclass(frozen=True)
class Reason:
    code: str
    text: str

    def __str__(self) -> str:
        return f"{self.code}: {self.text}"


@dataclass(frozen=True)
class PointValidity:
    status: PointStatus
    issues: tuple[Reason, ...] = field(default_factory=tuple)

    @property
    def reasons(self) -> list[str]:
        """``code: text`` strings, as stored in ``Point.reasons``."""
        return [str(issue) for issue in self.issues]

    @property
    def codes(self) -> list[str]:
        return [issue.code for issue in self.issues]


def assess_point(
    *,
    error: str | None,
    token_count_ok: bool,
    metric_cv: Mapping[str, float],
    cv_threshold: float = DEFAULT_CV_THRESHOLD,
    repetitions: int | None = None,
    telemetry: PointTelemetry | None,
) -> PointValidity:
    """Invalid reasons first, then flags; the status is the worst that applies.

    ``repetitions`` is how many repetitions were measured (the runner always passes it).
    """
    invalid: list[Reason] = []
    if not token_count_ok:
        invalid.append(
            Reason(TOKEN_COUNT_MISMATCH, error or "generated token count differs from the forced length")
        )
    elif error:
        invalid.append(Reason(FAILED, error))

    flags: list[Reason] = []
    if telemetry is not None:
        flags.extend(_telemetry_flags(telemetry))
    for name in GATE_METRICS:
        cv = metric_cv.get(name)
        if cv is not None and not math.isnan(cv) and cv > cv_threshold:
            flags.append(
                Reason(HIGH_CV, f"{name} varies {cv:.1%} between repetitions (threshold {cv_threshold:.0%})")
            )

    if repetitions == 1:
        # One sample has a CV of 0 by construction: that is no evidence the timings are stable.
        flags.append(
            Reason(
                NO_STABILITY_EVIDENCE,
                "one repetition: no stability evidence (variation cannot be measured); use repetitions >= 2",
            )
        )

    if invalid:
        return PointValidity(PointStatus.INVALID, tuple(invalid + flags))
    if flags:
        return PointValidity(PointStatus.FLAGGED, tuple(flags))
    return PointValidity(PointStatus.VALID)


def _telemetry_flags(telemetry: PointTelemetry) -> list[Reason]:
    flags = []
    if telemetry.throttled_repetitions:
        reasons = ", ".join(telemetry.throttle_reasons) or "a throttle reason"
        samples = (
            f"; {telemetry.throttled_samples} of {telemetry.clock_event_samples} clock readings throttled"
            if telemetry.clock_event_samples
            else ""
        )
        flags.append(
            Reason(
                THROTTLED,
                f"{telemetry.throttled_repetitions} of {telemetry.repetitions} repetitions ran under "
                f"{reasons}{samples}",
            )
        )
    if telemetry.memory_spill:
        growth = telemetry.shared_memory_growth_mib
        amount = f" by {growth.value:.0f} MiB" if growth.value is not None else ""
        flags.append(
            Reason(
                MEMORY_SPILL,
                f"shared (system) GPU memory grew{amount} while generating or dedicated memory exceeded "
                "its budget: the model or KV cache spilled out of VRAM",
            )
        )
    if telemetry.concurrent_gpu_process:
        who = "; ".join(telemetry.concurrent_processes) or "another process"
        flags.append(
            Reason(
                CONCURRENT_GPU_PROCESS,
                f"another GPU process appeared, left or changed its memory since before model load ({who}); "
                "a device-wide VRAM delta, where one was the source, is invalidated",
            )
        )
    if telemetry.gpu_process_not_seen:
        flags.append(Reason(GPU_PROCESS_NOT_SEEN, telemetry.gpu_process_not_seen))
    return flags


def flag_summary(point_reasons: Sequence[Sequence[str]], *, total: int) -> str | None:
    """One line for a run's flagged points: how many, for which reasons, which metrics vary (high_cv).

    ``point_reasons`` holds each flagged point's ``code: text`` reasons; the detail stays in the result.
    """
    if not point_reasons:
        return None
    points_per_code: Counter[str] = Counter()
    points_per_metric: Counter[str] = Counter()
    for reasons in point_reasons:
        codes = set()
        for reason in reasons:
            code, _, text = reason.partition(": ")
            codes.add(code)
            if code == HIGH_CV:
                points_per_metric[text.split(" ", 1)[0]] += 1
        points_per_code.update(codes)
    parts = []
    for code, count in sorted(points_per_code.items(), key=lambda item: (-item[1], item[0])):
        metrics = ", ".join(f"{m} {n}" for m, n in sorted(points_per_metric.items(), key=lambda i: -i[1]))
        parts.append(f"{code} at {count}" + (f" ({metrics})" if code == HIGH_CV and metrics else ""))
    return (
        f"{len(point_reasons)} of {total} points flagged: {'; '.join(parts)}. Their numbers are kept but "
        "never feed a baseline; each point's reasons: `bench run --verbose` or the result file"
    )
