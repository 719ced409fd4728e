"""NVIDIA driver versions as a person reads them (``565.90``), from what NVML and Windows report.

NVML gives ``565.90`` on Windows and ``565.57.01`` on Linux; Windows' device manager and DXGI give the
driver-store form ``32.0.15.6590``, whose last five digits are the NVIDIA version (``6590`` after the
``5`` of ``15``: 565.90). Release branches ("R565") are the major number.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import total_ordering

_NVIDIA = re.compile(r"^\s*[Rr]?(\d{3})(?:\.(\d{1,3}))?(?:\.(\d{1,3}))?\s*$")
_WINDOWS_STORE = re.compile(r"^\s*\d{2}\.\d+\.(\d+)\.(\d{4})\s*$")


@total_ordering
@dataclass(frozen=True)
class DriverVersion:
    major: int
    minor: int = 0
    patch: int = 0

    def __str__(self) -> str:
        text = f"{self.major}.{self.minor:02d}"
        return f"{text}.{self.patch:02d}" if self.patch else text

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, DriverVersion):
            return NotImplemented
        return (self.major, self.minor, self.patch) < (other.major, other.minor, other.patch)


def parse_driver_version(text: str) -> DriverVersion | None:
    """``565.90``, ``R565``, ``565.57.01`` or Windows' ``32.0.15.6590``; None for anything else."""
    store = _WINDOWS_STORE.match(text)
    if store:
        digits = store.group(1)[-1] + store.group(2)  # "15", "6590" -> "56590"
        return DriverVersion(int(digits[:3]), int(digits[3:]))
    match = _NVIDIA.match(text)
    if not match:
        return None
    major, minor, patch = match.groups()
    return DriverVersion(int(major), int(minor or 0), int(patch or 0))
