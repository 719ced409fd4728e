"""Baseline documents: what a run is compared with, and where that comes from.

A baseline is keyed by GPU (name and architecture; none for a CPU run), execution provider, model and
sweep point, and says how it was obtained (``provenance``):

* ``measured``: recorded from complete runs by ``bench baseline record``; keeps every raw sample (and
  how many came from each run, ``rounds``) and each run's environment, so the comparison is statistical.
* ``derived``: an expectation for hardware nobody measured here, from the memory-bandwidth roofline of
  the SKU and an efficiency calibrated on published figures (``bench.compare.derived``); each metric
  carries ``expected`` and a wide tolerance band, and the file carries the figures and their sources.

Schema history (bump ``BASELINE_SCHEMA_VERSION`` on any change a reader of the previous version would
misread; loaders refuse versions they do not know):

1 (2026-11-25) first version.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from bench.atomic import atomic_write_text
from bench.compare.skus import normalise_gpu_name, sku_for
from bench.errors import BenchError
from bench.models.identity import ModelKind
from bench.results.schema import Environment, PointParams, ResultDocument, Session

BASELINE_SCHEMA_VERSION = 1
SUPPORTED_BASELINE_VERSIONS = frozenset({1})
BASELINE_KIND: Literal["bench.baseline"] = "bench.baseline"

Provenance = Literal["measured", "derived"]
BaselinePointStatus = Literal["valid", "flagged", "invalid"]


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
    status: BaselinePointStatus = "valid"
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


# --- reading and writing ------------------------------------------------------------------------


_POINT_DEFAULTS = {"status": "valid", "reasons": [], "measured": {}, "expected": {}}


def baseline_json(document: BaselineDocument) -> str:
    """The file text: points leave out fields at their defaults (a derived file holds hundreds of points)."""
    data = document.model_dump(mode="json")
    for point in data["points"].values():
        for key, default in _POINT_DEFAULTS.items():
            if point.get(key) == default:
                del point[key]
    return json.dumps(data, indent=1, ensure_ascii=False) + "\n"


def write_baseline(document: BaselineDocument, path: Path) -> Path:
    atomic_write_text(path, baseline_json(document))
    return path


def read_json_document(path: Path) -> dict[str, Any]:
    """Read a JSON object from ``path``; every failure is a one-line ``BenchError`` naming the file."""
    path = Path(path)
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise BenchError("no such file", field=str(path)) from None
    except UnicodeDecodeError:
        raise BenchError("not UTF-8 text (bench writes UTF-8 JSON)", field=str(path)) from None
    except OSError as exc:
        raise BenchError(f"cannot read file: {exc.strerror or exc}", field=str(path)) from None
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise BenchError(f"not valid JSON (line {exc.lineno}, column {exc.colno})", field=str(path)) from None
    if not isinstance(data, dict):
        raise BenchError("not a bench result or baseline (a JSON object is expected)", field=str(path))
    return data


def parse_baseline(data: dict[str, Any], *, origin: str) -> BaselineDocument:
    if data.get("kind") != BASELINE_KIND:
        raise BenchError(
            'not a bench baseline file (no "kind": "bench.baseline")',
            field=origin,
            hint="pass a file written by `bench baseline record` or `bench baseline derive`",
        )
    version = data.get("schema_version")
    if version not in SUPPORTED_BASELINE_VERSIONS:
        raise BenchError(
            f"foreign baseline schema: schema_version {version!r}; this bench reads "
            f"{', '.join(str(v) for v in sorted(SUPPORTED_BASELINE_VERSIONS))}",
            field=origin,
            hint="use the bench version that wrote it, or re-record the baseline",
        )
    try:
        return BaselineDocument.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "document"
        more = f" (and {exc.error_count() - 1} more problems)" if exc.error_count() > 1 else ""
        raise BenchError(f"invalid baseline file at {where}: {first['msg']}{more}", field=origin) from None


def load_baseline(path: Path) -> BaselineDocument:
    return parse_baseline(read_json_document(path), origin=str(path))


# --- the environment of a run, as a baseline or a comparison needs it ---------------------------


@dataclass(frozen=True)
class RunContext:
    """Where one session of a run measured: GPU (None for the CPU provider), versions."""

    gpu: GpuKey | None
    gpu_unknown_reason: str | None  # a GPU provider ran but bench could not tell which GPU
    provider: str
    driver: str | None
    onnxruntime_genai: str | None
    cpu_model: str

    @property
    def versions(self) -> str:
        parts = []
        if self.driver:
            parts.append(f"driver {self.driver}")
        if self.onnxruntime_genai:
            parts.append(f"onnxruntime-genai {self.onnxruntime_genai}")
        return ", ".join(parts) or "versions unknown"


def driver_version(document: ResultDocument) -> str | None:
    """The GPU driver version a run recorded, if any (older files kept it in ``metadata``)."""
    gpus = document.environment.gpus
    for device in gpus.devices:
        if device.driver_version:
            return device.driver_version
        legacy = device.metadata.get("driver_version")
        if legacy:
            return str(legacy)
    if gpus.library and "driver" in gpus.library:
        return gpus.library.split("driver", 1)[1].strip(" ,;:") or None
    return None


def run_context(document: ResultDocument, session: Session) -> RunContext:
    gpus = document.environment.gpus
    gpu: GpuKey | None = None
    unknown: str | None = None
    if session.provider != "cpu":
        index = session.device_id or 0
        device = next((d for d in gpus.devices if d.index == index), None)
        if device is None and gpus.devices:
            device = gpus.devices[0]
        if device is not None:
            gpu = gpu_key(device.name, device.architecture)
        else:
            why = gpus.reason or "no NVML"
            unknown = f"provider {session.provider} ran but no GPU identity was recorded ({why})"
    return RunContext(
        gpu=gpu,
        gpu_unknown_reason=unknown,
        provider=session.provider,
        driver=driver_version(document) if session.provider != "cpu" else None,
        onnxruntime_genai=document.environment.software.onnxruntime_genai,
        cpu_model=document.environment.host.cpu_model,
    )


def source_run(document: ResultDocument, file: str | None = None) -> SourceRun:
    gpus = document.environment.gpus
    return SourceRun(
        run_id=document.run_id,
        file=file,
        scenario=document.scenario.name,
        started_at=document.started_at,
        hostname=document.environment.host.hostname,
        cpu_model=document.environment.host.cpu_model,
        gpu=", ".join(d.name for d in gpus.devices) or None,
        driver=driver_version(document),
        onnxruntime=document.environment.software.onnxruntime,
        onnxruntime_genai=document.environment.software.onnxruntime_genai,
        bench=document.environment.software.bench,
    )


# --- building a measured baseline from result documents -----------------------------------------


@dataclass
class _Pool:
    point: BaselinePoint
    samples: dict[str, list[float]] = field(default_factory=dict)
    rounds: dict[str, list[int]] = field(default_factory=dict)
    units: dict[str, str] = field(default_factory=dict)


def baseline_from_results(
    documents: Sequence[ResultDocument],
    *,
    name: str,
    files: Sequence[str | None] | None = None,
    keep: Iterable[BaselinePointStatus] = ("valid", "flagged", "invalid"),
    description: str = "",
    created_at: datetime | None = None,
) -> BaselineDocument:
    """Pool the points of ``documents`` (rounds of one configuration) into one measured baseline.

    Points whose status is not in ``keep`` are left out and listed in ``excluded``. A point is as good
    as its worst round: flagged in any round makes the pooled point flagged. All documents must share
    the GPU of their sessions (the caller groups them first).
    """
    if not documents:
        raise BenchError("no result to build a baseline from")
    keep = set(keep)
    files = list(files) if files is not None else [None] * len(documents)
    pools: dict[str, _Pool] = {}
    excluded: list[str] = []
    models: dict[str, BaselineModel] = {}
    contexts: list[RunContext] = []
    for document in documents:
        sessions = {s.id: s for s in document.sessions}
        contexts.extend(run_context(document, s) for s in document.sessions)
        for point in document.points:
            owner = sessions.get(point.session)
            if owner is not None:
                models.setdefault(
                    point.model,
                    BaselineModel(
                        key=point.model,
                        kind=owner.model.kind,
                        name=owner.model.name,
                        family=owner.model.family,
                        content_sha256=owner.model.content_sha256,
                    ),
                )
            if point.status not in keep:
                why = "; ".join(point.reasons) or point.error or point.status
                excluded.append(f"{point.id} ({document.run_id}): {point.status}: {why}")
                continue
            pool = pools.get(point.id)
            if pool is None:
                pool = pools[point.id] = _Pool(
                    BaselinePoint(
                        id=point.id,
                        model=point.model,
                        model_kind=point.model_kind,
                        provider=point.provider,
                        params=point.params,
                        status=point.status,
                        reasons=list(point.reasons),
                    )
                )
            elif _worse(point.status, pool.point.status):
                pool.point.status = point.status
            pool.point.reasons.extend(r for r in point.reasons if r not in pool.point.reasons)
            for metric_name, metric in point.metrics.items():
                if not metric.samples:
                    continue
                pool.samples.setdefault(metric_name, []).extend(metric.samples)
                pool.rounds.setdefault(metric_name, []).append(len(metric.samples))
                pool.units[metric_name] = metric.unit
    gpus = {c.gpu for c in contexts if c.gpu is not None}
    if len({(g.sku or g.name) for g in gpus}) > 1:
        raise BenchError(
            f"the runs were measured on different GPUs ({', '.join(sorted(g.label for g in gpus))})",
            hint="record one baseline per GPU",
        )
    points: dict[str, BaselinePoint] = {}
    for point_id, pool in pools.items():
        pool.point.measured = {
            metric: MeasuredMetric(unit=pool.units[metric], samples=samples, rounds=pool.rounds[metric])
            for metric, samples in pool.samples.items()
        }
        points[point_id] = pool.point
    first = documents[0]
    return BaselineDocument(
        name=name,
        provenance="measured",
        description=description,
        created_at=created_at,
        gpu=next(iter(gpus)) if gpus else None,
        cpu_model=first.environment.host.cpu_model,
        providers=sorted({p.provider for p in points.values()}),
        models=sorted(models.values(), key=lambda m: m.key),
        scenarios=sorted({d.scenario.name for d in documents}),
        points=points,
        excluded=excluded,
        sources=[source_run(d, f) for d, f in zip(documents, files, strict=True)],
        environment=first.environment,
    )


def _worse(status: str, than: str) -> bool:
    order = {"valid": 0, "flagged": 1, "invalid": 2}
    return order[status] > order[than]


def record_baseline(
    documents: Sequence[ResultDocument],
    *,
    name: str,
    files: Sequence[str | None] | None = None,
    include_flagged: bool = False,
    description: str = "",
    created_at: datetime | None = None,
) -> BaselineDocument:
    """A measured baseline from complete runs: invalid points never, flagged ones only when asked.

    Raises ``BenchError`` for an incomplete run or when nothing valid is left.
    """
    for document, file in zip(documents, files or [None] * len(documents), strict=True):
        if document.status != "complete":
            raise BenchError(
                f"run {document.run_id} is {document.status}, not complete: "
                f"{'; '.join(document.status_reasons) or 'no reason recorded'}",
                field=file or document.run_id,
                hint="record a baseline only from a run that finished; re-run the scenario",
            )
    keep: tuple[BaselinePointStatus, ...] = ("valid", "flagged") if include_flagged else ("valid",)
    baseline = baseline_from_results(
        documents, name=name, files=files, keep=keep, description=description, created_at=created_at
    )
    if not baseline.points:
        raise BenchError(
            "no valid point to record: every point is flagged or invalid",
            hint="see the reasons with `bench baseline record ... --include-flagged` or fix the run",
        )
    return baseline


# --- matching a run with a baseline -------------------------------------------------------------

MatchHow = Literal["gpu name", "architecture", "no gpu"]


@dataclass(frozen=True)
class Match:
    baseline: BaselineDocument | None
    how: MatchHow | None
    reasons: list[str]  # why each other baseline did not match (all of them when baseline is None)


def _describe(baseline: BaselineDocument) -> str:
    if baseline.gpu is None:
        return f"baseline {baseline.name} was {baseline.provenance} without a GPU"
    return f"baseline {baseline.name} is {baseline.provenance} for {baseline.gpu.label}"


def mismatch_reason(context: RunContext, baseline: BaselineDocument) -> str | None:
    """Why a run measured in ``context`` cannot be compared with ``baseline`` at all; None when it can."""
    if context.gpu is None:
        if baseline.gpu is None:
            return None
        if context.gpu_unknown_reason:
            return f"GPU unknown in candidate run: {context.gpu_unknown_reason}; {_describe(baseline)}"
        return f"no GPU in candidate run (provider {context.provider}); {_describe(baseline)}"
    if baseline.gpu is None:
        return f"candidate ran on {context.gpu.label} (provider {context.provider}); {_describe(baseline)}"
    if context.gpu.same_gpu(baseline.gpu):
        return None
    if baseline.gpu.name is None and baseline.gpu.architecture == context.gpu.architecture:
        return None
    return f"GPU mismatch: candidate ran on {context.gpu.label}; {_describe(baseline)}"


def match_baseline(context: RunContext, baselines: Sequence[BaselineDocument]) -> Match:
    """The baseline for this run's GPU: by GPU name first, then an architecture-wide one.

    Among equally good matches, one that covers the run's provider wins, then a measured one over a
    derived one, then the newest.
    """
    reasons: list[str] = []
    by_name: list[BaselineDocument] = []
    by_architecture: list[BaselineDocument] = []
    no_gpu: list[BaselineDocument] = []
    for baseline in baselines:
        reason = mismatch_reason(context, baseline)
        if reason is not None:
            reasons.append(reason)
        elif baseline.gpu is None:
            no_gpu.append(baseline)
        elif context.gpu is not None and context.gpu.same_gpu(baseline.gpu):
            by_name.append(baseline)
        else:
            by_architecture.append(baseline)

    def same_versions(baseline: BaselineDocument) -> bool:
        return any(
            (source.driver, source.onnxruntime_genai) == (context.driver, context.onnxruntime_genai)
            for source in baseline.sources
        )

    for how, candidates in (("gpu name", by_name), ("architecture", by_architecture), ("no gpu", no_gpu)):
        if candidates:
            # Prefer what measures the same thing: the provider, measured over derived, the same driver
            # and onnxruntime-genai (a version comparison must be asked for, not stumbled into), newest.
            best = max(
                candidates,
                key=lambda b: (
                    context.provider in b.providers,
                    b.provenance == "measured",
                    same_versions(b),
                    b.created_at.timestamp() if b.created_at else 0.0,
                ),
            )
            unused = [f"{b.name} ({b.label}) also matched, not used" for b in candidates if b is not best]
            return Match(best, how, reasons + unused)  # type: ignore[arg-type]
    return Match(None, None, reasons)


def point_mismatch(
    *,
    point_id: str,
    model: str,
    model_kind: str,
    provider: str,
    baseline: BaselineDocument,
) -> str:
    """Why a candidate point has no counterpart in a matched baseline (provider, model, twin, point)."""
    if provider not in baseline.providers:
        return (
            f"provider mismatch: candidate {provider}, baseline {baseline.name} has "
            f"{', '.join(baseline.providers) or 'no provider'}"
        )
    keys = {m.key: m for m in baseline.models}
    if model not in keys:
        family = model.split(":")[1] if model_kind == "twin" and model.count(":") >= 2 else model
        same_family = [m for m in baseline.models if (m.family or m.name) == family and m.kind != model_kind]
        if same_family:
            other = same_family[0]
            return (
                f"twin vs real weights: candidate measured {_kind_text(model_kind, model)}, baseline "
                f"{baseline.name} holds {_kind_text(other.kind, other.key)}; they are never compared"
            )
        held = ", ".join(sorted(keys)) or "none"
        return f"model mismatch: candidate {model}, baseline {baseline.name} has {held}"
    return f"point not in baseline {baseline.name}: {point_id}"


def _kind_text(kind: str, key: str) -> str:
    if kind == "twin":
        return f"synthetic twin {key} (random weights)"
    if kind == "real":
        return f"real weights {key}"
    return f"model folder {key}"
