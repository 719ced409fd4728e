"""Prove a decision rule by simulation: false alarms on A/A verdicts, detection of an injected slowdown.

Each simulated verdict compares two separate runs (A and B) drawn from a :class:`NoiseProfile`, over
``n_points`` points x the given metrics, at a repetition count, and applies the rule through the same
array kernel :func:`bench.analysis.regression.decide` uses. Pure and deterministic given ``seed``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np

from bench.analysis.noise import NoiseProfile, slow_sign
from bench.analysis.regression import (
    Rule,
    decide_batch,
    mwu_min_p,
    mwu_p_values,
    welch_log_p_values,
)
from bench.analysis.verdict import CODE_NOT_COMPARABLE, CODE_REGRESSION
from bench.errors import BenchError
from bench.metrics import GATE_METRICS


@dataclass(frozen=True)
class SimulationRates:
    rule: str  # Rule.spec()
    repetitions: int
    baseline_runs: int  # the baseline pools this many separate runs' repetitions
    n_points: int
    metrics: tuple[str, ...]
    n_verdicts: int
    slowdown: float  # the injected factor: times x slowdown, rates / slowdown
    false_alarm_rate: float  # A/A: share of whole verdicts with at least one regression
    detection_rate_all: float  # slowdown on every point and metric: share of verdicts that fail
    sensitivity_all: float  # ... and the share of those comparisons called regressions
    detection_rate_single: Mapping[
        str, float
    ]  # slowdown on one point of one metric: share where it is called
    not_comparable_rate: float  # share of A/A comparisons the rule cannot decide (too few samples)

    @property
    def detection_rate_single_min(self) -> float:
        return min(self.detection_rate_single.values())


def simulate_rule(
    profile: NoiseProfile,
    rule: Rule,
    *,
    repetitions: int,
    n_points: int = 20,
    metrics: Sequence[str] = GATE_METRICS,
    n_verdicts: int = 2000,
    slowdown: float = 1.10,
    baseline_runs: int = 1,
    seed: int = 0,
) -> SimulationRates:
    """Rates of ``rule`` on verdicts of ``n_points`` x ``metrics`` at ``repetitions`` per run; the
    baseline pools the repetitions of ``baseline_runs`` separate runs, the candidate is one run."""
    if min(repetitions, n_points, n_verdicts, baseline_runs) < 1 or not metrics:
        raise BenchError(
            "repetitions, n_points, n_verdicts, baseline_runs and metrics must be positive",
            field="simulation",
        )
    if slowdown < 1:
        raise BenchError(f"a slowdown is a factor >= 1, got {slowdown}", field="slowdown")
    rng = np.random.default_rng(seed)
    p_null: list[np.ndarray] = []
    worse_null: list[np.ndarray] = []
    p_slow: list[np.ndarray] = []
    worse_slow: list[np.ndarray] = []
    for metric in metrics:
        runs = [
            profile.simulate(metric, rng=rng, n_runs=n_verdicts, n_points=n_points, repetitions=repetitions)
            for _ in range(baseline_runs)
        ]
        a = np.concatenate(runs, axis=-1)
        b = profile.simulate(metric, rng=rng, n_runs=n_verdicts, n_points=n_points, repetitions=repetitions)
        # The slowed candidate is the same run B made slower: common random numbers sharpen the contrast.
        b_slow = b * slowdown ** slow_sign(metric)
        for base, cand, p_out, worse_out in ((a, b, p_null, worse_null), (a, b_slow, p_slow, worse_slow)):
            p_out.append(_p_values(rule.test, base, cand))
            worse_out.append(_worse(metric, base, cand))
    min_p = mwu_min_p(repetitions * baseline_runs, repetitions) if rule.test == "mwu" else 0.0
    effects = np.repeat([rule.min_effect_for(m) for m in metrics], n_points)

    def codes(p: list[np.ndarray], worse: list[np.ndarray]) -> np.ndarray:
        return decide_batch(
            p_values=np.concatenate(p, axis=1),
            min_p=min_p,
            worse=np.concatenate(worse, axis=1),
            min_effect=effects,
            alpha=rule.alpha,
            correction=rule.correction,
        )[0]

    null_codes = codes(p_null, worse_null)
    slow_codes = codes(p_slow, worse_slow)
    single: dict[str, float] = {}
    for m, metric in enumerate(metrics):
        # Only point 0 of this metric is slowed; every other comparison is the A/A one.
        p_mixed = [p.copy() for p in p_null]
        worse_mixed = [w.copy() for w in worse_null]
        p_mixed[m][:, 0] = p_slow[m][:, 0]
        worse_mixed[m][:, 0] = worse_slow[m][:, 0]
        single[metric] = float(np.mean(codes(p_mixed, worse_mixed)[:, m * n_points] == CODE_REGRESSION))
    return SimulationRates(
        rule=rule.spec(),
        repetitions=repetitions,
        baseline_runs=baseline_runs,
        n_points=n_points,
        metrics=tuple(metrics),
        n_verdicts=n_verdicts,
        slowdown=slowdown,
        false_alarm_rate=float(np.mean((null_codes == CODE_REGRESSION).any(axis=1))),
        detection_rate_all=float(np.mean((slow_codes == CODE_REGRESSION).any(axis=1))),
        sensitivity_all=float(np.mean(slow_codes == CODE_REGRESSION)),
        detection_rate_single=MappingProxyType(single),
        not_comparable_rate=float(np.mean(null_codes == CODE_NOT_COMPARABLE)),
    )


def _p_values(test: str, base: np.ndarray, cand: np.ndarray) -> np.ndarray:
    if test == "mwu":
        return mwu_p_values(base, cand, exact=True)  # simulated samples are continuous: no ties
    if test == "welch-log":
        return welch_log_p_values(base, cand)
    raise BenchError(f"cannot simulate test {test!r}", field="rule.test")


def _worse(metric: str, base: np.ndarray, cand: np.ndarray) -> np.ndarray:
    ratio = np.median(cand, axis=-1) / np.median(base, axis=-1)
    return slow_sign(metric) * (ratio - 1.0)
