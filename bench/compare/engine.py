"""Build the ``ComparisonReport`` from candidate runs and baselines (no I/O: callers load the files).

Both sides may hold several runs (rounds): points with the same id are pooled, keeping how many
samples each run gave. The candidate side is split by where it ran (GPU, driver, onnxruntime-genai
version); each group is matched with the baseline for its GPU (by name, then architecture) and every
point is compared metric by metric. Nothing is compared silently across a mismatch: a different GPU,
provider, model, twin vs real weights, or a point missing on one side becomes a ``not_comparable`` row
or a ``mismatches`` line that says why. The statistics (tests, corrections, expectation bands) live in
``bench.analysis.regression``; this module only decides what is compared with what.
"""

from __future__ import annotations

import itertools
import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from bench.analysis import regression
from bench.compare.baselines import (
    BaselineDocument,
    BaselinePoint,
    RunContext,
    baseline_from_results,
    driver_version,
    match_baseline,
    point_mismatch,
    run_context,
)
from bench.compare.report import ComparisonReport, ComparisonRow
from bench.errors import BenchError
from bench.metrics import GATE_METRICS, METRICS, spec
from bench.results.schema import ResultDocument

NO_MATCH = "no matching baseline"  # the baseline_label of rows no baseline matched
MAX_LISTED = 8  # mismatch lines listed one by one before the rest is counted

GroupKey = tuple[str, str, str]  # (GPU or "cpu", driver, onnxruntime-genai)


@dataclass
class _Group:
    key: GroupKey
    context: RunContext
    documents: list[ResultDocument] = field(default_factory=list)


def _group_key(context: RunContext) -> GroupKey:
    gpu = "cpu" if context.gpu is None else (context.gpu.sku or context.gpu.name or "unknown gpu")
    if context.gpu is None and context.gpu_unknown_reason:
        gpu = "unknown gpu"
    return (gpu, context.driver or "", context.onnxruntime_genai or "")


def split_by_context(documents: Sequence[ResultDocument]) -> list[_Group]:
    """Runs split by where their points ran; a document with CPU and GPU sessions lands in two groups."""
    groups: dict[GroupKey, _Group] = {}
    for document in documents:
        sessions = {s.id: s for s in document.sessions}
        by_key: dict[GroupKey, list] = defaultdict(list)
        contexts: dict[GroupKey, RunContext] = {}
        for point in document.points:
            session = sessions.get(point.session)
            if session is None:
                raise BenchError(
                    f"point {point.id} names session {point.session!r}, which the run lacks",
                    field=document.run_id,
                )
            context = run_context(document, session)
            key = _group_key(context)
            by_key[key].append(point)
            contexts.setdefault(key, context)
        for key, points in by_key.items():
            used = {p.session for p in points}
            part = document.model_copy(
                update={"points": points, "sessions": [s for s in document.sessions if s.id in used]}
            )
            group = groups.setdefault(key, _Group(key, contexts[key]))
            group.documents.append(part)
    return list(groups.values())


def references_to_baselines(
    references: Sequence[ResultDocument | BaselineDocument],
) -> list[BaselineDocument]:
    """Baseline files as they are; result files pooled per GPU/version group into measured baselines."""
    baselines = [r for r in references if isinstance(r, BaselineDocument)]
    results = [r for r in references if isinstance(r, ResultDocument)]
    for group in split_by_context(results):
        name = "runs-" + "".join(
            ch if ch.isalnum() or ch in "._-" else "-" for ch in group.documents[0].run_id
        )
        baselines.append(baseline_from_results(group.documents, name=name))
    return baselines


@dataclass
class _Pending:
    """A row waiting for its statistics."""

    row: dict
    baseline: BaselinePoint
    candidate: BaselinePoint
    metric: str


def _row_base(
    point: BaselinePoint, metric: str, baseline: BaselineDocument | None, group: str | None
) -> dict:
    metric_spec = spec(metric)
    return {
        "point_id": point.id,
        "model": point.model,
        "provider": point.provider,
        "prompt_tokens": point.params.prompt_tokens,
        "batch_size": point.params.batch_size,
        "output_tokens": point.params.output_tokens,
        "metric": metric,
        "unit": metric_spec.unit or (next(iter(point.measured.values())).unit if point.measured else ""),
        "direction": metric_spec.direction.value,
        "baseline_kind": baseline.provenance if baseline else "measured",
        "baseline_label": baseline.label if baseline else NO_MATCH,
        "candidate_status": point.status,
        "group": group,
    }


def _candidate_metrics(point: BaselinePoint, requested: Sequence[str] | None) -> list[str]:
    if requested:
        return list(requested)
    # A point that failed before measuring anything still gets its rows: it must not vanish from a verdict.
    return [m for m in GATE_METRICS if m in point.measured] or list(GATE_METRICS)


