"""Numbers as the page gets them: 4 significant digits, None for what JSON cannot hold."""

from __future__ import annotations

import math
from collections.abc import Sequence

from bench.telemetry.types import Figure


def r(value: float | None) -> float | None:
    """4 significant digits; None for what JSON cannot hold (None, NaN, infinities)."""
    if value is None or not math.isfinite(value):
        return None
    return float(f"{value:.4g}")


def figure(value: Figure | None) -> float | None:
    return r(value.value) if value is not None and value.value is not None else None


def median(values: Sequence[float]) -> float | None:
    # statistics.median is slower on the short lists a point holds; the same definition.
    n = len(values)
    if n == 0:
        return None
    ordered = sorted(values)
    mid = n // 2
    return ordered[mid] if n % 2 else (ordered[mid - 1] + ordered[mid]) / 2.0
