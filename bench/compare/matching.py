"""Matching a run with a baseline, and saying why a baseline or a point does not match."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from bench.compare.baselines import BaselineDocument
from bench.compare.context import RunContext

MatchHow = Literal["gpu name", "architecture", "no gpu"]


@dataclass(frozen=True)
class Match:
    baseline: BaselineDocument | None
    how: MatchHow | None
    reasons: list[str]  # why each other baseline did not match (all of them when baseline is None)


def _describe(baseline: BaselineDocument) -> str:
    if baseline.gpu is None:
        return f"baseline {baseline.name} was {baseline.provenance} without a GPU"
    return f"baseline {baseline.name} is {baseline.provenance} for {baseline.gpu.label}"


def mismatch_reason(context: RunContext, baseline: BaselineDocument) -> str | None:
    """Why a run measured in ``context`` cannot be compared with ``baseline`` at all; None when it can."""
    if context.gpu is None:
        if baseline.gpu is None:
            return None
        if context.gpu_unknown_reason:
            return f"GPU unknown in candidate run: {context.gpu_unknown_reason}; {_describe(baseline)}"
        return f"no GPU in candidate run (provider {context.provider}); {_describe(baseline)}"
    if baseline.gpu is None:
        return f"candidate ran on {context.gpu.label} (provider {context.provider}); {_describe(baseline)}"
    if context.gpu.same_gpu(baseline.gpu):
        return None
    if baseline.gpu.name is None and baseline.gpu.architecture == context.gpu.architecture:
        return None
    return f"GPU mismatch: candidate ran on {context.gpu.label}; {_describe(baseline)}"


def match_baseline(context: RunContext, baselines: Sequence[BaselineDocument]) -> Match:
    """The baseline for this run's GPU: by GPU name first, then an architecture-wide one.

    Among equally good matches, one that covers the run's provider wins, then a measured one over a
    derived one, then the newest.
    """
    reasons: list[str] = []
    by_name: list[BaselineDocument] = []
    by_architecture: list[BaselineDocument] = []
    no_gpu: list[BaselineDocument] = []
    for baseline in baselines:
        reason = mismatch_reason(context, baseline)
        if reason is not None:
            reasons.append(reason)
        elif baseline.gpu is None:
            no_gpu.append(baseline)
        elif context.gpu is not None and context.gpu.same_gpu(baseline.gpu):
            by_name.append(baseline)
        else:
            by_architecture.append(baseline)

    def same_versions(baseline: BaselineDocument) -> bool:
        return any(
            (source.driver, source.onnxruntime_genai) == (context.driver, context.onnxruntime_genai)
            for source in baseline.sources
        )

    for how, candidates in (("gpu name", by_name), ("architecture", by_architecture), ("no gpu", no_gpu)):
        if candidates:
            # Prefer what measures the same thing: the provider, measured over derived, the same driver
            # and onnxruntime-genai (a version comparison must be asked for, not stumbled into), newest.
            best = max(
                candidates,
                key=lambda b: (
                    context.provider in b.providers,
                    b.provenance == "measured",
                    same_versions(b),
                    b.created_at.timestamp() if b.created_at else 0.0,
                ),
            )
            unused = [f"{b.name} ({b.label}) also matched, not used" for b in candidates if b is not best]
            return Match(best, how, reasons + unused)  # type: ignore[arg-type]
    return Match(None, None, reasons)


def point_mismatch(
    *,
    point_id: str,
    model: str,
    model_kind: str,
    provider: str,
    baseline: BaselineDocument,
) -> str:
    """Why a candidate point has no counterpart in a matched baseline (provider, model, twin, point)."""
    if provider not in baseline.providers:
        return (
            f"provider mismatch: candidate {provider}, baseline {baseline.name} has "
            f"{', '.join(baseline.providers) or 'no provider'}"
        )
    keys = {m.key: m for m in baseline.models}
    if model not in keys:
        family = model.split(":")[1] if model_kind == "twin" and model.count(":") >= 2 else model
        same_family = [m for m in baseline.models if (m.family or m.name) == family and m.kind != model_kind]
        if same_family:
            other = same_family[0]
            return (
                f"twin vs real weights: candidate measured {_kind_text(model_kind, model)}, baseline "
                f"{baseline.name} holds {_kind_text(other.kind, other.key)}; they are never compared"
            )
        held = ", ".join(sorted(keys)) or "none"
        return f"model mismatch: candidate {model}, baseline {baseline.name} has {held}"
    return f"point not in baseline {baseline.name}: {point_id}"


def _kind_text(kind: str, key: str) -> str:
    if kind == "twin":
        return f"synthetic twin {key} (random weights)"
    if kind == "real":
        return f"real weights {key}"
    return f"model folder {key}"
