"""The ``bench ab`` verdict: the two side files, paired round by round, as a comparison report.

Point ``i`` of the baseline file is paired with point ``i`` of the candidate file (the sides were
checked to measure the same shapes in the same order before anything ran); per gate metric, each
round's repetitions of both sides go to :mod:`bench.analysis.paired`, and the decisions of the whole
run are corrected together. Flagged and invalid points are left out as ``bench compare`` leaves them
out. The rows are those of ``bench compare`` (same renderers, JSON, Markdown).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bench.analysis.paired import (
    DEFAULT_PAIRED_TEST,
    PairedComparison,
    compare_rounds,
    decide_paired,
    describe,
)
from bench.analysis.regression import Rule
from bench.compare.report import ComparisonReport, ComparisonRow
from bench.errors import BenchError
from bench.metrics import GATE_METRICS, spec
from bench.outcome import Outcome
from bench.results.schema import Point, ResultDocument


def _rounds_of(point: Point, metric: str) -> dict[int, list[float]]:
    samples = point.metrics[metric].samples if metric in point.metrics else []
    rounds = point.rounds or []
    if len(rounds) != len(samples):
        return {}
    grouped: dict[int, list[float]] = {}
    for index, value in zip(rounds, samples, strict=True):
        grouped.setdefault(index, []).append(value)
    return grouped


def _excluded(base: Point, cand: Point, rule: Rule) -> str | None:
    states = {base.status, cand.status}
    if "invalid" in states or (states != {"valid"} and not rule.include_flagged):
        which = [f"{side} {p.status} ({'; '.join(p.reasons) or 'no reason'})" for side, p in
                 (("baseline", base), ("candidate", cand)) if p.status != "valid"]  # fmt: skip
        hint = "" if "invalid" in states else "; --include-flagged to compare it"
        return f"excluded: {', '.join(which)}{hint}"
    return None


def build_ab_report(
    baseline: ResultDocument,
    candidate: ResultDocument,
    *,
    rule: Rule,
    metrics: Sequence[str] | None = None,
    test: str = DEFAULT_PAIRED_TEST,
) -> ComparisonReport:
    if baseline.ab is None or candidate.ab is None:
        raise BenchError("not a bench ab pair (no `ab` record)", field="result files")
    if len(baseline.points) != len(candidate.points):
        raise BenchError(
            f"the side files hold {len(baseline.points)} and {len(candidate.points)} points",
            field="result files",
        )
    names = list(metrics or GATE_METRICS)
    entries: list[tuple[Point, Point, str, str | None]] = []
    comparisons: list[PairedComparison] = []
    for base, cand in zip(baseline.points, candidate.points, strict=True):
        for metric in names:
            excluded = _excluded(base, cand, rule)
            entries.append((base, cand, metric, excluded))
            if excluded is None:
                b, c = _rounds_of(base, metric), _rounds_of(cand, metric)
                rounds = [(b[r], c[r]) for r in sorted(set(b) & set(c))]
                comparisons.append(compare_rounds(rounds=rounds, metric=metric, key=(cand.id, metric)))
    decisions = iter(decide_paired(comparisons, rule, test=test))
    rows: list[ComparisonRow] = []
    label = f"ab baseline side ({baseline.ab.rounds_completed} rounds, interleaved)"
    for base, cand, metric, excluded in entries:
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
            "direction": metric_spec.direction.value,
            "baseline_kind": "measured",
            "baseline_label": label if base.model == cand.model else f"{label}: {base.model}",
            "candidate_status": "invalid" if "invalid" in (base.status, cand.status) else cand.status,
        }
        if excluded is not None:
            rows.append(ComparisonRow(**common, verdict="not_comparable", reason=excluded, excluded=True))
            continue
        decision = next(decisions)
        paired = decision.comparison
        finite = paired.problem is None
        rows.append(
            ComparisonRow(
                **common,
                baseline_value=paired.baseline_median if finite else None,
                candidate_value=paired.candidate_median if finite else None,
                change_pct=paired.change_pct if finite else None,
                ci_low_pct=(paired.ci_low - 1) * 100 if finite and paired.ci_low == paired.ci_low else None,
                ci_high_pct=(paired.ci_high - 1) * 100
                if finite and paired.ci_high == paired.ci_high
                else None,
                p_value=paired.result(test).p_value if finite else None,
                p_adjusted=decision.p_adjusted,
                verdict=decision.verdict.value,
                reason=decision.reason,
            )
        )
    compared = sum(1 for e in entries if e[3] is None)
    return ComparisonReport(
        rule=describe(rule, compared, test=test),
        candidate=[candidate.run_id],
        baseline=[baseline.run_id],
        notes=[
            f"bench ab: {candidate.ab.rounds_completed} of {candidate.ab.rounds_planned} rounds, "
            f"{candidate.ab.repetitions_per_round} repetitions per side, point and round, order A B / B A",
            *(
                [f"status {candidate.status}: {'; '.join(candidate.status_reasons)}"]
                if candidate.status != "complete"
                else []
            ),
        ],
        rows=rows,
    )


@dataclass(frozen=True)
class AbVerdict:
    """The run's outcome, with the coverage it rests on and, when not PASS, the reason and the remedy."""

    outcome: Outcome
    expected: int  # (point, metric) pairs both sides measured
    compared: int  # of those, decided (regression, improvement, no change)
    headline: str
    remedy: str = ""

    @property
    def coverage(self) -> float:
        return self.compared / self.expected if self.expected else 0.0


