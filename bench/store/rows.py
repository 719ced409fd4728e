"""Result document <-> store rows (pure: no database).

``run_row`` and ``point_rows`` derive every column from one ``ResultDocument``: where each point ran
comes from ``bench.compare.baselines.run_context`` (the comparison engine's definition), the summary
statistics from the raw samples. ``StoredRun`` and ``StoredPoint`` are what queries give back.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import numpy as np

from bench.compare.context import driver_version, run_architectures, run_context
from bench.results.schema import Point, ResultDocument
from bench.store.tables import SUMMARY_METRICS, SUMMARY_PERCENTILES, SUMMARY_STATS, summary_column


def column_text(value: str) -> str:
    """Text as a column holds it: PostgreSQL text cannot hold NUL, so it becomes U+FFFD (in the columns
    only; the document keeps every character, JSON-escaped)."""
    return value.replace("\x00", "\ufffd")


def _columns_text(row: dict[str, Any]) -> dict[str, Any]:
    return {key: column_text(v) if isinstance(v, str) and key != "document" else v for key, v in row.items()}


# Derived statistics are recomputed from the samples on every load: storing them would only cost time
# (computing them is most of the serialisation) and space. ``write_result`` writes them back out.
_DERIVED = {"__all__": {"metrics": {"__all__": {"stats"}}}}


def document_text(document: ResultDocument) -> str:
    """The stored form: the result file's JSON without indentation or derived ``stats``."""
    return document.model_dump_json(exclude_none=True, exclude={"points": _DERIVED, "sessions": _DERIVED})


