"""The execution providers bench knows: one definition for scenarios, telemetry and baselines."""

from __future__ import annotations

from typing import Literal

Provider = Literal["cpu", "cuda", "dml"]
PROVIDERS: tuple[str, ...] = ("cpu", "cuda", "dml")
GPU_PROVIDERS: tuple[str, ...] = ("cuda", "dml")  # providers that run on a GPU (the first is the primary)
