"""The comparison report: one typed value that ``bench compare``/``bench gate``, the dashboard and every
later reader (A/B gating, qualification, the results store) read, and none of them recompute.

Built whole by ``bench.compare.engine.build_report`` (nothing is filled in afterwards), then only read:
``bench.compare.render`` draws the terminal table, the Markdown comment and the JSON; the CLI turns it
into an exit code; ``bench.dashboard`` draws it. What it holds:

- ``groups``: one per candidate group (candidate runs that ran on the same GPU with the same driver and
  onnxruntime-genai; rounds pooled): which baseline matched and how (``match``), the pooled candidate
  and baseline points (``candidate_points``, ``baseline_points``), the rows, and the group's coverage;
- ``rows`` (all groups, in order): one per (point, metric) the comparison expected from the candidate,
  with a verdict, the numbers behind it and the reason in words;
- ``coverage``: which (point, metric) pairs were expected, how many were compared, and for each of the
  others why not (a ``CoverageReason`` code plus the sentence).
"""

from __future__ import annotations

from collections import Counter
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, computed_field, model_validator

from bench.analysis.verdict import Verdict
from bench.compare.baselines import BaselinePoint, Provenance
from bench.enums import TextEnum
from bench.metrics import Direction
from bench.status import PointStatus, StatusField

NO_MATCH = "no matching baseline"  # the baseline label of rows no baseline matched
MatchHow = Literal["gpu name", "architecture", "no gpu"]


class CoverageReason(TextEnum):
    """Why an expected (point, metric) pair was not compared. Stable codes: readers match on them."""

    NO_MATCHING_BASELINE = "no_matching_baseline"  # no baseline for this GPU (or CPU) was given
    MISSING_IN_BASELINE = "missing_in_baseline"  # the matched baseline lacks the point (model, provider,
    # twin vs real) or the metric
    MISSING_IN_CANDIDATE = "missing_in_candidate"  # the baseline has it; the candidate did not measure it
    FLAGGED = "flagged"  # a flagged point left out of the verdict (candidate or baseline side)
    INVALID = "invalid"  # an invalid point: its samples do not measure the point
    TOO_FEW_REPETITIONS = "too_few_repetitions"  # the test cannot reach significance at these sample sizes
    NO_STATISTICS = "no_statistics"  # unusable samples: none, non-finite, a zero median


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    @model_validator(mode="before")
    @classmethod
    def _drop_computed(cls, data: Any) -> Any:
        # Computed fields are written for readers of the JSON and recomputed on loading.
        if isinstance(data, dict):
            computed = cls.model_computed_fields
            if any(key in data for key in computed):
                data = {k: v for k, v in data.items() if k not in computed}
        return data


class CoverageGap(_Frozen):
    """One expected (point, metric) pair that was not compared, and why."""

    point_id: str
    metric: str
    reason: CoverageReason
    detail: str = Field(description="the reason in words, as the row or the mismatch line says it")
    group: str | None = Field(None, description="the candidate group's label when there are several")


class Coverage(_Frozen):
    """What a comparison was expected to compare, and what it did."""

    expected: int = Field(
        ge=0,
        description="(point, metric) pairs expected: candidate rows + baseline "
        "pairs the candidate did not measure",
    )
    compared: int = Field(ge=0, description="pairs that received a verdict from the rule")
    not_compared: tuple[CoverageGap, ...] = ()

    @model_validator(mode="after")
    def _adds_up(self) -> Coverage:
        if self.compared + len(self.not_compared) != self.expected:
            raise ValueError(
                f"{self.compared} compared + {len(self.not_compared)} not compared"
                f" != {self.expected} expected"
            )
        return self

    @computed_field  # type: ignore[prop-decorator]
    @property
    def fraction(self) -> float:
        """Compared / expected; 0.0 when nothing was expected (nothing compared is never full coverage)."""
        return self.compared / self.expected if self.expected else 0.0

    @computed_field  # type: ignore[prop-decorator]
    @property
    def by_reason(self) -> dict[CoverageReason, int]:
        """How many pairs each reason left out, most frequent first."""
        return dict(Counter(gap.reason for gap in self.not_compared).most_common())

    @property
    def complete(self) -> bool:
        return self.expected > 0 and self.compared == self.expected

    def describe(self) -> str:
        """One line: ``coverage 18/20 (90 %); not compared: 2 flagged``."""
        text = f"coverage {self.compared}/{self.expected} ({self.fraction:.0%})"
        if self.not_compared:
            text += "; not compared: " + ", ".join(f"{n} {r.value}" for r, n in self.by_reason.items())
        return text

    @classmethod
    def combine(cls, parts: list[Coverage]) -> Coverage:
        return cls(
            expected=sum(p.expected for p in parts),
            compared=sum(p.compared for p in parts),
            not_compared=tuple(gap for p in parts for gap in p.not_compared),
        )


