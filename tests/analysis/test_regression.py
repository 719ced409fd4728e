"""The decision rule on hand-made samples: statistics, the min-effect gate, corrections, exclusions."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from scipy import stats

from bench.analysis.regression import (
    Comparison,
    Rule,
    Significance,
    Verdict,
    adjust_p_values,
    compare_samples,
    compare_to_expectation,
    decide,
    decide_batch,
    mwu_min_p,
)
from bench.analysis.verdict import CODE_NOT_COMPARABLE, CODE_REGRESSION
from bench.errors import BenchError
from bench.metrics import Direction


def noisy(center: float, n: int = 10, sd: float = 0.01, seed: int = 0) -> np.ndarray:
    return center * np.exp(sd * np.random.default_rng(seed).standard_normal(n))


def with_p(comparison: Comparison, p: float, *, min_p: float = 0.0) -> Comparison:
    """The same comparison with a chosen Mann-Whitney p-value (to test the correction in isolation)."""
    return dataclasses.replace(comparison, tests=(Significance("mwu", p, min_p),))


# --------------------------------------------------------------------------------- compare_samples


def test_comparison_reports_medians_ratio_change_and_an_interval_around_it():
    base, cand = noisy(100.0, seed=1), noisy(112.0, seed=2)
    c = compare_samples(baseline=base, candidate=cand, metric="ttft_ms", key=("p1", "ttft_ms"))
    assert c.key == ("p1", "ttft_ms") and c.direction is Direction.LOWER_IS_BETTER
    assert (c.n_baseline, c.n_candidate) == (10, 10)
    assert c.baseline_median == pytest.approx(np.median(base))
    assert c.ratio == pytest.approx(np.median(cand) / np.median(base))
    assert c.change_pct == pytest.approx((c.ratio - 1) * 100)
    assert c.ci_low < c.ratio < c.ci_high and c.ci_level == 0.95
    assert c.ci_low_pct < c.change_pct < c.ci_high_pct
    assert c.baseline_ci_low <= c.baseline_median <= c.baseline_ci_high
    assert c.candidate_ci_low <= c.candidate_median <= c.candidate_ci_high
    assert c.worse_fraction == pytest.approx(c.ratio - 1)


def test_bootstrap_interval_is_deterministic_given_the_seed():
    base, cand = noisy(100.0, sd=0.05, seed=1), noisy(103.0, sd=0.05, seed=2)
    first = compare_samples(baseline=base, candidate=cand, direction="lower", seed=7)
    again = compare_samples(baseline=base, candidate=cand, direction="lower", seed=7)
    other = compare_samples(baseline=base, candidate=cand, direction="lower", seed=8)
    assert (first.ci_low, first.ci_high) == (again.ci_low, again.ci_high)
    assert (first.ci_low, first.ci_high) != (other.ci_low, other.ci_high)


def test_p_values_are_scipys_exact_mann_whitney_and_welch_on_logs():
    base, cand = noisy(100.0, seed=3), noisy(101.0, seed=4)
    c = compare_samples(baseline=base, candidate=cand, direction="higher")
    mwu = stats.mannwhitneyu(cand, base, method="exact").pvalue
    welch = stats.ttest_ind(np.log(cand), np.log(base), equal_var=False).pvalue
    assert c.test_result("mwu").p_value == pytest.approx(mwu)
    assert c.test_result("welch-log").p_value == pytest.approx(welch)


def test_ties_fall_back_to_the_tie_corrected_normal_approximation():
    base, cand = [10.0, 10.0, 11.0, 12.0, 12.0], [12.0, 13.0, 13.0, 14.0, 15.0]
    c = compare_samples(baseline=base, candidate=cand, direction="lower")
    assert c.test_result("mwu").p_value == pytest.approx(
        stats.mannwhitneyu(cand, base, method="asymptotic").pvalue
    )


def test_smallest_mann_whitney_p_is_the_complete_separation_one():
    assert mwu_min_p(5, 5) == pytest.approx(2 / 252)
    assert mwu_min_p(10, 10) == pytest.approx(2 / math.comb(20, 10))
    separated = compare_samples(baseline=[1, 2, 3, 4, 5], candidate=[6, 7, 8, 9, 10], direction="lower")
    assert separated.test_result("mwu").p_value == pytest.approx(mwu_min_p(5, 5))


def test_direction_defaults_to_the_metric_registry():
    c = compare_samples(baseline=[1.0, 2.0], candidate=[1.0, 2.0], metric="decode_tokens_per_s")
    assert c.direction is Direction.HIGHER_IS_BETTER
    with pytest.raises(BenchError) as caught:
        compare_samples(baseline=[1.0], candidate=[1.0])
    assert caught.value.field == "direction"


@pytest.mark.parametrize(
    ("baseline", "candidate", "problem"),
    [
        ([], [1.0, 2.0], "no samples"),
        ([1.0, math.nan], [1.0, 2.0], "non-finite"),
        ([0.0, 0.0], [1.0], "not positive"),
    ],
)
def test_unusable_samples_are_a_problem_not_a_crash(baseline, candidate, problem):
    c = compare_samples(baseline=baseline, candidate=candidate, direction="lower")
    assert problem in (c.problem or "")
    (decision,) = decide([c], Rule())
    assert decision.verdict is Verdict.NOT_COMPARABLE and problem in decision.reason


# ----------------------------------------------------------------------------------------- decide


def test_a_slower_latency_and_a_lower_throughput_are_both_regressions():
    slower = compare_samples(baseline=noisy(10.0, seed=1), candidate=noisy(11.5, seed=2), metric="tpot_ms")
    fewer = compare_samples(
        baseline=noisy(900.0, seed=3), candidate=noisy(780.0, seed=4), metric="decode_tokens_per_s"
    )
    faster = compare_samples(baseline=noisy(10.0, seed=5), candidate=noisy(8.5, seed=6), metric="ttft_ms")
    verdicts = [d.verdict for d in decide([slower, fewer, faster], Rule())]
    assert verdicts == [Verdict.REGRESSION, Verdict.REGRESSION, Verdict.IMPROVEMENT]


def test_a_significant_change_below_the_minimum_effect_is_no_change():
    small = compare_samples(baseline=noisy(10.0, seed=1), candidate=noisy(10.3, seed=2), metric="tpot_ms")
    (decision,) = decide([small], Rule())
    assert decision.p_adjusted is not None and decision.p_adjusted < 0.01
    assert decision.verdict is Verdict.NO_CHANGE
    assert "within the 5 % minimum effect" in decision.reason
    (stricter,) = decide([small], Rule(min_effect_per_metric={"tpot_ms": 0.02}))
    assert stricter.verdict is Verdict.REGRESSION and stricter.min_effect == 0.02


def test_a_comparison_override_of_the_minimum_effect_wins_over_the_rule():
    base, cand = noisy(10.0, seed=1), noisy(10.3, seed=2)
    c = compare_samples(baseline=base, candidate=cand, metric="tpot_ms", min_effect=0.01)
    (decision,) = decide([c], Rule(min_effect_per_metric={"tpot_ms": 0.2}))
    assert decision.verdict is Verdict.REGRESSION and decision.min_effect == 0.01


def test_a_large_change_buried_in_noise_is_not_called_and_says_why():
    c = compare_samples(
        baseline=noisy(10.0, n=6, sd=0.3, seed=1),
        candidate=noisy(11.0, n=6, sd=0.3, seed=2),
        metric="tpot_ms",
    )
    (decision,) = decide([dataclasses.replace(c, ratio=1.2)], Rule())
    assert decision.verdict is Verdict.NO_CHANGE
    assert "not significant" in decision.reason and "more repetitions" in decision.reason


def test_holm_lets_a_lone_change_through_but_not_among_a_hundred():
    base = compare_samples(baseline=noisy(10.0, seed=1), candidate=noisy(11.0, seed=2), metric="tpot_ms")
    lone = with_p(base, 0.004)
    assert decide([lone], Rule())[0].verdict is Verdict.REGRESSION
    crowd = [with_p(base, 0.004)] + [dataclasses.replace(with_p(base, 0.5), ratio=1.0)] * 99
    decisions = decide(crowd, Rule())
    assert decisions[0].verdict is Verdict.NO_CHANGE
    assert decisions[0].p_adjusted == pytest.approx(0.4)


def test_benjamini_hochberg_calls_more_of_many_real_changes_than_holm():
    base = compare_samples(baseline=noisy(10.0, seed=1), candidate=noisy(11.0, seed=2), metric="tpot_ms")
    family = [with_p(base, p) for p in (0.003, 0.004, 0.005, 0.006, 0.008)]
    holm = [d.verdict for d in decide(family, Rule(alpha=0.01))]
    bh = [d.verdict for d in decide(family, Rule(alpha=0.01, correction="bh"))]
    assert holm.count(Verdict.REGRESSION) == 0 and bh.count(Verdict.REGRESSION) == 5


def test_adjusted_p_values_match_hand_computation():
    p = np.array([0.01, 0.04, 0.03, 0.005])
    np.testing.assert_allclose(adjust_p_values(p, "holm"), [0.03, 0.06, 0.06, 0.02])
    np.testing.assert_allclose(adjust_p_values(p, "bh"), [0.02, 0.04, 0.04, 0.02])


def test_too_few_repetitions_for_the_correction_is_not_comparable_not_a_silent_pass():
    # n = 5 vs 5 completely separated: p = 2/252 ≈ 0.0079, enough alone but never after Holm over 100.
    separated = compare_samples(
        baseline=[10, 10.1, 10.2, 10.3, 10.4], candidate=[12, 12.1, 12.2, 12.3, 12.4], metric="tpot_ms"
    )
    assert decide([separated], Rule())[0].verdict is Verdict.REGRESSION
    decisions = decide([separated] * 100, Rule())
    assert {d.verdict for d in decisions} == {Verdict.NOT_COMPARABLE}
    assert decisions[0].reason.startswith("too few samples (n=5 vs 5) for Mann-Whitney U")
    assert "0.0001" in decisions[0].reason
    # Welch's t has no floor on its p-value, so the same data stay comparable under it.
    assert {d.verdict for d in decide([separated] * 100, Rule(test="welch-log"))} == {Verdict.REGRESSION}


def test_flagged_points_are_reported_but_left_out_unless_asked():
    good = compare_samples(baseline=noisy(10.0, seed=1), candidate=noisy(10.0, seed=2), metric="tpot_ms")
    flagged = compare_samples(
        baseline=noisy(10.0, seed=3),
        candidate=noisy(13.0, seed=4),
        metric="tpot_ms",
        candidate_state="flagged",
        state_reasons=["throttled 40 % of samples"],
    )
    decisions = decide([good, flagged], Rule())
    assert decisions[1].verdict is Verdict.NOT_COMPARABLE and decisions[1].excluded
    assert "throttled 40 % of samples" in decisions[1].reason
    assert decisions[1].comparison is not None and decisions[1].change_pct == pytest.approx(
        flagged.change_pct
    )
    # Left out of the family: the good comparison is corrected over one comparison, not two.
    assert decisions[0].p_adjusted == pytest.approx(good.test_result("mwu").p_value)
    included = decide([good, flagged], Rule(include_flagged=True))
    assert included[1].verdict is Verdict.REGRESSION and not included[1].excluded


def test_decide_batch_decides_each_row_as_its_own_verdict():
    rng = np.random.default_rng(0)
    p = rng.uniform(0, 0.001, (4, 6))
    worse = rng.uniform(-0.2, 0.2, (4, 6))
    codes, adjusted = decide_batch(
        p_values=p, min_p=0.0, worse=worse, min_effect=0.05, alpha=0.01, correction="holm"
    )
    for row in range(4):
        row_codes, row_adjusted = decide_batch(
            p_values=p[row], min_p=0.0, worse=worse[row], min_effect=0.05, alpha=0.01, correction="holm"
        )
        np.testing.assert_array_equal(codes[row], row_codes)
        np.testing.assert_allclose(adjusted[row], row_adjusted)
    assert ((codes == CODE_REGRESSION) == (worse >= 0.05)).all()
    # Samples too few for any p below 0.01 (the floor): nothing significant, and "no change" would
    # claim more than they can say.
    floor, _ = decide_batch(
        p_values=np.full((4, 6), 0.01),
        min_p=0.01,
        worse=worse,
        min_effect=0.05,
        alpha=0.01,
        correction="holm",
    )
    assert (floor == CODE_NOT_COMPARABLE).all()


def test_a_change_that_passes_its_correction_is_called_even_below_the_lone_change_floor():
    # 40 comparisons of 7 vs 7, each completely separated and 50 % slower: the smallest p, 2/C(14,7)
    # = 5.8e-4, misses the 0.01/40 a lone change needs, but under BH every one passes (adjusted 5.8e-4).
    base = [10.0, 10.1, 10.2, 10.3, 10.4, 10.5, 10.6]
    separated = compare_samples(baseline=base, candidate=[v * 1.5 for v in base], metric="tpot_ms")
    decisions = decide([separated] * 40, Rule(correction="bh"))
    assert {d.verdict for d in decisions} == {Verdict.REGRESSION}
    # Under Holm they do not pass, and then the sample count is the honest reason.
    assert {d.verdict for d in decide([separated] * 40, Rule())} == {Verdict.NOT_COMPARABLE}


# ----------------------------------------------------------------------------- derived baselines


def test_derived_baseline_only_calls_changes_outside_its_wide_band():
    inside = compare_to_expectation(
        expected=1000, tolerance_low=0.3, candidate=[760, 780, 800], metric="decode_tokens_per_s"
    )
    assert (
        inside.verdict is Verdict.NO_CHANGE and inside.baseline_kind == "derived" and inside.p_value is None
    )
    below = compare_to_expectation(
        expected=1000, tolerance_low=0.3, candidate=[500, 510, 520], metric="decode_tokens_per_s"
    )
    assert below.verdict is Verdict.REGRESSION and below.reason.startswith("far below expectation")
    assert below.change_pct == pytest.approx(-49) and below.candidate_median == 510
    slow = compare_to_expectation(
        expected=10, tolerance_low=0.5, tolerance_high=0.2, candidate=[12.5], direction="lower"
    )
    assert slow.verdict is Verdict.REGRESSION and "far above" in slow.reason
    assert slow.expectation is not None and slow.expectation.high == pytest.approx(12)
    fast = compare_to_expectation(
        expected=10, tolerance_low=0.5, tolerance_high=0.2, candidate=[6.0], direction="lower"
    )
    assert fast.verdict is Verdict.NO_CHANGE


def test_derived_baseline_excludes_flagged_points_and_rejects_bad_bands():
    flagged = compare_to_expectation(
        expected=10,
        tolerance_low=0.3,
        candidate=[1.0],
        direction="higher",
        state="flagged",
        state_reasons=["throttled"],
    )
    assert flagged.verdict is Verdict.NOT_COMPARABLE and flagged.excluded
    with pytest.raises(BenchError) as caught:
        compare_to_expectation(expected=10, tolerance_low=-0.1, candidate=[1.0], direction="higher")
    assert caught.value.field == "tolerance_low"
    empty = compare_to_expectation(expected=10, tolerance_low=0.3, candidate=[], direction="higher")
    assert empty.verdict is Verdict.NOT_COMPARABLE
