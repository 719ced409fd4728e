"""Baseline documents: what a run is compared with, and where that comes from.

A baseline is keyed by GPU (name and architecture; none for a CPU run), execution provider, model and
sweep point, and says how it was obtained (``provenance``):

* ``measured``: recorded from complete runs by ``bench baseline record``; keeps every raw sample (and
  how many came from each run, ``rounds``) and each run's environment, so the comparison is statistical.
* ``derived``: an expectation for hardware nobody measured here, from the memory-bandwidth roofline of
  the SKU and an efficiency calibrated on published figures (``bench.compare.derived``); each metric
  carries ``expected`` and a wide tolerance band, and the file carries the figures and their sources.

The schema lives here; files are read and written by ``bench.compare.baseline_files``, measured
baselines are pooled from runs by ``bench.compare.pooling``, and runs are matched with a baseline by
``bench.compare.matching``.

Schema history (bump ``BASELINE_SCHEMA_VERSION`` on any change a reader of the previous version would
misread; loaders refuse versions they do not know):

1 (2026-11-25) first version.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from bench.compare.skus import normalise_gpu_name, sku_for
from bench.documents import DocumentKind
from bench.models.identity import ModelKind
from bench.results.schema import Environment, PointParams
from bench.status import PointStatus, StatusField

BASELINE_SCHEMA_VERSION = 1
BASELINE_KIND: Literal["bench.baseline"] = "bench.baseline"

Provenance = Literal["measured", "derived"]


class GpuKey(BaseModel):
    """The GPU a baseline belongs to. ``name`` None: any GPU of ``architecture``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str | None = Field(None, description="as NVML reports it, e.g. 'NVIDIA GeForce RTX 4090'")
    architecture: str | None = Field(None, description="ampere, ada, hopper, ...")
    sku: str | None = Field(None, description="bench's SKU id (rtx-4090, a100-80gb, ...) when known")

    @property
    def label(self) -> str:
        short = self.name.removeprefix("NVIDIA ").removeprefix("GeForce ") if self.name else "any GPU"
        return f"{self.architecture or 'unknown architecture'} / {short}"

    def same_gpu(self, other: GpuKey) -> bool:
        """Same GPU model by name: same SKU when both are known, else the same normalised name."""
        if self.name is None or other.name is None:
            return False
        if self.sku and other.sku:
            return self.sku == other.sku
        return normalise_gpu_name(self.name) == normalise_gpu_name(other.name)


def gpu_key(name: str | None, architecture: str | None = None) -> GpuKey:
    sku = sku_for(name)
    return GpuKey(
        name=name,
        architecture=architecture or (sku.architecture if sku else None),
        sku=sku.id if sku else None,
    )


class MeasuredMetric(BaseModel):
    model_config = ConfigDict(extra="forbid")

    unit: str
    samples: list[float] = Field(min_length=1)
    rounds: list[int] = Field(default_factory=list, description="samples per source run, in order")

    @model_validator(mode="after")
    def _rounds_add_up(self) -> MeasuredMetric:
        if self.rounds and sum(self.rounds) != len(self.samples):
            raise ValueError(f"rounds {self.rounds} do not add up to {len(self.samples)} samples")
        return self


class ExpectedMetric(BaseModel):
    model_config = ConfigDict(extra="forbid")

    unit: str
    expected: float = Field(gt=0)
    low: float = Field(gt=0, description="lower edge of the tolerance band, in the metric's unit")
    high: float = Field(gt=0)
    basis: str = Field("", description="the arithmetic behind ``expected``, in one line")

    @model_validator(mode="after")
    def _band_holds_expected(self) -> ExpectedMetric:
        if not self.low <= self.expected <= self.high:
            raise ValueError(f"band [{self.low}, {self.high}] does not hold expected {self.expected}")
        return self


