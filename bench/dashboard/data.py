"""Result documents + comparison report -> the dashboard's data payload (pure: no I/O, no HTML).

The page draws every chart client-side from this one JSON value, so it is kept compact: numbers are
rounded to 4 significant digits, points are stored column-wise, and the history keeps one median per
run, point and trend metric (never the raw samples). What each part holds:

- ``verdict``: the headline, from the ``ComparisonReport`` (rule, notes, counts per model/provider/GPU).
- ``runs``: one row per run (candidates, baselines given as result files, history).
- ``series``: one per (model, provider, GPU, versions) of the candidate runs, rounds pooled by point as
  the comparison engine pools them: medians with p10–p90 error bars, the baseline band, the verdict at
  each point, VRAM, roofline efficiency and inter-token-latency quantiles.
- ``trend``: every run's median per point and trend metric, in time order, with confirmed change points.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone

import numpy as np

import bench
from bench.analysis.changepoints import detect_change_points
from bench.compare.baselines import (
    BaselineDocument,
    BaselinePoint,
    RunContext,
    driver_version,
    match_baseline,
    run_context,
)
from bench.compare.engine import references_to_baselines, split_by_context
from bench.compare.report import ComparisonReport, ComparisonRow
from bench.errors import BenchError
from bench.metrics import spec
from bench.models.identity import model_key
from bench.results.schema import Point, ResultDocument, Session
from bench.telemetry.types import Figure

PAYLOAD_VERSION = 1
SWEEP_METRICS = ("ttft_ms", "decode_tokens_per_s", "prefill_tokens_per_s")
TREND_METRICS = SWEEP_METRICS
ERROR_BAR_PERCENTILES = (10.0, 90.0)
ERROR_BAR_TEXT = "p10–p90 of the samples"
ITL_QUANTILES = tuple(float(q) for q in np.linspace(0.0, 100.0, 51))
# Change points are searched in the most recent runs of each series only: the search grows faster
# than quadratically with the runs (PELT with the l1 cost: ~10 ms for 50 runs, ~40 ms for 100, per
# point and metric), a page has one series per point and trend metric, and the newest changes are the
# ones to act on. The trend still draws every run.
CHANGEPOINT_WINDOW = 50
CHANGEPOINT_MIN_EFFECT = 0.05
CHANGEPOINT_ALPHA = 0.01
TWIN_MARK = "TWIN — random weights"
VERDICT_CODES = {"regression": 1, "improvement": 2, "no_change": 3, "not_comparable": 4}
STATUS_CODES = {"valid": 0, "flagged": 1, "invalid": 2}
_STATUS_NAMES = {code: name for name, code in STATUS_CODES.items()}
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
    pooled); ``baselines`` what they were compared with (result files or baseline documents);
    ``history`` further runs shown only in the runs table and the trend view.
    """
    if not documents:
        raise BenchError("no result files", hint="pass result files or folders written by `bench run`")
    baseline_runs = [b for b in baselines if isinstance(b, ResultDocument)]
    runs = _ordered_runs(documents, baseline_runs, history)
    models = _models([d for d, _ in runs])
    series = _sweep_series(documents, baselines, report)
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
        "models": models,
        "verdict": _verdict(report, series, documents),
        "runs": [_run_row(document, role) for document, role in runs],
        "series": series,
        "trend": _trend([d for d, _ in runs]),
    }


# --- small helpers ---------------------------------------------------------------------------------


def _r(value: float | None) -> float | None:
    """4 significant digits; None for what JSON cannot hold (None, NaN, infinities)."""
    if value is None or not math.isfinite(value):
        return None
    return float(f"{value:.4g}")


def _figure(figure: Figure | None) -> float | None:
    return _r(figure.value) if figure is not None and figure.value is not None else None


def _median(values: Sequence[float]) -> float | None:
    # statistics.median is slower on the short lists a point holds; the same definition.
    n = len(values)
    if n == 0:
        return None
    ordered = sorted(values)
    mid = n // 2
    return ordered[mid] if n % 2 else (ordered[mid - 1] + ordered[mid]) / 2.0


def _default_title(documents: Sequence[ResultDocument]) -> str:
    scenarios = sorted({d.scenario.name for d in documents})
    return f"bench: {', '.join(scenarios)}"


