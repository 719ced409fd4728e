"""The header notes of a comparison: versions compared, rounds and interleaving, derived baselines,
how a baseline was matched. Sentences only; the engine decides, these say what the reader must know."""

from __future__ import annotations

import itertools
from collections.abc import Sequence

from bench.compare.baselines import BaselineDocument, BaselineModel
from bench.compare.context import driver_version, group_label
from bench.compare.grouping import RunGroup
from bench.results.schema import ResultDocument


def _versions(documents: Sequence[ResultDocument]) -> tuple[set[str], set[str]]:
    drivers = {v for d in documents if (v := driver_version(d))}
    genai = {v for d in documents if (v := d.environment.software.onnxruntime_genai)}
    return drivers, genai


def header_notes(
    candidates: Sequence[ResultDocument],
    references: Sequence[ResultDocument | BaselineDocument],
    groups: Sequence[RunGroup],
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
            + " | ".join(group_label(g.context) for g in groups)
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


def match_notes(
    group: RunGroup, baseline: BaselineDocument, how: str | None, models: Sequence[BaselineModel]
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
    for model in models:
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
