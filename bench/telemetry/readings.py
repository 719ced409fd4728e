"""Small accumulators the probes update on every tick (cheap: a few attribute writes, no allocation).

A probe keeps running min/max/sum instead of a list of readings: a result stores per-phase aggregates,
and the sampler thread should spend as little time holding the GIL as it can.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bench.telemetry.nvml import NvmlError
from bench.telemetry.types import MIB, MemorySpan, Scope, Series


class Reading:
    """A bound reader that switches itself off after its first failure and keeps the reason.

    A call that is not supported fails the same way every time; retrying it every 10 ms would only
    cost an exception per tick.
    """

    __slots__ = ("_read", "reason")

    def __init__(self, bind: Callable[[], Callable[[], Any]]) -> None:
        self.reason: str | None = None
        try:
            self._read: Callable[[], Any] | None = bind()
        except NvmlError as exc:
            self._read, self.reason = None, exc.reason

    def __reduce__(self) -> tuple[Any, ...]:
        # Sent back from the sampler process: the library binding stays there, the reason travels.
        return (_spent, (self.reason,))

    def __call__(self) -> Any:
        read = self._read
        if read is None:
            return None
        try:
            return read()
        except NvmlError as exc:
            self._read, self.reason = None, exc.reason
            return None


def _spent(reason: str | None) -> Reading:
    """A ``Reading`` with no library behind it (unpickled): reads nothing, keeps its reason."""
    reading = Reading.__new__(Reading)
    reading._read, reading.reason = None, reason
    return reading


class Stat:
    """Running min / max / mean."""

    __slots__ = ("max", "min", "n", "total")

    def __init__(self) -> None:
        self.n = 0
        self.total = 0.0
        self.min = float("inf")
        self.max = float("-inf")

    def add(self, value: float) -> None:
        self.n += 1
        self.total += value
        if value < self.min:
            self.min = value
        if value > self.max:
            self.max = value

    def series(self, unit: str, method: str | None, *, unavailable: str | None = None) -> Series:
        """``unavailable``: the reading's failure, if any; after some readings it marks them incomplete."""
        if not self.n:
            return Series.missing(unit, unavailable or "no readings")
        return Series(
            unit=unit,
            method=method,
            n=self.n,
            min=self.min,
            max=self.max,
            mean=self.total / self.n,
            unavailable=_incomplete(self.n, unavailable),
        )


class Span:
    """First, last and highest reading of a memory quantity, in bytes."""

    __slots__ = ("end", "n", "peak", "start")

    def __init__(self) -> None:
        self.n = 0
        self.start = 0
        self.end = 0
        self.peak = 0

    def add(self, value: int) -> None:
        if not self.n:
            self.start = self.peak = value
        elif value > self.peak:
            self.peak = value
        self.end = value
        self.n += 1

    def memory(self, method: str, scope: Scope, *, unavailable: str | None = None) -> MemorySpan:
        if not self.n:
            return MemorySpan.missing(unavailable or "no readings")
        return MemorySpan(
            method=method,
            scope=scope,
            start_mib=self.start / MIB,
            end_mib=self.end / MIB,
            peak_mib=self.peak / MIB,
            n=self.n,
            unavailable=_incomplete(self.n, unavailable),
        )


def _incomplete(n: int, reason: str | None) -> str | None:
    """A reading that failed mid-phase leaves its earlier values for the record, marked as incomplete."""
    return f"incomplete: failed after {n} reading(s): {reason}" if reason else None
