"""The noise model: fitting recovers known parameters, profiles round-trip, draws go the slow way."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest

from bench.analysis.noise import MetricNoise, NoiseProfile
from bench.errors import BenchError
from bench.metrics import GATE_METRICS

PROFILE_FILE = Path(__file__).parent / "data" / "noise_profile.json"

KNOWN = MetricNoise(
    within_sd=0.02,
    between_sd=0.03,
    shared_fraction=0.6,
    outlier_rate=0.03,
    outlier_scale=0.1,
    outlier_threshold=0.08,
)


def as_fit_input(samples: np.ndarray, scale: float = 1.0) -> dict[str, list[list[float]]]:
    """(runs, points, reps) draws -> point id -> [run samples]; each point at its own level."""
    return {
        f"p{p}": [list(scale * (p + 1) * samples[r, p]) for r in range(samples.shape[0])]
        for p in range(samples.shape[1])
    }


def test_fit_recovers_the_parameters_it_was_drawn_from():
    truth = NoiseProfile({"ttft_ms": KNOWN, "decode_tokens_per_s": KNOWN})
    rng = np.random.default_rng(0)
    data = {
        m: as_fit_input(truth.simulate(m, rng=rng, n_runs=300, n_points=8, repetitions=10))
        for m in truth.metrics
    }
    fitted = NoiseProfile.fit(data, source="synthetic")
    assert (fitted.runs, fitted.points, fitted.repetitions) == (300, 8, 10)
    for metric in truth.metrics:
        got = fitted.metric(metric)
        assert got.within_sd == pytest.approx(KNOWN.within_sd, rel=0.1)
        assert got.between_sd == pytest.approx(KNOWN.between_sd, rel=0.15)
        assert got.shared_fraction == pytest.approx(KNOWN.shared_fraction, abs=0.15)
        # Outliers that land inside the bulk are not seen as such: the fitted rate is a bit lower.
        assert got.outlier_rate == pytest.approx(KNOWN.outlier_rate, rel=0.3)
        assert got.outlier_scale == pytest.approx(KNOWN.outlier_scale, rel=0.3)


def test_fit_keeps_a_rare_slow_run_point_out_of_the_drift_of_every_run():
    rare = dataclasses.replace(
        KNOWN, between_sd=0.01, run_outlier_rate=0.02, run_outlier_threshold=0.1, run_outlier_scale=0.3
    )
    draws = NoiseProfile({"ttft_ms": rare}).simulate(
        "ttft_ms", rng=np.random.default_rng(4), n_runs=300, n_points=8, repetitions=10
    )
    got = NoiseProfile.fit({"ttft_ms": as_fit_input(draws)}).metric("ttft_ms")
    assert got.between_sd == pytest.approx(0.01, rel=0.2)
    assert got.run_outlier_rate == pytest.approx(0.02, rel=0.35)
    assert got.run_outlier_threshold + got.run_outlier_scale == pytest.approx(0.4, rel=0.25)


def test_fit_accepts_left_out_run_points():
    draws = NoiseProfile({"tpot_ms": KNOWN}).simulate(
        "tpot_ms", rng=np.random.default_rng(5), n_runs=40, n_points=4, repetitions=10
    )
    data = as_fit_input(draws)
    data["p0"][3] = []  # flagged in run 3: left out
    data["p2"][7] = []
    fitted = NoiseProfile.fit({"tpot_ms": data}).metric("tpot_ms")
    assert fitted.within_sd == pytest.approx(KNOWN.within_sd, rel=0.2)


def test_fit_sees_no_drift_when_runs_only_differ_by_repetition_noise():
    quiet = MetricNoise(
        within_sd=0.02,
        between_sd=0.0,
        shared_fraction=0.0,
        outlier_rate=0.0,
        outlier_scale=0.0,
        outlier_threshold=0.0,
    )
    rng = np.random.default_rng(1)
    draws = NoiseProfile({"tpot_ms": quiet}).simulate(
        "tpot_ms", rng=rng, n_runs=200, n_points=5, repetitions=10
    )
    fitted = NoiseProfile.fit({"tpot_ms": as_fit_input(draws)}).metric("tpot_ms")
    assert fitted.between_sd < 0.004 and fitted.outlier_rate < 0.002


def test_simulated_slowdown_raises_times_and_lowers_rates_and_outliers_are_slow():
    noise = MetricNoise(
        within_sd=0.01,
        between_sd=0.0,
        shared_fraction=0.0,
        outlier_rate=0.05,
        outlier_scale=0.2,
        outlier_threshold=0.04,
    )
    profile = NoiseProfile({"tpot_ms": noise, "decode_tokens_per_s": noise})
    rng = np.random.default_rng(2)
    times = profile.simulate("tpot_ms", rng=rng, n_runs=50, n_points=4, repetitions=20, slowdown=1.1)
    rates = profile.simulate(
        "decode_tokens_per_s", rng=rng, n_runs=50, n_points=4, repetitions=20, slowdown=1.1
    )
    assert times.shape == rates.shape == (50, 4, 20)
    assert np.median(times) == pytest.approx(1.1, rel=0.01)
    assert np.median(rates) == pytest.approx(1 / 1.1, rel=0.01)
    assert times.max() / np.median(times) > 1.2 > np.median(times) / times.min()
    assert np.median(rates) / rates.min() > 1.2 > rates.max() / np.median(rates)


def test_slowdown_can_target_a_single_point():
    profile = NoiseProfile({"ttft_ms": KNOWN})
    slowdown = np.ones((100, 3))
    slowdown[:, 1] = 1.5
    draws = profile.simulate(
        "ttft_ms", rng=np.random.default_rng(3), n_runs=100, n_points=3, repetitions=5, slowdown=slowdown
    )
    medians = np.median(draws, axis=(0, 2))
    assert medians[1] / medians[0] == pytest.approx(1.5, rel=0.05)
    assert medians[2] / medians[0] == pytest.approx(1.0, rel=0.05)


def test_profile_round_trips_through_json():
    profile = NoiseProfile({"ttft_ms": KNOWN}, source="here", repetitions=10, runs=30, points=4, notes=("n",))
    again = NoiseProfile.from_dict(json.loads(json.dumps(profile.to_dict())))
    assert again == profile


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"kind": "bench.result"}, "kind"),
        ({"version": 99}, "version"),
        ({"metrics": {}}, "metrics"),
        ({"metrics": {"ttft_ms": {**vars(KNOWN), "within_sd": -1}}}, "metrics.ttft_ms.within_sd"),
        ({"metrics": {"ttft_ms": {**vars(KNOWN), "shared_fraction": 2}}}, "metrics.ttft_ms.shared_fraction"),
        ({"metrics": {"ttft_ms": {"within": 1}}}, "metrics.ttft_ms"),
    ],
)
def test_a_bad_profile_names_the_field(change, field):
    data = {**NoiseProfile({"ttft_ms": KNOWN}).to_dict(), **change}
    with pytest.raises(BenchError) as caught:
        NoiseProfile.from_dict(data)
    assert caught.value.field == field


@pytest.mark.parametrize(
    ("runs", "field"),
    [
        ({"ttft_ms": {"p": [[1.0, 2.0], [1.0, 2.0]]}}, "runs.ttft_ms"),  # two runs: no between-run spread
        ({"ttft_ms": {"p": [[1.0, 2.0]] * 3, "q": [[1.0, 2.0]] * 4}}, "runs.ttft_ms"),
        ({"ttft_ms": {"p": [[1.0, 0.0], [1.0, 2.0], [1.0, 2.0]]}}, "runs.ttft_ms.p[0]"),
        ({}, "runs"),
    ],
)
def test_fit_rejects_unusable_data(runs, field):
    with pytest.raises(BenchError) as caught:
        NoiseProfile.fit(runs)
    assert caught.value.field == field


def test_the_shipped_profile_covers_every_gate_metric():
    profile = NoiseProfile.from_dict(json.loads(PROFILE_FILE.read_text(encoding="utf-8")))
    assert set(GATE_METRICS) <= set(profile.metrics)
    assert profile.source
