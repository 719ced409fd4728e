"""One judged criterion, and how a list of them becomes a verdict.

A criterion is PASS or FAIL only when its reading exists; otherwise it is NOT JUDGED with the reason
("no GPU: ...", "unavailable: not supported on this GPU/driver"). A NOT JUDGED criterion makes the
verdict INCONCLUSIVE, never PASS; a FAIL outranks both (``Outcome.worst``).
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import Enum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from bench.outcome import Outcome

Stage = Literal["inventory", "function", "performance", "soak"]
STAGES: tuple[Stage, ...] = ("inventory", "function", "performance", "soak")


class Status(str, Enum):
    PASS = "pass"
    FAIL = "fail"
    NOT_JUDGED = "not judged"

    @property
    def outcome(self) -> Outcome:
        return {Status.PASS: Outcome.PASS, Status.FAIL: Outcome.FAIL}.get(self, Outcome.INCONCLUSIVE)


class Criterion(BaseModel):
    """One row of the criteria table: what was required, what was measured, and the judgement."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    stage: Stage
    name: str = Field(description="e.g. 'VRAM total', 'decode_tokens_per_s @ p512|b1|o128'")
    subject: str = Field("", description="what it was judged on: a GPU, a model, a sweep point")
    threshold: str = Field(description="the requirement, with its unit, e.g. '>= 5.9 GiB'")
    measured: str | None = Field(
        default=None, description="the reading, with its unit; None when there is none"
    )
    status: Status
    reason: str = Field("", description="why it failed or was not judged; the basis of a pass")

    @property
    def label(self) -> str:
        return f"{self.name} ({self.subject})" if self.subject else self.name


def judged(
    stage: Stage,
    name: str,
    *,
    ok: bool,
    threshold: str,
    measured: str,
    subject: str = "",
    reason: str = "",
) -> Criterion:
    return Criterion(
        stage=stage,
        name=name,
        subject=subject,
        threshold=threshold,
        measured=measured,
        status=Status.PASS if ok else Status.FAIL,
        reason=reason,
    )


def not_judged(
    stage: Stage, name: str, *, threshold: str, reason: str, subject: str = "", measured: str | None = None
) -> Criterion:
    return Criterion(
        stage=stage,
        name=name,
        subject=subject,
        threshold=threshold,
        measured=measured,
        status=Status.NOT_JUDGED,
        reason=reason,
    )


def verdict(criteria: Iterable[Criterion]) -> Outcome:
    """FAIL if any failed, else INCONCLUSIVE if any was not judged (or none exist), else PASS."""
    return Outcome.worst(c.status.outcome for c in criteria)
