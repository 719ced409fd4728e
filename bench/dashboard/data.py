"""Result documents + comparison report -> the dashboard's data payload (pure: no I/O, no HTML).

The page draws every chart client-side from this one JSON value, so it is kept compact: numbers are
rounded to 4 significant digits, points are stored column-wise, and the history keeps one median per
run, point and trend metric (never the raw samples). What each part holds:

- ``verdict``: the headline, from the ``ComparisonReport`` (rule, notes, coverage, counts per series).
- ``runs``: one row per run (candidates, baselines given as result files, history), from each run's
  ``RunSummary`` (``bench.dashboard.history``): a document's, or the store's summary rows.
- ``series``: one per (candidate group, model, provider) of the report: medians with p10–p90 error
  bars, the baseline band, the verdict at each point, VRAM, roofline efficiency and inter-token-latency
  quantiles (``bench.dashboard.series``).
- ``trend``: every run's median per point and trend metric, in time order, with confirmed change
  points (``bench.dashboard.trend``), also from the ``RunSummary``s.

Grouping, baseline matching and pooling are the comparison engine's: with a report the page reads its
groups; without one it asks the engine for the same groups, matched but not compared.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timezone

import bench
from bench.compare.baselines import BaselineDocument
from bench.compare.engine import candidate_groups
from bench.compare.report import ComparisonReport
from bench.dashboard.headline import headline, series_summary
from bench.dashboard.history import RunSummary, summarise
from bench.dashboard.series import ERROR_BAR_TEXT, SWEEP_METRICS, sweep_series
from bench.dashboard.trend import trend
from bench.errors import BenchError
from bench.metrics import spec
from bench.results.schema import ResultDocument
from bench.status import PointStatus

PAYLOAD_VERSION = 2
TWIN_MARK = "TWIN — random weights"
ROLES = ("candidate", "baseline", "history")


def build_payload(
    *,
    documents: Sequence[ResultDocument],
    report: ComparisonReport | None = None,
    baselines: Sequence[ResultDocument | BaselineDocument] = (),
    history: Sequence[ResultDocument | RunSummary] = (),
    title: str | None = None,
    generated_at: datetime | None = None,
) -> dict:
    """Everything the page shows, as plain JSON-able data.

    ``documents`` are the candidate runs (what the verdict judges; rounds of one configuration are
    pooled); ``report`` their comparison with ``baselines`` (result files or baseline documents);
    ``history`` further runs shown only in the runs table and the trend view: documents, or the
    store's summaries of them (``bench.store.history``).
    """
    if not documents:
        raise BenchError("no result files", hint="pass result files or folders written by `bench run`")
    baseline_runs = [b for b in baselines if isinstance(b, ResultDocument)]
    runs = _ordered_runs(documents, baseline_runs, history)
    groups = report.groups if report is not None else candidate_groups(documents, baselines)
    drawn = sweep_series(groups, documents, compared=report is not None)
    summaries = [
        (series, series_summary(point_rows, series["points"]["status"])) for series, point_rows in drawn
    ]
    return {
        "version": PAYLOAD_VERSION,
        "title": title or _default_title(documents),
        "generated": (generated_at or datetime.now(timezone.utc)).isoformat(timespec="seconds"),
        "bench": bench.__version__,
        "errorBars": ERROR_BAR_TEXT,
        "twinMark": TWIN_MARK,
        "metrics": {
            name: {
                "title": spec(name).title,
                "unit": spec(name).unit,
                "direction": spec(name).direction.value,
            }
            for name in (*SWEEP_METRICS, "itl_ms")
        },
        "models": _models([run for run, _ in runs]),
        "verdict": headline(report, summaries, documents),
        "runs": [_run_row(document, role) for document, role in runs],
        "series": [series for series, _ in drawn],
        "trend": trend([run for run, _ in runs]),
    }


def _default_title(documents: Sequence[ResultDocument]) -> str:
    scenarios = sorted({d.scenario.name for d in documents})
    return f"bench: {', '.join(scenarios)}"


# --- runs ------------------------------------------------------------------------------------------


def _ordered_runs(
    documents: Sequence[ResultDocument],
    baselines: Sequence[ResultDocument],
    history: Sequence[ResultDocument | RunSummary],
) -> list[tuple[RunSummary, str]]:
    """Every run once (a run given twice keeps its first role: candidate, baseline, history), by time."""
    seen: dict[str, tuple[RunSummary, str]] = {}
    for role, group in zip(ROLES, (documents, baselines, history), strict=True):
        for run in group:
            if run.run_id not in seen:
                seen[run.run_id] = (run if isinstance(run, RunSummary) else summarise(run), role)
    return sorted(seen.values(), key=lambda item: (item[0].started_at, item[0].run_id))


def _models(runs: Iterable[RunSummary]) -> dict[str, dict]:
    models: dict[str, dict] = {}
    for run in runs:
        for model in run.models:
            models.setdefault(
                model.key,
                {"kind": model.kind, "twin": model.kind == "twin", "name": model.name, "ref": model.ref},
            )
    return models


def _run_row(run: RunSummary, role: str) -> dict:
    return {
        "id": run.run_id,
        "role": role,
        "time": run.started_at.isoformat(timespec="seconds"),
        "host": run.host,
        "cpu": run.cpu_model,
        "gpu": run.gpu,
        "arch": run.architecture,
        "gpuReason": run.gpu_reason,
        "driver": run.driver,
        "providers": list(run.providers),
        "genai": run.genai,
        "genaiBuild": run.genai_build,
        "models": sorted(model.key for model in run.models),
        "scenario": run.scenario,
        "status": run.status,
        "reasons": list(run.status_reasons),
        "points": len(run.points),
        "flagged": run.count(PointStatus.FLAGGED),
        "invalid": run.count(PointStatus.INVALID),
    }
