"""Result documents + comparison report -> the dashboard's data payload (pure: no I/O, no HTML).

The page draws every chart client-side from this one JSON value, so it is kept compact: numbers are
rounded to 4 significant digits, points are stored column-wise, and the history keeps one median per
run, point and trend metric (never the raw samples). What each part holds:

- ``verdict``: the headline, from the ``ComparisonReport`` (rule, notes, coverage, counts per series).
- ``runs``: one row per run (candidates, baselines given as result files, history).
- ``series``: one per (candidate group, model, provider) of the report: medians with p10–p90 error
  bars, the baseline band, the verdict at each point, VRAM, roofline efficiency and inter-token-latency
  quantiles (``bench.dashboard.series``).
- ``trend``: every run's median per point and trend metric, in time order, with confirmed change
  points (``bench.dashboard.trend``).

Grouping, baseline matching and pooling are the comparison engine's: with a report the page reads its
groups; without one it asks the engine for the same groups, matched but not compared.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime, timezone

import bench
from bench.compare.baselines import BaselineDocument
from bench.compare.context import driver_version
from bench.compare.engine import candidate_groups
from bench.compare.report import ComparisonReport
from bench.dashboard.headline import headline, series_summary
from bench.dashboard.series import ERROR_BAR_TEXT, SWEEP_METRICS, sweep_series
from bench.dashboard.trend import trend
from bench.errors import BenchError
from bench.metrics import spec
from bench.models.identity import model_key
from bench.results.schema import ResultDocument

PAYLOAD_VERSION = 2
TWIN_MARK = "TWIN — random weights"
ROLES = ("candidate", "baseline", "history")


def build_payload(
    *,
    documents: Sequence[ResultDocument],
    report: ComparisonReport | None = None,
    baselines: Sequence[ResultDocument | BaselineDocument] = (),
    history: Sequence[ResultDocument] = (),
    title: str | None = None,
    generated_at: datetime | None = None,
) -> dict:
    """Everything the page shows, as plain JSON-able data.

    ``documents`` are the candidate runs (what the verdict judges; rounds of one configuration are
    pooled); ``report`` their comparison with ``baselines`` (result files or baseline documents);
    ``history`` further runs shown only in the runs table and the trend view.
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
        "models": _models([d for d, _ in runs]),
        "verdict": headline(report, summaries, documents),
        "runs": [_run_row(document, role) for document, role in runs],
        "series": [series for series, _ in drawn],
        "trend": trend([d for d, _ in runs]),
    }


def _default_title(documents: Sequence[ResultDocument]) -> str:
    scenarios = sorted({d.scenario.name for d in documents})
    return f"bench: {', '.join(scenarios)}"


# --- runs ------------------------------------------------------------------------------------------


def _ordered_runs(
    documents: Sequence[ResultDocument],
    baselines: Sequence[ResultDocument],
    history: Sequence[ResultDocument],
) -> list[tuple[ResultDocument, str]]:
    """Every run once (a run given twice keeps its first role: candidate, baseline, history), by time."""
    seen: dict[str, tuple[ResultDocument, str]] = {}
    for role, group in zip(ROLES, (documents, baselines, history), strict=True):
        for document in group:
            seen.setdefault(document.run_id, (document, role))
    return sorted(seen.values(), key=lambda item: (item[0].started_at, item[0].run_id))


def _models(documents: Iterable[ResultDocument]) -> dict[str, dict]:
    models: dict[str, dict] = {}
    for document in documents:
        for session in document.sessions:
            key = model_key(session.model)
            if key not in models:
                identity = session.model
                models[key] = {
                    "kind": identity.kind,
                    "twin": identity.kind == "twin",
                    "name": identity.name,
                    "ref": identity.ref,
                }
        for point in document.points:
            models.setdefault(
                point.model,
                {
                    "kind": point.model_kind,
                    "twin": point.model_kind == "twin",
                    "name": point.model,
                    "ref": point.model,
                },
            )
    return models


def _run_row(document: ResultDocument, role: str) -> dict:
    environment = document.environment
    devices = environment.gpus.devices
    counts: dict[str, int] = defaultdict(int)
    for point in document.points:
        counts[point.status] += 1
    return {
        "id": document.run_id,
        "role": role,
        "time": document.started_at.isoformat(timespec="seconds"),
        "host": environment.host.hostname,
        "cpu": environment.host.cpu_model,
        "gpu": ", ".join(d.name for d in devices) or None,
        "arch": ", ".join(sorted({d.architecture for d in devices if d.architecture})) or None,
        "gpuReason": None if devices else environment.gpus.reason,
        "driver": driver_version(document),
        "providers": sorted({s.provider for s in document.sessions} | {p.provider for p in document.points}),
        "genai": environment.software.onnxruntime_genai,
        "genaiBuild": environment.software.onnxruntime_genai_build,
        "models": sorted(
            {p.model for p in document.points} | {model_key(s.model) for s in document.sessions}
        ),
        "scenario": document.scenario.name,
        "status": document.status,
        "reasons": list(document.status_reasons),
        "points": len(document.points),
        "flagged": counts["flagged"],
        "invalid": counts["invalid"],
    }
