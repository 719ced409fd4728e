"""The decisions: the rule applied to comparisons (measured) or to expectation bands (derived) (pure).

The array form (:func:`decide_batch`) is the rule applied to many verdicts at once; the simulation that
proves the rule (``bench.analysis.simulation``) calls it, and :func:`decide` is a thin wrapper over it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy import stats

from bench.analysis.rule import CORRECTIONS, TESTS, Rule
from bench.analysis.significance import Comparison, Key, Significance, direction_of
from bench.analysis.threshold import percent_text
from bench.analysis.verdict import (
    CODE_IMPROVEMENT,
    CODE_NO_CHANGE,
    CODE_NOT_COMPARABLE,
    CODE_REGRESSION,
    VERDICTS,
    Verdict,
)
from bench.errors import BenchError
from bench.metrics import Direction
from bench.status import PointStatus

BaselineKind = Literal["measured", "derived"]


@dataclass(frozen=True)
class Expectation:
    """A derived baseline: an expected value with a (wide) tolerance band around it."""

    expected: float
    low: float  # band limits in the metric's units
    high: float
    candidate_median: float
    n_candidate: int


@dataclass(frozen=True)
class Decision:
    key: Key
    metric: str | None
    verdict: Verdict
    reason: str  # one human sentence: why this verdict
    baseline_kind: BaselineKind
    change_pct: float  # signed change of the median in the metric's units (nan when unknown)
    worse_pct: float  # the same change in the worse direction: + = worse, - = better
    p_value: float | None = None  # raw, from the rule's test
    p_adjusted: float | None = None  # after the correction over the whole verdict
    min_effect: float | None = None
    excluded: bool = False  # left out of the verdict (flagged/invalid and not asked for)
    comparison: Comparison | None = None
    expectation: Expectation | None = None

    @property
    def candidate_median(self) -> float:
        if self.comparison is not None:
            return self.comparison.candidate_median
        return self.expectation.candidate_median if self.expectation is not None else math.nan


def adjust_p_values(p_values: np.ndarray, correction: str) -> np.ndarray:
    """Holm (family-wise) or Benjamini-Hochberg (false discovery rate) adjusted p-values over the last
    axis. scipy has BH but no Holm; Holm's step-down is three lines, not worth statsmodels."""
    p = np.asarray(p_values, dtype=float)
    if p.shape[-1] == 0:
        return p.copy()
    if correction == "bh":
        return np.asarray(stats.false_discovery_control(p, axis=-1, method="bh"), dtype=float)
    if correction != "holm":
        raise BenchError(f"unknown correction {correction!r}", field="rule.correction")
    k = p.shape[-1]
    order = np.argsort(p, axis=-1, kind="stable")
    ranked = np.take_along_axis(p, order, axis=-1) * (k - np.arange(k))
    adjusted_sorted = np.minimum(1.0, np.maximum.accumulate(ranked, axis=-1))
    adjusted = np.empty_like(adjusted_sorted)
    np.put_along_axis(adjusted, order, adjusted_sorted, axis=-1)
    return adjusted


def decide_batch(
    *,
    p_values: np.ndarray,
    min_p: np.ndarray | float,
    worse: np.ndarray,
    min_effect: np.ndarray | float,
    alpha: float,
    correction: str,
) -> tuple[np.ndarray, np.ndarray]:
    """The rule over arrays: each row along the last axis is one verdict of K comparisons.

    ``worse`` is the change in the worse direction as a fraction (+0.1 = 10 % worse). Returns the
    verdict codes (``CODE_*``) and the adjusted p-values. A comparison that was not significant and whose
    test cannot reach the threshold a lone change needs (``alpha / K``) is not comparable: "no change"
    would claim more than its samples can say.
    """
    p = np.asarray(p_values, dtype=float)
    k = p.shape[-1]
    adjusted = adjust_p_values(p, correction)
    significant = adjusted <= alpha
    worse_arr = np.asarray(worse, dtype=float)
    effect = np.asarray(min_effect, dtype=float)
    codes = np.full(p.shape, CODE_NO_CHANGE, dtype=np.int8)
    codes[significant & (worse_arr >= effect)] = CODE_REGRESSION
    codes[significant & (worse_arr <= -effect)] = CODE_IMPROVEMENT
    if k:
        # Only a comparison that was not called can blame its sample count: under BH, or with unequal
        # sample counts under Holm, one whose smallest p misses alpha / K can still pass its correction.
        unreachable = np.broadcast_to(np.asarray(min_p) > alpha / k, p.shape)
        codes[unreachable & ~significant] = CODE_NOT_COMPARABLE
    return codes, adjusted


