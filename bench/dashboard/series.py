"""The sweep charts' data: one series per (candidate group, model, provider), read from the comparison
report's groups (pooled points, matched baseline, rows). Nothing is grouped, matched or pooled here."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

import numpy as np

from bench.compare.baselines import BaselinePoint
from bench.compare.report import CandidateGroup, ComparisonRow
from bench.dashboard.numbers import figure, r
from bench.results.schema import Point, ResultDocument

SWEEP_METRICS = ("ttft_ms", "decode_tokens_per_s", "prefill_tokens_per_s")
ERROR_BAR_PERCENTILES = (10.0, 90.0)
ERROR_BAR_TEXT = "p10–p90 of the samples"
ITL_QUANTILES = tuple(float(q) for q in np.linspace(0.0, 100.0, 51))


def sweep_series(
    groups: Sequence[CandidateGroup], documents: Sequence[ResultDocument], *, compared: bool
) -> list[tuple[dict, list[list[ComparisonRow]]]]:
    """(series, rows per point) for each (group, model, provider), in the report's group order.

    ``compared``: the groups carry verdicts (a report was made); otherwise the series have none.
    """
    out: list[tuple[dict, list[list[ComparisonRow]]]] = []
    for group in groups:
        newest = _newest_points([d for d in documents if d.run_id in group.runs])
        by_model: dict[tuple[str, str], list[BaselinePoint]] = defaultdict(list)
        for point in group.candidate_points.values():
            by_model[(point.model, point.provider)].append(point)
        rows_by_point: dict[str, list[ComparisonRow]] = defaultdict(list)
        for row in group.rows:
            rows_by_point[row.point_id].append(row)
        for (model, provider), points in sorted(by_model.items()):
            points.sort(key=lambda p: (p.params.batch_size, p.params.output_tokens, p.params.prompt_tokens))
            point_rows = [rows_by_point.get(p.id, []) for p in points]
            series = _series(
                group, points, point_rows, newest, model=model, provider=provider, compared=compared
            )
            out.append((series, point_rows))
    return out


def _newest_points(documents: Sequence[ResultDocument]) -> dict[str, Point]:
    """Each point id's newest round in a group's runs (its telemetry is what the VRAM and roofline
    charts show)."""
    newest: dict[str, Point] = {}
    for document in sorted(documents, key=lambda d: d.started_at):
        for point in document.points:
            newest[point.id] = point
    return newest


def _series(
    group: CandidateGroup,
    points: list[BaselinePoint],
    point_rows: list[list[ComparisonRow]],
    newest: dict[str, Point],
    *,
    model: str,
    provider: str,
    compared: bool,
) -> dict:
    params = [p.params for p in points]
    base_points = [group.baseline_points.get(p.id) for p in points]
    metrics: dict[str, dict[str, list]] = {}
    base: dict[str, dict] = {}
    verdicts: dict[str, dict[str, list]] = {}
    for name in SWEEP_METRICS:
        metrics[name] = _spread([p.measured[name].samples if name in p.measured else None for p in points])
        rows = [_row_for(r, name) for r in point_rows]
        base[name] = _baseline_band(name, base_points, rows)
        if compared:
            verdicts[name] = _verdict_columns(rows)
    telemetry = [newest[p.id].telemetry if p.id in newest else None for p in points]
    vram = {
        "weights": [figure(t.vram_weights_mib) if t else None for t in telemetry],
        "kv": [figure(t.vram_kv_cache_mib) if t else None for t in telemetry],
        "peak": [figure(t.vram_peak_mib) if t else None for t in telemetry],
    }
    match = group.match
    return {
        "key": f"{model}|{provider}|{group.key}",
        "model": model,
        "provider": provider,
        "gpu": group.where,
        "versions": group.versions,
        "baseline": match.label if match and match.baseline else None,
        "baselineKind": match.provenance if match and match.baseline else None,
        "vramNote": _vram_note(telemetry, vram),
        "points": {
            "id": [p.id for p in points],
            "prompt": [p.prompt_tokens for p in params],
            "batch": [p.batch_size for p in params],
            "output": [p.output_tokens for p in params],
            "status": [p.status.value for p in points],
            "reasons": [list(p.reasons) or None for p in points],
            "metrics": metrics,
            "baseline": base,
            "verdicts": verdicts or None,
            "vram": vram,
            "roofline": _roofline(telemetry),
            "itl": [
                _quantiles(p.measured["itl_ms"].samples if "itl_ms" in p.measured else None) for p in points
            ],
            "itlBaseline": [
                _quantiles(bp.measured["itl_ms"].samples) if bp and "itl_ms" in bp.measured else None
                for bp in base_points
            ],
        },
    }


def _spread(samples: Sequence[Sequence[float] | None]) -> dict[str, list]:
    """Median and p10–p90 of each point's samples (the error bars), and how many samples."""
    low_q, high_q = ERROR_BAR_PERCENTILES
    med: list[float | None] = []
    lo: list[float | None] = []
    hi: list[float | None] = []
    n: list[int] = []
    for values in samples:
        if values:
            q = np.percentile(np.asarray(values, dtype=float), [50.0, low_q, high_q])
            med.append(r(q[0]))
            lo.append(r(q[1]))
            hi.append(r(q[2]))
            n.append(len(values))
        else:
            med.append(None)
            lo.append(None)
            hi.append(None)
            n.append(0)
    return {"median": med, "low": lo, "high": hi, "count": n}


