"""Stage 3, performance: each point of the qualification sweep inside its baseline's band.

The comparison is bench.compare's (matching the SKU class's baseline, measured before derived,
pooling, the decision rule); this module only turns each comparison row into a criterion row.
"""

from __future__ import annotations

from bench.compare.report import ComparisonReport, ComparisonRow
from bench.qualify.criteria import Criterion, judged, not_judged


def judge_performance(report: ComparisonReport, *, no_gpu: str | None) -> list[Criterion]:
    return [_row(row, no_gpu) for row in report.rows]


def _threshold(row: ComparisonRow) -> str:
    unit = row.unit
    if row.baseline_kind == "derived" and row.baseline_low is not None and row.baseline_high is not None:
        edge = f">= {row.baseline_low:.4g}" if row.direction == "higher" else f"<= {row.baseline_high:.4g}"
        return f"{edge} {unit} (band {row.baseline_low:.4g}-{row.baseline_high:.4g}, {row.baseline_label})"
    if row.baseline_value is not None:
        return f"no slower than {row.baseline_value:.4g} {unit} ({row.baseline_label})"
    return f"inside the band of {row.baseline_label}"


def _row(row: ComparisonRow, no_gpu: str | None) -> Criterion:
    subject = row.point_id
    threshold = _threshold(row)
    measured = f"{row.candidate_value:.4g} {row.unit}" if row.candidate_value is not None else None
    if row.change_pct is not None and measured:
        measured += f" ({row.change_pct:+.1f} %)"
    if row.verdict == "not_comparable":
        reason = f"{no_gpu}; {row.reason}" if no_gpu else row.reason
        return not_judged(
            "performance", row.metric, subject=subject, threshold=threshold, measured=measured, reason=reason
        )
    if row.excluded:
        return not_judged(
            "performance",
            row.metric,
            subject=subject,
            threshold=threshold,
            measured=measured,
            reason=f"point {row.candidate_status}, left out of the verdict: {row.reason}",
        )
    # Faster than the band is not a hardware fault: it passes, with the comparison's own words.
    return judged(
        "performance",
        row.metric,
        ok=row.verdict != "regression",
        subject=subject,
        threshold=threshold,
        measured=measured or "-",
        reason=row.reason,
    )