def decide(comparisons: Sequence[Comparison], rule: Rule) -> list[Decision]:
    """Apply ``rule`` to one verdict: the correction runs over every comparison that enters it."""
    test_name = TESTS[rule.test]
    entering: list[int] = []
    decisions: list[Decision | None] = []
    for comparison in comparisons:
        skip = _skip_reason(comparison, rule)
        decisions.append(skip)
        if skip is None:
            entering.append(len(decisions) - 1)

    k = len(entering)
    if k:
        picked = [comparisons[i] for i in entering]
        results = [c.test_result(rule.test) for c in picked]
        min_effects = np.array([_min_effect(c, rule) for c in picked])
        codes, adjusted = decide_batch(
            p_values=np.array([r.p_value for r in results]),
            min_p=np.array([r.min_p for r in results]),
            worse=np.array([c.worse_fraction for c in picked]),
            min_effect=min_effects,
            alpha=rule.alpha,
            correction=rule.correction,
        )
        for j, index in enumerate(entering):
            comparison, result = picked[j], results[j]
            verdict = VERDICTS[int(codes[j])]
            reason = _reason(
                comparison, result, float(adjusted[j]), float(min_effects[j]), verdict, rule, k, test_name
            )
            decisions[index] = _decision(
                comparison,
                verdict,
                reason,
                p_value=result.p_value,
                p_adjusted=float(adjusted[j]),
                min_effect=float(min_effects[j]),
            )
    return [d for d in decisions if d is not None]


def _min_effect(comparison: Comparison, rule: Rule) -> float:
    return (
        comparison.min_effect if comparison.min_effect is not None else rule.min_effect_for(comparison.metric)
    )


def _skip_reason(comparison: Comparison, rule: Rule) -> Decision | None:
    """A decision for a comparison that does not enter the correction, or None when it does."""
    # Flagged points may be let in; invalid ones (a failure, a wrong token count) never: their samples
    # do not measure the point.
    if comparison.state is PointStatus.INVALID or (
        comparison.state is PointStatus.FLAGGED and not rule.include_flagged
    ):
        why = "; ".join(comparison.state_reasons) or "no reason recorded"
        hint = "" if comparison.state is PointStatus.INVALID else "; include flagged points to compare it"
        reason = f"excluded: point {comparison.state} ({why}){hint}"
        return _decision(comparison, Verdict.NOT_COMPARABLE, reason, excluded=True)
    if comparison.problem is not None:
        return _decision(comparison, Verdict.NOT_COMPARABLE, comparison.problem)
    result = comparison.test_result(rule.test)
    if math.isnan(result.p_value):
        sizes = f"n={comparison.n_baseline} vs {comparison.n_candidate}"
        reason = f"{TESTS[rule.test]} cannot run on these samples ({sizes})"
        return _decision(comparison, Verdict.NOT_COMPARABLE, reason)
    return None


def _decision(comparison: Comparison, verdict: Verdict, reason: str, **extra: object) -> Decision:
    worse = comparison.worse_fraction
    return Decision(
        key=comparison.key,
        metric=comparison.metric,
        verdict=verdict,
        reason=reason,
        baseline_kind="measured",
        change_pct=comparison.change_pct,
        worse_pct=worse * 100.0,
        comparison=comparison,
        **extra,  # type: ignore[arg-type]
    )


