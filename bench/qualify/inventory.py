"""Stage 1, inventory: the GPU against the model cards' supported hardware (pure: facts in, criteria out).

The cards say "NVIDIA Ampere and newer GPUs", "6GB or higher VRAM" and "NVIDIA Graphics driver: R565
or higher"; the profile holds those numbers. The PCIe link is judged under load (it drops at idle), from
the telemetry of the runs that loaded the GPU.
"""

from __future__ import annotations

from collections.abc import Sequence

from bench.qualify.criteria import Criterion, judged, not_judged
from bench.qualify.driver import parse_driver_version
from bench.qualify.facts import GpuFacts
from bench.qualify.profile import ARCHITECTURES, InventoryCriteria
from bench.telemetry.types import Series

GIB_IN_MIB = 1024.0


def judge_inventory(
    facts: GpuFacts,
    criteria: InventoryCriteria,
    *,
    pcie_generation: Series | None = None,
    pcie_width: Series | None = None,
) -> list[Criterion]:
    """``pcie_generation``/``pcie_width``: the link as read under load (None: no run loaded the GPU)."""
    subject = facts.device.name if facts.device else ""
    rows = [
        _architecture(facts, criteria, subject),
        _vram(facts, criteria, subject),
        _driver(facts, criteria, subject),
        *_pcie(facts, criteria, subject, pcie_generation, pcie_width),
        _power(facts, criteria, subject),
    ]
    if criteria.require_persistence_mode:
        rows.append(_persistence(facts, subject))
    if criteria.require_ecc:
        rows.append(_ecc(facts, subject))
    return rows


def _missing(facts: GpuFacts, field: str) -> str:
    if facts.device is None:
        return facts.no_gpu or "no GPU"
    why = facts.device.unavailable.get(field) or facts.unavailable.get(field)
    return f"unavailable: {why}" if why else "unavailable: not read"


def _architecture(facts: GpuFacts, criteria: InventoryCriteria, subject: str) -> Criterion:
    name, threshold = "GPU architecture", f"{criteria.architecture_min} or newer"
    architecture = facts.device.architecture if facts.device else None
    if architecture is None:
        return not_judged("inventory", name, threshold=threshold, reason=_missing(facts, "architecture"))
    if architecture not in ARCHITECTURES:  # "unknown (12)": a code newer than this nvidia-ml-py/bench
        return not_judged(
            "inventory",
            name,
            subject=subject,
            threshold=threshold,
            measured=architecture,
            reason="architecture unknown to bench: cannot be ordered (upgrade nvidia-ml-py and bench)",
        )
    ok = ARCHITECTURES.index(architecture) >= ARCHITECTURES.index(criteria.architecture_min)
    capability = facts.device.compute_capability if facts.device else None
    measured = f"{architecture} (compute capability {capability})" if capability else architecture
    return judged("inventory", name, ok=ok, subject=subject, threshold=threshold, measured=measured)


def _vram(facts: GpuFacts, criteria: InventoryCriteria, subject: str) -> Criterion:
    name, threshold = "VRAM total", f">= {criteria.vram_total_min_gib:g} GiB"
    total = facts.device.memory_total_mib if facts.device else None
    if total is None:
        return not_judged("inventory", name, threshold=threshold, reason=_missing(facts, "memory_total_mib"))
    gib = total / GIB_IN_MIB
    return judged(
        "inventory",
        name,
        ok=gib >= criteria.vram_total_min_gib,
        subject=subject,
        threshold=threshold,
        measured=f"{gib:.2f} GiB ({total:.0f} MiB)",
    )


def _driver(facts: GpuFacts, criteria: InventoryCriteria, subject: str) -> Criterion:
    name, threshold = "driver version", f">= {criteria.driver_min_version}"
    text = (facts.device.driver_version if facts.device else None) or (
        facts.inventory.driver_version if facts.inventory and facts.device else None
    )
    if text is None:
        return not_judged("inventory", name, threshold=threshold, reason=_missing(facts, "driver_version"))
    version = parse_driver_version(text)
    if version is None:
        return not_judged(
            "inventory",
            name,
            subject=subject,
            threshold=threshold,
            measured=text,
            reason="not an NVIDIA driver version bench can read",
        )
    required = parse_driver_version(criteria.driver_min_version)
    assert required is not None  # validated with the profile
    return judged(
        "inventory", name, ok=version >= required, subject=subject, threshold=threshold, measured=str(version)
    )


