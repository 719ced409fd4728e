"""The comparison report: what ``bench compare``/``bench gate`` print and the dashboard draws.

A plain, serialisable value built by the comparison engine from result documents and baselines; the
terminal table, the Markdown comment, ``--json`` and the dashboard all render this one object.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Verdict = Literal["regression", "improvement", "no_change", "not_comparable"]
BaselineKind = Literal["measured", "derived"]


class ComparisonRow(BaseModel):
    """One metric at one sweep point: baseline against candidate."""

    model_config = ConfigDict(extra="forbid")

    point_id: str
    model: str
    provider: str
    prompt_tokens: int
    batch_size: int
    output_tokens: int
    metric: str
    unit: str
    direction: Literal["higher", "lower"]
    baseline_kind: BaselineKind
    baseline_label: str = Field(description="what the baseline is, e.g. 'measured: rtx-4090 (driver 565.90)'")
    baseline_value: float | None = Field(
        None, description="baseline median (measured) or expectation (derived)"
    )
    baseline_low: float | None = Field(None, description="lower edge of the baseline band (CI or tolerance)")
    baseline_high: float | None = None
    candidate_value: float | None = Field(None, description="candidate median")
    change_pct: float | None = Field(None, description="(candidate / baseline - 1) × 100, signed")
    ci_low_pct: float | None = Field(None, description="confidence interval of the change, in %")
    ci_high_pct: float | None = None
    p_value: float | None = Field(None, description="raw p-value of the test")
    p_adjusted: float | None = Field(None, description="after the multiple-comparison correction")
    verdict: Verdict
    reason: str = ""
    candidate_status: Literal["valid", "flagged", "invalid", "missing"] = "valid"
    excluded: bool = Field(False, description="flagged/invalid point left out of the verdict")
    group: str | None = Field(None, description="e.g. driver version, when comparing sets of runs")


class ComparisonReport(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rule: str = Field(description="the decision rule in one line, printed verbatim")
    candidate: list[str] = Field(description="candidate run ids (or labels)")
    baseline: list[str] = Field(description="baseline run ids or baseline names")
    notes: list[str] = Field(default_factory=list, description="header notes, e.g. driver A -> driver B")
    mismatches: list[str] = Field(default_factory=list, description="what could not be compared, and why")
    rows: list[ComparisonRow] = Field(default_factory=list)

    def count(self, verdict: Verdict) -> int:
        return sum(1 for row in self.rows if row.verdict == verdict and not row.excluded)

    @property
    def has_regression(self) -> bool:
        return self.count("regression") > 0
