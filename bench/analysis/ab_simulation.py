"""Prove the paired rule of ``bench ab`` by simulation (pure; deterministic given ``seed``).

Each simulated verdict is one ``bench ab`` run: ``rounds`` rounds, each measuring every point on both
sides with ``repetitions`` repetitions. Noise, per metric, from a :class:`NoiseProfile` fitted on
separate runs (docs/STATISTICS.md):

* the **run-level drift** (``between_sd``, its shared part common to every point) is drawn per *round*
  and shared by both sides of the round: the drift pairing is meant to cancel, at its full measured size;
* a **side-block effect** per (round, point, side), ``block_sd``: whatever moves one side's few
  repetitions of a round and not the other's (drift faster than a round); not cancelled by pairing,
  measured on real A/A ``bench ab`` runs; plus the profile's slow run-points, applied to side blocks;
* repetition noise and slow repetition outliers as in the profile.

The candidate is ``slowdown`` slower on every point and metric (times x slowdown, rates / slowdown).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from bench.analysis.noise import NoiseProfile, _outliers, slow_sign
from bench.analysis.paired import DEFAULT_PAIRED_TEST, PAIRED_TESTS, compare_rounds
from bench.analysis.regression import Rule, decide_batch
from bench.analysis.verdict import CODE_NOT_COMPARABLE, CODE_REGRESSION
from bench.metrics import GATE_METRICS


@dataclass(frozen=True)
class AbSimulationRates:
    rounds: int
    repetitions: int
    n_points: int
    metrics: tuple[str, ...]
    n_verdicts: int
    slowdown: float
    block_sd: float
    test: str
    fail_rate: float  # share of verdicts with at least one regression (A/A: the false-alarm rate)
    called_rate: float  # share of comparisons called regressions
    not_comparable_rate: float  # share of comparisons the rounds cannot decide


def simulate_ab(
    profile: NoiseProfile,
    rule: Rule,
    *,
    rounds: int,
    repetitions: int,
    n_points: int = 1,
    metrics: Sequence[str] = GATE_METRICS,
    n_verdicts: int = 1000,
    slowdown: float = 1.0,
    block_sd: float = 0.0,
    test: str = DEFAULT_PAIRED_TEST,
    seed: int = 0,
) -> AbSimulationRates:
    """One paired test; see :func:`simulate_ab_tests`."""
    return simulate_ab_tests(
        profile, rule, rounds=rounds, repetitions=repetitions, n_points=n_points, metrics=metrics,
        n_verdicts=n_verdicts, slowdown=slowdown, block_sd=block_sd, tests=(test,), seed=seed,
    )[test]  # fmt: skip


def simulate_ab_tests(
    profile: NoiseProfile,
    rule: Rule,
    *,
    rounds: int,
    repetitions: int,
    n_points: int = 1,
    metrics: Sequence[str] = GATE_METRICS,
    n_verdicts: int = 1000,
    slowdown: float = 1.0,
    block_sd: float = 0.0,
    tests: Sequence[str] = tuple(PAIRED_TESTS),
    seed: int = 0,
) -> dict[str, AbSimulationRates]:
    """The same simulated verdicts decided by each of ``tests``."""
    rng = np.random.default_rng(seed)
    k = n_points * len(metrics)
    fails = dict.fromkeys(tests, 0)
    called = dict.fromkeys(tests, 0)
    undecided = dict.fromkeys(tests, 0)
    for _ in range(n_verdicts):
        comparisons = []
        # One draw of the shared drift per round serves every metric's shared part, as in a real run.
        shared = rng.standard_normal((rounds, 1))
        for metric in metrics:
            noise = profile.metric(metric)
            sign = slow_sign(metric)
            drift = noise.between_sd * math.sqrt(
                noise.shared_fraction
            ) * shared + noise.between_sd * math.sqrt(1 - noise.shared_fraction) * rng.standard_normal(
                (rounds, n_points)
            )  # (rounds, points): the same for both sides of a round
            sides = []
            for side_slowdown in (1.0, slowdown):
                block = rng.normal(0.0, block_sd, (rounds, n_points, 1)) + sign * _outliers(
                    rng,
                    (rounds, n_points, 1),
                    noise.run_outlier_rate,
                    noise.run_outlier_threshold,
                    noise.run_outlier_scale,
                )
                reps = rng.normal(0.0, noise.within_sd, (rounds, n_points, repetitions)) + sign * _outliers(
                    rng,
                    (rounds, n_points, repetitions),
                    noise.outlier_rate,
                    noise.outlier_threshold,
                    noise.outlier_scale,
                )
                sides.append(np.exp(drift[..., None] + block + reps + sign * math.log(side_slowdown)))
            for point in range(n_points):
                comparisons.append(
                    compare_rounds(
                        rounds=[(sides[0][r, point], sides[1][r, point]) for r in range(rounds)],
                        metric=metric,
                    )
                )
        for test in tests:
            codes, _ = decide_batch(
                p_values=np.array([c.result(test).p_value for c in comparisons]),
                min_p=np.array([c.result(test).min_p for c in comparisons]),
                worse=np.array([c.worse_fraction for c in comparisons]),
                min_effect=np.array([rule.min_effect_for(c.metric) for c in comparisons]),
                alpha=rule.alpha,
                correction=rule.correction,
            )
            regressions = int((codes == CODE_REGRESSION).sum())
            fails[test] += regressions > 0
            called[test] += regressions
            undecided[test] += int((codes == CODE_NOT_COMPARABLE).sum())
    return {
        test: AbSimulationRates(
            rounds=rounds,
            repetitions=repetitions,
            n_points=n_points,
            metrics=tuple(metrics),
            n_verdicts=n_verdicts,
            slowdown=slowdown,
            block_sd=block_sd,
            test=test,
            fail_rate=fails[test] / n_verdicts,
            called_rate=called[test] / (n_verdicts * k),
            not_comparable_rate=undecided[test] / (n_verdicts * k),
        )
        for test in tests
    }