def _where(context: RunContext) -> tuple[str, str]:
    """(GPU key, label) of a session's context: the GPU, or the CPU for the CPU provider."""
    if context.gpu is not None:
        return (context.gpu.sku or context.gpu.name or "unknown gpu"), context.gpu.label
    if context.gpu_unknown_reason:
        return "unknown gpu", "unknown GPU"
    return "cpu", f"CPU: {context.cpu_model}"


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
            key = _model_key(session)
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


def _model_key(session: Session) -> str:
    return model_key(session.model)  # the same key the session's point ids carry


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
        "models": sorted({p.model for p in document.points} | {_model_key(s) for s in document.sessions}),
        "scenario": document.scenario.name,
        "status": document.status,
        "reasons": list(document.status_reasons),
        "points": len(document.points),
        "flagged": counts["flagged"],
        "invalid": counts["invalid"],
    }


# --- the sweep: candidate runs pooled per point, with baseline and verdict --------------------------


@dataclass
class _Pooled:
    point: Point  # the latest run's point: params, telemetry
    samples: dict[str, list[float]] = field(default_factory=dict)
    status: str = "valid"
    reasons: list[str] = field(default_factory=list)


def _pool(documents: Sequence[ResultDocument]) -> dict[str, _Pooled]:
    pooled: dict[str, _Pooled] = {}
    for document in sorted(documents, key=lambda d: d.started_at):
        for point in document.points:
            entry = pooled.get(point.id)
            if entry is None:
                entry = pooled[point.id] = _Pooled(point=point, status=point.status)
            else:
                entry.point = point
                if STATUS_CODES[point.status] > STATUS_CODES[entry.status]:
                    entry.status = point.status
            entry.reasons.extend(
                r for r in [*point.reasons, *([point.error] if point.error else [])] if r not in entry.reasons
            )
            for name, metric in point.metrics.items():
                entry.samples.setdefault(name, []).extend(metric.samples)
    return pooled


def _group_label(context: RunContext) -> str:
    # The label the comparison engine puts in ``ComparisonRow.group`` when candidates span groups.
    where = context.gpu.label if context.gpu else "no GPU"
    return f"{where}; {context.versions}"


RowIndex = dict[str, list[ComparisonRow]]


def _rows_by_point(report: ComparisonReport | None) -> RowIndex:
    rows: RowIndex = defaultdict(list)
    for row in report.rows if report else []:
        rows[row.point_id].append(row)
    return rows


def _point_rows(rows: RowIndex, point_id: str, group: str) -> list[ComparisonRow]:
    """The report's rows of one point of one candidate group (rows carry no group when there is one)."""
    found = rows.get(point_id, [])
    mine = [row for row in found if row.group == group]
    if mine:
        return mine
    return found if len({row.group for row in found}) == 1 else []


def _row_for(rows: list[ComparisonRow], metric: str) -> ComparisonRow | None:
    return next((row for row in rows if row.metric == metric), None)


def _sweep_series(
    documents: Sequence[ResultDocument],
    baselines: Sequence[ResultDocument | BaselineDocument],
    report: ComparisonReport | None,
) -> list[dict]:
    references = references_to_baselines(baselines) if baselines else []
    rows = _rows_by_point(report)
    series: list[dict] = []
    for group in split_by_context(documents):
        context = group.context
        gpu_key, gpu_label = _where(context)
        matched = match_baseline(context, references).baseline if references else None
        pooled = _pool(group.documents)
        by_model: dict[tuple[str, str], list[_Pooled]] = defaultdict(list)
        for entry in pooled.values():
            by_model[(entry.point.model, entry.point.provider)].append(entry)
        for (model, provider), entries in sorted(by_model.items()):
            entries.sort(
                key=lambda e: (
                    e.point.params.batch_size,
                    e.point.params.output_tokens,
                    e.point.params.prompt_tokens,
                )
            )
            series.append(
                _series(
                    entries,
                    model=model,
                    provider=provider,
                    gpu_key=gpu_key,
                    gpu_label=gpu_label,
                    context=context,
                    baseline=matched,
                    rows=rows,
                    group=_group_label(context),
                    report=report,
                )
            )
    return series


