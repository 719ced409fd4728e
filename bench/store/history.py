"""A store's runs as the dashboard's history, from the summary rows alone (no document parsed).

``bench dashboard --store URL`` draws the runs table and the trend view of a lab's history from these;
only the candidate (and baseline) runs are loaded whole. Each column was derived from the document at
ingest by the definitions the document path uses (``bench.store.rows``), so a run summarised here and
the same run summarised from its document (``bench.dashboard.history.summarise``) agree.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

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
from bench.store.rows import StoredRun
from bench.store.store import Store


def stored_history(store: Store, where: Where) -> list[RunSummary]:
    """Every run ``where`` selects, oldest first, with all its points."""
    runs = store.runs(where)
    points: dict[str, list[Any]] = defaultdict(list)
    for row in store.point_medians(where, TREND_METRICS):
        points[row[0]].append(row)
    return [summarise_stored(run, points.get(run.run_id, [])) for run in runs]


def summarise_stored(run: StoredRun, rows: Sequence[Any]) -> RunSummary:
    """One run's summary from its ``runs`` row and its points' rows (``Store.point_medians``)."""
    summaries: list[PointSummary] = []
    contexts: list[RunContext] = []
    models: dict[str, ModelSummary] = {}
    for (
        _run, point_id, model, model_kind, provider, prompt, batch, output, gpu, architecture, driver,
        genai, status, *medians,
    ) in rows:  # fmt: skip
        context = _context(provider, gpu, architecture, driver, genai, run.cpu_model or "")
        contexts.append(context)
        key, label = point_place(context)
        summaries.append(
            PointSummary(
                id=point_id,
                model=model,
                provider=provider,
                gpu_key=key,
                gpu_label=label,
                prompt_tokens=prompt,
                batch_size=batch,
                output_tokens=output,
                status=PointStatus(status),
                medians=dict(zip(TREND_METRICS, medians, strict=True)),
            )
        )
        models.setdefault(model, ModelSummary(model, model_kind, model, model))
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
        providers=tuple(sorted({p.provider for p in summaries})),
        models=tuple(models.values()),
        points=tuple(summaries),
    )


@lru_cache(maxsize=256)
def _context(
    provider: str,
    gpu: str | None,
    architecture: str | None,
    driver: str | None,
    genai: str | None,
    cpu_model: str,
) -> RunContext:
    """A point's ``RunContext`` as ``bench.compare.context.run_context`` made it at ingest (a lab has
    few distinct ones: cached)."""
    unknown = "no GPU identity recorded" if provider != "cpu" and not gpu else None
    return RunContext(
        gpu=gpu_key(gpu, architecture) if gpu else None,
        gpu_unknown_reason=unknown,
        provider=provider,
        driver=driver,
        onnxruntime_genai=genai,
        cpu_model=cpu_model,
    )