class ComparisonRow(_Frozen):
    """One metric at one sweep point: baseline against candidate."""

    point_id: str
    model: str
    provider: str
    prompt_tokens: int
    batch_size: int
    output_tokens: int
    metric: str
    unit: str
    direction: Direction
    baseline_kind: Provenance
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
    candidate_status: StatusField = PointStatus.VALID
    excluded: bool = Field(False, description="flagged/invalid point left out of the verdict")
    gap: CoverageReason | None = Field(None, description="why the row was not compared (None: compared)")
    group: str | None = Field(None, description="the candidate group's label, when there are several")

    @property
    def compared(self) -> bool:
        return self.gap is None


class BaselineMatch(_Frozen):
    """Which baseline a candidate group was compared with, and how it was chosen."""

    baseline: str | None = Field(None, description="the baseline's name; None when none matched")
    label: str = Field(NO_MATCH, description="what every table shows for it; a derived one says so")
    provenance: Provenance | None = None
    how: MatchHow | None = Field(
        None, description="matched by GPU name, by architecture, or both without GPU"
    )
    reasons: tuple[str, ...] = Field((), description="why other baselines did not match or were passed over")


class CandidateGroup(_Frozen):
    """Candidate runs that measured the same GPU (or CPU) with the same driver and onnxruntime-genai."""

    gpu: str = Field(description="SKU or GPU name; 'cpu'; 'unknown gpu'")
    driver: str | None = None
    onnxruntime_genai: str | None = None
    label: str = Field(description="GPU and versions, e.g. 'ada / RTX 4090; driver 565.90, ...'")
    where: str = Field(description="the GPU's label, or 'CPU: <model>'")
    versions: str
    runs: tuple[str, ...] = Field(description="the candidate run ids pooled in this group")
    match: BaselineMatch | None = Field(None, description="None when no baseline was given")
    rows: tuple[ComparisonRow, ...] = ()
    coverage: Coverage = Coverage(expected=0, compared=0)
    candidate_points: dict[str, BaselinePoint] = Field(
        default_factory=dict, description="the candidate's points, rounds pooled (samples kept)"
    )
    baseline_points: dict[str, BaselinePoint] = Field(
        default_factory=dict, description="the matched baseline's counterparts of the candidate points"
    )

    @property
    def key(self) -> str:
        return f"{self.gpu}|{self.driver or ''}|{self.onnxruntime_genai or ''}"


class ComparisonReport(_Frozen):
    rule: str = Field(description="the decision rule in one line, printed verbatim")
    candidate: list[str] = Field(description="candidate run ids (or labels)")
    baseline: list[str] = Field(description="baseline run ids or baseline names")
    notes: list[str] = Field(default_factory=list, description="header notes, e.g. driver A -> driver B")
    mismatches: list[str] = Field(default_factory=list, description="what could not be compared, and why")
    groups: tuple[CandidateGroup, ...] = ()

    @computed_field  # type: ignore[prop-decorator]
    @property
    def rows(self) -> list[ComparisonRow]:
        """Every group's rows, in order (also written to JSON, where ``rows`` was before groups)."""
        return [row for group in self.groups for row in group.rows]

    @computed_field  # type: ignore[prop-decorator]
    @property
    def coverage(self) -> Coverage:
        return Coverage.combine([group.coverage for group in self.groups])

    @computed_field  # type: ignore[prop-decorator]
    @property
    def counts(self) -> dict[Verdict, int]:
        """Rows per verdict, excluded rows left out (they are counted in ``coverage``)."""
        return {verdict: self.count(verdict) for verdict in Verdict}

    def count(self, verdict: Verdict | str) -> int:
        return sum(1 for row in self.rows if row.verdict == verdict and not row.excluded)

    @property
    def has_regression(self) -> bool:
        return self.count(Verdict.REGRESSION) > 0

    def with_notes_first(self, notes: list[str]) -> ComparisonReport:
        """The same report with ``notes`` before its own (a caller that knows more about the inputs)."""
        return self.model_copy(update={"notes": [*notes, *self.notes]})
