"""The contract between the runner and telemetry.

The runner wraps each measured phase in a ``Telemetry`` context manager and stores the typed sample the
probe holds after the block. Probes must cost nothing inside the timed region: continuous series are
sampled by a separate process (bench/telemetry/worker.py), told to start on enter and to stop on exit;
the measuring process itself reads only at those two boundaries.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Generic, Literal, Protocol, TypeVar

from bench.models.identity import ModelIdentity
from bench.telemetry.types import GpuInventory, PointTelemetry, RepetitionTelemetry, SessionTelemetry

T = TypeVar("T")

Phase = Literal["generator_setup", "generation"]


class Probe(Generic[T]):
    """Holds the sample of one tracked phase; ``sample`` is set when the ``with`` block exits."""

    def __init__(self) -> None:
        self.sample: T | None = None


@dataclass(frozen=True)
class PointShape:
    """What telemetry needs to know about a sweep point (e.g. for theoretical KV-cache size)."""

    prompt_tokens: int
    batch_size: int
    output_tokens: int

    @property
    def max_length(self) -> int:
        return self.prompt_tokens + self.output_tokens


class Telemetry(Protocol):
    def inventory(self) -> GpuInventory:
        """GPUs as seen once per run (identity and metadata), or why there are none."""

    def track_load(self) -> AbstractContextManager[Probe[SessionTelemetry]]:
        """Around model load: memory before (baseline) and after (weights)."""

    def track_phase(
        self, phase: Phase, *, point: PointShape
    ) -> AbstractContextManager[Probe[RepetitionTelemetry]]:
        """Around one phase of one repetition: ``generator_setup`` (KV cache) or ``generation``."""

    def summarize_point(
        self,
        *,
        point: PointShape,
        model: ModelIdentity,
        setups: Sequence[RepetitionTelemetry],
        generations: Sequence[RepetitionTelemetry],
        decode_tokens_per_s: Sequence[float],
        generated_tokens: int,
        first_token_s: Sequence[float] = (),
    ) -> PointTelemetry:
        """Aggregate one point's repetitions: peaks, throttled-sample counts, energy/token, roofline.

        ``first_token_s``: each repetition's time to first token, to split its energy into prefill and
        decode (without it, those two figures say so).
        """

    def close(self) -> None:
        """Stop background samplers and release the library (e.g. nvmlShutdown)."""