def _compared_metrics(
    candidate: BaselinePoint, baseline: BaselinePoint, requested: Sequence[str] | None
) -> list[str]:
    if requested:
        return list(requested)
    available = set(baseline.measured) | set(baseline.expected)
    # Every metric the baseline has: one the candidate lacks becomes a "not comparable" row saying why.
    return [m for m in GATE_METRICS if m in available]


def build_report(
    candidates: Sequence[ResultDocument],
    references: Sequence[ResultDocument | BaselineDocument],
    *,
    rule: regression.Rule,
    metrics: Sequence[str] | None = None,
) -> ComparisonReport:
    """Compare ``candidates`` (one or more runs) with ``references`` (result or baseline documents)."""
    if not candidates:
        raise BenchError("no candidate run to compare", field="CANDIDATE")
    if not references:
        raise BenchError("no baseline to compare with", field="BASELINE")
    unknown = [m for m in metrics or [] if m not in METRICS]
    if unknown:
        raise BenchError(
            f"unknown metric {', '.join(unknown)}", field="--metric", hint=f"choose from {', '.join(METRICS)}"
        )
    baselines = references_to_baselines(references)
    groups = split_by_context(candidates)
    several = len(groups) > 1
    rows: list[dict] = []
    pending: list[_Pending] = []
    mismatches: list[str] = []
    notes: list[str] = []
    used: list[BaselineDocument] = []

    for group in groups:
        pooled = baseline_from_results(group.documents, name="candidate")
        label = _group_label(group) if several else None
        match = match_baseline(group.context, baselines)
        if match.baseline is None:
            reason = match.reasons[0] if match.reasons else "no baseline given"
            if len(match.reasons) > 1:
                reason += f" (and {len(match.reasons) - 1} other baselines did not match either)"
            for line in match.reasons:
                if line not in mismatches:
                    mismatches.append(line)
            for point in pooled.points.values():
                for metric in _candidate_metrics(point, metrics):
                    rows.append(
                        _row_base(point, metric, None, label)
                        | {"verdict": "not_comparable", "reason": reason}
                    )
            continue
        baseline = match.baseline
        if baseline not in used:
            used.append(baseline)
        notes.extend(n for n in _match_notes(group, baseline, match.how, pooled) if n not in notes)
        # Other references that matched as well: say they were passed over, never drop them silently.
        notes.extend(r for r in match.reasons if r.endswith("also matched, not used") and r not in notes)
        missing: list[str] = []
        for point_id in sorted(pooled.points, key=lambda pid: _order(pooled.points[pid])):
            point = pooled.points[point_id]
            counterpart = baseline.points.get(point_id)
            if counterpart is None:
                reason = point_mismatch(
                    point_id=point_id,
                    model=point.model,
                    model_kind=point.model_kind,
                    provider=point.provider,
                    baseline=baseline,
                )
                missing.append(reason)
                for metric in _candidate_metrics(point, metrics):
                    rows.append(
                        _row_base(point, metric, baseline, label)
                        | {"verdict": "not_comparable", "reason": reason}
                    )
                continue
            for metric in _compared_metrics(point, counterpart, metrics):
                row = _row_base(point, metric, baseline, label)
                blocked = _blocked(point, counterpart, metric)
                if blocked is not None:
                    rows.append(row | {"verdict": "not_comparable", "reason": blocked, "excluded": False})
                    continue
                rows.append(row)
                pending.append(_Pending(row, counterpart, point, metric))
        mismatches.extend(_summarise(missing, "candidate point(s) without a baseline point"))
        measured_ids = set(pooled.points)
        sessions = {(p.model, p.provider) for p in pooled.points.values()}
        absent: list[str] = []
        unmeasured: dict[tuple[str, str], int] = {}
        for pid in sorted(baseline.points):
            if pid in measured_ids:
                continue
            point = baseline.points[pid]
            if (point.model, point.provider) in sessions:
                absent.append(f"{pid}: in baseline {baseline.name}, not measured by the candidate")
            else:  # a whole model/provider the candidate did not run: one line, not one per point
                key = (point.model, point.provider)
                unmeasured[key] = unmeasured.get(key, 0) + 1
        absent += [
            f"{model} on {provider}: {count} point(s) in baseline {baseline.name}, none measured by the "
            "candidate"
            for (model, provider), count in unmeasured.items()
        ]
        mismatches.extend(_summarise(absent, "baseline point(s) the candidate did not measure"))

    entered = _decide(pending, rule)
    report_rows = [ComparisonRow(**row) for row in rows]
    header = _header_notes(candidates, references, groups, used)
    return ComparisonReport(
        rule=rule.describe(entered) if entered else rule.describe(),
        candidate=[d.run_id for d in candidates],
        baseline=[b.name for b in used] or [_reference_name(r) for r in references],
        notes=header + notes,
        mismatches=mismatches,
        rows=report_rows,
    )


