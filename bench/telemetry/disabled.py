"""``--no-telemetry``: a ``Telemetry`` that touches no library."""

from __future__ import annotations

from collections.abc import Sequence

from bench.models.identity import ModelIdentity
from bench.telemetry.api import Phase, PointShape
from bench.telemetry.summary import disabled_point
from bench.telemetry.tracked import Tracked
from bench.telemetry.types import GpuInventory, PointTelemetry, RepetitionTelemetry, SessionTelemetry

DISABLED = "telemetry disabled (--no-telemetry)"


class DisabledTelemetry:
    """Every window samples nothing; every point says telemetry was disabled."""

    def __init__(self, provider: str = "cpu") -> None:
        self.provider = provider

    def inventory(self) -> GpuInventory:
        return GpuInventory(available=False, reason=f"{DISABLED}: GPU inventory not read")

    def track_load(self) -> Tracked[SessionTelemetry]:
        return Tracked(lambda: None, lambda state, exc: None)  # type: ignore[arg-type,return-value]

    def track_phase(self, phase: Phase, *, point: PointShape) -> Tracked[RepetitionTelemetry]:
        return Tracked(lambda: None, lambda state, exc: None)  # type: ignore[arg-type,return-value]

    def summarize_point(
        self,
        *,
        point: PointShape,
        model: ModelIdentity,
        setups: Sequence[RepetitionTelemetry | None],
        generations: Sequence[RepetitionTelemetry | None],
        decode_tokens_per_s: Sequence[float],
        generated_tokens: int,
        first_token_s: Sequence[float] = (),
    ) -> PointTelemetry:
        return disabled_point(
            provider=self.provider, reason=DISABLED, point=point, model=model, repetitions=len(generations)
        )

    def close(self) -> None:
        pass
