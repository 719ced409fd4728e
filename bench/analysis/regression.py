"""The decision rule: is a candidate's metric a regression against its baseline? (pure; no I/O)

A change is a **regression** only when both hold:

1. it is statistically significant: a two-sided test on the repetition samples (Mann-Whitney U by
   default), with the p-values of every comparison in one verdict corrected together (Holm by default),
   so a sweep of 20 points x 5 metrics does not fail on noise;
2. it is larger than a minimum effect (5 % by default, per metric configurable) in the metric's worse
   direction: the significance test only knows the repetition-to-repetition noise of the two runs, the
   minimum effect absorbs the run-to-run drift a test on one pair of runs cannot see.

The array form (:func:`decide_batch`) is the same rule applied to many verdicts at once; the simulation
that proves the rule (``bench.analysis.simulation``) calls it, and :func:`decide` is a thin wrapper over it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from types import MappingProxyType
from typing import Literal

import numpy as np
from scipy import stats

from bench.errors import BenchError
from bench.metrics import Direction, spec

Key = str | tuple[str, ...]
"""An opaque id of one comparison, e.g. ``(point_id, metric)``; kept as given."""

PointState = Literal["valid", "flagged", "invalid"]
BaselineKind = Literal["measured", "derived"]

TESTS: Mapping[str, str] = MappingProxyType({"mwu": "Mann-Whitney U", "welch-log": "Welch's t on log values"})
CORRECTIONS: Mapping[str, str] = MappingProxyType({"holm": "Holm", "bh": "Benjamini-Hochberg"})

# The exact Mann-Whitney distribution is cheap up to this many (n1 x n2) pairs; beyond, the normal
# approximation is accurate and its p-values are already far below any threshold bench uses.
_MWU_EXACT_MAX_PAIRS = 2500


class Verdict(str, Enum):
    REGRESSION = "regression"
    IMPROVEMENT = "improvement"
    NO_CHANGE = "no_change"
    NOT_COMPARABLE = "not_comparable"


# Codes of decide_batch's output, in Verdict order.
CODE_REGRESSION, CODE_IMPROVEMENT, CODE_NO_CHANGE, CODE_NOT_COMPARABLE = 0, 1, 2, 3
_VERDICT_OF_CODE = (Verdict.REGRESSION, Verdict.IMPROVEMENT, Verdict.NO_CHANGE, Verdict.NOT_COMPARABLE)


# --------------------------------------------------------------------------------------------- rule


@dataclass(frozen=True)
class Rule:
    """How a verdict is decided. ``describe()`` is the one line CLIs print; ``spec()`` round-trips
    through :meth:`parse`."""

    test: str = "mwu"
    alpha: float = 0.01
    min_effect: float = 0.05
    min_effect_per_metric: Mapping[str, float] = field(default_factory=dict)
    correction: str = "holm"
    include_flagged: bool = False

    def __post_init__(self) -> None:
        if self.test not in TESTS:
            raise BenchError(
                f"unknown test {self.test!r}", field="rule.test", hint=f"one of: {', '.join(TESTS)}"
            )
        if self.correction not in CORRECTIONS:
            raise BenchError(
                f"unknown correction {self.correction!r}",
                field="rule.correction",
                hint=f"one of: {', '.join(CORRECTIONS)}",
            )
        if not 0.0 < self.alpha < 1.0:
            raise BenchError(f"must be between 0 and 1, got {self.alpha}", field="rule.alpha")
        _check_min_effect(self.min_effect, "rule.min")
        for metric, value in self.min_effect_per_metric.items():
            _check_min_effect(value, f"rule.min.{metric}")
        object.__setattr__(
            self, "min_effect_per_metric", MappingProxyType(dict(sorted(self.min_effect_per_metric.items())))
        )

    def min_effect_for(self, metric: str | None) -> float:
        if metric is not None and metric in self.min_effect_per_metric:
            return self.min_effect_per_metric[metric]
        return self.min_effect

    def describe(self, n_comparisons: int | None = None) -> str:
        over = f" over {n_comparisons} comparisons" if n_comparisons is not None else ""
        overrides = ", ".join(f"{m} {_pct(v)}" for m, v in self.min_effect_per_metric.items())
        text = (
            f"regression = {TESTS[self.test]} two-sided p ≤ {self.alpha:g} after "
            f"{CORRECTIONS[self.correction]}{over} AND median change ≥ {_pct(self.min_effect)}"
            f"{f' ({overrides})' if overrides else ''} in the worse direction"
        )
        if self.include_flagged:
            text += "; flagged points included (invalid ones never)"
        return text

    def spec(self) -> str:
        parts = [self.test, f"alpha={self.alpha:g}", f"min={_pct(self.min_effect, space=False)}"]
        parts += [f"min.{m}={_pct(v, space=False)}" for m, v in self.min_effect_per_metric.items()]
        parts.append(f"correction={self.correction}")
        if self.include_flagged:
            parts.append("flagged=include")
        return ":".join(parts)

    @classmethod
    def parse(cls, spec: str) -> Rule:
        """Parse ``test[:key=value]...``, e.g. ``"mwu:alpha=0.01:min=5%:min.ttft_ms=10%:correction=bh"``.

        Keys: ``alpha``, ``min`` (``5%`` or ``0.05``), ``min.<metric>``, ``correction`` (holm|bh),
        ``flagged`` (include|exclude). The test may be left out (default ``mwu``).
        """
        hint = "e.g. mwu:alpha=0.01:min=5%"
        parts = [p.strip() for p in spec.strip().split(":") if p.strip()]
        kwargs: dict[str, object] = {}
        per_metric: dict[str, float] = {}
        if parts and "=" not in parts[0]:
            kwargs["test"] = parts.pop(0)
        for part in parts:
            name, sep, value = (s.strip() for s in part.partition("="))
            if not sep or not value:
                raise BenchError(f"expected key=value, got {part!r}", field="rule", hint=hint)
            if name == "alpha":
                kwargs["alpha"] = _parse_float(value, "rule.alpha")
            elif name == "min":
                kwargs["min_effect"] = _parse_fraction(value, "rule.min")
            elif name.startswith("min.") and len(name) > 4:
                per_metric[name[4:]] = _parse_fraction(value, f"rule.{name}")
            elif name == "correction":
                kwargs["correction"] = value.lower()
            elif name == "flagged":
                if value not in ("include", "exclude"):
                    raise BenchError(f"expected include or exclude, got {value!r}", field="rule.flagged")
                kwargs["include_flagged"] = value == "include"
            else:
                raise BenchError(
                    f"unknown key {name!r}",
                    field="rule",
                    hint="keys: alpha, min, min.<metric>, correction, flagged",
                )
        return cls(min_effect_per_metric=per_metric, **kwargs)  # type: ignore[arg-type]


def _check_min_effect(value: float, where: str) -> None:
    if not (math.isfinite(value) and 0.0 <= value < 1.0):
        raise BenchError(f"must be a fraction in [0, 1), got {value}", field=where, hint="write 5% or 0.05")


def _parse_float(text: str, where: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise BenchError(f"not a number: {text!r}", field=where) from None


def _parse_fraction(text: str, where: str) -> float:
    if text.endswith("%"):
        return _parse_float(text[:-1], where) / 100.0
    value = _parse_float(text, where)
    if value >= 1.0:
        raise BenchError(f"ambiguous {text!r}", field=where, hint=f"write {text}% or {value / 100:g}")
    return value


def _pct(fraction: float, *, space: bool = True) -> str:
    return f"{fraction * 100:g}{' ' if space else ''}%"


# ------------------------------------------------------------------------------------ comparison


@dataclass(frozen=True)
class Significance:
    test: str  # a key of TESTS
    p_value: float  # two-sided, uncorrected; nan when the test cannot run on these samples
    min_p: float  # the smallest p-value this test can give at these sample sizes


@dataclass(frozen=True)
class Comparison:
    """A measured baseline against a candidate, for one metric of one point. Medians, never means."""

    key: Key
    metric: str | None
    direction: Direction
    n_baseline: int
    n_candidate: int
    baseline_median: float
    candidate_median: float
    ratio: float  # candidate median / baseline median
    change_pct: float  # (ratio - 1) x 100: + means the number grew, whatever the direction
    ci_low: float  # bootstrap percentile interval of ``ratio``
    ci_high: float
    ci_level: float
    baseline_ci_low: float  # bootstrap percentile interval of each median (error bars)
    baseline_ci_high: float
    candidate_ci_low: float
    candidate_ci_high: float
    tests: tuple[Significance, ...]
    min_effect: float | None = None  # a per-comparison override of the rule's minimum effect
    state: PointState = "valid"
    state_reasons: tuple[str, ...] = ()
    problem: str | None = None  # why no statistics could be computed; the comparison is not comparable

    @property
    def worse_fraction(self) -> float:
        """The change in the worse direction as a fraction: +0.1 = 10 % worse, -0.1 = 10 % better."""
        return _worse_fraction(self.ratio, self.direction)

    @property
    def ci_low_pct(self) -> float:
        """The ratio's interval as a change in percent, like ``change_pct``."""
        return (self.ci_low - 1.0) * 100.0

    @property
    def ci_high_pct(self) -> float:
        return (self.ci_high - 1.0) * 100.0

    def test_result(self, test: str) -> Significance:
        for result in self.tests:
            if result.test == test:
                return result
        return Significance(test, math.nan, math.nan)