def _reference_name(reference: ResultDocument | BaselineDocument) -> str:
    return reference.name if isinstance(reference, BaselineDocument) else reference.run_id


def _order(point: BaselinePoint) -> tuple:
    return (
        point.model,
        point.provider,
        point.params.batch_size,
        point.params.prompt_tokens,
        point.params.output_tokens,
    )


def _group_label(group: _Group) -> str:
    where = group.context.gpu.label if group.context.gpu else "no GPU"
    return f"{where}; {group.context.versions}"


def _blocked(candidate: BaselinePoint, baseline: BaselinePoint, metric: str) -> str | None:
    """Why this metric of this point has nothing to compare, or None (states are the rule's business)."""
    if metric not in candidate.measured:
        if candidate.status != "valid":
            why = "; ".join(candidate.reasons) or "no reason recorded"
            return f"no {metric} samples in the candidate (point {candidate.status}: {why})"
        return f"no {metric} samples in the candidate"
    if metric not in baseline.measured and metric not in baseline.expected:
        return f"no {metric} in the baseline"
    return None


def _summarise(lines: list[str], what: str) -> list[str]:
    if len(lines) <= MAX_LISTED:
        return lines
    return [*lines[:MAX_LISTED], f"... and {len(lines) - MAX_LISTED} more {what}"]


def _state_reasons(candidate: BaselinePoint, baseline: BaselinePoint) -> list[str]:
    return [
        f"{side} {p.status}: {'; '.join(p.reasons) or 'no reason recorded'}"
        for side, p in (("candidate", candidate), ("baseline", baseline))
        if p.status != "valid"
    ]


def _decide(pending: list[_Pending], rule: regression.Rule) -> int:
    """Fill verdicts: measured pairs through the rule (one correction over all of them), derived ones
    against their bands. Returns how many comparisons entered the correction."""
    measured = [p for p in pending if p.metric in p.baseline.measured]
    comparisons = [
        regression.compare_samples(
            baseline=p.baseline.measured[p.metric].samples,
            candidate=p.candidate.measured[p.metric].samples,
            direction=spec(p.metric).direction,
            key=(p.candidate.id, p.metric),
            metric=p.metric,
            baseline_state=p.baseline.status,
            candidate_state=p.candidate.status,
            state_reasons=_state_reasons(p.candidate, p.baseline),
        )
        for p in measured
    ]
    decisions = regression.decide(comparisons, rule)
    for p, decision in zip(measured, decisions, strict=True):
        comparison = decision.comparison
        if comparison is not None:
            p.row.update(
                baseline_value=_finite(comparison.baseline_median),
                baseline_low=_finite(comparison.baseline_ci_low),
                baseline_high=_finite(comparison.baseline_ci_high),
                candidate_value=_finite(comparison.candidate_median),
                ci_low_pct=_finite(comparison.ci_low_pct),
                ci_high_pct=_finite(comparison.ci_high_pct),
            )
        _fill(p, decision)
    for p in pending:
        if p.metric in p.baseline.measured:
            continue
        band = p.baseline.expected[p.metric]
        decision = regression.compare_to_expectation(
            expected=band.expected,
            tolerance_low=1.0 - band.low / band.expected,
            tolerance_high=band.high / band.expected - 1.0,
            candidate=p.candidate.measured[p.metric].samples,
            direction=spec(p.metric).direction,
            key=(p.candidate.id, p.metric),
            metric=p.metric,
            state=p.candidate.status,
            state_reasons=_state_reasons(p.candidate, p.baseline),
            include_flagged=rule.include_flagged,
        )
        expectation = decision.expectation
        p.row.update(
            baseline_value=band.expected,
            baseline_low=band.low,
            baseline_high=band.high,
            candidate_value=_finite(expectation.candidate_median) if expectation else None,
        )
        _fill(p, decision, prefix="derived expectation (not measured): ")
    return sum(1 for d in decisions if d.p_adjusted is not None)


def _fill(p: _Pending, decision: regression.Decision, prefix: str = "") -> None:
    p.row.update(
        verdict=decision.verdict.value,
        change_pct=_finite(decision.change_pct),
        p_value=_finite(decision.p_value),
        p_adjusted=_finite(decision.p_adjusted),
        excluded=decision.excluded,
        reason=prefix + decision.reason,
    )


