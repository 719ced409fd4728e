"""Cross-check bench's NVML per-process memory against ``nvidia-smi --query-compute-apps`` (pure).

Both read the driver's per-process accounting (nvidia-smi is an NVML client), so agreement does not
prove the figure right; it proves bench reads the right process on the right GPU in the right unit.
Used by benchmarks/gpu_check.py; nvidia-smi's output is passed in as text.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

QUERY = ["nvidia-smi", "--query-compute-apps=pid,used_memory", "--format=csv"]
TOLERANCE_MIB = 2.0  # nvidia-smi prints whole MiB; NVML gives bytes


@dataclass(frozen=True)
class CrossCheck:
    ok: bool
    text: str


def parse_compute_apps(text: str) -> dict[int, float]:
    """``pid, used_memory [MiB]`` CSV (with or without header and units) -> {pid: MiB}.

    A process whose memory the driver does not report ("[N/A]", WDDM) is left out; raises
    ``ValueError`` on anything else it cannot read.
    """
    found: dict[int, float] = {}
    for row in csv.reader(io.StringIO(text)):
        cells = [cell.strip() for cell in row]
        if not cells or not cells[0] or cells[0].lower() == "pid":
            continue
        if len(cells) != 2:
            raise ValueError(f"expected 'pid, used_memory', got {row!r}")
        pid, used = cells
        if "N/A" in used or "Not Supported" in used:
            continue
        found[int(pid)] = float(used.split()[0])  # "1234 MiB" or "1234"
    return found


def compare(*, pid: int, nvml_mib: float | None, smi: dict[int, float]) -> CrossCheck:
    """Does nvidia-smi list ``pid`` with what bench read from NVML (within ``TOLERANCE_MIB``)?"""
    if nvml_mib is None:
        return CrossCheck(False, "bench read no per-process memory from NVML")
    if pid not in smi:
        listed = ", ".join(f"{p}: {m:.0f} MiB" for p, m in sorted(smi.items())) or "no process"
        return CrossCheck(False, f"nvidia-smi does not list pid {pid} ({listed}): another PID namespace?")
    delta = nvml_mib - smi[pid]
    ok = abs(delta) <= TOLERANCE_MIB
    verdict = "agree" if ok else "DISAGREE"
    return CrossCheck(
        ok, f"pid {pid}: NVML {nvml_mib:.0f} MiB, nvidia-smi {smi[pid]:.0f} MiB ({delta:+.1f} MiB): {verdict}"
    )
