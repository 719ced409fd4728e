"""Descriptive statistics over raw samples (pure; no I/O).

Result files keep every raw sample; these numbers are always derived from them, never stored instead.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np


@dataclass(frozen=True)
class Summary:
    n: int
    mean: float
    median: float
    stdev: float  # sample standard deviation (ddof=1); 0.0 for a single sample
    min: float
    max: float
    p50: float
    p90: float
    p99: float
    cv: float  # coefficient of variation: stdev / mean; nan when the mean is 0

    def as_dict(self) -> dict[str, float | int]:
        return asdict(self)


def summarize(samples: Sequence[float]) -> Summary | None:
    """Summary of ``samples``, or None when there are none. Percentiles interpolate linearly."""
    if len(samples) == 0:
        return None
    values = np.asarray(samples, dtype=float)
    mean = float(values.mean())
    stdev = float(values.std(ddof=1)) if values.size > 1 else 0.0
    p50, p90, p99 = (float(v) for v in np.percentile(values, [50, 90, 99]))
    return Summary(
        n=int(values.size),
        mean=mean,
        median=float(np.median(values)),
        stdev=stdev,
        min=float(values.min()),
        max=float(values.max()),
        p50=p50,
        p90=p90,
        p99=p99,
        cv=stdev / mean if mean != 0 else math.nan,
    )
