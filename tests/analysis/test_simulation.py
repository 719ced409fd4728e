"""The decision rule proven by simulation on the shipped noise profile (replace the file to re-prove it).

Whole verdicts of 20 points x the 5 gate metrics, two separate runs each, at the repetition count the
ci-gate scenario needs. Fixed seed, 2000 verdicts: a 1 % rate is then 20 verdicts, and a true rate of 1 %
would exceed the 1 % bound about half the time, so passing means the rule is comfortably inside it.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from bench.analysis.noise import NoiseProfile
from bench.analysis.regression import Rule
from bench.analysis.simulation import simulate_rule
from bench.errors import BenchError
from bench.metrics import GATE_METRICS

PROFILE_FILE = Path(__file__).parent / "data" / "noise_profile.json"
# The ci-gate scenario needs at least this many repetitions: at 10, a lone 10 % slowdown is called only
# ~89 % of the time, because one slow baseline outlier is enough to keep Mann-Whitney U above the
# 0.01 / 100 a lone change must reach (docs/STATISTICS.md, "Repetitions").
CI_GATE_REPETITIONS = 20
VM_PROFILE_FILE = PROFILE_FILE.with_name("noise_profile_ci_gate_vm.json")
VERDICTS = 2000
POINTS = 20


@pytest.fixture(scope="module")
def profile() -> NoiseProfile:
    return NoiseProfile.from_dict(json.loads(PROFILE_FILE.read_text(encoding="utf-8")))


@pytest.fixture(scope="module")
def default_rates(profile):
    return simulate_rule(
        profile, Rule(), repetitions=CI_GATE_REPETITIONS, n_points=POINTS, n_verdicts=VERDICTS, seed=0
    )


def test_a_whole_a_a_verdict_false_alarms_at_most_one_time_in_a_hundred(default_rates):
    assert default_rates.metrics == GATE_METRICS and default_rates.n_verdicts == VERDICTS
    assert default_rates.false_alarm_rate <= 0.01
    assert default_rates.not_comparable_rate == 0


def test_a_ten_percent_slowdown_everywhere_fails_the_verdict(default_rates):
    assert default_rates.slowdown == pytest.approx(1.10)
    assert default_rates.detection_rate_all >= 0.95
    assert default_rates.sensitivity_all >= 0.95


def test_a_ten_percent_slowdown_on_one_point_of_one_metric_is_called(default_rates):
    assert set(default_rates.detection_rate_single) == set(GATE_METRICS)
    assert default_rates.detection_rate_single_min >= 0.95


def test_five_repetitions_cannot_pass_holm_over_a_hundred_comparisons(profile):
    rates = simulate_rule(profile, Rule(), repetitions=5, n_points=POINTS, n_verdicts=200, seed=1)
    # 2/252 ≈ 0.0079 > 0.01/100: every comparison is not comparable, said so rather than passed silently.
    assert rates.not_comparable_rate == 1
    assert rates.false_alarm_rate == 0 and rates.detection_rate_all == 0


def test_the_simulation_has_teeth_when_runs_drift_more_than_the_budget(profile):
    # Twice the budget's drift already breaks the 1 % bound...
    doubled = NoiseProfile(
        {m: dataclasses.replace(n, between_sd=2 * n.between_sd) for m, n in profile.metrics.items()}
    )
    rates = simulate_rule(
        doubled, Rule(), repetitions=CI_GATE_REPETITIONS, n_points=POINTS, n_verdicts=1000, seed=2
    )
    assert rates.false_alarm_rate > 0.05
    # ... and the drift measured on a shared cloud VM makes almost every A/A verdict fail.
    measured = NoiseProfile.from_dict(json.loads(VM_PROFILE_FILE.read_text(encoding="utf-8")))
    rates = simulate_rule(
        measured, Rule(), repetitions=CI_GATE_REPETITIONS, n_points=POINTS, n_verdicts=200, seed=2
    )
    assert rates.false_alarm_rate > 0.5


def test_the_simulation_is_deterministic_given_the_seed(profile):
    first = simulate_rule(profile, Rule(), repetitions=10, n_points=4, n_verdicts=100, seed=3)
    again = simulate_rule(profile, Rule(), repetitions=10, n_points=4, n_verdicts=100, seed=3)
    assert first == again


def test_a_speedup_is_not_a_slowdown():
    with pytest.raises(BenchError) as caught:
        simulate_rule(
            NoiseProfile.from_dict(json.loads(PROFILE_FILE.read_text(encoding="utf-8"))),
            Rule(),
            repetitions=10,
            slowdown=0.9,
        )
    assert caught.value.field == "slowdown"
