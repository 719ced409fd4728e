"""A noise model of repeated benchmark runs: fit it from measured runs, draw simulated samples (pure).

Two separate runs of the same build never agree exactly, and most of the disagreement is not the
repetition-to-repetition jitter a significance test sees: it is a level shift of the whole run (another
process on the machine, CPU frequency, memory placement). The model, per metric, in log space:

    log x[run, point, rep] = shared[run] + point_effect[run, point] + slow * run_outlier[run, point]
                             + e[run, point, rep] + slow * outlier[run, point, rep]

* ``shared`` ~ N(0, between_sd^2 x shared_fraction): one draw per run, common to all its points;
* ``point_effect`` ~ N(0, between_sd^2 x (1 - shared_fraction)): one draw per run and point;
* with probability ``run_outlier_rate`` a whole point of a run is slow: ``run_outlier_threshold +
  Exp(run_outlier_scale)`` (the rare run where one point took twice as long);
* ``e`` ~ N(0, within_sd^2): repetition jitter;
* with probability ``outlier_rate`` a repetition is an outlier: ``outlier_threshold + Exp(outlier_scale)``.

Outliers only ever go the slow way (higher for times, lower for rates). The sds are fitted robustly
(medians of absolute deviations), the outliers as the share beyond OUTLIER_SDS robust sds and their mean
excess: a Gaussian fitted by plain variance would let one 2x run-point pass for a 5 % drift of every run.

Metrics are drawn independently of each other: for the false-alarm rate of a whole verdict that is the
pessimistic choice (correlated metrics fail together, so fewer verdicts fail).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np
from scipy import stats

from bench.errors import BenchError
from bench.metrics import Direction, spec

PROFILE_KIND = "bench.noise_profile"
PROFILE_VERSION = 1

# Residuals beyond this many within-run sds on the slow side count as outliers when fitting.
OUTLIER_SDS = 4.0
# Variance of the median of n normal samples is about (pi / 2) sigma^2 / n.
_MEDIAN_VARIANCE_FACTOR = math.pi / 2


def slow_sign(metric: str) -> float:
    """+1 when slower means a larger number (times), -1 when it means a smaller one (rates)."""
    return -1.0 if spec(metric).direction is Direction.HIGHER_IS_BETTER else 1.0


@dataclass(frozen=True)
class MetricNoise:
    within_sd: float  # sd of log values between repetitions of one run (the bulk, outliers apart)
    between_sd: float  # sd of a run's log level for one point: the run-level random effect
    shared_fraction: float  # share of the between-run variance common to every point of a run
    outlier_rate: float  # probability that a repetition is a slow outlier
    outlier_scale: float  # mean size of an outlier beyond its threshold (log units)
    outlier_threshold: float  # where outliers start (log units), OUTLIER_SDS x within_sd when fitted
    run_outlier_rate: float = 0.0  # probability that one point of a run is slow as a whole
    run_outlier_scale: float = 0.0
    run_outlier_threshold: float = 0.0

    def __post_init__(self) -> None:
        for name, value in asdict(self).items():
            if not (isinstance(value, (int, float)) and math.isfinite(value) and value >= 0):
                raise BenchError(f"must be a non-negative number, got {value!r}", field=name)
        for name in ("shared_fraction", "outlier_rate", "run_outlier_rate"):
            if getattr(self, name) > 1:
                raise BenchError(f"must be at most 1, got {getattr(self, name)}", field=name)


@dataclass(frozen=True)
class NoiseProfile:
    metrics: Mapping[str, MetricNoise]
    source: str = ""  # where the numbers came from (machine, scenario, date, command)
    repetitions: int | None = None  # repetitions per run in the data it was fitted from
    runs: int | None = None
    points: int | None = None
    notes: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        object.__setattr__(self, "metrics", MappingProxyType(dict(self.metrics)))
        object.__setattr__(self, "notes", tuple(self.notes))

    def metric(self, name: str) -> MetricNoise:
        try:
            return self.metrics[name]
        except KeyError:
            raise BenchError(
                f"the noise profile has no metric {name!r}",
                field="metric",
                hint=f"it has {', '.join(self.metrics)}",
            ) from None

    # ---------------------------------------------------------------------------- persistence

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": PROFILE_KIND,
            "version": PROFILE_VERSION,
            "source": self.source,
            "repetitions": self.repetitions,
            "runs": self.runs,
            "points": self.points,
            "notes": list(self.notes),
            "metrics": {name: asdict(noise) for name, noise in self.metrics.items()},
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> NoiseProfile:
        if data.get("kind") != PROFILE_KIND:
            raise BenchError(f"not a noise profile (kind {data.get('kind')!r})", field="kind")
        if data.get("version") != PROFILE_VERSION:
            raise BenchError(
                f"unsupported noise profile version {data.get('version')!r}",
                field="version",
                hint=f"this bench reads version {PROFILE_VERSION}",
            )
        metrics: dict[str, MetricNoise] = {}
        for name, values in dict(data.get("metrics") or {}).items():
            try:
                metrics[name] = MetricNoise(**values)
            except TypeError as error:
                raise BenchError(str(error), field=f"metrics.{name}") from None
            except BenchError as error:
                raise BenchError(error.message, field=f"metrics.{name}.{error.field}") from None
        if not metrics:
            raise BenchError("no metrics", field="metrics")
        return cls(
            metrics=metrics,
            source=str(data.get("source", "")),
            repetitions=data.get("repetitions"),
            runs=data.get("runs"),
            points=data.get("points"),
            notes=tuple(data.get("notes", ())),
        )

    # ------------------------------------------------------------------------------------ fit

    @classmethod
    def fit(
        cls,
        runs: Mapping[str, Mapping[str, Sequence[Sequence[float]]]],
        *,
        source: str = "",
        notes: Sequence[str] = (),
    ) -> NoiseProfile:
        """Fit from measured runs shaped ``metric -> point id -> [run 0 samples, run 1 samples, ...]``.

        Run ``k`` must be the same run for every point of a metric (that is how the shared part of
        the drift is told apart); an empty list marks a run-point left out (e.g. flagged). Points are
        normalised by their own level, so points of very different sizes pool. Needs at least 3 runs
        and 2 repetitions per run.
        """
        metrics: dict[str, MetricNoise] = {}
        shapes: set[tuple[int, int, int]] = set()
        for metric, points in runs.items():
            logs = _log_cube(metric, points)  # points x runs x repetitions (nan-padded)
            shapes.add(logs.shape)
            metrics[metric] = _fit_metric(metric, logs)
        if not metrics:
            raise BenchError("no metrics to fit", field="runs")
        n_points, n_runs, n_reps = max(shapes)
        return cls(
            metrics=metrics,
            source=source,
            repetitions=n_reps,
            runs=n_runs,
            points=n_points,
            notes=tuple(notes),
        )

    # ------------------------------------------------------------------------------- simulate

    def simulate(
        self,
        metric: str,
        *,
        rng: np.random.Generator,
        n_runs: int,
        n_points: int,
        repetitions: int,
        slowdown: float | np.ndarray = 1.0,
    ) -> np.ndarray:
        """Draw samples shaped ``(n_runs, n_points, repetitions)`` around a level of 1.0.

        ``slowdown`` (>= 1, broadcastable to ``(n_runs, n_points)``) makes the run that much slower:
        times are multiplied by it, rates divided.
        """
        noise = self.metric(metric)
        sign = slow_sign(metric)
        shared_sd = noise.between_sd * math.sqrt(noise.shared_fraction)
        point_sd = noise.between_sd * math.sqrt(1.0 - noise.shared_fraction)
        log_x = rng.normal(0.0, shared_sd, (n_runs, 1, 1))
        log_x = log_x + rng.normal(0.0, point_sd, (n_runs, n_points, 1))
        log_x = log_x + sign * _outliers(
            rng,
            (n_runs, n_points, 1),
            noise.run_outlier_rate,
            noise.run_outlier_threshold,
            noise.run_outlier_scale,
        )
        log_x = log_x + rng.normal(0.0, noise.within_sd, (n_runs, n_points, repetitions))
        log_x = log_x + sign * _outliers(
            rng,
            (n_runs, n_points, repetitions),
            noise.outlier_rate,
            noise.outlier_threshold,
            noise.outlier_scale,
        )
        slow = np.log(np.asarray(slowdown, dtype=float))
        log_x = log_x + sign * np.broadcast_to(slow, (n_runs, n_points))[..., None]
        return np.exp(log_x)


def _outliers(
    rng: np.random.Generator, shape: tuple[int, ...], rate: float, threshold: float, scale: float
) -> np.ndarray | float:
    if rate <= 0:
        return 0.0
    size = threshold + rng.exponential(max(scale, 1e-12), shape)
    return np.where(rng.random(shape) < rate, size, 0.0)


def _log_cube(metric: str, points: Mapping[str, Sequence[Sequence[float]]]) -> np.ndarray:
    """points x runs x repetitions of log values, each point centred on its own median; NaN = missing."""
    if not points:
        raise BenchError("no points", field=f"runs.{metric}")
    n_runs = {len(r) for r in points.values()}
    if len(n_runs) != 1:
        raise BenchError(f"points have different run counts {sorted(n_runs)}", field=f"runs.{metric}")
    runs = n_runs.pop()
    reps = max((len(s) for r in points.values() for s in r), default=0)
    if runs < 3 or reps < 2:
        raise BenchError(
            f"need at least 3 runs of 2 repetitions, got {runs} runs of up to {reps}", field=f"runs.{metric}"
        )
    cube = np.full((len(points), runs, reps), np.nan)
    for i, (point, point_runs) in enumerate(points.items()):
        for j, samples in enumerate(point_runs):
            values = np.asarray(samples, dtype=float)
            if values.size and not (np.isfinite(values).all() and (values > 0).all()):
                raise BenchError("samples must be positive and finite", field=f"runs.{metric}.{point}[{j}]")
            cube[i, j, : values.size] = np.log(values)
    present = np.isfinite(cube).sum(axis=2) >= 2  # points x runs: usable run-points
    if (present.sum(axis=1) < 3).any():
        raise BenchError("every point needs at least 3 runs with 2 repetitions", field=f"runs.{metric}")
    cube[~present] = np.nan
    return cube - _nanmedian(cube, axis=(1, 2), keepdims=True)


def _nanmedian(values: np.ndarray, **kwargs: Any) -> np.ndarray:
    # Left-out run-points are all-NaN slices by design; their median is NaN, not a warning.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.asarray(np.nanmedian(values, **kwargs))


def _robust_sd(values: np.ndarray) -> float:
    finite = values[np.isfinite(values)]
    return float(stats.median_abs_deviation(finite, scale="normal")) if finite.size else 0.0


def _slow_tail(slow_residuals: np.ndarray, threshold: float) -> tuple[float, float]:
    """Share of values beyond ``threshold`` on the slow side and their mean excess."""
    finite = slow_residuals[np.isfinite(slow_residuals)]
    beyond = finite[finite > threshold]
    rate = beyond.size / max(finite.size, 1)
    return rate, float(np.mean(beyond - threshold)) if beyond.size else 0.0


def _fit_metric(metric: str, logs: np.ndarray) -> MetricNoise:
    n_points = logs.shape[0]
    sign = slow_sign(metric)
    # Within: robust scale of pairwise differences inside each run (no location fitted, outliers ignored).
    i, j = np.triu_indices(logs.shape[2], 1)
    within_sd = _robust_sd(logs[..., i] - logs[..., j]) / math.sqrt(2)
    run_level = _nanmedian(logs, axis=2)  # points x runs
    threshold = OUTLIER_SDS * within_sd
    outlier_rate, outlier_scale = _slow_tail(sign * (logs - run_level[..., None]), threshold)
    # Between: robust spread of run medians around each point's typical level, less what the median of
    # n noisy repetitions contributes; whole run-points far on the slow side are run outliers.
    n_reps = float(np.mean(np.isfinite(logs).sum(axis=2)[np.isfinite(run_level)]))
    median_var = _MEDIAN_VARIANCE_FACTOR * within_sd**2 / n_reps
    deviations = run_level - _nanmedian(run_level, axis=1, keepdims=True)
    spread = _robust_sd(deviations)
    between_var = max(0.0, spread**2 - median_var)
    run_threshold = OUTLIER_SDS * spread
    run_outlier_rate, run_outlier_scale = _slow_tail(sign * deviations, run_threshold)
    # Shared: with run outliers left out, the run means over points vary by
    # shared_var + (point_var + median_var) / n_points.
    bulk = np.where(np.abs(deviations) <= run_threshold, deviations, np.nan)
    shared_fraction = 0.0
    if n_points > 1 and between_var > 0:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # a run with every point left out
            run_means = np.nanmean(bulk, axis=0)
        points_per_run = float(np.mean(np.isfinite(bulk).sum(axis=0)))
        run_means_var = float(np.nanvar(run_means, ddof=1))
        shared_var = (run_means_var - (between_var + median_var) / points_per_run) / (1 - 1 / points_per_run)
        shared_fraction = min(1.0, max(0.0, shared_var / between_var))
    return MetricNoise(
        within_sd=within_sd,
        between_sd=math.sqrt(between_var),
        shared_fraction=shared_fraction,
        outlier_rate=outlier_rate,
        outlier_scale=outlier_scale,
        outlier_threshold=threshold,
        run_outlier_rate=run_outlier_rate,
        run_outlier_scale=run_outlier_scale,
        run_outlier_threshold=run_threshold if run_outlier_rate > 0 else 0.0,
    )