def _undecided_change(row: ComparisonRow, rule: Rule) -> bool:
    """ "No change" that is not one: worse by at least the minimum effect, only not significant yet."""
    if row.verdict != "no_change" or row.change_pct is None:
        return False
    worse = -row.change_pct if row.direction == "higher" else row.change_pct
    return worse >= rule.min_effect_for(row.metric) * 100.0


def judge(report: ComparisonReport, *, rule: Rule, min_coverage: float = 1.0) -> AbVerdict:
    """FAIL on a regression or an invalid point; INCONCLUSIVE when less than ``min_coverage`` of the
    expected comparisons were decided; PASS otherwise. Decided: a regression, an improvement, or no
    change that is not itself a change beyond the minimum effect waiting for significance."""
    expected = len(report.rows)
    decided = [
        r
        for r in report.rows
        if r.verdict != "not_comparable" and not r.excluded and not _undecided_change(r, rule)
    ]
    regressions = [r for r in decided if r.verdict == "regression"]
    invalid = {r.point_id for r in report.rows if r.candidate_status == "invalid"}
    coverage = f"{len(decided)} of {expected} comparisons decided"
    if regressions or invalid:
        worst = max(regressions, key=lambda r: abs(r.change_pct or 0.0), default=None)
        parts = [f"{len(regressions)} regression(s)"] if regressions else []
        parts += [f"{len(invalid)} invalid point(s)"] if invalid else []
        detail = f" (worst {worst.point_id} {worst.metric} {worst.change_pct:+.1f} %)" if worst else ""
        return AbVerdict(
            Outcome.FAIL, expected, len(decided), f"FAIL: {', '.join(parts)}{detail}; {coverage}"
        )
    if not expected or len(decided) / expected < min_coverage:
        undecided = [r for r in report.rows if r not in decided]
        remedies = []
        if any(r.excluded for r in undecided):
            remedies.append("a quieter runner (flagged points are left out), or --include-flagged")
        if any("rounds would" in r.reason or "too few rounds" in r.reason for r in undecided):
            remedies.append("more rounds (--rounds)")
        return AbVerdict(
            Outcome.INCONCLUSIVE,
            expected,
            len(decided),
            f"INCONCLUSIVE: {coverage}, below the {min_coverage:.0%} floor",
            "; ".join(remedies) or "more rounds or repetitions",
        )
    return AbVerdict(Outcome.PASS, expected, len(decided), f"PASS: no regression; {coverage}")