def to_utc_naive(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        return moment
    return moment.astimezone(timezone.utc).replace(tzinfo=None)


def from_utc_naive(moment: datetime | None) -> datetime | None:
    return moment.replace(tzinfo=timezone.utc) if moment is not None and moment.tzinfo is None else moment


def run_row(document: ResultDocument, *, text: str, source: str | None, now: datetime) -> dict[str, Any]:
    environment = document.environment
    devices = environment.gpus.devices
    architectures = run_architectures(document)
    return _columns_text(
        {
            "run_id": document.run_id,
            "schema_version": document.schema_version,
            "scenario": document.scenario.name,
            "status": document.status,
            "started_at": to_utc_naive(document.started_at),
            "finished_at": to_utc_naive(document.finished_at) if document.finished_at else None,
            "host": environment.host.hostname,
            "os": environment.host.os,
            "cpu_model": environment.host.cpu_model,
            "gpu": ", ".join(d.name for d in devices) or None,
            "architecture": ", ".join(architectures) or None,
            "driver": driver_version(document),
            "genai_version": environment.software.onnxruntime_genai,
            "genai_build": environment.software.onnxruntime_genai_build,
            "bench_version": environment.software.bench,
            "point_count": len(document.points),
            "flagged_count": sum(1 for p in document.points if p.status == "flagged"),
            "invalid_count": sum(1 for p in document.points if p.status == "invalid"),
            "document_sha256": hashlib.sha256(text.encode("utf-8")).hexdigest(),
            "document": text,
            "source": source,
            "ingested_at": to_utc_naive(now),
            "status_reasons": json.dumps(document.status_reasons) if document.status_reasons else None,
            "gpu_reason": None if devices else environment.gpus.reason,
        }
    )


def point_rows(document: ResultDocument) -> list[dict[str, Any]]:
    contexts = {s.id: run_context(document, s) for s in document.sessions}
    genai = document.environment.software.onnxruntime_genai
    rows = []
    for point in document.points:
        context = contexts.get(point.session)
        gpu = context.gpu if context else None
        rows.append(
            _columns_text(
                {
                    "run_id": document.run_id,
                    "point_id": point.id,
                    "session": point.session,
                    **point.shape_columns(),
                    "gpu": gpu.name if gpu else None,
                    "gpu_sku": gpu.sku if gpu else None,
                    "architecture": gpu.architecture if gpu else None,
                    "driver": context.driver if context else None,
                    "genai_version": context.onnxruntime_genai if context else genai,
                    "status": point.status,
                    "reasons": json.dumps(_reasons(point)) if _reasons(point) else None,
                    "repetitions": point.repetitions,
                    "started_at": to_utc_naive(point.started_at),
                    **summary_columns(point),
                }
            )
        )
    return rows


def _reasons(point: Point) -> list[str]:
    return [*point.reasons, *([point.error] if point.error else [])]


def summary_columns(point: Point) -> dict[str, float | int | None]:
    columns: dict[str, float | int | None] = {}
    for metric in SUMMARY_METRICS:
        stats = summary_stats(point.metrics[metric].samples if metric in point.metrics else [])
        for stat in SUMMARY_STATS:
            columns[summary_column(metric, stat)] = stats.get(stat)
    return columns


def summary_stats(samples: list[float]) -> dict[str, float | int]:
    """n and the percentiles of ``SUMMARY_PERCENTILES`` (linear interpolation); {} without samples."""
    values = np.asarray(samples, dtype=float)
    values = values[np.isfinite(values)]
    if values.size == 0:
        return {}
    names = list(SUMMARY_PERCENTILES)
    quantiles = np.percentile(values, [SUMMARY_PERCENTILES[name] for name in names])
    return {"n": int(values.size), **{name: float(q) for name, q in zip(names, quantiles, strict=True)}}


# --- what queries return ---------------------------------------------------------------------------


@dataclass(frozen=True)
class StoredRun:
    """One run as listed by ``Store.runs`` (the document itself: ``Store.load``)."""

    run_id: str
    scenario: str
    status: str
    status_reasons: list[str]
    started_at: datetime
    finished_at: datetime | None
    host: str
    cpu_model: str | None
    gpu: str | None
    gpu_reason: str | None
    architecture: str | None
    driver: str | None
    genai_version: str | None
    genai_build: str | None
    bench_version: str | None
    points: int
    flagged: int
    invalid: int
    source: str | None
    ingested_at: datetime

    @classmethod
    def from_row(cls, row: Any) -> StoredRun:
        return cls(
            run_id=row["run_id"],
            scenario=row["scenario"],
            status=row["status"],
            status_reasons=json.loads(row["status_reasons"]) if row["status_reasons"] else [],
            started_at=from_utc_naive(row["started_at"]),  # type: ignore[arg-type]
            finished_at=from_utc_naive(row["finished_at"]),
            host=row["host"],
            cpu_model=row["cpu_model"],
            gpu=row["gpu"],
            gpu_reason=row["gpu_reason"],
            architecture=row["architecture"],
            driver=row["driver"],
            genai_version=row["genai_version"],
            genai_build=row["genai_build"],
            bench_version=row["bench_version"],
            points=row["point_count"],
            flagged=row["flagged_count"],
            invalid=row["invalid_count"],
            source=row["source"],
            ingested_at=from_utc_naive(row["ingested_at"]),  # type: ignore[arg-type]
        )

    def as_json(self) -> dict[str, Any]:
        data = dict(self.__dict__)
        for key in ("started_at", "finished_at", "ingested_at"):
            data[key] = data[key].isoformat() if data[key] else None
        return data


@dataclass(frozen=True)
class StoredPoint:
    """One point of one run, with its summary statistics (``stats[metric][stat]``), no raw samples."""

    run_id: str
    run_started_at: datetime
    scenario: str
    host: str
    point_id: str
    model: str
    model_kind: str
    provider: str
    prompt_tokens: int
    batch_size: int
    output_tokens: int
    gpu: str | None
    gpu_sku: str | None
    architecture: str | None
    driver: str | None
    genai_version: str | None
    status: str
    reasons: list[str]
    repetitions: int
    stats: dict[str, dict[str, float | int]] = field(default_factory=dict)

    def median(self, metric: str) -> float | None:
        value = self.stats.get(metric, {}).get("median")
        return float(value) if value is not None else None

    @classmethod
    def from_row(cls, row: Any) -> StoredPoint:
        stats: dict[str, dict[str, float | int]] = {}
        for metric in SUMMARY_METRICS:
            values = {stat: row[summary_column(metric, stat)] for stat in SUMMARY_STATS}
            if values["n"]:
                stats[metric] = {k: v for k, v in values.items() if v is not None}
        return cls(
            run_id=row["run_id"],
            run_started_at=from_utc_naive(row["run_started_at"]),  # type: ignore[arg-type]
            scenario=row["scenario"],
            host=row["host"],
            point_id=row["point_id"],
            model=row["model"],
            model_kind=row["model_kind"],
            provider=row["provider"],
            prompt_tokens=row["prompt_tokens"],
            batch_size=row["batch_size"],
            output_tokens=row["output_tokens"],
            gpu=row["gpu"],
            gpu_sku=row["gpu_sku"],
            architecture=row["architecture"],
            driver=row["driver"],
            genai_version=row["genai_version"],
            status=row["status"],
            reasons=json.loads(row["reasons"]) if row["reasons"] else [],
            repetitions=row["repetitions"],
            stats=stats,
        )
