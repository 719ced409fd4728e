"""Memory-bandwidth roofline for decode (pure functions).

A decode step of a batch reads every weight once (shared by the batch): every initializer the graph
reads in full, whatever its type (INT4 MatMulNBits, an fp16 LM head, a whole fp16 model, norms), all
but row-lookup tables such as the embedding; and, per sequence, the K and V of every position it
attends to. At batch sizes where decode is memory-bound, tokens/s cannot exceed ``batch × bandwidth /
bytes per step``. The measured rate as a percentage of that bound tells a qualification engineer
whether a GPU performs as its silicon allows.
"""

from __future__ import annotations

from bench.models.identity import ModelIdentity
from bench.telemetry.types import Figure, Roofline

# NVML reports the memory clock such that bytes/s = clock × 2 × bus width / 8 for GDDR6/6X and HBM alike
# (the CUDA deviceQuery convention): RTX 4090 10501 MHz × 2 × 384/8 = 1008 GB/s, H100 SXM 2619 MHz × 2 ×
# 5120/8 = 3352 GB/s, both the published figures.
DOUBLE_DATA_RATE = 2
NVML_BANDWIDTH_METHOD = "nvml: memory bus width / 8 × max memory clock × 2"


def nvml_peak_bandwidth_gb_s(*, bus_width_bits: int, max_memory_clock_mhz: float) -> float:
    """Theoretical peak DRAM bandwidth in decimal GB/s."""
    return bus_width_bits / 8 * max_memory_clock_mhz * 1e6 * DOUBLE_DATA_RATE / 1e9


def mean_decode_context(*, prompt_tokens: int, output_tokens: int) -> float:
    """Mean number of positions attended over the decode steps after the first token.

    Step i (1 ≤ i ≤ output − 1) attends prompt + i positions, so the mean is prompt + output / 2.
    """
    return prompt_tokens + output_tokens / 2


def decode_roofline(
    *,
    model: ModelIdentity,
    prompt_tokens: int,
    batch_size: int,
    output_tokens: int,
    peak_bandwidth: Figure,
    measured_tokens_per_s: float | None,
) -> Roofline:
    """The bound for one point; raises ``ValueError`` when the model lacks the quantization facts."""
    quant = model.quantization
    if quant is None:
        raise ValueError("model has no quantization facts (bytes read per step unknown)")
    if quant.weights_by_dtype is None:
        raise ValueError(
            f"weight bytes per step unknown: {quant.weights_unavailable or 'model identity read before v2'}"
        )
    weight_bytes = sum(quant.weights_by_dtype.values())
    if weight_bytes <= 0:
        raise ValueError("no weight initializer is read per decode step (weights outside the graph?)")
    context = mean_decode_context(prompt_tokens=prompt_tokens, output_tokens=output_tokens)
    kv_per_token = model.architecture.kv_cache_bytes(
        tokens=1, batch_size=batch_size, dtype_bytes=quant.kv_dtype_bytes
    )
    kv_bytes = kv_per_token * context
    bytes_per_step = weight_bytes + kv_bytes
    if peak_bandwidth.value is None or bytes_per_step <= 0:
        reason = peak_bandwidth.unavailable or "no bytes read per step"
        bound = Figure.missing("tokens/s", f"peak bandwidth unavailable: {reason}")
    else:
        bound = Figure.of(
            batch_size * peak_bandwidth.value * 1e9 / bytes_per_step,
            "tokens/s",
            method=f"batch × peak bandwidth / bytes per step ({peak_bandwidth.method})",
        )
    if bound.value is None:
        efficiency = Figure.missing("%", bound.unavailable or "no bound")
    elif measured_tokens_per_s is None:
        efficiency = Figure.missing("%", "no measured decode rate")
    else:
        efficiency = Figure.of(
            100 * measured_tokens_per_s / bound.value, "%", method="median decode tokens/s / bound"
        )
    return Roofline(
        weight_bytes=weight_bytes,
        weights_by_dtype=dict(quant.weights_by_dtype),
        kv_bytes_per_step=kv_bytes,
        mean_context_tokens=context,
        bytes_per_step=bytes_per_step,
        batch_size=batch_size,
        peak_bandwidth_gb_s=peak_bandwidth,
        bound_tokens_per_s=bound,
        measured_tokens_per_s=measured_tokens_per_s,
        efficiency_pct=efficiency,
    )


def kv_cache_theoretical_mib(*, model: ModelIdentity, batch_size: int, max_length: int) -> Figure:
    """What a Generator allocates for K and V at batch × max length (onnxruntime-genai's shared buffer)."""
    quant = model.quantization
    if quant is None:
        return Figure.missing("MiB", "model has no quantization facts (KV element type unknown)")
    size = model.architecture.kv_cache_bytes(
        tokens=max_length, batch_size=batch_size, dtype_bytes=quant.kv_dtype_bytes
    )
    return Figure.of(
        size / (1024 * 1024),
        "MiB",
        method="architecture: 2 × layers × kv heads × head dim × max length × batch × "
        f"{quant.kv_dtype_bytes} B",
    )
