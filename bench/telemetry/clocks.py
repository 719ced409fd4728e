"""Clocks, temperature, PCIe link and throttling through NVML.

Clock-event reasons are instantaneous, so they are polled and counted per reading; the violation
counters are cumulative nanoseconds, so they are diffed across the phase and catch throttling that
happened between two polls.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from bench.telemetry.nvml import Nvml
from bench.telemetry.readings import Reading, Stat
from bench.telemetry.types import ClockEvents, Figure, Series

# nvmlClocksEventReason* bits (the same values as the older nvmlClocksThrottleReason* names).
CLOCK_EVENT_REASONS: dict[int, str] = {
    0x1: "GpuIdle",
    0x2: "AppClocks",
    0x4: "SwPowerCap",
    0x8: "HwSlowdown",
    0x10: "SyncBoost",
    0x20: "SwThermal",
    0x40: "HwThermal",
    0x80: "HwPowerBrake",
    0x100: "DisplayClock",
}
# Reasons that mean the GPU ran slower than it would have: a measurement taken under them is marked.
# GpuIdle, AppClocks, SyncBoost and DisplayClock are states, not throttling.
THROTTLE_MASK = 0x4 | 0x8 | 0x20 | 0x40 | 0x80
# Violation counters diffed across each phase: name -> pynvml policy constant.
VIOLATION_POLICIES = {"power": "NVML_PERF_POLICY_POWER", "thermal": "NVML_PERF_POLICY_THERMAL"}
VIOLATION_REASONS = {"power": "PowerViolation", "thermal": "ThermalViolation"}


def decode_reasons(mask: int) -> list[str]:
    """Bitmask to reason names; unknown bits are kept as hex so nothing is silently dropped."""
    names = [name for bit, name in CLOCK_EVENT_REASONS.items() if mask & bit]
    unknown = mask & ~sum(CLOCK_EVENT_REASONS)
    if unknown:
        names.append(f"{unknown:#x}")
    return names


def throttle_names(mask: int) -> list[str]:
    return decode_reasons(mask & THROTTLE_MASK)


class NvmlClocks:
    """Clock and throttle probe for one phase on one device."""

    polls = True

    def __init__(self, nvml: Nvml, handle: Any) -> None:
        bind, constant = nvml.bind, nvml.constant
        reasons = ("nvmlDeviceGetCurrentClocksEventReasons", "nvmlDeviceGetCurrentClocksThrottleReasons")
        self._reasons = Reading(partial(bind, reasons, handle))
        self._sm = Reading(partial(bind, "nvmlDeviceGetClockInfo", handle, constant("NVML_CLOCK_SM")))
        self._mem = Reading(partial(bind, "nvmlDeviceGetClockInfo", handle, constant("NVML_CLOCK_MEM")))
        sensor = constant("NVML_TEMPERATURE_GPU")
        self._temperature = Reading(partial(bind, "nvmlDeviceGetTemperature", handle, sensor))
        self._pcie_generation = Reading(partial(bind, "nvmlDeviceGetCurrPcieLinkGeneration", handle))
        self._pcie_width = Reading(partial(bind, "nvmlDeviceGetCurrPcieLinkWidth", handle))
        self._violations = {
            name: Reading(partial(bind, "nvmlDeviceGetViolationStatus", handle, constant(policy)))
            for name, policy in VIOLATION_POLICIES.items()
        }
        self._violation_start: dict[str, int | None] = {}
        self._violation_end: dict[str, int | None] = {}
        self.mask_counts: dict[int, int] = {}
        self.sm = Stat()
        self.memory = Stat()
        self.temperature = Stat()
        self.pcie_generation = Stat()
        self.pcie_width = Stat()

    def poll(self, slow: bool) -> None:
        mask = self._reasons()
        if mask is not None:
            counts = self.mask_counts
            counts[mask] = counts.get(mask, 0) + 1
        sm = self._sm()
        if sm is not None:
            self.sm.add(sm)
        if slow:
            for reading, stat in (
                (self._mem, self.memory),
                (self._temperature, self.temperature),
                (self._pcie_generation, self.pcie_generation),
                (self._pcie_width, self.pcie_width),
            ):
                value = reading()
                if value is not None:
                    stat.add(value)

    def _violation_ns(self) -> dict[str, int | None]:
        # Plain ints: the probe is pickled back from the sampler process, NVML structs are not.
        values = {name: read() for name, read in self._violations.items()}
        return {name: None if v is None else int(v.violationTime) for name, v in values.items()}

    def start(self) -> None:
        self._violation_start = self._violation_ns()
        self.poll(slow=True)

    def finish(self) -> None:
        self.poll(slow=True)
        self._violation_end = self._violation_ns()

    def clock_events(self) -> ClockEvents:
        if not self.mask_counts:
            return ClockEvents(unavailable=self._reasons.reason or "no readings")
        counts: dict[str, int] = {}
        throttled = 0
        for mask, n in self.mask_counts.items():
            for name in decode_reasons(mask):
                counts[name] = counts.get(name, 0) + n
            if mask & THROTTLE_MASK:
                throttled += n
        return ClockEvents(samples=sum(self.mask_counts.values()), counts=counts, throttled_samples=throttled)

    def violations_ms(self) -> dict[str, Figure]:
        figures = {}
        for name, reading in self._violations.items():
            start, end = self._violation_start.get(name), self._violation_end.get(name)
            if start is None or end is None:
                figures[name] = Figure.missing("ms", reading.reason or "no reading")
            else:
                delta_ns = end - start
                figures[name] = Figure.of(delta_ns / 1e6, "ms", "nvml-violation-counter", "device")
        return figures

    def throttle_reasons(self) -> list[str]:
        """Throttle reasons seen in any reading or shown by a violation counter that moved."""
        seen = 0
        for mask in self.mask_counts:
            seen |= mask
        names = throttle_names(seen)
        for name, figure in self.violations_ms().items():
            if figure.value is not None and figure.value > 0:
                names.append(VIOLATION_REASONS[name])
        return names

    def series(self) -> dict[str, Series]:
        return {
            "sm_clock_mhz": self.sm.series("MHz", "nvml-clock-sm", unavailable=self._sm.reason),
            "memory_clock_mhz": self.memory.series("MHz", "nvml-clock-mem", unavailable=self._mem.reason),
            "temperature_c": self.temperature.series(
                "°C", "nvml-temperature-gpu", unavailable=self._temperature.reason
            ),
            "pcie_generation": self.pcie_generation.series(
                "gen", "nvml-pcie-current", unavailable=self._pcie_generation.reason
            ),
            "pcie_width": self.pcie_width.series(
                "lanes", "nvml-pcie-current", unavailable=self._pcie_width.reason
            ),
        }
