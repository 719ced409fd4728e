"""The page's headline verdict: the report's totals, and per series the counts and the worst regression.

Read from the comparison report (its rows and counts); nothing is re-decided here.
"""

from __future__ import annotations

from collections.abc import Sequence

from bench.analysis.verdict import Verdict
from bench.compare.report import ComparisonReport, ComparisonRow
from bench.dashboard.numbers import r
from bench.dashboard.series import SWEEP_METRICS
from bench.results.schema import ResultDocument
from bench.status import PointStatus

COUNTED = (*(v.value for v in Verdict), "excluded", "flagged", "invalid")


def series_summary(point_rows: Sequence[Sequence[ComparisonRow]], statuses: Sequence[str]) -> dict:
    """Verdicts over every compared metric of a series' points (as ``ComparisonReport.count`` counts
    them), flagged points, and the largest regression among the drawn metrics."""
    counts = dict.fromkeys(COUNTED, 0)
    # Flagged points: flagged in the candidate, or left out of the verdict (flagged in the baseline).
    flagged = {i for i, status in enumerate(statuses) if status == PointStatus.FLAGGED}
    worst: dict | None = None
    worst_size = -1.0
    for i, rows in enumerate(point_rows):
        for row in rows:
            if row.excluded:
                counts["excluded"] += 1
                flagged.add(i)
                continue
            counts[row.verdict.value] += 1
            if (
                row.verdict is Verdict.REGRESSION
                and row.metric in SWEEP_METRICS
                and row.change_pct is not None
                and abs(row.change_pct) > worst_size
            ):
                worst_size = abs(row.change_pct)
                worst = {
                    "metric": row.metric,
                    "point": i,
                    "change": r(row.change_pct),
                    "ciLow": r(row.ci_low_pct),
                    "ciHigh": r(row.ci_high_pct),
                    "pAdjusted": r(row.p_adjusted),
                }
    counts["flagged"] = len(flagged)
    counts["invalid"] = sum(1 for status in statuses if status == PointStatus.INVALID)
    return {"counts": counts, "worst": worst}


def headline(
    report: ComparisonReport | None,
    series: Sequence[tuple[dict, dict]],
    documents: Sequence[ResultDocument],
) -> dict:
    """The banner: state, rule, notes, totals and one line per series. ``series``: (series, summary)."""
    totals = dict.fromkeys(COUNTED, 0)
    groups = []
    for item, summary in series:
        for key in totals:
            totals[key] += summary["counts"][key]
        groups.append(
            {
                "series": item["key"],
                "model": item["model"],
                "provider": item["provider"],
                "gpu": item["gpu"],
                "versions": item["versions"],
                "baseline": item["baseline"],
                "counts": summary["counts"],
                "worst": summary["worst"],
            }
        )
    if report is not None:
        # The report is authoritative for the totals (the groups are the same rows, split for display).
        for verdict, count in report.counts.items():
            totals[verdict.value] = count
    state = "none" if report is None else _state(report)
    return {
        "state": state,
        "rule": report.rule if report else None,
        "candidate": report.candidate if report else [d.run_id for d in documents],
        "baseline": report.baseline if report else [],
        "notes": report.notes if report else [],
        "mismatches": report.mismatches if report else [],
        "coverage": report.coverage.model_dump(mode="json") if report else None,
        "totals": totals,
        "groups": groups,
    }


def _state(report: ComparisonReport) -> str:
    for verdict in (Verdict.REGRESSION, Verdict.IMPROVEMENT, Verdict.NO_CHANGE):
        if report.count(verdict):
            return verdict.value
    return Verdict.NOT_COMPARABLE.value