def _worse_fraction(ratio: float, direction: Direction) -> float:
    change = ratio - 1.0
    return -change if direction is Direction.HIGHER_IS_BETTER else change


def compare_samples(
    *,
    baseline: Sequence[float] | np.ndarray,
    candidate: Sequence[float] | np.ndarray,
    direction: Direction | str | None = None,
    key: Key = "",
    metric: str | None = None,
    min_effect: float | None = None,
    baseline_state: PointState = "valid",
    candidate_state: PointState = "valid",
    state_reasons: Sequence[str] = (),
    ci_level: float = 0.95,
    n_resamples: int = 2000,
    seed: int = 0,
) -> Comparison:
    """Compare two sets of repetition samples of one metric. Computes every test in :data:`TESTS`, so
    the rule given to :func:`decide` picks one without recomputation. ``direction`` defaults to the
    metric's in :mod:`bench.metrics`. Deterministic given ``seed``."""
    direction = _direction(direction, metric)
    if min_effect is not None:
        _check_min_effect(min_effect, f"min_effect of {key!r}")
    state: PointState = _worst_state(baseline_state, candidate_state)
    base = np.asarray(baseline, dtype=float).ravel()
    cand = np.asarray(candidate, dtype=float).ravel()
    common = {
        "key": key,
        "metric": metric,
        "direction": direction,
        "n_baseline": int(base.size),
        "n_candidate": int(cand.size),
        "min_effect": min_effect,
        "state": state,
        "state_reasons": tuple(state_reasons),
    }
    problem = _sample_problem(base, cand)
    if problem is not None:
        nan = math.nan
        base_median = float(np.median(base)) if base.size and np.isfinite(base).all() else nan
        cand_median = float(np.median(cand)) if cand.size and np.isfinite(cand).all() else nan
        return Comparison(
            **common,  # type: ignore[arg-type]
            baseline_median=base_median,
            candidate_median=cand_median,
            ratio=nan,
            change_pct=nan,
            ci_low=nan,
            ci_high=nan,
            ci_level=ci_level,
            baseline_ci_low=nan,
            baseline_ci_high=nan,
            candidate_ci_low=nan,
            candidate_ci_high=nan,
            tests=(),
            problem=problem,
        )
    base_median, cand_median = float(np.median(base)), float(np.median(cand))
    ratio = cand_median / base_median

    def ci(samples: tuple[np.ndarray, ...], statistic: Callable[..., np.ndarray]) -> tuple[float, float]:
        return _bootstrap_ci(samples, statistic, ci_level=ci_level, n_resamples=n_resamples, seed=seed)

    ci_low, ci_high = ci((base, cand), _ratio_of_medians)
    base_low, base_high = ci((base,), _median)
    cand_low, cand_high = ci((cand,), _median)
    return Comparison(
        **common,  # type: ignore[arg-type]
        baseline_median=base_median,
        candidate_median=cand_median,
        ratio=ratio,
        change_pct=(ratio - 1.0) * 100.0,
        ci_low=ci_low,
        ci_high=ci_high,
        ci_level=ci_level,
        baseline_ci_low=base_low,
        baseline_ci_high=base_high,
        candidate_ci_low=cand_low,
        candidate_ci_high=cand_high,
        tests=(_mwu_result(base, cand), _welch_log_result(base, cand)),
    )


