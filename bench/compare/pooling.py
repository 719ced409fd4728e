"""Pooling rounds: the points of several runs of one configuration as one set of samples per point.

The one pooling both sides of a comparison use: a measured baseline is recorded from pooled runs, and
the candidate runs of a comparison are pooled the same way (``bench.compare.grouping``). A pooled point
keeps how many samples each run gave (``rounds``) and is as good as its worst round.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from bench.compare.baselines import BaselineDocument, BaselineModel, BaselinePoint, MeasuredMetric, SourceRun
from bench.compare.context import RunContext, driver_version, run_context
from bench.errors import BenchError
from bench.results.schema import ResultDocument
from bench.status import PointStatus


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


@dataclass
class _Pool:
    point: BaselinePoint
    samples: dict[str, list[float]] = field(default_factory=dict)
    rounds: dict[str, list[int]] = field(default_factory=dict)
    units: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Pooled:
    """Every point of some runs, pooled by id, with what pooling left out and saw."""

    points: dict[str, BaselinePoint]
    excluded: list[str]  # "point (run): status: why" of the points ``keep`` left out
    models: list[BaselineModel]  # the models the runs measured, by key
    contexts: list[RunContext]  # where every session ran


def pool_points(
    documents: Sequence[ResultDocument],
    *,
    keep: Iterable[str] = tuple(PointStatus),
) -> Pooled:
    """Pool the points of ``documents`` by id; points whose status is not in ``keep`` are left out and
    listed. A point is as good as its worst round: flagged in any round makes the pooled point flagged."""
    keep = {PointStatus(s) for s in keep}
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
            else:
                pool.point.status = PointStatus.worst((pool.point.status, point.status))
            pool.point.reasons.extend(r for r in point.reasons if r not in pool.point.reasons)
            for metric_name, metric in point.metrics.items():
                if not metric.samples:
                    continue
                pool.samples.setdefault(metric_name, []).extend(metric.samples)
                pool.rounds.setdefault(metric_name, []).append(len(metric.samples))
                pool.units[metric_name] = metric.unit
    points: dict[str, BaselinePoint] = {}
    for point_id, pool in pools.items():
        pool.point.measured = {
            metric: MeasuredMetric(unit=pool.units[metric], samples=samples, rounds=pool.rounds[metric])
            for metric, samples in pool.samples.items()
        }
        points[point_id] = pool.point
    return Pooled(
        points=points,
        excluded=excluded,
        models=sorted(models.values(), key=lambda m: m.key),
        contexts=contexts,
    )


def baseline_from_results(
    documents: Sequence[ResultDocument],
    *,
    name: str,
    files: Sequence[str | None] | None = None,
    keep: Iterable[str] = tuple(PointStatus),
    description: str = "",
    created_at: datetime | None = None,
) -> BaselineDocument:
    """Pool the points of ``documents`` (rounds of one configuration) into one measured baseline.

    Points whose status is not in ``keep`` are left out and listed in ``excluded``. All documents must
    share the GPU of their sessions (the caller groups them first).
    """
    if not documents:
        raise BenchError("no result to build a baseline from")
    files = list(files) if files is not None else [None] * len(documents)
    pooled = pool_points(documents, keep=keep)
    gpus = {c.gpu for c in pooled.contexts if c.gpu is not None}
    if len({(g.sku or g.name) for g in gpus}) > 1:
        raise BenchError(
            f"the runs were measured on different GPUs ({', '.join(sorted(g.label for g in gpus))})",
            hint="record one baseline per GPU",
        )
    points = pooled.points
    first = documents[0]
    return BaselineDocument(
        name=name,
        provenance="measured",
        description=description,
        created_at=created_at,
        gpu=next(iter(gpus)) if gpus else None,
        cpu_model=first.environment.host.cpu_model,
        providers=sorted({p.provider for p in points.values()}),
        models=pooled.models,
        scenarios=sorted({d.scenario.name for d in documents}),
        points=points,
        excluded=pooled.excluded,
        sources=[source_run(d, f) for d, f in zip(documents, files, strict=True)],
        environment=first.environment,
    )


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
    keep = (PointStatus.VALID, PointStatus.FLAGGED) if include_flagged else (PointStatus.VALID,)
    baseline = baseline_from_results(
        documents, name=name, files=files, keep=keep, description=description, created_at=created_at
    )
    if not baseline.points:
        raise BenchError(
            "no valid point to record: every point is flagged or invalid",
            hint="see the reasons with `bench baseline record ... --include-flagged` or fix the run",
        )
    return baseline