class BaselinePoint(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    model: str
    model_kind: ModelKind
    provider: str
    params: PointParams
    status: StatusField = PointStatus.VALID
    reasons: list[str] = Field(default_factory=list)
    measured: dict[str, MeasuredMetric] = Field(default_factory=dict)
    expected: dict[str, ExpectedMetric] = Field(default_factory=dict)


class BaselineModel(BaseModel):
    """Which model a baseline's points belong to (twins and real weights are never compared)."""

    model_config = ConfigDict(extra="forbid")

    key: str
    kind: ModelKind
    name: str
    family: str | None = None
    content_sha256: str | None = None


class SourceRun(BaseModel):
    """One run a measured baseline was recorded from, with what may explain a difference later."""

    model_config = ConfigDict(extra="forbid")

    run_id: str
    file: str | None = None
    scenario: str
    started_at: datetime
    hostname: str
    cpu_model: str
    gpu: str | None = None
    driver: str | None = None
    onnxruntime: str | None = None
    onnxruntime_genai: str | None = None
    bench: str


class PublishedFigure(BaseModel):
    model_config = ConfigDict(extra="forbid")

    what: str
    gpu: str
    value: float
    unit: str
    source: str


class Derivation(BaseModel):
    """How a derived baseline was computed: the SKU facts, the calibration and its sources."""

    model_config = ConfigDict(extra="forbid")

    method: str
    sku: dict[str, Any]
    calibration: list[str] = Field(description="the arithmetic, one step a line")
    figures: list[PublishedFigure]
    tolerance: dict[str, tuple[float, float]] = Field(description="metric -> (low, high) factor on expected")
    models: dict[str, dict[str, Any]] = Field(default_factory=dict, description="bytes and FLOPs per model")
    assumptions: list[str] = Field(default_factory=list)


class BaselineDocument(BaseModel):
    model_config = ConfigDict(extra="forbid")

    schema_version: int = BASELINE_SCHEMA_VERSION
    kind: Literal["bench.baseline"] = BASELINE_KIND
    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,100}$")
    provenance: Provenance
    description: str = ""
    created_at: datetime | None = None
    gpu: GpuKey | None = Field(description="None: measured without a GPU (CPU provider)")
    cpu_model: str | None = Field(default=None, description="host CPU of a measured baseline")
    providers: list[str]
    models: list[BaselineModel]
    scenarios: list[str] = Field(default_factory=list)
    points: dict[str, BaselinePoint]
    excluded: list[str] = Field(default_factory=list, description="points left out when recording, and why")
    notes: list[str] = Field(default_factory=list)
    sources: list[SourceRun] = Field(default_factory=list)
    environment: Environment | None = Field(
        default=None, description="the first source run's full environment"
    )
    derivation: Derivation | None = None

    @model_validator(mode="after")
    def _provenance_matches_content(self) -> BaselineDocument:
        for point in self.points.values():
            if self.provenance == "measured" and point.expected:
                raise ValueError(f"measured baseline point {point.id} carries expectations")
            if self.provenance == "derived" and point.measured:
                raise ValueError(f"derived baseline point {point.id} carries samples")
        if self.provenance == "derived" and self.derivation is None:
            raise ValueError("a derived baseline must say how it was derived (derivation)")
        return self

    @property
    def label(self) -> str:
        """What every table shows for this baseline; a derived one always says so."""
        where = self.gpu.label if self.gpu else f"no GPU ({self.cpu_model or 'CPU'})"
        if self.provenance == "derived":
            return f"derived (not measured): {where}"
        versions = sorted({s.driver for s in self.sources if s.driver})
        driver = f", driver {', '.join(versions)}" if versions else ""
        return f"measured: {self.name} on {where}{driver}"


BASELINE_DOCUMENT = DocumentKind(
    kind=BASELINE_KIND,
    what="baseline",
    model=BaselineDocument,
    version=BASELINE_SCHEMA_VERSION,
    hint="pass a file written by `bench baseline record` or `bench baseline derive`",
)
SUPPORTED_BASELINE_VERSIONS = BASELINE_DOCUMENT.supported