def _direction(direction: Direction | str | None, metric: str | None) -> Direction:
    if direction is not None:
        return Direction(direction)
    if metric is None:
        raise BenchError("give a direction or a known metric name", field="direction")
    return spec(metric).direction


def _worst_state(a: PointState, b: PointState) -> PointState:
    order: tuple[PointState, ...] = ("valid", "flagged", "invalid")
    return max(a, b, key=order.index)


def _sample_problem(base: np.ndarray, cand: np.ndarray) -> str | None:
    if base.size == 0 or cand.size == 0:
        return f"no samples (n={base.size} vs {cand.size})"
    if not (np.isfinite(base).all() and np.isfinite(cand).all()):
        return "non-finite samples"
    if np.median(base) <= 0 or np.median(cand) < 0:
        return "baseline median is not positive: the ratio of medians is undefined"
    return None


def _ratio_of_medians(b: np.ndarray, c: np.ndarray, axis: int) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):  # a resample of mostly zeros: inf, not a crash
        return np.median(c, axis=axis) / np.median(b, axis=axis)


def _median(x: np.ndarray, axis: int) -> np.ndarray:
    return np.median(x, axis=axis)


def _bootstrap_ci(
    samples: tuple[np.ndarray, ...],
    statistic: Callable[..., np.ndarray],
    *,
    ci_level: float,
    n_resamples: int,
    seed: int,
) -> tuple[float, float]:
    if any(s.size < 2 for s in samples):
        return math.nan, math.nan
    # Percentile, not BCa: BCa's jackknife degenerates on the medians of a handful of samples.
    result = stats.bootstrap(
        samples,
        statistic,
        vectorized=True,
        paired=False,
        n_resamples=n_resamples,
        confidence_level=ci_level,
        method="percentile",
        rng=np.random.default_rng(seed),
    )
    return float(result.confidence_interval.low), float(result.confidence_interval.high)


