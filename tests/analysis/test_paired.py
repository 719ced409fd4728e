"""Paired statistics of interleaved rounds (bench ab) on known numbers."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from bench.analysis.paired import (
    PAIRED_TESTS,
    compare_rounds,
    decide_paired,
    rank_sum_distribution,
    rounds_needed,
    van_elteren,
    van_elteren_min_p,
)
from bench.analysis.regression import Rule, Verdict, compare_samples, decide

LEVELS = (1.0, 1.3, 0.7, 1.25, 0.8, 1.15, 0.75, 1.2)  # whole rounds drifting by up to ±30 %


def _rounds(levels, *, slowdown: float = 1.0, noise: float = 0.01, reps: int = 3, seed: int = 0):
    """Decode times (ms) round by round: both sides share the round's level; candidate x slowdown."""
    rng = np.random.default_rng(seed)
    return [
        (
            10.0 * level * (1 + noise * rng.standard_normal(reps)),
            10.0 * level * slowdown * (1 + noise * rng.standard_normal(reps)),
        )
        for level in levels
    ]


def test_rank_sum_distribution_is_the_counting_one() -> None:
    dist = rank_sum_distribution(6, 3)
    support = np.nonzero(dist)[0]
    assert math.isclose(dist.sum(), 1.0)
    assert (support.min(), support.max()) == (6, 15)  # 1+2+3 .. 4+5+6
    assert math.isclose(dist[6], 1 / 20) and math.isclose(dist[10], 3 / 20)  # {1,3,6},{1,4,5},{2,3,5}


def test_one_round_is_exactly_mann_whitney() -> None:
    base, cand = [10.2, 9.8, 10.5, 9.9, 10.1], [10.4, 10.9, 11.3, 10.0]
    ours = van_elteren([(base, cand)])
    assert ours.exact
    assert math.isclose(ours.p_value, stats.mannwhitneyu(cand, base, method="exact").pvalue)


def test_floor_and_rounds_needed() -> None:
    assert math.isclose(van_elteren_min_p([(3, 3)] * 4), 2 / 20**4)
    # alpha 0.01 over 5 comparisons: 2 / 20^R <= 0.002 first at R = 3 (20^2 = 400 < 1000 <= 8000)
    assert rounds_needed(per_round=(3, 3), threshold=0.002) == 3
    assert rounds_needed(per_round=(3, 3), threshold=1e-4) == 4  # 100 comparisons: 20^3 < 2e4 <= 20^4
    assert rounds_needed(per_round=(5, 5), threshold=1e-4) == 2  # C(10, 5) = 252: 252 < 2e4 <= 252^2


def test_complete_separation_in_every_round_reaches_the_floor() -> None:
    rounds = [([1.0, 2.0, 3.0], [4.0, 5.0, 6.0])] * 4
    result = van_elteren(rounds)
    assert result.exact and math.isclose(result.p_value, 2 / 20**4) and result.z > 0


def test_ties_use_the_normal_approximation_never_below_the_floor() -> None:
    rounds = [([1.0, 1.0, 2.0], [2.0, 3.0, 3.0])] * 2
    result = van_elteren(rounds)
    assert not result.exact
    assert result.p_value >= van_elteren_min_p([(3, 3)] * 2)


@pytest.mark.parametrize("test", PAIRED_TESTS)
def test_a_drift_that_shifts_whole_rounds_raises_no_alarm(test: str) -> None:
    rounds = _rounds(LEVELS, seed=3)
    decisions = decide_paired([compare_rounds(rounds=rounds, metric="tpot_ms")], Rule(), test=test)
    assert decisions[0].verdict is Verdict.NO_CHANGE
    assert abs(decisions[0].comparison.change_pct) < 2.0


@pytest.mark.parametrize("test", PAIRED_TESTS)
def test_a_real_ten_percent_slowdown_is_called_through_the_drift(test: str) -> None:
    rounds = _rounds(LEVELS, slowdown=1.10, seed=4)
    paired = compare_rounds(rounds=rounds, metric="tpot_ms")
    decision = decide_paired([paired], Rule(), test=test)[0]
    assert decision.verdict is Verdict.REGRESSION, decision.reason
    assert 9.0 < paired.change_pct < 12.0 and 1.05 < paired.ci_low <= paired.ratio <= paired.ci_high < 1.15
    # The same samples pooled across rounds, as an unpaired test sees them: the drift hides it.
    pooled = compare_samples(
        baseline=np.concatenate([b for b, _ in rounds]),
        candidate=np.concatenate([c for _, c in rounds]),
        metric="tpot_ms",
    )
    assert decide([pooled], Rule())[0].verdict is not Verdict.REGRESSION