def _roofline(telemetry: list) -> dict:
    eff, bound, method, note = [], [], None, None
    for t in telemetry:
        roof = t.roofline if t else None
        eff.append(figure(roof.efficiency_pct) if roof else None)
        bound.append(figure(roof.bound_tokens_per_s) if roof else None)
        if roof and method is None:
            method = roof.peak_bandwidth_gb_s.method or roof.peak_bandwidth_gb_s.unavailable
        if t and not roof and note is None:
            note = t.roofline_unavailable
    return {"efficiency": eff, "bound": bound, "method": method, "note": note}


def _row_for(rows: list[ComparisonRow], metric: str) -> ComparisonRow | None:
    return next((row for row in rows if row.metric == metric), None)


def _quantiles(samples: Sequence[float] | None) -> list[float | None] | None:
    if not samples:
        return None
    return [r(float(v)) for v in np.percentile(np.asarray(samples, dtype=float), ITL_QUANTILES)]


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
    for point, row in zip(points, rows, strict=True):
        values: tuple[float | None, float | None, float | None]
        measured = point.measured.get(metric) if point else None
        expected = point.expected.get(metric) if point else None
        if expected is not None:
            values = (expected.expected, expected.low, expected.high)
            bands.add("tolerance")
            kinds.add("derived")
        elif row is not None and row.baseline_value is not None:
            values = (row.baseline_value, row.baseline_low, row.baseline_high)
            kinds.add(row.baseline_kind)
            if row.baseline_low is not None and row.baseline_high is not None:
                bands.add("tolerance" if row.baseline_kind == "derived" else "ci")
        elif measured is not None and measured.samples:
            spread = _spread([measured.samples])
            values = (spread["median"][0], spread["low"][0], spread["high"][0])
            bands.add("spread")
            kinds.add("measured")
        else:
            values = (None, None, None)
        med.append(r(values[0]))
        lo.append(r(values[1]))
        hi.append(r(values[2]))
    kind = "derived" if kinds == {"derived"} else ("measured" if kinds else None)
    band = next(iter(bands)) if len(bands) == 1 else ("mixed" if bands else None)
    return {"median": med, "low": lo, "high": hi, "kind": kind, "band": band}


def _verdict_columns(rows: Sequence[ComparisonRow | None]) -> dict[str, list]:
    return {
        "verdict": [row.verdict.value if row else None for row in rows],
        "excluded": [1 if row and row.excluded else 0 for row in rows],
        "change": [r(row.change_pct) if row else None for row in rows],
        "ciLow": [r(row.ci_low_pct) if row else None for row in rows],
        "ciHigh": [r(row.ci_high_pct) if row else None for row in rows],
        "p": [r(row.p_value) if row else None for row in rows],
        "pAdjusted": [r(row.p_adjusted) if row else None for row in rows],
        "reason": [row.reason if row else None for row in rows],
    }


def _vram_note(telemetry: list, vram: dict[str, list]) -> str | None:
    """Why the VRAM chart is empty, or None when there is something to draw."""
    if any(v is not None for values in vram.values() for v in values):
        return None
    for t in telemetry:
        if t is not None and t.vram_peak_mib.unavailable:
            return t.vram_peak_mib.unavailable
    return "no telemetry recorded (the runs used --no-telemetry)"
