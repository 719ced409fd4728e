"""GPU energy per phase from NVML's cumulative energy counter (mJ since driver load, Volta and newer).

The counter updates every 20-100 ms depending on the GPU, so a delta is only meaningful over a window
well above that: windows shorter than ``MIN_ENERGY_WINDOW_S`` (5 × the slowest update period) are
reported as too short instead of as a number that could be off by 100 %. ``nvmlDeviceGetPowerUsage``
is not used: on Ampere and newer it is a 1-second average, useless for a phase of a few hundred ms.
The counter is device-wide: another process's work on the same GPU would be counted too.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Sequence
from functools import partial
from typing import Any

from bench.telemetry.nvml import Nvml
from bench.telemetry.readings import Reading
from bench.telemetry.types import Figure

COUNTER_UPDATE_PERIOD_S = 0.100
MIN_ENERGY_WINDOW_S = 5 * COUNTER_UPDATE_PERIOD_S
ENERGY_METHOD = "nvml-energy-counter-delta"
SPLIT_METHOD = "nvml-energy-counter, interpolated at the first token"


def energy_figure(*, start_mj: int | None, end_mj: int | None, window_s: float, reason: str | None) -> Figure:
    if start_mj is None or end_mj is None:
        return Figure.missing("J", reason or "no energy reading")
    if window_s < MIN_ENERGY_WINDOW_S:
        return Figure.missing(
            "J",
            f"window too short ({window_s * 1000:.0f} ms < {MIN_ENERGY_WINDOW_S * 1000:.0f} ms) for an "
            "energy counter that updates every 20-100 ms",
        )
    return Figure.of((end_mj - start_mj) / 1000.0, "J", ENERGY_METHOD, "device")


def average_power(energy: Figure, window_s: float) -> Figure:
    if energy.value is None:
        return Figure.missing("W", energy.unavailable or "no energy figure")
    return Figure.of(energy.value / window_s, "W", f"{ENERGY_METHOD} / phase duration", "device")


def counter_at(trace: Sequence[tuple[float, int]], t: float) -> float | None:
    """The counter (mJ) at ``t`` seconds into the phase, linear between the readings around it."""
    if not trace or t < trace[0][0] or t > trace[-1][0]:
        return None
    for (t_a, e_a), (t_b, e_b) in itertools.pairwise(trace):
        if t_a <= t <= t_b:
            return e_a if t_b == t_a else e_a + (e_b - e_a) * (t - t_a) / (t_b - t_a)
    return float(trace[-1][1])


def split_energy(
    trace: Sequence[tuple[float, int]],
    *,
    first_token_s: float,
    reason: str | None,
    end_s: float | None = None,
) -> tuple[Figure, Figure]:
    """(prefill, decode) energy of one generation phase, split at the first token.

    ``trace``: (seconds since the phase started, counter mJ) from the sampler: the first reading, every
    change of the counter, the last reading. ``end_s``: when the phase ended for the caller (default: the
    last reading; the sampler's last reading may come later). Each side must be long enough for the
    counter on its own.
    """
    if len(trace) < 2:
        missing = Figure.missing("J", reason or "no energy readings")
        return missing, missing
    end_s = trace[-1][0] if end_s is None else min(end_s, trace[-1][0])
    figures = []
    for name, (a, b) in (("prefill", (0.0, first_token_s)), ("decode", (first_token_s, end_s))):
        start_mj, end_mj = counter_at(trace, a), counter_at(trace, b)
        if start_mj is None or end_mj is None:
            figures.append(Figure.missing("J", f"the {name} lies outside the energy readings"))
        elif b - a < MIN_ENERGY_WINDOW_S:
            figures.append(
                Figure.missing(
                    "J",
                    f"{name} too short ({(b - a) * 1000:.0f} ms < {MIN_ENERGY_WINDOW_S * 1000:.0f} ms) for "
                    "an energy counter that updates every 20-100 ms",
                )
            )
        else:
            figures.append(Figure.of((end_mj - start_mj) / 1000.0, "J", SPLIT_METHOD, "device"))
    return figures[0], figures[1]


class NvmlEnergy:
    """Reads the counter on phase start and finish; with ``trace``, also every tick (kept on change)."""

    def __init__(self, nvml: Nvml, handle: Any, *, trace: bool = False) -> None:
        self._read = Reading(partial(nvml.bind, "nvmlDeviceGetTotalEnergyConsumption", handle))
        self.polls = trace  # the split at the first token needs the counter's course, not just its ends
        self.trace: list[tuple[float, int]] = []
        self._start: int | None = None
        self._end: int | None = None
        self._t0 = self._t1 = 0.0

    def start(self) -> None:
        self._start = self._read()
        self._t0 = time.perf_counter()
        if self.polls and self._start is not None:
            self.trace.append((0.0, int(self._start)))

    def poll(self, slow: bool) -> None:
        value = self._read()
        if value is not None and self.trace and value != self.trace[-1][1]:
            self.trace.append((time.perf_counter() - self._t0, int(value)))

    def finish(self) -> None:
        self._t1 = time.perf_counter()
        self._end = self._read()
        if self.polls and self._end is not None and self.trace:
            self.trace.append((self._t1 - self._t0, int(self._end)))

    @property
    def reason(self) -> str | None:
        return self._read.reason

    @property
    def started_at(self) -> float:
        """``time.perf_counter()`` of the first reading, in whichever process took it."""
        return self._t0

    def energy(self) -> Figure:
        return energy_figure(
            start_mj=self._start, end_mj=self._end, window_s=self._t1 - self._t0, reason=self._read.reason
        )
