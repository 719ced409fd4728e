"""GPU energy per phase from NVML's cumulative energy counter (mJ since driver load, Volta and newer).

The counter updates every 20-100 ms depending on the GPU, so a delta is only meaningful over a window
well above that: windows shorter than ``MIN_ENERGY_WINDOW_S`` (5 × the slowest update period) are
reported as too short instead of as a number that could be off by 100 %. ``nvmlDeviceGetPowerUsage``
is not used: on Ampere and newer it is a 1-second average, useless for a phase of a few hundred ms.
The counter is device-wide: another process's work on the same GPU would be counted too.
"""

from __future__ import annotations

import time
from functools import partial
from typing import Any

from bench.telemetry.nvml import Nvml
from bench.telemetry.readings import Reading
from bench.telemetry.types import Figure

COUNTER_UPDATE_PERIOD_S = 0.100
MIN_ENERGY_WINDOW_S = 5 * COUNTER_UPDATE_PERIOD_S
ENERGY_METHOD = "nvml-energy-counter-delta"


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


class NvmlEnergy:
    """Reads the counter on phase start and finish."""

    polls = False

    def __init__(self, nvml: Nvml, handle: Any) -> None:
        self._read = Reading(partial(nvml.bind, "nvmlDeviceGetTotalEnergyConsumption", handle))
        self._start: int | None = None
        self._end: int | None = None
        self._t0 = self._t1 = 0.0

    def start(self) -> None:
        self._start = self._read()
        self._t0 = time.perf_counter()

    def poll(self, slow: bool) -> None:
        pass  # a delta needs only the two ends

    def finish(self) -> None:
        self._t1 = time.perf_counter()
        self._end = self._read()

    def energy(self) -> Figure:
        return energy_figure(
            start_mj=self._start, end_mj=self._end, window_s=self._t1 - self._t0, reason=self._read.reason
        )