@pytest.mark.parametrize("test", PAIRED_TESTS)
def test_a_slowdown_in_a_rate_is_a_regression_too(test: str) -> None:
    rounds = [(1000.0 / b, 1000.0 / c) for b, c in _rounds(LEVELS, slowdown=1.10, seed=5)]
    decision = decide_paired(
        [compare_rounds(rounds=rounds, metric="decode_tokens_per_s")], Rule(), test=test
    )[0]
    assert decision.verdict is Verdict.REGRESSION and decision.worse_pct > 8


def test_too_few_rounds_is_not_comparable_with_the_rounds_needed() -> None:
    comparisons = [
        compare_rounds(rounds=_rounds(LEVELS[:2], slowdown=1.10, seed=s), metric=m, key=("p", m))
        for s, m in enumerate(
            ("ttft_ms", "tpot_ms", "e2e_latency_ms", "prefill_tokens_per_s", "decode_tokens_per_s")
        )
    ]
    decisions = decide_paired(comparisons, Rule(), test="van-elteren")
    assert all(d.verdict is Verdict.NOT_COMPARABLE for d in decisions)
    assert {d.rounds_needed for d in decisions} == {3}
    assert "3 rounds would" in decisions[0].reason


def test_large_but_not_significant_says_about_how_many_rounds() -> None:
    rounds = [([10.0, 10.4, 10.9], [10.6, 11.3, 11.6]), ([10.2, 10.5, 11.0], [10.9, 11.4, 10.4])] * 2
    decision = decide_paired([compare_rounds(rounds=rounds, metric="tpot_ms")], Rule(), test="van-elteren")[0]
    # W = 14 and 12 per round pair (exact p 0.036): 6.2 % worse, not significant at 0.01.
    assert decision.verdict is Verdict.NO_CHANGE and decision.worse_pct > 5
    assert math.isclose(decision.comparison.test.p_value, 0.035975, rel_tol=1e-4)
    assert decision.rounds_needed == 6 and "about 6 rounds would tell" in decision.reason


def test_correction_runs_over_the_whole_verdict() -> None:
    """A modest, consistent shift: called alone, not among 100 comparisons of no change (Holm)."""
    shifted = compare_rounds(rounds=_rounds(LEVELS[:3], slowdown=1.10, noise=0.03, seed=8), metric="tpot_ms")
    alone = decide_paired([shifted], Rule(), test="van-elteren")[0]
    flat = [compare_rounds(rounds=_rounds(LEVELS[:3], seed=100 + i), metric="tpot_ms") for i in range(99)]
    among = decide_paired([shifted, *flat], Rule(), test="van-elteren")[0]
    assert alone.verdict is Verdict.REGRESSION
    assert among.verdict is Verdict.NOT_COMPARABLE and among.rounds_needed == 4


def test_missing_samples_are_not_comparable() -> None:
    comparison = compare_rounds(rounds=[([], [1.0])], metric="tpot_ms")
    decision = decide_paired([comparison], Rule())[0]
    assert decision.verdict is Verdict.NOT_COMPARABLE and "no round" in decision.reason


def test_a_drift_inside_rounds_fools_the_rank_test_but_not_the_round_t() -> None:
    """One side's half of each round shifted (drift faster than a round), repetitions tight: every
    round is separated, so van Elteren calls it; the rounds disagree, so the t on round ratios does not."""
    halves = (1.12, 1.01, 1.15, 1.09, 1.02, 1.10)  # mean +8 %, the rounds spread by ~5.5 %
    rounds = [([10.0, 10.01, 9.99], [10.0 * h, 10.01 * h, 9.99 * h]) for h in halves]
    comparison = compare_rounds(rounds=rounds, metric="tpot_ms")
    assert decide_paired([comparison], Rule(), test="van-elteren")[0].verdict is Verdict.REGRESSION
    round_t = decide_paired([comparison], Rule(), test="round-t")[0]
    assert round_t.verdict is Verdict.NO_CHANGE and round_t.rounds_needed is not None
    assert 0.01 < comparison.round_t.p_value < 0.2