def _pcie(
    facts: GpuFacts,
    criteria: InventoryCriteria,
    subject: str,
    generation: Series | None,
    width: Series | None,
) -> list[Criterion]:
    pct = criteria.pcie_link_min_pct_of_max
    device = facts.device
    rows = []
    for name, series, maximum, field, unit in (
        (
            "PCIe link width under load",
            width,
            device.pcie_max_width if device else None,
            "pcie_max_width",
            "lanes",
        ),
        (
            "PCIe link generation under load",
            generation,
            (facts.gpu_max_pcie_generation or device.pcie_max_generation) if device else None,
            "pcie_max_generation",
            "gen",
        ),
    ):
        threshold = f">= {pct:g} % of the maximum" + (f" ({maximum} {unit})" if maximum else "")
        if device is None or maximum is None:
            rows.append(not_judged("inventory", name, threshold=threshold, reason=_missing(facts, field)))
            continue
        if series is None or not series.n or series.max is None:
            why = series.unavailable if series is not None and series.unavailable else "no run loaded the GPU"
            rows.append(
                not_judged(
                    "inventory",
                    name,
                    subject=subject,
                    threshold=threshold,
                    reason=f"no reading under load: {why}",
                )
            )
            continue
        # The highest reading under load: the link renegotiates down at idle between repetitions.
        seen = series.max
        required = maximum * pct / 100.0
        if unit == "lanes" and criteria.pcie_width_min_lanes is not None:
            required = max(required, criteria.pcie_width_min_lanes)
            threshold += f" and >= {criteria.pcie_width_min_lanes} lanes"
        rows.append(
            judged(
                "inventory",
                name,
                ok=seen >= required,
                subject=subject,
                threshold=threshold,
                measured=f"{seen:g} {unit} (highest of {series.n} readings under load)",
            )
        )
    return rows


def _power(facts: GpuFacts, criteria: InventoryCriteria, subject: str) -> Criterion:
    pct = criteria.power_limit_min_pct_of_default
    name, threshold = "power limit", f">= {pct:g} % of the default limit"
    limit = facts.device.power_limit_w if facts.device else None
    default = facts.power_default_w.value
    if limit is None:
        return not_judged("inventory", name, threshold=threshold, reason=_missing(facts, "power_limit_w"))
    if default is None or default <= 0:
        return not_judged(
            "inventory",
            name,
            subject=subject,
            threshold=threshold,
            measured=f"{limit:.0f} W",
            reason=f"default limit unavailable: {facts.power_default_w.unavailable or 'reads 0 W'}",
        )
    share = 100.0 * limit / default
    return judged(
        "inventory",
        name,
        ok=share >= pct,
        subject=subject,
        threshold=threshold,
        measured=f"{limit:.0f} W of {default:.0f} W default ({share:.0f} %)",
    )


def _persistence(facts: GpuFacts, subject: str) -> Criterion:
    name, threshold = "persistence mode", "enabled"
    mode = facts.device.persistence_mode if facts.device else None
    if mode is None:
        reason = _missing(facts, "persistence_mode")
        if facts.device is not None and "persistence_mode" not in facts.device.unavailable:
            reason = "not reported on this platform (Linux only)"
        return not_judged("inventory", name, subject=subject, threshold=threshold, reason=reason)
    return judged(
        "inventory",
        name,
        ok=mode,
        subject=subject,
        threshold=threshold,
        measured="enabled" if mode else "disabled",
    )


def _ecc(facts: GpuFacts, subject: str) -> Criterion:
    name, threshold = "ECC", "enabled"
    if facts.ecc_enabled is None:
        return not_judged(
            "inventory", name, subject=subject, threshold=threshold, reason=_missing(facts, "ecc_enabled")
        )
    return judged(
        "inventory",
        name,
        ok=facts.ecc_enabled,
        subject=subject,
        threshold=threshold,
        measured="enabled" if facts.ecc_enabled else "disabled",
    )


def merge_link(series: Sequence[Series], unit: str) -> Series:
    """Pool the link readings of many phases (bench.telemetry's own pooling)."""
    return Series.merge(series, unit=unit)
