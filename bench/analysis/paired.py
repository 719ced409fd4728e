"""Paired statistics for interleaved A/B rounds (``bench ab``; pure, no I/O).

In ``bench ab`` each round measures both sides back to back, a few repetitions each. Whatever moves a
whole round (another tenant, clocks, memory placement) moves both sides of it, so the decision compares
the sides *within* rounds and never across them:

* **Significance, by default** (``round-t``): Student's one-sample t on the per-round log ratios of
  medians: each round is one observation, so whatever moves one side's half of a round (drift faster
  than a round) counts as noise of that round, never as evidence. No discreteness floor; at least 3
  rounds.
* **Significance, on request** (``van-elteren``): van Elteren's stratified rank-sum test (van Elteren,
  P. H. (1960). "On the combination of independent two-sample tests of Wilcoxon". Bulletin of the
  International Statistical Institute 37, 351-361; see also Lehmann, *Nonparametrics* (1975), ch. 3.3).
  Within each round (stratum) ``r`` the candidate's repetitions are ranked among both sides' (``N_r``
  values), ``W_r`` is their rank sum, and ``T = sum_r W_r / (N_r + 1)``: a shift that holds round after
  round adds up, a shift of one whole round does not exist inside it. Under no difference ``E[W_r] = m_r
  (N_r + 1) / 2`` and ``Var[W_r] = n_r m_r (N_r + 1) / 12`` (less a tie correction). With equal round
  sizes and no ties the p-value is exact (the null distribution of ``sum W_r`` is the convolution of
  each round's rank-sum distribution); otherwise the normal approximation.
* **Its floor** (the discreteness trap of docs/STATISTICS.md): with every round completely separated,
  the smallest two-sided p is ``2 / prod_r C(N_r, m_r)``; 3 vs 3 repetitions give ``C(6, 3) = 20`` per
  round, so 4 rounds reach 1.25e-5, enough for a verdict of 100 comparisons (1e-4). A comparison whose
  floor cannot pass the correction is not comparable, with the number of rounds it needs.
* **Effect**: the per-round ratio of medians, candidate / baseline, aggregated as their geometric mean
  (drift that scales a round cancels in its ratio), with the round t's own interval (Student's t over
  the round log ratios).
* **Decision**: the same minimum effect, alpha and correction as ``bench compare``
  (:class:`bench.analysis.regression.Rule`, :func:`bench.analysis.regression.decide_batch`), and one
  more condition for "no change": the interval must rule out a regression of the minimum effect. Not
  significant with an interval that still reaches it is not a change that held but one the rounds
  could not see: NOT_COMPARABLE, with about how many rounds would tell. This is what bounds the noise
  of an interleaved run (its own precision), where ``bench compare`` bounds it by flagging points whose
  repetitions vary more than the CV threshold.

Ranks treat a round's repetitions as exchangeable; drift *inside* a side's half of a round (a burst
that hits three consecutive repetitions of one side) is not cancelled and shows as a false signal: in
simulation a side-block effect of 2 % sd already takes van Elteren above 1 % false alarms per verdict,
while the round t stays at its level (docs/STATISTICS.md, "Interleaved A/B"). Hence the default.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from scipy import stats

from bench.analysis.regression import (
    CORRECTIONS,
    Key,
    Rule,
    Verdict,
    decide_batch,
)
from bench.analysis.verdict import CODE_NOT_COMPARABLE
from bench.errors import BenchError
from bench.metrics import Direction
from bench.metrics import spec as metric_spec

PAIRED_TESTS = {
    "van-elteren": "van Elteren stratified rank-sum (rounds as strata)",
    "round-t": "Student's t on the per-round log ratios",
}
# The round is the unit that pairing makes independent of drift; repetitions inside one side's half of a
# round share whatever moved that half, so a test that treats them as independent (van Elteren) calls
# that shared movement evidence. Student's t on the round ratios holds its level whatever the size of
# that effect (docs/STATISTICS.md, "Interleaved A/B"); van Elteren is the sharper choice on a runner
# whose side-block effect was measured negligible.
DEFAULT_PAIRED_TEST = "round-t"
ROUND_T_MIN_ROUNDS = 3

Round = tuple[Sequence[float] | np.ndarray, Sequence[float] | np.ndarray]
"""One round of one (point, metric): (baseline repetitions, candidate repetitions)."""


# ------------------------------------------------------------------------------------- the test


@dataclass(frozen=True)
class StratifiedTest:
    p_value: float  # two-sided
    min_p: float  # the smallest two-sided p these round sizes allow (every round separated)
    z: float  # standardised statistic: + means the candidate ranks higher
    exact: bool


def rank_sum_distribution(n_total: int, m: int) -> np.ndarray:
    """P(W = w) for w = 0..max: the rank sum of ``m`` values drawn without replacement from ranks
    1..``n_total`` (no ties). Index = w."""
    return _rank_sum_distribution(n_total, m).copy()


@lru_cache(maxsize=64)
def _rank_sum_distribution(n_total: int, m: int) -> np.ndarray:
    top = sum(range(n_total - m + 1, n_total + 1))
    counts = np.zeros((m + 1, top + 1))  # counts[k, s]: k-subsets of the ranks seen so far with sum s
    counts[0, 0] = 1.0
    for rank in range(1, n_total + 1):
        upper = min(rank, m)
        counts[1 : upper + 1, rank:] += counts[0:upper, : top + 1 - rank].copy()
    return counts[m] / math.comb(n_total, m)


def van_elteren_min_p(sizes: Sequence[tuple[int, int]]) -> float:
    """``2 / prod C(n_r + m_r, m_r)`` over rounds of (baseline, candidate) sizes."""
    log_ways = sum(math.log(math.comb(n + m, m)) for n, m in sizes if n > 0 and m > 0)
    return min(1.0, 2.0 * math.exp(-log_ways))


def van_elteren(rounds: Sequence[Round]) -> StratifiedTest:
    """Two-sided van Elteren test over rounds of (baseline, candidate) samples."""
    usable = [
        (np.asarray(b, dtype=float).ravel(), np.asarray(c, dtype=float).ravel())
        for b, c in rounds
        if len(b) > 0 and len(c) > 0
    ]
    if not usable:
        return StratifiedTest(math.nan, 1.0, math.nan, exact=False)
    sizes = [(b.size, c.size) for b, c in usable]
    min_p = van_elteren_min_p(sizes)
    statistic = expected = variance = 0.0
    rank_sums: list[float] = []
    ties = False
    for base, cand in usable:
        pooled = np.concatenate([base, cand])
        n_total, m = pooled.size, cand.size
        ranks = stats.rankdata(pooled)
        w = float(ranks[base.size :].sum())
        rank_sums.append(w)
        _, tie_counts = np.unique(pooled, return_counts=True)
        ties = ties or bool((tie_counts > 1).any())
        tie_term = (
            float((tie_counts**3 - tie_counts).sum()) / (n_total * (n_total - 1)) if n_total > 1 else 0.0
        )
        weight = 1.0 / (n_total + 1)
        statistic += weight * w
        expected += weight * m * (n_total + 1) / 2.0
        variance += weight**2 * base.size * m * (n_total + 1 - tie_term) / 12.0
    if variance <= 0:  # every round constant: no evidence of any difference
        return StratifiedTest(1.0, min_p, 0.0, exact=False)
    z = (statistic - expected) / math.sqrt(variance)
    if not ties and len(set(sizes)) == 1:
        # Equal weights: T is a multiple of sum W_r, whose null distribution is the convolution of the
        # rounds' rank-sum distributions.
        n, m = sizes[0]
        one = _rank_sum_distribution(n + m, m)
        total = np.ones(1)
        for _ in usable:
            total = np.convolve(total, one)
        observed = round(sum(rank_sums))
        upper = float(total[observed:].sum())
        lower = float(total[: observed + 1].sum())
        return StratifiedTest(min(1.0, 2.0 * min(upper, lower)), min_p, z, exact=True)
    p = float(2.0 * stats.norm.sf(abs(z)))
    return StratifiedTest(max(p, min_p), min_p, z, exact=False)


def round_t(logs: np.ndarray) -> StratifiedTest:
    """One-sample Student's t on the per-round log ratios: each round is one observation, so an effect
    that moves one side's half of a round counts as that round's noise, not as evidence."""
    if logs.size < ROUND_T_MIN_ROUNDS:
        return StratifiedTest(1.0, 1.0, 0.0, exact=False)
    spread = float(logs.std(ddof=1))
    mean = float(logs.mean())
    if spread == 0:
        return StratifiedTest(
            1.0 if mean == 0 else 0.0, 0.0, 0.0 if mean == 0 else math.copysign(math.inf, mean), exact=False
        )
    result = stats.ttest_1samp(logs, 0.0)
    return StratifiedTest(float(result.pvalue), 0.0, float(result.statistic), exact=False)


def rounds_needed(*, per_round: tuple[int, int], threshold: float) -> int:
    """The least number of rounds of ``per_round`` (baseline, candidate) repetitions whose floor
    ``2 / C(n + m, m)^R`` reaches ``threshold``."""
    n, m = per_round
    ways = math.comb(n + m, m)
    if ways <= 1:
        return 0  # one repetition on a side against none: no rank test at all
    return max(1, math.ceil(math.log(2.0 / threshold) / math.log(ways)))


# ------------------------------------------------------------------------------ one comparison


@dataclass(frozen=True)
class PairedComparison:
    """Both sides of one (point, metric) over interleaved rounds."""

    key: Key
    metric: str | None
    direction: Direction
    rounds: int
    per_round: tuple[int, int]  # repetitions (baseline, candidate) in the smallest round
    n_baseline: int
    n_candidate: int
    baseline_median: float  # over every repetition (for display; the decision uses round ratios)
    candidate_median: float
    round_ratios: tuple[float, ...]  # candidate median / baseline median, round by round
    ratio: float  # geometric mean of the round ratios
    change_pct: float
    ci_low: float  # Student's t interval over rounds of the geometric mean ratio
    ci_high: float
    ci_level: float
    test: StratifiedTest  # van Elteren
    round_t: StratifiedTest
    problem: str | None = None

    def result(self, test: str) -> StratifiedTest:
        return self.round_t if test == "round-t" else self.test

    @property
    def worse_fraction(self) -> float:
        change = self.ratio - 1.0
        return -change if self.direction is Direction.HIGHER_IS_BETTER else change


def compare_rounds(
    *,
    rounds: Sequence[Round],
    metric: str | None = None,
    direction: Direction | str | None = None,
    key: Key = "",
    ci_level: float = 0.95,
) -> PairedComparison:
    """Compare the sides of one (point, metric) round by round."""
    direction = Direction(direction) if direction is not None else metric_spec(metric or "").direction
    pairs = [(np.asarray(b, dtype=float).ravel(), np.asarray(c, dtype=float).ravel()) for b, c in rounds]
    n_base = sum(b.size for b, _ in pairs)
    n_cand = sum(c.size for _, c in pairs)
    complete = [(b, c) for b, c in pairs if b.size and c.size]
    per_round = min(((b.size, c.size) for b, c in complete), default=(0, 0))
    nan = math.nan
    problem = _problem(complete)
    if problem is not None:
        return PairedComparison(
            key, metric, direction, len(complete), per_round, n_base, n_cand, nan, nan, (), nan, nan,
            nan, nan, ci_level, StratifiedTest(nan, 1.0, nan, exact=False),
            StratifiedTest(nan, 1.0, nan, exact=False), problem,
        )  # fmt: skip
    logs = np.array([math.log(np.median(c) / np.median(b)) for b, c in complete])
    ratio = math.exp(float(logs.mean()))
    low, high = _t_interval(logs, ci_level=ci_level)
    return PairedComparison(
        key=key,
        metric=metric,
        direction=direction,
        rounds=len(complete),
        per_round=per_round,
        n_baseline=n_base,
        n_candidate=n_cand,
        baseline_median=float(np.median(np.concatenate([b for b, _ in complete]))),
        candidate_median=float(np.median(np.concatenate([c for _, c in complete]))),
        round_ratios=tuple(float(x) for x in np.exp(logs)),
        ratio=ratio,
        change_pct=(ratio - 1.0) * 100.0,
        ci_low=low,
        ci_high=high,
        ci_level=ci_level,
        test=van_elteren(complete),
        round_t=round_t(logs),
    )


def _problem(pairs: Sequence[tuple[np.ndarray, np.ndarray]]) -> str | None:
    if not pairs:
        return "no round with samples on both sides"
    for b, c in pairs:
        if not (np.isfinite(b).all() and np.isfinite(c).all()):
            return "non-finite samples"
        if np.median(b) <= 0 or np.median(c) <= 0:
            return "a round median is not positive: the round ratio is undefined"
    return None


def _t_interval(logs: np.ndarray, *, ci_level: float) -> tuple[float, float]:
    """Student's t interval of the geometric mean ratio over rounds (the round t's own)."""
    if logs.size < 2:
        return math.nan, math.nan
    half = float(stats.t.ppf((1.0 + ci_level) / 2.0, logs.size - 1)) * float(logs.std(ddof=1))
    half /= math.sqrt(logs.size)
    mean = float(logs.mean())
    return math.exp(mean - half), math.exp(mean + half)


# -------------------------------------------------------------------------------- the decision


@dataclass(frozen=True)
class PairedDecision:
    comparison: PairedComparison
    verdict: Verdict
    reason: str
    p_adjusted: float | None
    min_effect: float
    rounds_needed: int | None = None  # when more rounds would (or could) tell

    @property
    def key(self) -> Key:
        return self.comparison.key

    @property
    def metric(self) -> str | None:
        return self.comparison.metric

    @property
    def worse_pct(self) -> float:
        return self.comparison.worse_fraction * 100.0


def describe(rule: Rule, n_comparisons: int | None = None, *, test: str = DEFAULT_PAIRED_TEST) -> str:
    """The paired rule in one line, like :meth:`Rule.describe`."""
    over = f" over {n_comparisons} comparisons" if n_comparisons is not None else ""
    return (
        f"regression = {PAIRED_TESTS[test]} two-sided p ≤ {rule.alpha:g} after "
        f"{CORRECTIONS[rule.correction]}{over} AND geometric mean of round ratios ≥ "
        f"{rule.min_effect * 100:g} % worse"
    )


def decide_paired(
    comparisons: Sequence[PairedComparison], rule: Rule, *, test: str = DEFAULT_PAIRED_TEST
) -> list[PairedDecision]:
    """One verdict over every comparison given: corrected together, as ``bench compare`` does."""
    if test not in PAIRED_TESTS:
        raise BenchError(
            f"unknown paired test {test!r}", field="test", hint=f"one of: {', '.join(PAIRED_TESTS)}"
        )
    decisions: list[PairedDecision | None] = []
    entering: list[int] = []
    for index, comparison in enumerate(comparisons):
        effect = rule.min_effect_for(comparison.metric)
        if comparison.problem is not None or math.isnan(comparison.result(test).p_value):
            why = comparison.problem or "no rank test possible on these rounds"
            decisions.append(PairedDecision(comparison, Verdict.NOT_COMPARABLE, why, None, effect))
        else:
            decisions.append(None)
            entering.append(index)
    k = len(entering)
    if k:
        picked = [comparisons[i] for i in entering]
        effects = np.array([rule.min_effect_for(c.metric) for c in picked])
        codes, adjusted = decide_batch(
            p_values=np.array([c.result(test).p_value for c in picked]),
            min_p=np.array([c.result(test).min_p for c in picked]),
            worse=np.array([c.worse_fraction for c in picked]),
            min_effect=effects,
            alpha=rule.alpha,
            correction=rule.correction,
        )
        for j, index in enumerate(entering):
            decisions[index] = _decision(
                picked[j], int(codes[j]), float(adjusted[j]), float(effects[j]), rule, k, test
            )
    return [d for d in decisions if d is not None]


_VERDICTS = (Verdict.REGRESSION, Verdict.IMPROVEMENT, Verdict.NO_CHANGE, Verdict.NOT_COMPARABLE)


def _decision(
    comparison: PairedComparison, code: int, adjusted: float, effect: float, rule: Rule, k: int, test: str
) -> PairedDecision:
    result = comparison.result(test)
    verdict = _VERDICTS[code]
    threshold = rule.alpha / k
    worse = comparison.worse_fraction
    size = f"{abs(worse) * 100:.1f} % {'worse' if worse > 0 else 'better'}" if worse else "unchanged"
    where = f"over {comparison.rounds} round{'s' * (comparison.rounds != 1)}"
    p_text = f"adjusted p {adjusted:.2g}"
    if code == CODE_NOT_COMPARABLE and test == "round-t":
        reason = (
            f"too few rounds: {comparison.rounds}; the t test on round ratios needs at least "
            f"{ROUND_T_MIN_ROUNDS}"
        )
        return PairedDecision(comparison, verdict, reason, adjusted, effect, ROUND_T_MIN_ROUNDS)
    if code == CODE_NOT_COMPARABLE:
        needed = rounds_needed(per_round=comparison.per_round, threshold=threshold)
        n, m = comparison.per_round
        reason = (
            f"too few rounds: {comparison.rounds} of {n} vs {m} repetitions reach p ≥ "
            f"{result.min_p:.2g}, "
            f"not the {threshold:.2g} a single change needs (alpha {rule.alpha:g} / {k}, "
            f"{CORRECTIONS[rule.correction]}); {needed} rounds would"
        )
        return PairedDecision(comparison, verdict, reason, adjusted, effect, needed)
    if verdict in (Verdict.REGRESSION, Verdict.IMPROVEMENT):
        reason = f"{size} {where}, {p_text} ≤ {rule.alpha:g}, beyond the {effect * 100:g} % minimum effect"
        return PairedDecision(comparison, verdict, reason, adjusted, effect)
    if worse < effect:  # an apparent improvement too: its interval may still reach a regression
        reach = _worse_bound(comparison)
        if reach is not None and reach >= effect:
            return _not_held(comparison, reach, worse, effect, adjusted, f"{size} {where}", p_text)
    if adjusted <= rule.alpha:
        reason = f"{size} {where} is significant ({p_text}) but within the {effect * 100:g} % minimum effect"
        return PairedDecision(comparison, verdict, reason, adjusted, effect)
    if abs(worse) >= effect:
        # The rank statistic grows like sqrt(rounds) when the shift holds: how many would reach it.
        z_needed = float(stats.norm.isf(threshold / 2.0))
        z = abs(result.z)
        estimate = math.ceil(comparison.rounds * (z_needed / z) ** 2) if z > 0 else None
        more = f"; about {estimate} rounds would tell if it holds" if estimate else ""
        reason = f"{size} {where} but not significant ({p_text} > {rule.alpha:g}){more}"
        return PairedDecision(comparison, verdict, reason, adjusted, effect, estimate)
    return PairedDecision(
        comparison, verdict, f"{size} {where}, not significant ({p_text})", adjusted, effect
    )


def _not_held(
    comparison: PairedComparison,
    reach: float,
    worse: float,
    effect: float,
    adjusted: float,
    what: str,
    p_text: str,
) -> PairedDecision:
    """Within the minimum effect, but the interval still reaches a regression of it: the rounds could
    not tell, so no change did not hold. The interval narrows like 1 / sqrt(rounds)."""
    half = reach - worse
    room = effect - max(worse, 0.0)
    needed = math.ceil(comparison.rounds * (half / room) ** 2) + 1 if half > 0 and room > 0 else None
    more = f"; about {needed} rounds would tell" if needed else ""
    reason = (
        f"{what} ({p_text}), but its {comparison.ci_level:.0%} interval reaches {reach * 100:.1f} % worse, "
        f"beyond the {effect * 100:g} % minimum effect: not held{more}"
    )
    return PairedDecision(comparison, Verdict.NOT_COMPARABLE, reason, adjusted, effect, needed)


def _worse_bound(comparison: PairedComparison) -> float | None:
    """How much worse the interval's far end is (a fraction; None without an interval)."""
    bound = comparison.ci_high if comparison.direction is Direction.LOWER_IS_BETTER else comparison.ci_low
    if not math.isfinite(bound):
        return None
    change = bound - 1.0
    return change if comparison.direction is Direction.LOWER_IS_BETTER else -change
