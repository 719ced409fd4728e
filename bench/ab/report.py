"""The ``bench ab`` verdict: the two side files, paired round by round, as a ``ComparisonReport``.

Point ``i`` of the baseline file is paired with point ``i`` of the candidate file (the sides were
checked to measure the same shapes in the same order before anything ran); per gate metric, each
round's repetitions of both sides go to :mod:`bench.analysis.paired`, and the decisions of the whole
run are corrected together. Flagged and invalid points are left out as ``bench compare`` leaves them
out (except a flag for spread alone: the paired interval bounds the noise), and every pair that was
not compared is a coverage gap with its reason. The report is the one comparison model: the same
renderers, JSON, Markdown, JUnit and dashboard as ``bench compare``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from bench.analysis.paired import (
    DEFAULT_PAIRED_TEST,
    PairedComparison,
    PairedDecision,
    compare_rounds,
    decide_paired,
    describe,
)
from bench.analysis.regression import Rule
from bench.analysis.verdict import Verdict
from bench.compare.engine import candidate_groups
from bench.compare.pooling import pool_points
from bench.compare.report import (
    BaselineMatch,
    CandidateGroup,
    ComparisonReport,
    ComparisonRow,
    Coverage,
    CoverageGap,
    CoverageReason,
)
from bench.errors import BenchError
from bench.metrics import GATE_METRICS, METRICS, spec
from bench.results.schema import Point, ResultDocument
from bench.status import PointStatus
from bench.validity import HIGH_CV


def _rounds_of(point: Point, metric: str) -> dict[int, list[float]]:
    samples = point.metrics[metric].samples if metric in point.metrics else []
    rounds = point.rounds or []
    if len(rounds) != len(samples):
        return {}
    grouped: dict[int, list[float]] = {}
    for index, value in zip(rounds, samples, strict=True):
        grouped.setdefault(index, []).append(value)
    return grouped


def _noise_only(point: Point) -> bool:
    """Flagged for nothing but its spread within rounds (high_cv)."""
    codes = {reason.partition(":")[0] for reason in point.reasons}
    return point.status == PointStatus.FLAGGED and codes == {HIGH_CV}


def _exclusion(base: Point, cand: Point, rule: Rule) -> tuple[CoverageReason, str] | None:
    """Why a pair of points is left out, or None. A spread-only flag (high_cv) leaves nothing out here:
    the paired decision bounds the noise itself (an interval that still reaches the minimum effect is
    "not held", bench.analysis.paired), where ``bench compare`` needs the CV threshold to."""
    states = {PointStatus.VALID if _noise_only(p) else PointStatus(p.status) for p in (base, cand)}
    if PointStatus.INVALID not in states and (states == {PointStatus.VALID} or rule.include_flagged):
        return None
    which = [
        f"{side} {p.status} ({'; '.join(p.reasons) or p.error or 'no reason recorded'})"
        for side, p in (("baseline", base), ("candidate", cand))
        if p.status != PointStatus.VALID
    ]
    if PointStatus.INVALID in states:
        return CoverageReason.INVALID, f"excluded: {', '.join(which)}"
    return CoverageReason.FLAGGED, f"excluded: {', '.join(which)}; --include-flagged to compare it"


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None


def _row(common: dict[str, Any], decision: PairedDecision, test: str) -> ComparisonRow:
    paired: PairedComparison = decision.comparison
    gap = None
    if decision.verdict is Verdict.NOT_COMPARABLE:
        # Too few rounds for the test (its floor), or no usable samples at all.
        gap = CoverageReason.NO_STATISTICS if paired.problem else CoverageReason.TOO_FEW_REPETITIONS
    return ComparisonRow.model_validate(
        common
        | {
            "baseline_value": _finite(paired.baseline_median),
            "candidate_value": _finite(paired.candidate_median),
            "change_pct": _finite(paired.change_pct),
            "ci_low_pct": _finite((paired.ci_low - 1) * 100),
            "ci_high_pct": _finite((paired.ci_high - 1) * 100),
            "p_value": _finite(paired.result(test).p_value),
            "p_adjusted": decision.p_adjusted,
            "verdict": decision.verdict,
            "reason": decision.reason,
            "gap": gap,
        }
    )


def build_ab_report(
    baseline: ResultDocument,
    candidate: ResultDocument,
    *,
    rule: Rule,
    metrics: Sequence[str] | None = None,
    test: str = DEFAULT_PAIRED_TEST,
) -> ComparisonReport:
    """Pair the two side files of one ``bench ab`` run and decide every (point, gate metric)."""
    if baseline.ab is None or candidate.ab is None:
        raise BenchError("not a bench ab pair (no `ab` record)", field="result files")
    if len(baseline.points) != len(candidate.points):
        raise BenchError(
            f"the side files hold {len(baseline.points)} and {len(candidate.points)} points",
            field="result files",
        )
    unknown = [m for m in metrics or [] if m not in METRICS]
    if unknown:
        raise BenchError(
            f"unknown metric {', '.join(unknown)}", field="--metric", hint=f"choose from {', '.join(METRICS)}"
        )
    names = list(metrics or GATE_METRICS)
    label = f"ab baseline side, {baseline.ab.rounds_completed} interleaved rounds"
    plans: list[tuple[Point, Point, str, tuple[CoverageReason, str] | None]] = []
    comparisons: list[PairedComparison] = []
    for base, cand in zip(baseline.points, candidate.points, strict=True):
        excluded = _exclusion(base, cand, rule)
        for metric in names:
            plans.append((base, cand, metric, excluded))
            if excluded is None:
                b, c = _rounds_of(base, metric), _rounds_of(cand, metric)
                rounds = [(b[r], c[r]) for r in sorted(set(b) & set(c))]
                comparisons.append(compare_rounds(rounds=rounds, metric=metric, key=(cand.id, metric)))
    decisions = iter(decide_paired(comparisons, rule, test=test))
    rows: list[ComparisonRow] = []
    for base, cand, metric, excluded in plans:
        metric_spec = spec(metric)
        common: dict[str, Any] = {
            "point_id": cand.id,
            "model": cand.model,
            "provider": cand.provider,
            "prompt_tokens": cand.params.prompt_tokens,
            "batch_size": cand.params.batch_size,
            "output_tokens": cand.params.output_tokens,
            "metric": metric,
            "unit": metric_spec.unit,
            "direction": metric_spec.direction,
            "baseline_kind": "measured",
            "baseline_label": label if base.model == cand.model else f"{label}: {base.model}",
            "candidate_status": PointStatus.INVALID
            if PointStatus.INVALID in (base.status, cand.status)
            else cand.status,
        }
        if excluded is not None:
            gap, why = excluded
            rows.append(
                ComparisonRow.model_validate(
                    common | {"verdict": Verdict.NOT_COMPARABLE, "reason": why, "excluded": True, "gap": gap}
                )
            )
        else:
            rows.append(_row(common, next(decisions), test))
    groups = _groups(baseline, candidate, rows, label)
    entered = sum(1 for row in rows if row.p_adjusted is not None)
    notes = [
        f"bench ab: {candidate.ab.rounds_completed} of {candidate.ab.rounds_planned} rounds, "
        f"{candidate.ab.repetitions_per_round} repetitions per side, point and round, side order "
        "alternating by round and point (A B, B A, ...)"
    ]
    if candidate.status != "complete":
        notes.append(f"status {candidate.status}: {'; '.join(candidate.status_reasons)}")
    return ComparisonReport(
        rule=describe(rule, entered or None, test=test),
        candidate=[candidate.run_id],
        baseline=[baseline.run_id],
        notes=notes,
        groups=tuple(groups),
    )


def _groups(
    baseline: ResultDocument, candidate: ResultDocument, rows: list[ComparisonRow], label: str
) -> list[CandidateGroup]:
    """The candidate side's groups (one per machine context), each with its rows, coverage and the
    baseline side's pooled points under the candidate's point ids."""
    base_points = pool_points([baseline]).points
    pairs = {c.id: b.id for b, c in zip(baseline.points, candidate.points, strict=True)}
    groups = []
    for group in candidate_groups([candidate]):
        mine = tuple(row for row in rows if row.point_id in group.candidate_points)
        gaps = tuple(
            CoverageGap(point_id=r.point_id, metric=r.metric, reason=r.gap, detail=r.reason, group=None)
            for r in mine
            if r.gap is not None
        )
        groups.append(
            group.model_copy(
                update={
                    "match": BaselineMatch(
                        baseline=baseline.run_id, label=label, provenance="measured", how=None, reasons=()
                    ),
                    "rows": mine,
                    "coverage": Coverage(
                        expected=len(mine), compared=len(mine) - len(gaps), not_compared=gaps
                    ),
                    "baseline_points": {
                        pid: base_points[pairs[pid]]
                        for pid in group.candidate_points
                        if pairs.get(pid) in base_points
                    },
                }
            )
        )
    return groups
