"""Change points in a run history, on synthetic step signals with timing-like noise."""

from __future__ import annotations

import math

import numpy as np
import pytest
import ruptures

from bench.analysis.changepoints import (
    PENALTY_FACTOR,
    SegmentCostsL1,
    detect_change_points,
    noise_scale,
    pelt,
)
from bench.analysis.regression import Verdict
from bench.errors import BenchError
from bench.metrics import Direction


def history(
    n: int, steps: dict[int, float], *, sd: float = 0.01, outliers: float = 0.0, seed: int = 0
) -> np.ndarray:
    """``n`` runs around 100 with log-normal noise, slow outliers, and a factor applied from each step on."""
    rng = np.random.default_rng(seed)
    logs = rng.normal(0.0, sd, n) + (rng.random(n) < outliers) * rng.exponential(0.15, n)
    for index, factor in steps.items():
        logs[index:] += np.log(factor)
    return 100.0 * np.exp(logs)


@pytest.mark.parametrize("seed", range(5))
def test_a_ten_percent_step_is_found_at_its_index(seed):
    values = history(40, {25: 1.10}, seed=seed)
    (change,) = detect_change_points(values, direction=Direction.LOWER_IS_BETTER)
    assert change.index == 25
    assert change.change_pct == pytest.approx(10, abs=2)
    assert change.verdict is Verdict.REGRESSION
    assert (change.n_before, change.n_after) == (25, 15)
    assert change.p_value < 0.05


@pytest.mark.parametrize("seed", range(20))
def test_a_flat_series_with_outliers_has_no_change_point(seed):
    values = history(60, {}, sd=0.02, outliers=0.05, seed=seed)
    assert detect_change_points(values) == []


def test_two_steps_give_two_change_points_with_their_directions():
    values = history(60, {20: 1.10, 40: 0.85}, sd=0.01, outliers=0.03, seed=3)
    labels = [f"commit-{i}" for i in range(60)]
    changes = detect_change_points(values, labels=labels, direction="higher")
    assert [c.index for c in changes] == [20, 40]
    assert [c.label for c in changes] == ["commit-20", "commit-40"]
    # Higher is better here: the rise is an improvement, the drop a regression.
    assert [c.verdict for c in changes] == [Verdict.IMPROVEMENT, Verdict.REGRESSION]


def test_a_real_but_small_step_is_not_reported_below_the_minimum_effect():
    values = history(60, {30: 1.03}, sd=0.002, seed=1)
    assert detect_change_points(values, min_effect=0.05) == []
    (change,) = detect_change_points(values, min_effect=0.02)
    assert change.index == 30


def test_a_step_near_the_end_is_placed_at_its_own_run_once_enough_runs_follow():
    # Three runs after the step: PELT can only cut at n - min_size = 25; the refinement moves it to 27.
    (change,) = detect_change_points(history(30, {27: 1.20}, seed=2))
    assert (change.index, change.n_after) == (27, 3)
    # Two runs after it: the searched segment's median is still the old level, so nothing yet.
    assert detect_change_points(history(30, {28: 1.20}, seed=2)) == []


def test_short_series_have_no_change_points():
    assert detect_change_points([1.0, 2.0, 3.0]) == []


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"values": [1.0, -1.0] * 10}, "values"),
        ({"values": [1.0, float("nan")] * 10}, "values"),
        ({"values": [1.0] * 10, "labels": ["a"]}, "labels"),
        ({"values": [1.0] * 10, "alpha": 0}, "alpha"),
        ({"values": [1.0] * 10, "min_size": 1}, "min_size"),
    ],
)
def test_bad_input_names_the_field(kwargs, field):
    with pytest.raises(BenchError) as caught:
        detect_change_points(**kwargs)
    assert caught.value.field == field


def test_pelt_is_ruptures_own_search():
    """The dashboard's speed-up must not change a single change point: the same costs as ruptures' CostL1,
    bit for bit, and bench's PELT over them finds ruptures' breakpoints, including series rounded as
    the trend rounds them (ties), series with a step, and penalties low enough to split often."""
    rng = np.random.default_rng(7)
    for trial in range(60):
        n = int(rng.integers(10, 70))
        logs = rng.normal(0.0, 0.02, n) + (np.arange(n) >= rng.integers(1, n)) * rng.choice([0.0, 0.1])
        if trial % 2:
            logs = np.log(np.round(np.exp(logs) * 100.0, 1))
        reference = ruptures.costs.CostL1().fit(logs)
        costs = SegmentCostsL1().fit(logs)
        for start in range(0, n - 1):
            for end in range(start + 2, n + 1):
                assert costs.error(start, end) == reference.error(start, end)
        penalty = PENALTY_FACTOR * noise_scale(logs) * math.log(n) * (0.2 if trial % 3 == 0 else 1.0)
        expected = ruptures.Pelt(model="l1", min_size=5, jump=1).fit(logs).predict(pen=penalty)
        found = ruptures.Pelt(custom_cost=costs, min_size=5, jump=1).fit(logs).predict(pen=penalty)
        assert found == expected
        for min_size in (2, 5):  # bench's own search over the same costs: ruptures' breakpoints
            reference = ruptures.Pelt(model="l1", min_size=min_size, jump=1).fit(logs).predict(pen=penalty)
            assert pelt(costs.costs, penalty=penalty, min_size=min_size) == reference
    with pytest.raises(ruptures.exceptions.NotEnoughPoints):
        SegmentCostsL1().fit(np.ones(5)).error(1, 2)


def test_skipping_series_where_no_change_can_pass_changes_nothing(monkeypatch):
    """The shortcut for series whose spread cannot hold a change of the minimum effect is exact: the
    same change points with and without it, on flat, noisy and stepped series near the threshold."""
    from bench.analysis import changepoints

    rng = np.random.default_rng(5)
    cases = []
    for trial in range(120):
        n = int(rng.integers(10, 60))
        sd = float(rng.choice([0.003, 0.01, 0.02]))
        step = float(rng.choice([1.0, 1.03, 1.06, 1.12]))
        cases.append(history(n, {int(rng.integers(5, n - 4)): step}, sd=sd, outliers=0.03, seed=trial))
    with_shortcut = [detect_change_points(values, min_effect=0.05, alpha=0.01) for values in cases]
    monkeypatch.setattr(changepoints, "_no_change_can_pass", lambda *a, **k: False)
    without = [detect_change_points(values, min_effect=0.05, alpha=0.01) for values in cases]
    assert with_shortcut == without
    assert sum(1 for found in with_shortcut if found) >= 10  # steps were found, not all skipped
