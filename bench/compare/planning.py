"""Planning a comparison: which candidate point and metric is compared with which baseline point, or
why it cannot be (a ``CoverageReason`` and the sentence). No statistics: ``bench.compare.engine``
decides the plans and builds the report."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bench.compare.baselines import BaselineDocument, BaselinePoint
from bench.compare.matching import Match, point_mismatch
from bench.compare.pooling import Pooled
from bench.compare.report import CoverageGap, CoverageReason
from bench.metrics import GATE_METRICS
from bench.status import PointStatus


@dataclass(frozen=True)
class Plan:
    """One row to be: a candidate point's metric, what it is compared with, or why it cannot be."""

    point: BaselinePoint
    metric: str
    group: str | None
    baseline: BaselineDocument | None
    counterpart: BaselinePoint | None
    gap: CoverageReason | None = None  # set: the row is not comparable for this reason ...
    why: str = ""  # ... said in words


def plan_group(
    pooled: Pooled, match: Match, label: str | None, metrics: Sequence[str] | None
) -> tuple[list[Plan], list[str]]:
    baseline = match.baseline
    plans: list[Plan] = []
    missing: list[str] = []
    for point in sorted(pooled.points.values(), key=_order):
        if baseline is None:
            reason = match.reasons[0] if match.reasons else "no baseline given"
            if len(match.reasons) > 1:
                reason += f" (and {len(match.reasons) - 1} other baselines did not match either)"
            plans += [
                Plan(point, m, label, None, None, CoverageReason.NO_MATCHING_BASELINE, reason)
                for m in _candidate_metrics(point, metrics)
            ]
            continue
        counterpart = baseline.points.get(point.id)
        if counterpart is None:
            reason = point_mismatch(
                point_id=point.id,
                model=point.model,
                model_kind=point.model_kind,
                provider=point.provider,
                baseline=baseline,
            )
            missing.append(reason)
            plans += [
                Plan(point, m, label, baseline, None, CoverageReason.MISSING_IN_BASELINE, reason)
                for m in _candidate_metrics(point, metrics)
            ]
            continue
        for metric in _compared_metrics(counterpart, metrics):
            gap, why = _blocked(point, counterpart, metric)
            plans.append(Plan(point, metric, label, baseline, counterpart, gap, why))
    return plans, missing


def _candidate_metrics(point: BaselinePoint, requested: Sequence[str] | None) -> list[str]:
    if requested:
        return list(requested)
    # A point that failed before measuring anything still gets its rows: it must not vanish from a verdict.
    return [m for m in GATE_METRICS if m in point.measured] or list(GATE_METRICS)


def _compared_metrics(baseline: BaselinePoint, requested: Sequence[str] | None) -> list[str]:
    if requested:
        return list(requested)
    available = set(baseline.measured) | set(baseline.expected)
    # Every metric the baseline has: one the candidate lacks becomes a "not comparable" row saying why.
    return [m for m in GATE_METRICS if m in available]


def _blocked(
    candidate: BaselinePoint, baseline: BaselinePoint, metric: str
) -> tuple[CoverageReason | None, str]:
    """Why this metric of this point has nothing to compare (states are the rule's business)."""
    if metric not in candidate.measured:
        if candidate.status != PointStatus.VALID:
            why = "; ".join(candidate.reasons) or "no reason recorded"
            gap = (
                CoverageReason.INVALID
                if candidate.status == PointStatus.INVALID
                else CoverageReason.MISSING_IN_CANDIDATE
            )
            return gap, f"no {metric} samples in the candidate (point {candidate.status}: {why})"
        return CoverageReason.MISSING_IN_CANDIDATE, f"no {metric} samples in the candidate"
    if metric not in baseline.measured and metric not in baseline.expected:
        return CoverageReason.MISSING_IN_BASELINE, f"no {metric} in the baseline"
    return None, ""


def absent_points(
    pooled: Pooled, baseline: BaselineDocument | None, label: str | None, metrics: Sequence[str] | None
) -> tuple[list[CoverageGap], list[str]]:
    """Baseline points the candidate did not measure: the mismatch lines, and coverage gaps when the
    baseline is measured (a run the candidate was meant to repeat). A derived baseline is a catalogue
    of expectations for every shipped scenario: its other points were never expected of this run."""
    if baseline is None:
        return [], []
    gaps: list[CoverageGap] = []
    absent: list[str] = []
    sessions = {(p.model, p.provider) for p in pooled.points.values()}
    unmeasured: dict[tuple[str, str], int] = {}
    for pid in sorted(baseline.points):
        if pid in pooled.points:
            continue
        point = baseline.points[pid]
        if (point.model, point.provider) in sessions:
            line = f"{pid}: in baseline {baseline.name}, not measured by the candidate"
            absent.append(line)
        else:  # a whole model/provider the candidate did not run: one line, not one per point
            key = (point.model, point.provider)
            unmeasured[key] = unmeasured.get(key, 0) + 1
            line = f"{point.model} on {point.provider}: in baseline {baseline.name}, not run by the candidate"
        if baseline.provenance != "measured":
            continue
        gaps += [
            CoverageGap(
                point_id=pid, metric=m, reason=CoverageReason.MISSING_IN_CANDIDATE, detail=line, group=label
            )
            for m in _compared_metrics(point, metrics)
        ]
    absent += [
        f"{model} on {provider}: {count} point(s) in baseline {baseline.name}, none measured by the candidate"
        for (model, provider), count in unmeasured.items()
    ]
    return gaps, absent


def _order(point: BaselinePoint) -> tuple:
    params = point.params
    return (point.model, point.provider, params.batch_size, params.prompt_tokens, params.output_tokens)
