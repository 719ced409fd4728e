"""One parser for every threshold written by a person: ``--min-effect 5%`` and ``min=5%`` in a rule spec.

The rule: a percentage with its ``%`` sign, from 0 % (inclusive) to 100 % (exclusive). A bare number
is refused everywhere: ``0.05`` could mean 5 % (a fraction) or 0.05 %, and guessing wrong makes a gate
a hundred times too sensitive or too lax.
"""

from __future__ import annotations

import math
import re

from bench.errors import BenchError

_PERCENT = re.compile(r"^\s*([0-9]*\.?[0-9]+)\s*%\s*$")


def parse_percent(text: str, field: str) -> float:
    """``"5%"`` -> ``0.05``; anything else is a ``BenchError`` naming ``field``."""
    match = _PERCENT.match(text)
    if not match:
        raise BenchError(
            f"not a percentage: {text!r}",
            field=field,
            hint="write it with a % sign, e.g. 5% or 2.5% (a bare number could be a fraction or a percent)",
        )
    value = float(match.group(1)) / 100.0
    if not value < 1.0:
        raise BenchError(f"out of range: {text!r}", field=field, hint="from 0% to below 100%")
    return value


def check_fraction(value: float, field: str) -> None:
    """A threshold given as a number (a fraction) must lie in [0, 1)."""
    if not (math.isfinite(value) and 0.0 <= value < 1.0):
        raise BenchError(f"must be a fraction in [0, 1), got {value:g}", field=field, hint="write e.g. 5%")


def percent_text(fraction: float, *, space: bool = True) -> str:
    """``0.05`` -> ``"5 %"`` (``"5%"`` without ``space``, which :func:`parse_percent` reads back)."""
    return f"{fraction * 100:g}{' ' if space else ''}%"
