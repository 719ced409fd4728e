"""The registry of metric names bench writes: unit, direction, and how to show them.

These names are a stable interface: other tools read them from result files. Add names; never rename.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Direction(str, Enum):
    HIGHER_IS_BETTER = "higher"
    LOWER_IS_BETTER = "lower"


@dataclass(frozen=True)
class MetricSpec:
    name: str
    unit: str
    direction: Direction
    title: str
    description: str
    gate: bool = True  # compared by default in verdicts


_SPECS = [
    MetricSpec(
        "ttft_ms",
        "ms",
        Direction.LOWER_IS_BETTER,
        "Time to first token",
        "append_tokens (whole prefill) + first generate_next_token; tokenization excluded",
    ),
    MetricSpec(
        "prefill_tokens_per_s",
        "tokens/s",
        Direction.HIGHER_IS_BETTER,
        "Prefill throughput",
        "batch × prompt tokens / prefill time (append_tokens)",
    ),
    MetricSpec(
        "decode_tokens_per_s",
        "tokens/s",
        Direction.HIGHER_IS_BETTER,
        "Decode throughput",
        "batch × (output tokens − 1) / sum of decode steps after the first token",
    ),
    MetricSpec(
        "itl_ms",
        "ms",
        Direction.LOWER_IS_BETTER,
        "Inter-token latency",
        "every decode step after the first token, all repetitions",
        gate=False,
    ),
    MetricSpec(
        "tpot_ms",
        "ms",
        Direction.LOWER_IS_BETTER,
        "Time per output token",
        "mean inter-token latency of one repetition (one sample per repetition)",
    ),
    MetricSpec(
        "e2e_latency_ms",
        "ms",
        Direction.LOWER_IS_BETTER,
        "End-to-end latency",
        "tokenization + generator setup + prefill + every decode step of one request",
    ),
    MetricSpec(
        "tokenize_ms",
        "ms",
        Direction.LOWER_IS_BETTER,
        "Tokenization",
        "encoding the prompt text with the model's tokenizer",
        gate=False,
    ),
    MetricSpec(
        "kv_setup_ms",
        "ms",
        Direction.LOWER_IS_BETTER,
        "KV-cache setup",
        "og.Generator creation (allocates the KV cache for batch × max length)",
        gate=False,
    ),
    MetricSpec(
        "model_load_s",
        "s",
        Direction.LOWER_IS_BETTER,
        "Model load",
        "og.Config + og.Model + og.Tokenizer, once per model and provider",
        gate=False,
    ),
    MetricSpec(
        "vram_peak_mib",
        "MiB",
        Direction.LOWER_IS_BETTER,
        "Peak VRAM",
        "peak GPU memory while generating (method and scope recorded with the point)",
        gate=False,
    ),
    MetricSpec(
        "energy_per_token_j",
        "J/token",
        Direction.LOWER_IS_BETTER,
        "Energy per token",
        "GPU energy counter delta over generation / generated tokens",
        gate=False,
    ),
]

METRICS: dict[str, MetricSpec] = {spec.name: spec for spec in _SPECS}

GATE_METRICS: tuple[str, ...] = tuple(spec.name for spec in _SPECS if spec.gate)


def spec(name: str) -> MetricSpec:
    """The spec of a known metric; unknown names get a neutral lower-is-better spec so foreign data loads."""
    try:
        return METRICS[name]
    except KeyError:
        return MetricSpec(name, "", Direction.LOWER_IS_BETTER, name, "not a bench metric", gate=False)