def _reason(
    comparison: Comparison,
    result: Significance,
    adjusted: float,
    min_effect: float,
    verdict: Verdict,
    rule: Rule,
    k: int,
    test_name: str,
) -> str:
    correction = CORRECTIONS[rule.correction]
    if verdict is Verdict.NOT_COMPARABLE:
        return (
            f"too few samples (n={comparison.n_baseline} vs {comparison.n_candidate}) for {test_name}: "
            f"its smallest p {result.min_p:.2g} cannot reach the {rule.alpha / k:.2g} a single change needs "
            f"(alpha {rule.alpha:g} / {k} comparison{'s' * (k != 1)}, {correction})"
        )
    worse = comparison.worse_fraction
    size = (
        f"median {abs(worse) * 100:.1f} % {'worse' if worse > 0 else 'better'}"
        if worse
        else "median unchanged"
    )
    values = f"{_num(comparison.baseline_median)} → {_num(comparison.candidate_median)}"
    p_text = f"adjusted p {adjusted:.2g}"
    effect = percent_text(min_effect)
    if verdict in (Verdict.REGRESSION, Verdict.IMPROVEMENT):
        return f"{size} ({values}), {p_text} ≤ {rule.alpha:g}, beyond the {effect} minimum effect"
    if adjusted <= rule.alpha:
        return f"{size} ({values}) is significant ({p_text}) but within the {effect} minimum effect"
    if abs(worse) >= min_effect:
        return (
            f"{size} ({values}) but not significant ({p_text} > {rule.alpha:g}); more repetitions would tell"
        )
    return f"{size} ({values}), not significant ({p_text} > {rule.alpha:g})"


def _num(value: float) -> str:
    return f"{value:.4g}"


def compare_to_expectation(
    *,
    expected: float,
    tolerance_low: float,
    tolerance_high: float | None = None,
    candidate: Sequence[float] | np.ndarray,
    direction: Direction | str | None = None,
    key: Key = "",
    metric: str | None = None,
    state: str = PointStatus.VALID,
    state_reasons: Sequence[str] = (),
    include_flagged: bool = False,
) -> Decision:
    """Judge a candidate against a derived baseline (roofline x calibrated efficiency): no p-value, only
    a band ``[expected x (1 - tolerance_low), expected x (1 + tolerance_high)]`` (symmetric when
    ``tolerance_high`` is None). Outside the band on the worse side is a regression ("far below/above
    expectation"); anything inside is no change: a derived baseline cannot resolve a few percent.
    ``direction`` defaults to the metric's in :mod:`bench.metrics`."""
    direction = direction_of(direction, metric)
    high_tol = tolerance_low if tolerance_high is None else tolerance_high
    for name, value in (("tolerance_low", tolerance_low), ("tolerance_high", high_tol)):
        if not (math.isfinite(value) and value >= 0):
            raise BenchError(f"must be a non-negative fraction, got {value}", field=name)
    if not (math.isfinite(expected) and expected > 0):
        raise BenchError(f"must be a positive number, got {expected}", field="expected")
    cand = np.asarray(candidate, dtype=float).ravel()
    low, high = expected * (1.0 - tolerance_low), expected * (1.0 + high_tol)
    finite = cand.size > 0 and bool(np.isfinite(cand).all())
    median = float(np.median(cand)) if finite else math.nan
    expectation = Expectation(expected, low, high, median, int(cand.size))
    change = median / expected - 1.0 if finite else math.nan
    worse = -change if direction is Direction.HIGHER_IS_BETTER else change

    def make(verdict: Verdict, reason: str, excluded: bool = False) -> Decision:
        return Decision(
            key=key,
            metric=metric,
            verdict=verdict,
            reason=reason,
            baseline_kind="derived",
            change_pct=change * 100.0,
            worse_pct=worse * 100.0,
            excluded=excluded,
            expectation=expectation,
        )

    status = PointStatus(state)
    if status is PointStatus.INVALID or (status is PointStatus.FLAGGED and not include_flagged):
        why = "; ".join(state_reasons) or "no reason recorded"
        return make(Verdict.NOT_COMPARABLE, f"excluded: point {state} ({why})", excluded=True)
    if not finite:
        return make(Verdict.NOT_COMPARABLE, f"no usable candidate samples (n={cand.size})")
    band = f"{_num(median)} vs {_num(expected)} expected (band {_num(low)}–{_num(high)})"
    if median < low or median > high:
        side = "below" if median < low else "above"
        worse_side = (side == "below") == (direction is Direction.HIGHER_IS_BETTER)
        if worse_side:
            return make(Verdict.REGRESSION, f"far {side} expectation: {band}")
        return make(Verdict.IMPROVEMENT, f"far {side} expectation: {band}; check the expectation")
    return make(Verdict.NO_CHANGE, f"within the expectation band: {band}")