def _series(
    entries: list[_Pooled],
    *,
    model: str,
    provider: str,
    gpu_key: str,
    gpu_label: str,
    context: RunContext,
    baseline: BaselineDocument | None,
    rows: RowIndex,
    group: str,
    report: ComparisonReport | None,
) -> dict:
    params = [e.point.params for e in entries]
    low_q, high_q = ERROR_BAR_PERCENTILES
    metrics: dict[str, dict[str, list]] = {}
    base: dict[str, dict[str, list]] = {}
    verdicts: dict[str, dict[str, list]] = {}
    base_points: list[BaselinePoint | None] = [
        baseline.points.get(e.point.id) if baseline else None for e in entries
    ]
    point_rows = [_point_rows(rows, e.point.id, group) for e in entries]
    for name in SWEEP_METRICS:
        med, lo, hi, n = [], [], [], []
        for entry in entries:
            samples = entry.samples.get(name)
            if samples:
                q = np.percentile(np.asarray(samples, dtype=float), [50.0, low_q, high_q])
                med.append(_r(q[0]))
                lo.append(_r(q[1]))
                hi.append(_r(q[2]))
                n.append(len(samples))
            else:
                med.append(None)
                lo.append(None)
                hi.append(None)
                n.append(0)
        metrics[name] = {"med": med, "lo": lo, "hi": hi, "n": n}
        base[name] = _baseline_band(name, base_points, [_row_for(r, name) for r in point_rows])
        if report is not None:
            verdicts[name] = _verdict_columns([_row_for(r, name) for r in point_rows])
    vram = {
        "weights": [
            _figure(e.point.telemetry.vram_weights_mib) if e.point.telemetry else None for e in entries
        ],
        "kv": [_figure(e.point.telemetry.vram_kv_cache_mib) if e.point.telemetry else None for e in entries],
        "peak": [_figure(e.point.telemetry.vram_peak_mib) if e.point.telemetry else None for e in entries],
    }
    roofline_eff, roofline_bound, roofline_method, roofline_note = [], [], None, None
    for entry in entries:
        telemetry = entry.point.telemetry
        roof = telemetry.roofline if telemetry else None
        roofline_eff.append(_figure(roof.efficiency_pct) if roof else None)
        roofline_bound.append(_figure(roof.bound_tokens_per_s) if roof else None)
        if roof and roofline_method is None:
            roofline_method = roof.peak_bandwidth_gb_s.method or roof.peak_bandwidth_gb_s.unavailable
        if telemetry and not roof and roofline_note is None:
            roofline_note = telemetry.roofline_unavailable
    return {
        "key": f"{model}|{provider}|{gpu_key}|{context.driver or ''}|{context.onnxruntime_genai or ''}",
        "model": model,
        "provider": provider,
        "gpu": gpu_label,
        "versions": context.versions,
        "baseline": (baseline.label if baseline else None),
        "baselineKind": (baseline.provenance if baseline else None),
        "vramNote": _vram_note(entries, vram),
        "counts": _counts(point_rows, [e.status for e in entries]) if report is not None else None,
        "points": {
            "id": [e.point.id for e in entries],
            "prompt": [p.prompt_tokens for p in params],
            "batch": [p.batch_size for p in params],
            "output": [p.output_tokens for p in params],
            "status": [STATUS_CODES[e.status] for e in entries],
            "reasons": [e.reasons or None for e in entries],
            "m": metrics,
            "base": base,
            "vd": verdicts or None,
            "vram": vram,
            "roofline": {
                "eff": roofline_eff,
                "bound": roofline_bound,
                "method": roofline_method,
                "note": roofline_note,
            },
            "itl": [_quantiles(e.samples.get("itl_ms")) for e in entries],
            "itlBase": [
                _quantiles(bp.measured["itl_ms"].samples) if bp and "itl_ms" in bp.measured else None
                for bp in base_points
            ],
        },
    }


def _quantiles(samples: Sequence[float] | None) -> list[float | None] | None:
    if not samples:
        return None
    return [_r(float(v)) for v in np.percentile(np.asarray(samples, dtype=float), ITL_QUANTILES)]


