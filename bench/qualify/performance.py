"""Stage 3, performance: each point of the qualification sweep inside its baseline's band.

The comparison is bench.compare's one typed model (the SKU class's baseline matched, measured before
derived, rounds pooled, the decision rule applied, every gap given its ``CoverageReason``); this module
only turns each of its rows into a criterion row and never recomputes a verdict.
"""

from __future__ import annotations

from bench.analysis.verdict import Verdict
from bench.compare.report import ComparisonReport, ComparisonRow, CoverageReason
from bench.qualify.criteria import Criterion, judged, not_judged
from bench.status import PointStatus


def judge_performance(report: ComparisonReport, *, no_gpu: str | None) -> list[Criterion]:
    return [_row(row, no_gpu) for row in report.rows]


def baseline_only(report: ComparisonReport) -> str | None:
    """A note for the baseline's points the sweep did not measure (a smaller sweep is the lab's choice)."""
    missing = [g for g in report.coverage.not_compared if g.reason is CoverageReason.MISSING_IN_CANDIDATE]
    if not missing:
        return None
    return (
        f"{len(missing)} (point, metric) pair(s) of the baseline were not in the sweep, "
        f"e.g. {missing[0].detail}"
    )


def _threshold(row: ComparisonRow) -> str:
    unit = row.unit
    if row.baseline_kind == "derived" and row.baseline_low is not None and row.baseline_high is not None:
        edge = f">= {row.baseline_low:.4g}" if row.direction == "higher" else f"<= {row.baseline_high:.4g}"
        return f"{edge} {unit} (band {row.baseline_low:.4g}-{row.baseline_high:.4g}, {row.baseline_label})"
    if row.baseline_value is not None:
        return f"not slower than {row.baseline_value:.4g} {unit} by the rule ({row.baseline_label})"
    return f"inside the band of {row.baseline_label}"


def _row(row: ComparisonRow, no_gpu: str | None) -> Criterion:
    subject, threshold = row.point_id, _threshold(row)
    measured = f"{row.candidate_value:.4g} {row.unit}" if row.candidate_value is not None else None
    if row.change_pct is not None and measured:
        measured += f" ({row.change_pct:+.1f} %)"
    if row.compared:
        # Faster than the band is not a hardware fault: it passes, with the comparison's own words.
        return judged(
            "performance",
            row.metric,
            ok=row.verdict != Verdict.REGRESSION,
            subject=subject,
            threshold=threshold,
            measured=measured or "-",
            reason=row.reason,
        )
    if row.gap is CoverageReason.INVALID and row.candidate_status == PointStatus.INVALID:
        # This machine failed to measure the point (an error, a wrong token count): a failure, not a gap.
        return judged(
            "performance",
            row.metric,
            ok=False,
            subject=subject,
            threshold=threshold,
            measured=measured or "not measured",
            reason=row.reason,
        )
    reason = f"{no_gpu}; {row.reason}" if no_gpu else row.reason
    return not_judged(
        "performance", row.metric, subject=subject, threshold=threshold, measured=measured, reason=reason
    )
