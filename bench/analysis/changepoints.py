"""Change points in a metric's history (one value per run: driver versions, commits), pure.

Candidates come from ruptures' PELT search with the least-absolute-deviation cost (``l1``: each
segment summarised by its median) on log values, so a step is a relative change and the slow outliers
of timing data do not open segments of their own. Each candidate must then be confirmed, like a
regression between two runs: a Mann-Whitney U test between the runs just before and just after it
(Holm over the candidates) **and** a median change of at least ``min_effect``. Unconfirmed candidates
are dropped one at a time, weakest first, and the rest are re-tested against their widened neighbours.
Noise alone therefore yields no change points even when the search proposes some. A confirmed change
is then placed at the split of least l1 cost between its neighbours, two runs per side allowed: PELT
needs ``min_size`` runs per side, so a step 3 runs before the end would otherwise be reported at
``n - min_size``, blaming the wrong commit.

Penalty: ``PENALTY_FACTOR x sigma x log(n)``, in the units of the l1 cost (absolute log deviations),
with sigma the robust noise scale of the series (MAD of successive differences / sqrt 2, which a step
barely moves). Factor 2 was chosen by simulation (docs/STATISTICS.md): on 300 flat series of 60 runs
with 2 % noise and 5 % slow outliers it proposed no candidate at all (factor 1 proposed 0.08 per
series, all rejected by the confirmation), and it still places a 10 % step at its exact index ~90 %
of the time (an outlier just before a step can pull it a run or two early). PELT with this cost is
quadratic: about 1 s for 600 runs on one core.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import ruptures
from scipy import stats

from bench.analysis.decision import adjust_p_values
from bench.analysis.significance import mwu_p_values
from bench.analysis.verdict import Verdict
from bench.errors import BenchError
from bench.metrics import Direction

PENALTY_FACTOR = 2.0
PRECOMPUTED_MAX = 2000
# A series whose successive differences are all zero still gets this noise floor (log units).
_SIGMA_FLOOR = 1e-4


@dataclass(frozen=True)
class ChangePoint:
    index: int  # first index at the new level: values[index] is the first run after the change
    label: str | None  # labels[index], when labels were given
    before_median: float  # median of the runs since the previous change point
    after_median: float  # median of the runs up to the next change point
    n_before: int
    n_after: int
    change_pct: float  # (after / before - 1) x 100: + means the number grew
    p_value: float  # Mann-Whitney U between the searched segments, Holm-adjusted over the change points
    verdict: Verdict  # REGRESSION or IMPROVEMENT, given the metric's direction


def detect_change_points(
    values: Sequence[float] | np.ndarray,
    *,
    labels: Sequence[str] | None = None,
    direction: Direction | str = Direction.LOWER_IS_BETTER,
    min_effect: float = 0.05,
    alpha: float = 0.05,
    min_size: int = 5,
    penalty: float | None = None,
) -> list[ChangePoint]:
    """Confirmed change points of a positive series, in order. A change needs ``min_size`` runs on
    each side (5 vs 5 is the least for which Mann-Whitney U can reach p < 0.01)."""
    direction = Direction(direction)
    series = np.asarray(values, dtype=float).ravel()
    if not (np.isfinite(series).all() and (series > 0).all()):
        raise BenchError("values must be positive and finite", field="values")
    if labels is not None and len(labels) != series.size:
        raise BenchError(f"{len(labels)} labels for {series.size} values", field="labels")
    if not 0 < alpha < 1:
        raise BenchError(f"must be between 0 and 1, got {alpha}", field="alpha")
    if not (math.isfinite(min_effect) and min_effect >= 0):
        raise BenchError(f"must be a non-negative fraction, got {min_effect}", field="min_effect")
    if min_size < 2:
        raise BenchError(f"must be at least 2, got {min_size}", field="min_size")
    n = series.size
    if n < 2 * min_size or _no_change_can_pass(series, min_size=min_size, min_effect=min_effect):
        return []
    logs = np.log(series)
    if penalty is None:
        penalty = PENALTY_FACTOR * noise_scale(logs) * math.log(n)
    # Every segment's cost up front (n^2 floats: 32 MB at 2,000 runs), else ruptures' search as is.
    if n <= PRECOMPUTED_MAX:
        costs = SegmentCostsL1().fit(logs)
        candidates = pelt(costs.costs, penalty=penalty, min_size=min_size)[:-1]
        cost: ruptures.base.BaseCost = costs
    else:
        cost = ruptures.costs.CostL1().fit(logs)
        search = ruptures.Pelt(model="l1", min_size=min_size, jump=1).fit(logs)
        candidates = [int(b) for b in search.predict(pen=penalty)[:-1]]
    confirmed = _confirm(series, candidates, min_effect=min_effect, alpha=alpha)
    bounds = [0, *(index for index, _ in confirmed), n]
    changes = []
    for i, (index, p_value) in enumerate(confirmed):
        start, end = bounds[i], bounds[i + 2]
        best = min(
            range(start + 2, end - 1),
            key=lambda k: (cost.error(start, k) + cost.error(k, end), abs(k - index)),
        )
        changes.append(
            _change_point(
                series[start:best], series[best:end], best, p_value, labels=labels, direction=direction
            )
        )
    return changes


class SegmentCostsL1(ruptures.base.BaseCost):
    """ruptures' ``CostL1`` (sum of absolute deviations from the segment's median), every segment of
    two or more values computed up front, one window length at a time.

    PELT asks for O(n^2) segment costs; ``CostL1`` takes a median per call, which was most of a
    dashboard's build (one search per point and trend metric). The same numbers, computed as whole
    sliding windows, cost a sort and a sum per window length (``pelt`` searches them).
    """

    model = "l1-precomputed"
    min_size = 2

    def fit(self, signal: np.ndarray) -> SegmentCostsL1:
        values = np.asarray(signal, dtype=float).ravel()
        self.signal = values
        n = values.size
        self.costs = np.full((n + 1, n + 1), np.nan)
        for length in range(self.min_size, n + 1):
            windows = np.lib.stride_tricks.sliding_window_view(values, length)
            # np.median's own arithmetic (the middle value, or the mean of the two middle values), from
            # one sort: np.median per call costs 7x the sort.
            ordered = np.sort(windows, axis=1)
            middle = length // 2
            medians = (
                ordered[:, middle] if length % 2 else (ordered[:, middle - 1] + ordered[:, middle]) / 2.0
            )
            starts = np.arange(n - length + 1)
            self.costs[starts, starts + length] = np.abs(windows - medians[:, None]).sum(axis=1)
        return self

    def error(self, start: int, end: int) -> float:
        if end - start < self.min_size:
            raise ruptures.exceptions.NotEnoughPoints
        return float(self.costs[start, end])


def pelt(costs: np.ndarray, *, penalty: float, min_size: int) -> list[int]:
    """ruptures' PELT (``Pelt(min_size=..., jump=1).predict(pen=...)``) over a matrix of segment costs
    ``costs[start, end]``: the same search, the same sums in the same order and the same tie-breaking
    (the first admissible start wins), vectorised per end instead of one dict per partition. The
    breakpoints, ``n`` last; ``test_pelt_is_ruptures_own_search`` checks them against ruptures."""
    n = costs.shape[0] - 1
    total = np.full(n + 1, np.nan)  # total[t]: the penalised cost of the best partition of [0, t)
    total[0] = 0.0
    previous = np.zeros(n + 1, dtype=int)
    admissible: list[int] = []
    for end in [k for k in range(n) if k >= min_size] + [n]:
        admissible.append(end - min_size)
        starts = np.array([t for t in admissible if not np.isnan(total[t])], dtype=int)
        if starts.size == 0:
            continue
        sums = total[starts] + (costs[starts, end] + penalty)
        best = int(np.argmin(sums))
        total[end], previous[end] = sums[best], starts[best]
        admissible = starts[sums <= total[end] + penalty].tolist()  # the pruning: PELT's P
    breakpoints, end = [], n
    while end > 0:
        breakpoints.append(end)
        end = int(previous[end])
    return sorted(breakpoints)


def _no_change_can_pass(series: np.ndarray, *, min_size: int, min_effect: float) -> bool:
    """True when no split of ``series`` can pass the minimum effect, so the search can be skipped.

    Every segment the search and the confirmation compare holds at least ``min_size`` runs, and the
    median of a segment of L >= min_size values lies between the k-th smallest and the k-th largest
    value of the whole series, k = ceil(min_size / 2). So no change between two segments exceeds
    (k-th largest / k-th smallest - 1): below the minimum effect, nothing can be confirmed. Exact, and
    most series of a quiet history stop here."""
    k = (min_size + 1) // 2
    ordered = np.partition(series, (k - 1, series.size - k))
    return bool(ordered[series.size - k] / ordered[k - 1] - 1.0 < min_effect)


def noise_scale(logs: np.ndarray) -> float:
    """Robust sd of a series' noise from its successive differences (steps are rare differences)."""
    diffs = np.diff(logs)
    if diffs.size == 0:
        return _SIGMA_FLOOR
    return max(float(stats.median_abs_deviation(diffs, scale="normal")) / math.sqrt(2), _SIGMA_FLOOR)