def test_round_t_needs_three_rounds() -> None:
    comparison = compare_rounds(rounds=_rounds(LEVELS[:2], slowdown=1.2, seed=9), metric="tpot_ms")
    decision = decide_paired([comparison], Rule(), test="round-t")[0]
    assert decision.verdict is Verdict.NOT_COMPARABLE and decision.rounds_needed == 3


def test_simulated_ab_cancels_the_measured_vm_drift() -> None:
    """The VM's run-level drift (decode sd ~11 %, every point together) is what made separate runs
    cry wolf in 75-92 % of A/A verdicts; drawn per round and shared by both sides, pairing cancels it."""
    import json
    from pathlib import Path

    from bench.analysis.ab_simulation import simulate_ab
    from bench.analysis.noise import NoiseProfile

    profile = NoiseProfile.from_dict(
        json.loads((Path(__file__).parent / "data" / "noise_profile_ci_gate_vm.json").read_text())
    )
    aa = simulate_ab(profile, Rule(), rounds=6, repetitions=3, n_verdicts=60)
    slow = simulate_ab(profile, Rule(), rounds=6, repetitions=3, n_verdicts=60, slowdown=1.10, seed=1)
    assert aa.fail_rate == 0 and aa.not_comparable_rate == 0  # the 1000-verdict figures: docs
    assert slow.fail_rate >= 0.95


def _shifted_rounds(log_ratios, *, reps: int = 3):
    """Rounds whose candidate / baseline ratio is exp(log_ratio), with no spread within a round."""
    return [([10.0] * reps, [10.0 * math.exp(x)] * reps) for x in log_ratios]


def test_no_change_holds_only_when_the_interval_rules_out_the_minimum_effect() -> None:
    """Not significant is not enough: with rounds this noisy the interval still reaches a 5 % regression,
    so the rounds could not tell (NOT_COMPARABLE, with about how many would); the same mean ratio
    measured precisely holds."""
    rng = np.random.default_rng(11)
    noisy = rng.normal(0.0, 0.08, 8)
    noisy += 0.005 - noisy.mean()  # 0.5 % worse on average, round sd 8 %
    decision = decide_paired([compare_rounds(rounds=_shifted_rounds(noisy), metric="tpot_ms")], Rule())[0]
    paired = decision.comparison
    assert decision.verdict is Verdict.NOT_COMPARABLE and "not held" in decision.reason
    assert paired.ci_high > 1.05 and decision.rounds_needed is not None and decision.rounds_needed > 8
    assert f"about {decision.rounds_needed} rounds would tell" in decision.reason
    # The interval is the round t's own: Student's t over the round log ratios.
    half = stats.t.ppf(0.975, 7) * noisy.std(ddof=1) / math.sqrt(8)
    assert math.isclose(paired.ci_high, math.exp(noisy.mean() + half), rel_tol=1e-9)

    precise = noisy * 0.1 + 0.9 * noisy.mean()  # same mean, a tenth of the spread
    held = decide_paired([compare_rounds(rounds=_shifted_rounds(precise), metric="tpot_ms")], Rule())[0]
    assert held.verdict is Verdict.NO_CHANGE and held.comparison.ci_high < 1.05


def test_a_small_significant_change_whose_interval_reaches_the_effect_is_not_held() -> None:
    rounds = _shifted_rounds([0.03, 0.035, 0.02, 0.045, 0.025, 0.04])  # ~3 % worse, interval to ~4.5 %
    rule = Rule(min_effect=0.04)
    decision = decide_paired([compare_rounds(rounds=rounds, metric="tpot_ms")], rule)[0]
    assert decision.comparison.ci_high - 1 >= 0.04 and decision.verdict is Verdict.NOT_COMPARABLE
    assert decide_paired([compare_rounds(rounds=rounds, metric="tpot_ms")], Rule())[0].verdict is (
        Verdict.NO_CHANGE  # with the default 5 % minimum effect the interval rules it out
    )