def mwu_min_p(n_baseline: int, n_candidate: int) -> float:
    """Smallest two-sided exact Mann-Whitney p-value for these sample sizes (complete separation, no
    ties): 2 / C(n1 + n2, n1). With n = 5 vs 5 it is 2/252 ≈ 0.0079."""
    if n_baseline < 1 or n_candidate < 1:
        return 1.0
    return min(1.0, 2.0 / math.comb(n_baseline + n_candidate, n_baseline))


def mwu_p_values(baseline: np.ndarray, candidate: np.ndarray, *, exact: bool = True) -> np.ndarray:
    """Two-sided Mann-Whitney U p-values along the last axis (batched). ``exact`` assumes no ties."""
    result = stats.mannwhitneyu(candidate, baseline, axis=-1, method="exact" if exact else "asymptotic")
    return np.asarray(result.pvalue, dtype=float)


def welch_log_p_values(baseline: np.ndarray, candidate: np.ndarray) -> np.ndarray:
    """Two-sided Welch t-test p-values on log values along the last axis (batched). Both sides constant:
    p = 1 when equal, 0 when not (a deterministic difference)."""
    log_b, log_c = np.log(baseline), np.log(candidate)
    spread = log_b.var(axis=-1) + log_c.var(axis=-1)
    degenerate = spread == 0
    p = np.where(log_b.mean(axis=-1) == log_c.mean(axis=-1), 1.0, 0.0)
    if not degenerate.all():
        live = ~degenerate
        result = stats.ttest_ind(log_c[live], log_b[live], axis=-1, equal_var=False)
        p = np.asarray(p, dtype=float)
        p[live] = result.pvalue
    return np.asarray(p, dtype=float)


def _mwu_result(base: np.ndarray, cand: np.ndarray) -> Significance:
    pooled = np.concatenate([base, cand])
    exact = np.unique(pooled).size == pooled.size and base.size * cand.size <= _MWU_EXACT_MAX_PAIRS
    if np.ptp(pooled) == 0:  # every sample identical: no evidence of any difference
        return Significance("mwu", 1.0, mwu_min_p(base.size, cand.size))
    p = float(mwu_p_values(base, cand, exact=exact))
    return Significance("mwu", p, mwu_min_p(base.size, cand.size))