def _finite(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None


# --- header notes ---------------------------------------------------------------------------------


def _versions(documents: Sequence[ResultDocument]) -> tuple[set[str], set[str]]:
    drivers = {v for d in documents if (v := driver_version(d))}
    genai = {v for d in documents if (v := d.environment.software.onnxruntime_genai)}
    return drivers, genai


def _header_notes(
    candidates: Sequence[ResultDocument],
    references: Sequence[ResultDocument | BaselineDocument],
    groups: Sequence[_Group],
    used: Sequence[BaselineDocument],
) -> list[str]:
    notes: list[str] = []
    reference_runs = [r for r in references if isinstance(r, ResultDocument)]
    base_drivers: set[str] = set()
    base_genai: set[str] = set()
    for baseline in used:
        base_drivers |= {s.driver for s in baseline.sources if s.driver}
        base_genai |= {s.onnxruntime_genai for s in baseline.sources if s.onnxruntime_genai}
    cand_drivers, cand_genai = _versions(candidates)
    changed = []
    if base_drivers and cand_drivers and base_drivers != cand_drivers:
        changed.append(
            f"driver {', '.join(sorted(base_drivers))} (baseline) -> {', '.join(sorted(cand_drivers))} "
            "(candidate)"
        )
    if base_genai and cand_genai and base_genai != cand_genai:
        changed.append(
            f"onnxruntime-genai {', '.join(sorted(base_genai))} (baseline) -> "
            f"{', '.join(sorted(cand_genai))} (candidate)"
        )
    # Different genai wheels (cpu / cuda / directml) ship different versions and kernels (schema v2 field).
    builds = {
        f"{b} {d.environment.software.onnxruntime_genai}"
        for d in [*candidates, *reference_runs]
        if (b := d.environment.software.onnxruntime_genai_distribution)
    }
    if len(builds) > 1:
        changed.append(f"onnxruntime-genai builds {', '.join(sorted(builds))}")
    if changed:
        notes.append("VERSION COMPARISON: " + "; ".join(changed))
    if len(groups) > 1:
        notes.append(
            "the candidate runs differ in GPU or versions: rows are grouped by "
            + " | ".join(_group_label(g) for g in groups)
        )
    measured_baseline_runs = sum(len(b.sources) for b in used if b.provenance == "measured")
    if measured_baseline_runs:
        notes.append(
            f"rounds: {len(candidates)} candidate run(s), {measured_baseline_runs} baseline run(s); "
            "samples of a point are pooled across rounds"
        )
        if changed and (len(candidates) < 3 or measured_baseline_runs < 3):
            notes.append(
                "fewer than 3 rounds per side: run-to-run variation is not captured; run 3+ rounds per "
                "side, alternating A B A B (docs/BASELINES.md)"
            )
        starts = sorted(
            [(d.started_at, "candidate") for d in candidates]
            + [(s.started_at, "baseline") for b in used for s in b.sources]
        )
        sides = [side for _, side in starts]
        switches = sum(1 for a, b in itertools.pairwise(sides) if a != b)
        if len(candidates) > 1 and measured_baseline_runs > 1:
            notes.append(
                "rounds were interleaved"
                if switches > 1
                else "rounds were not interleaved (one side ran entirely before the other): drift over time "
                "is confounded with the change"
            )
    for baseline in used:
        if baseline.provenance == "derived":
            notes.append(
                f"{baseline.name} is DERIVED, NOT MEASURED ({baseline.gpu.label if baseline.gpu else '-'}): "
                "wide tolerance, it flags only results far from what this GPU class should do"
            )
    if reference_runs and not used:
        notes.append("no baseline matched the candidate (see mismatches)")
    return notes


def _match_notes(
    group: _Group, baseline: BaselineDocument, how: str | None, pooled: BaselineDocument
) -> list[str]:
    notes: list[str] = []
    context = group.context
    if how == "architecture" and context.gpu is not None:
        notes.append(
            f"{baseline.name} matched by architecture ({context.gpu.architecture}), "
            f"not by GPU name ({context.gpu.label})"
        )
    if how == "no gpu" and baseline.cpu_model and baseline.cpu_model != context.cpu_model:
        notes.append(f"different CPU: candidate {context.cpu_model}, baseline {baseline.cpu_model}")
    for model in pooled.models:
        other = next((m for m in baseline.models if m.key == model.key), None)
        if (
            other
            and other.content_sha256
            and model.content_sha256
            and other.content_sha256 != model.content_sha256
        ):
            notes.append(
                f"model {model.key}: files differ from the baseline's (content sha256 "
                f"{model.content_sha256[:12]} vs {other.content_sha256[:12]}); compared as the same model"
            )
    return notes
