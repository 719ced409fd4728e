"""The significance tests: one metric of one point, baseline samples against candidate samples (pure).

Medians, never means; a bootstrap interval of the ratio of medians; every test in ``TESTS`` computed
once, so the rule picks one without recomputation.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

from bench.analysis.threshold import check_fraction
from bench.errors import BenchError
from bench.metrics import Direction, spec
from bench.status import PointStatus

Key = str | tuple[str, ...]
"""An opaque id of one comparison, e.g. ``(point_id, metric)``; kept as given."""

# The exact Mann-Whitney distribution is cheap up to this many (n1 x n2) pairs; beyond, the normal
# approximation is accurate and its p-values are already far below any threshold bench uses.
_MWU_EXACT_MAX_PAIRS = 2500


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
    state: PointStatus = PointStatus.VALID
    state_reasons: tuple[str, ...] = ()
    problem: str | None = None  # why no statistics could be computed; the comparison is not comparable

    def __post_init__(self) -> None:
        object.__setattr__(self, "state", PointStatus(self.state))  # "flagged" given as text is the enum

    @property
    def worse_fraction(self) -> float:
        """The change in the worse direction as a fraction: +0.1 = 10 % worse, -0.1 = 10 % better."""
        return worse_fraction(self.ratio, self.direction)

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


def worse_fraction(ratio: float, direction: Direction) -> float:
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
    baseline_state: str = PointStatus.VALID,
    candidate_state: str = PointStatus.VALID,
    state_reasons: Sequence[str] = (),
    ci_level: float = 0.95,
    n_resamples: int = 2000,
    seed: int = 0,
) -> Comparison:
    """Compare two sets of repetition samples of one metric. Computes every test in :data:`TESTS`, so
    the rule given to :func:`decide` picks one without recomputation. ``direction`` defaults to the
    metric's in :mod:`bench.metrics`. Deterministic given ``seed``."""
    direction = direction_of(direction, metric)
    if min_effect is not None:
        check_fraction(min_effect, f"min_effect of {key!r}")
    state = PointStatus.worst((baseline_state, candidate_state))
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


def direction_of(direction: Direction | str | None, metric: str | None) -> Direction:
    if direction is not None:
        return Direction(direction)
    if metric is None:
        raise BenchError("give a direction or a known metric name", field="direction")
    return spec(metric).direction


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