def _welch_log_result(base: np.ndarray, cand: np.ndarray) -> Significance:
    if base.size < 2 or cand.size < 2 or (base <= 0).any() or (cand <= 0).any():
        return Significance("welch-log", math.nan, math.nan)
    return Significance("welch-log", float(welch_log_p_values(base, cand)), 0.0)


# -------------------------------------------------------------------------------------- decision


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
            verdict = _VERDICT_OF_CODE[int(codes[j])]
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
    if comparison.state == "invalid" or (comparison.state != "valid" and not rule.include_flagged):
        why = "; ".join(comparison.state_reasons) or "no reason recorded"
        hint = "" if comparison.state == "invalid" else "; include flagged points to compare it"
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
    if verdict in (Verdict.REGRESSION, Verdict.IMPROVEMENT):
        return f"{size} ({values}), {p_text} ≤ {rule.alpha:g}, beyond the {_pct(min_effect)} minimum effect"
    if adjusted <= rule.alpha:
        return f"{size} ({values}) is significant ({p_text}) but within the {_pct(min_effect)} minimum effect"
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
    state: PointState = "valid",
    state_reasons: Sequence[str] = (),
    include_flagged: bool = False,
) -> Decision:
    """Judge a candidate against a derived baseline (roofline x calibrated efficiency): no p-value, only
    a band ``[expected x (1 - tolerance_low), expected x (1 + tolerance_high)]`` (symmetric when
    ``tolerance_high`` is None). Outside the band on the worse side is a regression ("far below/above
    expectation"); anything inside is no change: a derived baseline cannot resolve a few percent.
    ``direction`` defaults to the metric's in :mod:`bench.metrics`."""
    direction = _direction(direction, metric)
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

    if state == "invalid" or (state != "valid" and not include_flagged):
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


# --------------------------------------------------------------------------------------- roll-up


@dataclass(frozen=True)
class VerdictSummary:
    regressions: int
    improvements: int
    no_change: int
    not_comparable: int
    excluded: int  # of the not comparable: flagged/invalid points left out
    total: int
    worst_regressions: tuple[Decision, ...]  # the largest regressions first
    best_improvements: tuple[Decision, ...]
    passed: bool
    headline: str  # e.g. "FAIL: 2 regressions in 100 comparisons (worst ('p1', 'ttft_ms') +14.2 %)"

    @property
    def counts(self) -> dict[str, int]:
        return {
            Verdict.REGRESSION.value: self.regressions,
            Verdict.IMPROVEMENT.value: self.improvements,
            Verdict.NO_CHANGE.value: self.no_change,
            Verdict.NOT_COMPARABLE.value: self.not_comparable,
        }


def summarize_verdict(
    decisions: Sequence[Decision], *, worst: int = 5, fail_on_not_comparable: bool = False
) -> VerdictSummary:
    """Roll decisions up: a verdict fails on any regression (and, when asked, on anything not
    comparable that was not deliberately excluded)."""
    by = {v: [d for d in decisions if d.verdict is v] for v in Verdict}
    regressions = sorted(by[Verdict.REGRESSION], key=lambda d: -d.worse_pct)
    improvements = sorted(by[Verdict.IMPROVEMENT], key=lambda d: d.worse_pct)
    excluded = sum(d.excluded for d in decisions)
    unexplained = len(by[Verdict.NOT_COMPARABLE]) - excluded
    passed = not regressions and not (fail_on_not_comparable and unexplained)
    parts = [f"{len(regressions)} regression{'s' * (len(regressions) != 1)}"]
    parts += [f"{len(improvements)} improvement{'s' * (len(improvements) != 1)}"]
    parts += [f"{len(by[Verdict.NOT_COMPARABLE])} not comparable ({excluded} excluded)"]
    headline = f"{'PASS' if passed else 'FAIL'}: {', '.join(parts)} in {len(decisions)} comparisons"
    if regressions:
        top = regressions[0]
        headline += f" (worst {top.key} {top.worse_pct:+.1f} % worse)"
    return VerdictSummary(
        regressions=len(regressions),
        improvements=len(improvements),
        no_change=len(by[Verdict.NO_CHANGE]),
        not_comparable=len(by[Verdict.NOT_COMPARABLE]),
        excluded=excluded,
        total=len(decisions),
        worst_regressions=tuple(regressions[:worst]),
        best_improvements=tuple(improvements[:worst]),
        passed=passed,
        headline=headline,
    )
