"""Calibration of derived baselines on published figures: per-SKU step overhead and prefill rate from
llama.cpp, scaled to onnxruntime-genai by its one published figure; the expectation at one point."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bench.compare.model_costs import GB, LLAMA2_7B_ORT, LLAMA3_8B, ModelCost
from bench.compare.skus import SKUS, SKUS_BY_ID, Sku, figures_of
from bench.results.schema import PointParams

REFERENCE_LAYERS = 32  # Llama-3-8B and Llama-2-7B: the per-step overhead is calibrated per 32 layers
ORT_GENAI_SOURCE = "https://github.com/microsoft/onnxruntime-genai/issues/641"
ORT_DECODE_TOKENS_PER_S = 190.7  # DirectML, RTX 4090, Llama-2-7B INT4, 100-token prompt
ORT_PREFILL_TOKENS_PER_S = 2195.0
ORT_PROMPT_TOKENS = 100
ORT_ASSUMED_OUTPUT_TOKENS = 100  # not stated in the issue; sets the KV context of the decode figure
LLAMA3_8B_Q4_K_M_BYTES = 4.9 * GB  # file size, read once per token (the token embedding is not, ~0.3 GB)
LLAMA_BENCH_TG = 512  # tg512: 512 tokens generated from an empty prompt, average context 256
LLAMA_BENCH_PP = 512


@dataclass(frozen=True)
class Calibration:
    """Per-SKU constants and the onnxruntime-genai factors, with the arithmetic that produced them."""

    overhead_s: dict[str, float]  # llama.cpp per-step time beyond the roofline, per 32 layers
    prefill_flops: dict[str, float]  # llama.cpp achieved FLOP/s at pp512
    k_decode: float
    k_prefill: float
    lines: list[str]


def _llama_cpp_overhead(sku: Sku) -> tuple[float, str]:
    source = figures_of(sku)
    assert source.llama_cpp_tg512 is not None  # every SKU has figures or a stand-in with figures
    context = LLAMA_BENCH_TG / 2
    read = LLAMA3_8B_Q4_K_M_BYTES + LLAMA3_8B.kv_bytes_per_token * context
    # The overhead is the stand-in's (measured on its own bandwidth): same chip, same per-step cost.
    roofline = read / (source.memory_bandwidth_gb_s * GB)
    step = 1.0 / source.llama_cpp_tg512
    overhead = max(step - roofline, 0.0)
    stand_in = f" (figures of {source.display}: same chip and clocks)" if source is not sku else ""
    line = (
        f"{sku.display}: llama.cpp tg512 {source.llama_cpp_tg512} tok/s -> {step * 1e3:.3f} ms/token; "
        f"roofline ({read / GB:.3f} GB) / {source.memory_bandwidth_gb_s:g} GB/s = {roofline * 1e3:.3f} ms; "
        f"overhead {overhead * 1e3:.3f} ms/step{stand_in}"
    )
    return overhead, line


def calibrate(skus: Sequence[Sku] = SKUS) -> Calibration:
    lines: list[str] = []
    overhead: dict[str, float] = {}
    prefill: dict[str, float] = {}
    llama3_flops = LLAMA3_8B.flops_per_token(LLAMA_BENCH_PP / 2)
    for sku in skus:
        overhead[sku.id], line = _llama_cpp_overhead(sku)
        lines.append(line)
        source = figures_of(sku)
        assert source.llama_cpp_pp512 is not None
        prefill[sku.id] = source.llama_cpp_pp512 * llama3_flops
        lines.append(
            f"{sku.display}: llama.cpp pp512 {source.llama_cpp_pp512} tok/s × "
            f"{llama3_flops / 1e9:.2f} GFLOP/token = {prefill[sku.id] / 1e12:.1f} TFLOP/s achieved"
        )
    rtx4090 = SKUS_BY_ID["rtx-4090"]
    ref_overhead = overhead.get(rtx4090.id)
    if ref_overhead is None:
        ref_overhead, _ = _llama_cpp_overhead(rtx4090)
    context = ORT_PROMPT_TOKENS + ORT_ASSUMED_OUTPUT_TOKENS / 2
    ort_read = LLAMA2_7B_ORT.weight_bytes + LLAMA2_7B_ORT.kv_bytes_per_token * context
    ort_roofline = ort_read / (rtx4090.memory_bandwidth_gb_s * GB)
    ort_overhead = 1.0 / ORT_DECODE_TOKENS_PER_S - ort_roofline
    k_decode = ort_overhead / ref_overhead
    lines.append(
        f"onnxruntime-genai decode, RTX 4090, Llama-2-7B INT4: 1/{ORT_DECODE_TOKENS_PER_S} = "
        f"{1e3 / ORT_DECODE_TOKENS_PER_S:.3f} ms/token; roofline ({ort_read / GB:.3f} GB at context "
        f"{context:g}) / 1008 GB/s = {ort_roofline * 1e3:.3f} ms; overhead {ort_overhead * 1e3:.3f} ms; "
        f"k_decode = {ort_overhead * 1e3:.3f} / {ref_overhead * 1e3:.3f} (llama.cpp on the 4090) "
        f"= {k_decode:.3f}"
    )
    ort_flops = ORT_PREFILL_TOKENS_PER_S * LLAMA2_7B_ORT.flops_per_token(ORT_PROMPT_TOKENS / 2)
    ref_prefill = prefill.get(rtx4090.id) or (rtx4090.llama_cpp_pp512 or 0.0) * llama3_flops
    k_prefill = ort_flops / ref_prefill
    lines.append(
        "onnxruntime-genai prefill, RTX 4090, Llama-2-7B INT4, 100-token prompt: "
        f"{ORT_PREFILL_TOKENS_PER_S} tok/s × "
        f"{LLAMA2_7B_ORT.flops_per_token(ORT_PROMPT_TOKENS / 2) / 1e9:.2f} GFLOP/token = "
        f"{ort_flops / 1e12:.1f} TFLOP/s; k_prefill = {ort_flops / 1e12:.1f} / {ref_prefill / 1e12:.1f} "
        f"(llama.cpp pp512 on the 4090) = {k_prefill:.3f}"
    )
    return Calibration(overhead, prefill, k_decode, k_prefill, lines)


@dataclass(frozen=True)
class PointEstimate:
    """What one SKU should do at one point (the numbers a derived baseline's bands are centred on)."""

    decode_tokens_per_s: float
    tpot_ms: float
    prefill_tokens_per_s: float
    ttft_ms: float
    decode_basis: str
    prefill_basis: str


def expect(cost: ModelCost, sku: Sku, calibration: Calibration, params: PointParams) -> PointEstimate:
    batch, prompt, output = params.batch_size, params.prompt_tokens, params.output_tokens
    bandwidth = sku.memory_bandwidth_gb_s * GB
    context = prompt + output / 2
    read = cost.weight_bytes + batch * cost.kv_bytes_per_token * context
    overhead = calibration.overhead_s[sku.id] * (cost.layers / REFERENCE_LAYERS) * calibration.k_decode
    step = read / bandwidth + overhead
    flops = cost.flops_per_token(prompt / 2)
    prefill = calibration.prefill_flops[sku.id] * calibration.k_prefill / flops
    return PointEstimate(
        decode_tokens_per_s=batch / step,
        tpot_ms=step * 1e3,
        prefill_tokens_per_s=prefill,
        ttft_ms=batch * prompt / prefill * 1e3,
        decode_basis=(
            f"{batch} / ({read / GB:.3f} GB / {sku.memory_bandwidth_gb_s:g} GB/s + "
            f"{overhead * 1e3:.3f} ms overhead) = {batch / step:.1f} tok/s"
        ),
        prefill_basis=(
            f"{calibration.prefill_flops[sku.id] / 1e12:.1f} TFLOP/s × {calibration.k_prefill:.3f} / "
            f"{flops / 1e9:.2f} GFLOP/token = {prefill:.0f} tok/s"
        ),
    )


def effective_efficiency(cost: ModelCost, sku: Sku, calibration: Calibration) -> float:
    """Roofline time / expected step time at batch 1, short context: the share of peak bandwidth used."""
    params = PointParams(prompt_tokens=128, batch_size=1, output_tokens=128)
    step = expect(cost, sku, calibration, params).tpot_ms / 1e3
    return (cost.weight_bytes / (sku.memory_bandwidth_gb_s * GB)) / step