def _baseline_band(
    metric: str, points: Sequence[BaselinePoint | None], rows: Sequence[ComparisonRow | None]
) -> dict:
    """Per point: the baseline's median and its band, the report's numbers first.

    ``band`` says what the band is: ``ci`` (measured: the comparison engine's 95 % confidence interval
    of the baseline median, as in the report), ``tolerance`` (derived: the expectation's tolerance
    band), ``spread`` (measured samples without a report row: p10–p90, like the error bars).
    """
    med: list[float | None] = []
    lo: list[float | None] = []
    hi: list[float | None] = []
    bands: set[str] = set()
    kinds: set[str] = set()
    low_q, high_q = ERROR_BAR_PERCENTILES
    for point, row in zip(points, rows, strict=True):
        measured = point.measured.get(metric) if point else None
        expected = point.expected.get(metric) if point else None
        if expected is not None:
            med.append(_r(expected.expected))
            lo.append(_r(expected.low))
            hi.append(_r(expected.high))
            bands.add("tolerance")
            kinds.add("derived")
        elif row is not None and row.baseline_value is not None:
            med.append(_r(row.baseline_value))
            lo.append(_r(row.baseline_low))
            hi.append(_r(row.baseline_high))
            kinds.add(row.baseline_kind)
            if row.baseline_low is not None and row.baseline_high is not None:
                bands.add("tolerance" if row.baseline_kind == "derived" else "ci")
        elif measured is not None and measured.samples:
            q = np.percentile(np.asarray(measured.samples, dtype=float), [50.0, low_q, high_q])
            med.append(_r(q[0]))
            lo.append(_r(q[1]))
            hi.append(_r(q[2]))
            bands.add("spread")
            kinds.add("measured")
        else:
            med.append(None)
            lo.append(None)
            hi.append(None)
    kind = "derived" if kinds == {"derived"} else ("measured" if kinds else None)
    band = next(iter(bands)) if len(bands) == 1 else ("mixed" if bands else None)
    return {"med": med, "lo": lo, "hi": hi, "kind": kind, "band": band}


def _verdict_columns(rows: Sequence[ComparisonRow | None]) -> dict[str, list]:
    return {
        "v": [VERDICT_CODES[r.verdict] if r else 0 for r in rows],
        "x": [1 if r and r.excluded else 0 for r in rows],
        "chg": [_r(r.change_pct) if r else None for r in rows],
        "cil": [_r(r.ci_low_pct) if r else None for r in rows],
        "cih": [_r(r.ci_high_pct) if r else None for r in rows],
        "p": [_r(r.p_value) if r else None for r in rows],
        "pa": [_r(r.p_adjusted) if r else None for r in rows],
        "why": [r.reason if r else None for r in rows],
    }


def _vram_note(entries: Sequence[_Pooled], vram: dict[str, list]) -> str | None:
    """Why the VRAM chart is empty, or None when there is something to draw."""
    if any(v is not None for values in vram.values() for v in values):
        return None
    for entry in entries:
        telemetry = entry.point.telemetry
        if telemetry is not None and telemetry.vram_peak_mib.unavailable:
            return telemetry.vram_peak_mib.unavailable
    return "no telemetry recorded (the runs used --no-telemetry)"


# --- the headline verdict --------------------------------------------------------------------------


def _counts(point_rows: Sequence[list[ComparisonRow]], statuses: Sequence[str]) -> dict:
    """Verdicts over every compared metric of a series' points (as ``ComparisonReport.count`` counts
    them), flagged points, and the largest regression among the drawn metrics."""
    counts = dict.fromkeys((*VERDICT_CODES, "excluded"), 0)
    # Flagged points: flagged in the candidate, or left out of the verdict (flagged in the baseline).
    flagged = {i for i, status in enumerate(statuses) if status == "flagged"}
    worst: dict | None = None
    worst_size = -1.0
    for i, rows in enumerate(point_rows):
        for row in rows:
            if row.excluded:
                counts["excluded"] += 1
                flagged.add(i)
                continue
            counts[row.verdict] += 1
            if (
                row.verdict == "regression"
                and row.metric in SWEEP_METRICS
                and row.change_pct is not None
                and abs(row.change_pct) > worst_size
            ):
                worst_size = abs(row.change_pct)
                worst = {
                    "metric": row.metric,
                    "point": i,
                    "change": _r(row.change_pct),
                    "cil": _r(row.ci_low_pct),
                    "cih": _r(row.ci_high_pct),
                    "pa": _r(row.p_adjusted),
                }
    counts["flagged"] = len(flagged)
    counts["invalid"] = sum(1 for status in statuses if status == "invalid")
    return {"counts": counts, "worst": worst}


