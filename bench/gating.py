"""The outcome of a comparison: PASS only when nothing regressed and enough was compared to say so.

``bench compare``, ``bench gate`` and ``bench ab`` all end here, reading the one ``ComparisonReport``:

- **FAIL** (exit 1): a regression; for ``gate`` and ``ab`` also an invalid candidate point (a build that
  fails to generate is worse than a slow one). A failure outranks everything else.
- **INCONCLUSIVE** (exit 3): the share of expected (point, metric) pairs that were *decided* is below
  the coverage floor (default 100 %: every gate metric of every point both sides measured). Not decided:
  a coverage gap (flagged, invalid, too few repetitions or rounds, no matching baseline, a point
  missing on one side) and a change at least as large as the minimum effect that was not significant
  ("more repetitions would tell"): such a pair neither held nor regressed, and a noisy runner must not
  turn a real regression into a green check that way. The reason and the remedy are said.
- **PASS** (exit 0): otherwise.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bench.analysis.rule import Rule
from bench.analysis.threshold import parse_percent
from bench.analysis.verdict import Verdict
from bench.compare.report import ComparisonReport, ComparisonRow, CoverageReason
from bench.metrics import Direction
from bench.outcome import Outcome

DEFAULT_MIN_COVERAGE = 1.0

# What to do about each kind of gap; "ab" for the interleaved command, where rounds replace repetitions.
_REMEDIES = {
    CoverageReason.FLAGGED: "a quieter runner (points were flagged noisy or throttled), or --include-flagged",
    CoverageReason.INVALID: "fix the point that failed to measure",
    CoverageReason.TOO_FEW_REPETITIONS: "more repetitions (ab: more --rounds)",
    CoverageReason.NO_STATISTICS: "re-measure: some samples were unusable",
    CoverageReason.NO_MATCHING_BASELINE: "a baseline for this GPU (bench baseline record), or `bench ab`",
    CoverageReason.MISSING_IN_BASELINE: "a baseline that has these points (re-record it), or `bench ab`",
    CoverageReason.MISSING_IN_CANDIDATE: "measure every point of the baseline (same scenario)",
}
UNRESOLVED_REMEDY = "more repetitions, a quieter runner, or `bench ab` (interleaved: drift cancels)"
# bench ab itself: its interval narrows like 1 / sqrt(rounds).
UNRESOLVED_REMEDY_AB = "more --rounds (the reason says about how many), or a quieter runner"


def parse_min_coverage(text: str) -> float:
    """``--min-coverage``: a percentage, 100 % included (the default)."""
    if text.strip().replace(" ", "") in ("100%", "100.0%"):
        return 1.0
    return parse_percent(text, "--min-coverage")


def unresolved(row: ComparisonRow, rule: Rule) -> bool:
    """A change at least the minimum effect in the worse direction, compared but not significant."""
    if row.verdict != Verdict.NO_CHANGE or row.gap is not None or row.change_pct is None:
        return False
    worse = -row.change_pct if row.direction == Direction.HIGHER_IS_BETTER else row.change_pct
    return worse >= rule.min_effect_for(row.metric) * 100.0 - 1e-9


@dataclass(frozen=True)
class GateOutcome:
    outcome: Outcome
    expected: int  # (point, metric) pairs expected
    decided: int  # compared and resolved
    headline: str  # one line: outcome, counts, coverage
    reason: str = ""  # why not PASS
    remedy: str = ""  # what would make it conclusive

    @property
    def exit_code(self) -> int:
        return self.outcome.exit_code

    @property
    def coverage(self) -> float:
        return self.decided / self.expected if self.expected else 0.0

    def lines(self) -> list[str]:
        out = [self.headline]
        if self.reason:
            out.append(f"reason: {self.reason}")
        if self.remedy:
            out.append(f"remedy: {self.remedy}")
        return out


def judge(
    report: ComparisonReport,
    *,
    rule: Rule,
    min_coverage: float = DEFAULT_MIN_COVERAGE,
    invalid_points: Sequence[str] = (),
    unread: Sequence[str] = (),
    interleaved: bool = False,
) -> GateOutcome:
    """The outcome of ``report``. ``invalid_points``: candidate points that failed to measure (``gate``,
    ``ab``); each is a failure on its own. ``unread``: inputs that could not be read and were skipped
    (files, or store queries that selected no run; one line each); what they held was not compared, so
    the best outcome is INCONCLUSIVE. ``interleaved``: the report is ``bench ab``'s (its remedies)."""
    coverage = report.coverage
    rows = report.rows
    open_rows = [row for row in rows if unresolved(row, rule)]
    decided = coverage.compared - len(open_rows)
    expected = coverage.expected
    share = decided / expected if expected else 0.0
    summary = f"{decided} of {expected} comparisons decided ({share:.0%}, floor {min_coverage:.0%})"
    regressions = [row for row in rows if row.verdict == Verdict.REGRESSION and not row.excluded]
    if regressions or invalid_points:
        parts = [f"{len(regressions)} regression(s)"] if regressions else []
        if invalid_points:
            parts.append(f"{len(invalid_points)} invalid point(s), e.g. {invalid_points[0]}")
        worst = max(regressions, key=lambda r: abs(r.change_pct or 0.0), default=None)
        detail = f"; worst {worst.point_id} {worst.metric} {worst.change_pct:+.1f} %" if worst else ""
        reason = ", ".join(parts) + detail
        return GateOutcome(Outcome.FAIL, expected, decided, f"FAIL: {reason}; {summary}", reason)
    if expected == 0 or share < min_coverage or unread:
        causes = [f"{n} {why.value}" for why, n in coverage.by_reason.items()]
        if unread:
            causes.append(f"{len(unread)} input(s) left out: {'; '.join(unread[:3])}")
        if open_rows:
            causes.append(f"{len(open_rows)} change(s) beyond the minimum effect not significant")
        if expected == 0:
            causes.insert(0, "nothing was expected: no point of the candidate has a baseline counterpart")
        remedies = [_REMEDIES[why] for why in coverage.by_reason]
        if unread:
            remedies.append(
                "fix or remove the unreadable files (a store query that selected no run: store a baseline "
                "run first)"
            )
        unresolved_remedy = UNRESOLVED_REMEDY_AB if interleaved else UNRESOLVED_REMEDY
        if open_rows:
            remedies.append(unresolved_remedy)
        reason = "not decided: " + ", ".join(causes)
        return GateOutcome(
            Outcome.INCONCLUSIVE,
            expected,
            decided,
            f"INCONCLUSIVE: {summary}",
            reason,
            "; ".join(dict.fromkeys(remedies)) or unresolved_remedy,
        )
    return GateOutcome(Outcome.PASS, expected, decided, f"PASS: no regression; {summary}")
