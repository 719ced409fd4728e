"""A store's runs as the dashboard's history, from the summary rows alone (no document parsed).

``bench dashboard --store URL`` draws the runs table and the trend view of a lab's history from these;
only the candidate (and baseline) runs are loaded whole. Each column was derived from the document at
ingest by the definitions the document path uses (``bench.store.rows``), so a run summarised here and
the same run summarised from its document (``bench.dashboard.history.summarise``) agree.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Sequence

from bench.compare.baselines import gpu_key
from bench.compare.context import RunContext
from bench.dashboard.history import (
    TREND_METRICS,
    ModelSummary,
    PointSummary,
    RunSummary,
    point_place,
    versions_text,
)
from bench.status import PointStatus
from bench.store.query import Where
from bench.store.rows import StoredPoint, StoredRun
from bench.store.store import Store


def stored_history(store: Store, where: Where, *, exclude: Collection[str] = ()) -> list[RunSummary]:
    """Every run ``where`` selects but those in ``exclude``, oldest first, with all its points."""
    runs = [run for run in store.runs(where) if run.run_id not in exclude]
    points: dict[str, list[StoredPoint]] = defaultdict(list)
    for point in store.points(where, whole_runs=True):
        points[point.run_id].append(point)
    return [summarise_stored(run, points.get(run.run_id, [])) for run in runs]


def summarise_stored(run: StoredRun, points: Sequence[StoredPoint]) -> RunSummary:
    contexts = [_context(point, run) for point in points]
    summaries = []
    for point, context in zip(points, contexts, strict=True):
        key, label = point_place(context)
        summaries.append(
            PointSummary(
                id=point.point_id,
                model=point.model,
                provider=point.provider,
                gpu_key=key,
                gpu_label=label,
                prompt_tokens=point.prompt_tokens,
                batch_size=point.batch_size,
                output_tokens=point.output_tokens,
                status=PointStatus(point.status),
                medians={name: point.median(name) for name in TREND_METRICS},
            )
        )
    models = {p.model: ModelSummary(p.model, p.model_kind, p.model, p.model) for p in points}
    return RunSummary(
        run_id=run.run_id,
        started_at=run.started_at,
        scenario=run.scenario,
        status=run.status,
        status_reasons=tuple(run.status_reasons),
        host=run.host,
        cpu_model=run.cpu_model or "",
        gpu=run.gpu,
        architecture=run.architecture,
        gpu_reason=run.gpu_reason,
        driver=run.driver,
        genai=run.genai_version,
        genai_build=run.genai_build,
        versions=versions_text(contexts),
        providers=tuple(sorted({p.provider for p in points})),
        models=tuple(models.values()),
        points=tuple(summaries),
    )


def _context(point: StoredPoint, run: StoredRun) -> RunContext:
    """The point's ``RunContext`` as ``bench.compare.context.run_context`` made it at ingest."""
    unknown = "no GPU identity recorded" if point.provider != "cpu" and not point.gpu else None
    return RunContext(
        gpu=gpu_key(point.gpu, point.architecture) if point.gpu else None,
        gpu_unknown_reason=unknown,
        provider=point.provider,
        driver=point.driver,
        onnxruntime_genai=point.genai_version,
        cpu_model=run.cpu_model or "",
    )