def _verdict(
    report: ComparisonReport | None, series: Sequence[dict], documents: Sequence[ResultDocument]
) -> dict:
    totals = dict.fromkeys((*VERDICT_CODES, "excluded", "flagged", "invalid"), 0)
    groups = []
    for item in series:
        summary = item.pop("counts") or _counts(
            [[] for _ in item["points"]["id"]], [_STATUS_NAMES[s] for s in item["points"]["status"]]
        )
        for key in totals:
            totals[key] += summary["counts"][key]
        groups.append(
            {
                "series": item["key"],
                "model": item["model"],
                "provider": item["provider"],
                "gpu": item["gpu"],
                "versions": item["versions"],
                "baseline": item["baseline"],
                "counts": summary["counts"],
                "worst": summary["worst"],
            }
        )
    if report is not None:
        # The report is authoritative for the totals (the groups are the same rows, split for display).
        for verdict in VERDICT_CODES:
            totals[verdict] = report.count(verdict)  # type: ignore[arg-type]
    if report is None:
        state = "none"
    elif totals["regression"]:
        state = "regression"
    elif totals["improvement"]:
        state = "improvement"
    elif totals["no_change"]:
        state = "no_change"
    else:
        state = "not_comparable"
    return {
        "state": state,
        "rule": report.rule if report else None,
        "candidate": report.candidate if report else [d.run_id for d in documents],
        "baseline": report.baseline if report else [],
        "notes": report.notes if report else [],
        "mismatches": report.mismatches if report else [],
        "totals": totals,
        "groups": groups,
    }


# --- history ----------------------------------------------------------------------------------------


def _trend(runs: Sequence[ResultDocument]) -> dict:
    """Per (point, GPU): one median per run and trend metric, runs in time order, and change points."""
    index: dict[tuple[str, str], dict] = {}
    versions: list[str] = []
    for run_index, document in enumerate(runs):
        contexts = {s.id: run_context(document, s) for s in document.sessions}
        labels = {(c.driver, c.onnxruntime_genai) for c in contexts.values()}
        versions.append(
            "; ".join(
                ", ".join(p for p in (f"driver {d}" if d else "", f"onnxruntime-genai {g}" if g else "") if p)
                or "versions unknown"
                for d, g in sorted(labels, key=lambda x: (x[0] or "", x[1] or ""))
            )
        )
        for point in document.points:
            context = contexts.get(point.session)
            gpu_key, gpu_label = _where(context) if context else ("unknown gpu", "unknown GPU")
            key = (point.id, gpu_key)
            entry = index.get(key)
            if entry is None:
                params = point.params
                entry = index[key] = {
                    "id": point.id,
                    "model": point.model,
                    "provider": point.provider,
                    "gpu": gpu_label,
                    "prompt": params.prompt_tokens,
                    "batch": params.batch_size,
                    "output": params.output_tokens,
                    "run": [],
                    "status": [],
                    "v": {m: [] for m in TREND_METRICS},
                }
            entry["run"].append(run_index)
            entry["status"].append(STATUS_CODES[point.status])
            for name in TREND_METRICS:
                metric = point.metrics.get(name)
                entry["v"][name].append(_r(_median(metric.samples)) if metric else None)
    series = list(index.values())
    for entry in series:
        entry["cp"] = {name: _change_points(entry, name, runs) for name in TREND_METRICS}
    return {"versions": versions, "series": series, "window": CHANGEPOINT_WINDOW}


def _change_points(entry: dict, metric: str, runs: Sequence[ResultDocument]) -> list[dict]:
    # Invalid points carry no usable number; flagged ones do (the trend shows them marked).
    usable = [
        (run, value)
        for run, value, status in zip(entry["run"], entry["v"][metric], entry["status"], strict=True)
        if value is not None and value > 0 and status != STATUS_CODES["invalid"]
    ][-CHANGEPOINT_WINDOW:]
    if len(usable) < 10:
        return []
    found = detect_change_points(
        [value for _, value in usable],
        labels=[runs[run].run_id for run, _ in usable],
        direction=spec(metric).direction,
        min_effect=CHANGEPOINT_MIN_EFFECT,
        alpha=CHANGEPOINT_ALPHA,
    )
    return [
        {
            "run": usable[c.index][0],
            "before": _r(c.before_median),
            "after": _r(c.after_median),
            "change": _r(c.change_pct),
            "p": _r(c.p_value),
            "verdict": c.verdict.value,
        }
        for c in found
    ]
