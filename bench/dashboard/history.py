"""What the runs table and the trend view need of a run: one row, and per point one median per trend
metric (pure).

A ``RunSummary`` is built from a result document (``summarise``) or, by the results store, from its
summary rows without parsing a document (``bench.store.history``), so a lab's history of thousands of
runs draws at the cost of its medians. Candidates and baselines stay whole documents: the sweep charts
and the comparison need their raw samples.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from bench.compare.context import (
    RunContext,
    driver_version,
    gpu_id,
    run_architectures,
    run_context,
    where_label,
)
from bench.dashboard.numbers import median
from bench.dashboard.series import SWEEP_METRICS
from bench.models.identity import model_key
from bench.results.schema import ResultDocument
from bench.status import PointStatus

TREND_METRICS = SWEEP_METRICS


@dataclass(frozen=True)
class ModelSummary:
    key: str
    kind: str
    name: str
    ref: str


@dataclass(frozen=True)
class PointSummary:
    id: str
    model: str
    provider: str
    gpu_key: str  # the trend's series key: SKU or name, "cpu", "unknown gpu" (bench.compare.context)
    gpu_label: str
    prompt_tokens: int
    batch_size: int
    output_tokens: int
    status: PointStatus
    medians: Mapping[str, float | None]  # per trend metric; None: not measured


@dataclass(frozen=True)
class RunSummary:
    run_id: str
    started_at: datetime
    scenario: str
    status: str
    status_reasons: tuple[str, ...]
    host: str
    cpu_model: str
    gpu: str | None  # the run's GPUs' names, ", "-joined
    architecture: str | None
    gpu_reason: str | None  # why no GPU was recorded
    driver: str | None
    genai: str | None
    genai_build: str | None
    versions: str  # every session's versions label, "; "-joined
    providers: tuple[str, ...]
    models: tuple[ModelSummary, ...]  # the models of its points
    points: tuple[PointSummary, ...]

    def count(self, status: PointStatus) -> int:
        return sum(1 for p in self.points if p.status is status)


def point_place(context: RunContext | None) -> tuple[str, str]:
    """(series key, label) of where a point ran, as the trend groups it."""
    if context is None:
        return "unknown gpu", "unknown GPU"
    return gpu_id(context), where_label(context)


def versions_text(contexts: list[RunContext]) -> str:
    labels = {((c.driver or "", c.onnxruntime_genai or ""), c.versions) for c in contexts}
    return "; ".join(text for _, text in sorted(labels))


def summarise(document: ResultDocument) -> RunSummary:
    """A result document's summary (its medians computed from the raw samples)."""
    contexts = {s.id: run_context(document, s) for s in document.sessions}
    points = []
    for point in document.points:
        key, label = point_place(contexts.get(point.session))
        params = point.params
        points.append(
            PointSummary(
                id=point.id,
                model=point.model,
                provider=point.provider,
                gpu_key=key,
                gpu_label=label,
                prompt_tokens=params.prompt_tokens,
                batch_size=params.batch_size,
                output_tokens=params.output_tokens,
                status=PointStatus(point.status),
                medians={
                    name: median(point.metrics[name].samples) if name in point.metrics else None
                    for name in TREND_METRICS
                },
            )
        )
    # The models measured (a point's model is its session's model key), named as their sessions say.
    identities = {model_key(session.model): session.model for session in document.sessions}
    models: dict[str, ModelSummary] = {}
    for point in document.points:
        identity = identities.get(point.model)
        models.setdefault(
            point.model,
            ModelSummary(point.model, identity.kind, identity.name, identity.ref)
            if identity is not None
            else ModelSummary(point.model, point.model_kind, point.model, point.model),
        )
    environment = document.environment
    devices = environment.gpus.devices
    return RunSummary(
        run_id=document.run_id,
        started_at=document.started_at,
        scenario=document.scenario.name,
        status=document.status,
        status_reasons=tuple(document.status_reasons),
        host=environment.host.hostname,
        cpu_model=environment.host.cpu_model,
        gpu=", ".join(d.name for d in devices) or None,
        architecture=", ".join(run_architectures(document)) or None,
        gpu_reason=None if devices else environment.gpus.reason,
        driver=driver_version(document),
        genai=environment.software.onnxruntime_genai,
        genai_build=environment.software.onnxruntime_genai_build,
        versions=versions_text(list(contexts.values())),
        providers=tuple(sorted({s.provider for s in document.sessions} | {p.provider for p in points})),
        models=tuple(models.values()),
        points=tuple(points),
    )
