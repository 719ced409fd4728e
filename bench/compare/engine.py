"""Build the ``ComparisonReport`` from candidate runs and baselines (no I/O: callers load the files).

Both sides may hold several runs (rounds): points with the same id are pooled, keeping how many samples
each run gave. The candidate side is split by where it ran (GPU, driver, onnxruntime-genai version);
each group is matched with the baseline for its GPU (by name, then architecture) and every point is
compared metric by metric. Nothing is compared silently across a mismatch: a different GPU, provider,
model, twin vs real weights, or a point missing on one side becomes a not-comparable row, a coverage
gap and a ``mismatches`` line that say why. The statistics (tests, corrections, expectation bands) live
in ``bench.analysis``; this module decides what is compared with what, then builds the report whole:
every row is made once, from its plan and its decision.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from bench.analysis import regression
from bench.analysis.verdict import Verdict
from bench.compare.baselines import BaselineDocument, BaselinePoint
from bench.compare.context import RunContext, gpu_id, group_label, where_label
from bench.compare.grouping import RunGroup, references_to_baselines, split_by_context
from bench.compare.matching import Match, match_baseline
from bench.compare.notes import header_notes, match_notes
from bench.compare.planning import Plan, absent_points, plan_group
from bench.compare.pooling import Pooled, pool_points
from bench.compare.report import (
    NO_MATCH,
    BaselineMatch,
    CandidateGroup,
    ComparisonReport,
    ComparisonRow,
    Coverage,
    CoverageGap,
    CoverageReason,
)
from bench.errors import BenchError
from bench.metrics import METRICS, spec
from bench.results.schema import ResultDocument
from bench.status import PointStatus

MAX_LISTED = 8  # mismatch lines listed one by one before the rest is counted


def candidate_groups(
    candidates: Sequence[ResultDocument], references: Sequence[ResultDocument | BaselineDocument] = ()
) -> list[CandidateGroup]:
    """The candidate runs grouped, pooled and matched with ``references``, but not compared (no rows):
    what a page shows without a verdict. The same grouping, pooling and matching ``build_report`` uses."""
    baselines = references_to_baselines(references) if references else []
    return [
        _group_value(
            group,
            pool_points(group.documents),
            match=match_baseline(group.context, baselines) if baselines else None,
        )
        for group in split_by_context(candidates)
    ]


def build_report(
    candidates: Sequence[ResultDocument],
    references: Sequence[ResultDocument | BaselineDocument],
    *,
    rule: regression.Rule,
    metrics: Sequence[str] | None = None,
) -> ComparisonReport:
    """Compare ``candidates`` (one or more runs) with ``references`` (result or baseline documents)."""
    if not candidates:
        raise BenchError("no candidate run to compare", field="CANDIDATE")
    unknown = [m for m in metrics or [] if m not in METRICS]
    if unknown:
        raise BenchError(
            f"unknown metric {', '.join(unknown)}", field="--metric", hint=f"choose from {', '.join(METRICS)}"
        )
    baselines = references_to_baselines(references)
    groups = split_by_context(candidates)
    several = len(groups) > 1
    mismatches: list[str] = []
    notes: list[str] = []
    used: list[BaselineDocument] = []
    planned: list[tuple[RunGroup, Pooled, Match, list[Plan], list[CoverageGap]]] = []

    for group in groups:
        pooled = pool_points(group.documents)
        label = group_label(group.context) if several else None
        match = match_baseline(group.context, baselines)
        if match.baseline is None:
            _add(mismatches, match.reasons)
        else:
            if match.baseline not in used:
                used.append(match.baseline)
            _add(notes, match_notes(group, match.baseline, match.how, pooled.models))
            # Other references that matched as well: say they were passed over, never drop them silently.
            _add(notes, [r for r in match.reasons if r.endswith("also matched, not used")])
        plans, missing_lines = plan_group(pooled, match, label, metrics)
        absent_gaps, absent_lines = absent_points(pooled, match.baseline, label, metrics)
        mismatches.extend(_summarise(missing_lines, "candidate point(s) without a baseline point"))
        mismatches.extend(_summarise(absent_lines, "baseline point(s) the candidate did not measure"))
        planned.append((group, pooled, match, plans, absent_gaps))

    all_plans = [plan for *_, plans, _ in planned for plan in plans]
    decisions, entered = _decide(all_plans, rule)
    rows = iter([_row(plan, decision) for plan, decision in zip(all_plans, decisions, strict=True)])
    report_groups = [
        _group_value(group, pooled, match=match, rows=tuple(next(rows) for _ in plans), absent=absent_gaps)
        for group, pooled, match, plans, absent_gaps in planned
    ]
    return ComparisonReport(
        rule=rule.describe(entered) if entered else rule.describe(),
        candidate=[d.run_id for d in candidates],
        baseline=[b.name for b in used] or [_reference_name(r) for r in references],
        notes=header_notes(candidates, references, groups, used) + notes,
        mismatches=mismatches,
        groups=tuple(report_groups),
    )


# --- deciding: one correction over every measured comparison ---------------------------------------


def _decide(plans: Sequence[Plan], rule: regression.Rule) -> tuple[list[regression.Decision | None], int]:
    """One decision per plan (None: nothing to decide): measured pairs through the rule, all in one
    correction; derived ones against their bands. Also how many comparisons entered the correction."""
    pairs = [
        (i, p, p.counterpart) for i, p in enumerate(plans) if p.gap is None and p.counterpart is not None
    ]
    measured = [(i, p, base) for i, p, base in pairs if p.metric in base.measured]
    comparisons = [
        regression.compare_samples(
            baseline=base.measured[p.metric].samples,
            candidate=p.point.measured[p.metric].samples,
            direction=spec(p.metric).direction,
            key=(p.point.id, p.metric),
            metric=p.metric,
            baseline_state=base.status,
            candidate_state=p.point.status,
            state_reasons=_state_reasons(p.point, base),
        )
        for _, p, base in measured
    ]
    decided = regression.decide(comparisons, rule)
    decisions: list[regression.Decision | None] = [None] * len(plans)
    for (i, _, _), decision in zip(measured, decided, strict=True):
        decisions[i] = decision
    for i, p, base in pairs:
        if decisions[i] is not None:
            continue
        band = base.expected[p.metric]
        decisions[i] = regression.compare_to_expectation(
            expected=band.expected,
            tolerance_low=1.0 - band.low / band.expected,
            tolerance_high=band.high / band.expected - 1.0,
            candidate=p.point.measured[p.metric].samples,
            direction=spec(p.metric).direction,
            key=(p.point.id, p.metric),
            metric=p.metric,
            state=p.point.status,
            state_reasons=_state_reasons(p.point, base),
            include_flagged=rule.include_flagged,
        )
    return decisions, sum(1 for d in decided if d.p_adjusted is not None)


def _state_reasons(candidate: BaselinePoint, baseline: BaselinePoint) -> list[str]:
    return [
        f"{side} {p.status}: {'; '.join(p.reasons) or 'no reason recorded'}"
        for side, p in (("candidate", candidate), ("baseline", baseline))
        if p.status != PointStatus.VALID
    ]


def _gap_of(decision: regression.Decision, candidate_status: PointStatus) -> CoverageReason | None:
    """Why a decided pair still was not compared, or None when the rule gave it a verdict."""
    if decision.verdict is not Verdict.NOT_COMPARABLE:
        return None
    if decision.excluded:
        # Measured: the worse state of both sides; derived: the candidate's (the only side with samples).
        state = decision.comparison.state if decision.comparison is not None else candidate_status
        return CoverageReason.INVALID if state == PointStatus.INVALID else CoverageReason.FLAGGED
    if decision.p_adjusted is not None:  # entered the correction: its test could not reach alpha / K
        return CoverageReason.TOO_FEW_REPETITIONS
    return CoverageReason.NO_STATISTICS


# --- building the values ---------------------------------------------------------------------------


def _row(plan: Plan, decision: regression.Decision | None) -> ComparisonRow:
    point, metric, baseline = plan.point, plan.metric, plan.baseline
    metric_spec = spec(metric)
    common: dict[str, object] = {
        "point_id": point.id,
        "model": point.model,
        "provider": point.provider,
        "prompt_tokens": point.params.prompt_tokens,
        "batch_size": point.params.batch_size,
        "output_tokens": point.params.output_tokens,
        "metric": metric,
        "unit": metric_spec.unit or (next(iter(point.measured.values())).unit if point.measured else ""),
        "direction": metric_spec.direction,
        "baseline_kind": baseline.provenance if baseline else "measured",
        "baseline_label": baseline.label if baseline else NO_MATCH,
        "candidate_status": point.status,
        "group": plan.group,
    }
    if decision is None:
        return ComparisonRow.model_validate(
            common | {"verdict": Verdict.NOT_COMPARABLE, "reason": plan.why, "gap": plan.gap}
        )
    numbers: dict[str, object]
    prefix = ""
    if decision.comparison is not None:
        c = decision.comparison
        numbers = {
            "baseline_value": _finite(c.baseline_median),
            "baseline_low": _finite(c.baseline_ci_low),
            "baseline_high": _finite(c.baseline_ci_high),
            "candidate_value": _finite(c.candidate_median),
            "ci_low_pct": _finite(c.ci_low_pct),
            "ci_high_pct": _finite(c.ci_high_pct),
        }
    else:
        band = plan.counterpart.expected[metric]  # type: ignore[union-attr]
        expectation = decision.expectation
        numbers = {
            "baseline_value": band.expected,
            "baseline_low": band.low,
            "baseline_high": band.high,
            "candidate_value": _finite(expectation.candidate_median) if expectation else None,
        }
        prefix = "derived expectation (not measured): "
    return ComparisonRow.model_validate(
        common
        | numbers
        | {
            "verdict": decision.verdict,
            "change_pct": _finite(decision.change_pct),
            "p_value": _finite(decision.p_value),
            "p_adjusted": _finite(decision.p_adjusted),
            "excluded": decision.excluded,
            "reason": prefix + decision.reason,
            "gap": _gap_of(decision, point.status),
        }
    )


def _group_value(
    group: RunGroup,
    pooled: Pooled,
    *,
    match: Match | None = None,
    rows: tuple[ComparisonRow, ...] = (),
    absent: Sequence[CoverageGap] = (),
) -> CandidateGroup:
    context: RunContext = group.context
    baseline = match.baseline if match else None
    gaps = [
        CoverageGap(point_id=r.point_id, metric=r.metric, reason=r.gap, detail=r.reason, group=r.group)
        for r in rows
        if r.gap is not None
    ]
    return CandidateGroup(
        gpu=gpu_id(context),
        driver=context.driver,
        onnxruntime_genai=context.onnxruntime_genai,
        label=group_label(context),
        where=where_label(context),
        versions=context.versions,
        runs=tuple(d.run_id for d in group.documents),
        match=None
        if match is None
        else BaselineMatch(
            baseline=baseline.name if baseline else None,
            label=baseline.label if baseline else NO_MATCH,
            provenance=baseline.provenance if baseline else None,
            how=match.how,
            reasons=tuple(match.reasons),
        ),
        rows=rows,
        coverage=Coverage(
            expected=len(rows) + len(absent),
            compared=len(rows) - len(gaps),
            not_compared=(*gaps, *absent),
        ),
        candidate_points=pooled.points,
        baseline_points={pid: baseline.points[pid] for pid in pooled.points if pid in baseline.points}
        if baseline
        else {},
    )


# --- small helpers ---------------------------------------------------------------------------------


def _add(lines: list[str], new: Sequence[str]) -> None:
    lines.extend(line for line in new if line not in lines)


def _reference_name(reference: ResultDocument | BaselineDocument) -> str:
    return reference.name if isinstance(reference, BaselineDocument) else reference.run_id


def _summarise(lines: list[str], what: str) -> list[str]:
    if len(lines) <= MAX_LISTED:
        return lines
    return [*lines[:MAX_LISTED], f"... and {len(lines) - MAX_LISTED} more {what}"]


def _finite(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None