def _confirm(
    series: np.ndarray, candidates: list[int], *, min_effect: float, alpha: float
) -> list[tuple[int, float]]:
    """The candidates that pass the test and the minimum effect, with their Holm-adjusted p-values."""
    while candidates:
        bounds = [0, *candidates, series.size]
        segments = [
            (series[bounds[i] : bounds[i + 1]], series[bounds[i + 1] : bounds[i + 2]])
            for i in range(len(candidates))
        ]
        adjusted = adjust_p_values(np.array([_mwu(before, after) for before, after in segments]), "holm")
        changes = np.array([np.median(after) / np.median(before) - 1.0 for before, after in segments])
        failing = (adjusted > alpha) | (np.abs(changes) < min_effect)
        if not failing.any():
            return [(index, float(p)) for index, p in zip(candidates, adjusted, strict=True)]
        # Drop the weakest: least significant, then smallest change.
        weakest = max(np.flatnonzero(failing), key=lambda i: (adjusted[i], -abs(changes[i])))
        del candidates[weakest]
    return []


def _mwu(before: np.ndarray, after: np.ndarray) -> float:
    pooled = np.concatenate([before, after])
    if np.ptp(pooled) == 0:
        return 1.0
    exact = np.unique(pooled).size == pooled.size and before.size * after.size <= 2500
    return float(mwu_p_values(before, after, exact=exact))


def _change_point(
    before: np.ndarray,
    after: np.ndarray,
    index: int,
    p_value: float,
    *,
    labels: Sequence[str] | None,
    direction: Direction,
) -> ChangePoint:
    before_median, after_median = float(np.median(before)), float(np.median(after))
    change = after_median / before_median - 1.0
    worse = change if direction is Direction.LOWER_IS_BETTER else -change
    return ChangePoint(
        index=index,
        label=labels[index] if labels is not None else None,
        before_median=before_median,
        after_median=after_median,
        n_before=int(before.size),
        n_after=int(after.size),
        change_pct=change * 100.0,
        p_value=p_value,
        verdict=Verdict.REGRESSION if worse > 0 else Verdict.IMPROVEMENT,
    )
