"""Derived baselines: what a GPU should do with the real INT4 models, from its specs and published figures.

Nobody measured these numbers. They say "far below what this GPU class should do" (misconfiguration,
wrong provider, throttling), never "3 % slower": every expectation carries a wide tolerance band.

Decode (memory bound at batch ≤ 8 with INT4 weights). One step of batch B at average context C reads
the INT4 weights W (packed weights + fp16 scales + zero points, block 128) and the fp16 KV cache:

    t_step = (W + B · kv_bytes_per_token · C) / BW_peak  +  overhead_sku · (layers / 32) · k_ort

``overhead_sku`` is the part of a published step time the bandwidth roofline does not explain,
calibrated per SKU on llama.cpp Llama-3-8B Q4_K_M tg512 (4.9 GB read per token):
``overhead = 1 / tg512 − (4.9 GB + KV) / BW``. A plain "efficiency × roofline" does not transfer across
SKUs: an A100 80GB has twice an RTX 4090's bandwidth yet decodes Llama-3-8B at the same speed, so a
pure efficiency scaled from the 4090 would call every healthy A100 run a regression. ``k_ort`` scales
llama.cpp's per-step overhead to onnxruntime-genai's, from the one published onnxruntime-genai figure
(DirectML, RTX 4090, Llama-2-7B INT4: 190.7 tokens/s). The effective efficiency reported per model and
SKU is ``roofline time / t_step``.

Prefill (compute bound): the SKU's achieved llama.cpp pp512 rate, in FLOP/s, scaled by the
onnxruntime-genai/llama.cpp ratio on the RTX 4090 (2195 tokens/s for Llama-2-7B INT4 with a 100-token
prompt) and divided by the model's FLOPs per token (2 × matmul weights + causal attention).
TTFT = batch × prompt / prefill rate.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bench.compare.baselines import (
    BaselineDocument,
    BaselineModel,
    BaselinePoint,
    Derivation,
    ExpectedMetric,
    GpuKey,
    PublishedFigure,
    write_baseline,
)
from bench.compare.skus import LLAMA_CPP_SOURCE, SKUS, SKUS_BY_ID, Sku, figures_of
from bench.metrics import spec
from bench.models.architectures import FAMILIES, REAL_MODELS, Family, Shape
from bench.results.schema import PointParams
from bench.scenarios import Scenario, expand

GB = 1e9
FP16_BYTES = 2
REFERENCE_LAYERS = 32  # Llama-3-8B and Llama-2-7B: the per-step overhead is calibrated per 32 layers
GPU_PROVIDERS = ("cuda", "dml")
MEMORY_HEADROOM = 0.9  # of the card's memory usable for weights + KV cache

ORT_GENAI_SOURCE = "https://github.com/microsoft/onnxruntime-genai/issues/641"
ORT_DECODE_TOKENS_PER_S = 190.7  # DirectML, RTX 4090, Llama-2-7B INT4, 100-token prompt
ORT_PREFILL_TOKENS_PER_S = 2195.0
ORT_PROMPT_TOKENS = 100
ORT_ASSUMED_OUTPUT_TOKENS = 100  # not stated in the issue; sets the KV context of the decode figure
LLAMA3_8B_Q4_K_M_BYTES = 4.9 * GB  # file size, read once per token (the token embedding is not, ~0.3 GB)
LLAMA_BENCH_TG = 512  # tg512: 512 tokens generated from an empty prompt, average context 256
LLAMA_BENCH_PP = 512

# metric -> (low, high) factors on the expectation; wide on purpose (see the module docstring).
TOLERANCE: dict[str, tuple[float, float]] = {
    "decode_tokens_per_s": (0.5, 2.0),
    "tpot_ms": (0.5, 2.0),
    "prefill_tokens_per_s": (1 / 3, 3.0),
    "ttft_ms": (1 / 3, 3.0),
}


@dataclass(frozen=True)
class ModelCost:
    """Bytes read and FLOPs done per token by one INT4 model, from its architecture."""

    key: str
    display: str
    layers: int
    q_size: int
    vocab: int
    hidden: int
    matmul_params: int
    weight_bytes: float  # INT4 matmul weights + scales + zero points: read once per decode step
    embedding_bytes: float  # fp16 embedding table: resident, one row read per token
    kv_bytes_per_token: int  # fp16 K and V, all layers, one sequence

    def flops_per_token(self, context: float) -> float:
        """2 × weights for the matmuls + QKᵀ and AV against ``context`` earlier positions."""
        return 2.0 * self.matmul_params + 4.0 * self.layers * self.q_size * context


def _matmuls(shape: Shape, mlp: str) -> list[tuple[int, int]]:
    """(in, out) of every quantized matmul of one forward pass, LM head included."""
    hidden, q, kv, inter = shape.hidden_size, shape.q_size, shape.kv_size, shape.intermediate_size
    per_layer = [(hidden, q), (hidden, kv), (hidden, kv), (q, hidden)]
    per_layer += (
        [(hidden, inter), (hidden, inter), (inter, hidden)]
        if mlp == "swiglu"
        else [(hidden, inter), (inter, hidden)]
    )
    return per_layer * shape.num_layers + [(hidden, shape.vocab_size)]


def int4_bytes(
    k: int, n: int, *, block_size: int, scale_bytes: int = FP16_BYTES, zero_points: bool = True
) -> int:
    """MatMulNBits bytes of an (in K, out N) weight: packed nibbles, a scale per block, packed zero points."""
    blocks = math.ceil(k / block_size)
    return n * math.ceil(k / 2) + n * blocks * scale_bytes + (n * math.ceil(blocks / 2) if zero_points else 0)


def model_cost(
    key: str, display: str, shape: Shape, *, mlp: str, block_size: int, zero_points: bool
) -> ModelCost:
    matmuls = _matmuls(shape, mlp)
    return ModelCost(
        key=key,
        display=display,
        layers=shape.num_layers,
        q_size=shape.q_size,
        vocab=shape.vocab_size,
        hidden=shape.hidden_size,
        matmul_params=sum(k * n for k, n in matmuls),
        weight_bytes=float(
            sum(int4_bytes(k, n, block_size=block_size, zero_points=zero_points) for k, n in matmuls)
        ),
        embedding_bytes=float(shape.vocab_size * shape.hidden_size * FP16_BYTES),
        kv_bytes_per_token=2 * shape.num_layers * shape.kv_size * FP16_BYTES,
    )


def real_model_costs() -> dict[str, ModelCost]:
    """The two qualified models as published: AWQ INT4, block 128, zero points, fp16 on the GPU."""
    costs = {}
    for name, model in REAL_MODELS.items():
        family: Family = FAMILIES[model.family]
        costs[name] = model_cost(
            name,
            model.display_name,
            family.shape,
            mlp=family.mlp,
            block_size=model.published.block_size,
            zero_points=not model.published.symmetric,
        )
    return costs


# Calibration models (shapes from their Hugging Face config.json).
LLAMA3_8B_SHAPE = Shape(
    num_layers=32,
    hidden_size=4096,
    num_attention_heads=32,
    num_kv_heads=8,
    head_dim=128,
    intermediate_size=14336,
    vocab_size=128256,
)
LLAMA2_7B_SHAPE = Shape(
    num_layers=32,
    hidden_size=4096,
    num_attention_heads=32,
    num_kv_heads=32,
    head_dim=128,
    intermediate_size=11008,
    vocab_size=32000,
)
LLAMA3_8B = model_cost(
    "llama-3-8b", "Llama-3-8B", LLAMA3_8B_SHAPE, mlp="swiglu", block_size=32, zero_points=False
)
# onnxruntime-genai's model builder quantizes with block 32 by default; the issue does not say otherwise.
LLAMA2_7B_ORT = model_cost(
    "llama-2-7b-int4",
    "Llama-2-7B INT4 (onnxruntime-genai)",
    LLAMA2_7B_SHAPE,
    mlp="swiglu",
    block_size=32,
    zero_points=True,
)


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
class Expectation:
    decode_tokens_per_s: float
    tpot_ms: float
    prefill_tokens_per_s: float
    ttft_ms: float
    decode_basis: str
    prefill_basis: str


def expect(cost: ModelCost, sku: Sku, calibration: Calibration, params: PointParams) -> Expectation:
    batch, prompt, output = params.batch_size, params.prompt_tokens, params.output_tokens
    bandwidth = sku.memory_bandwidth_gb_s * GB
    context = prompt + output / 2
    read = cost.weight_bytes + batch * cost.kv_bytes_per_token * context
    overhead = calibration.overhead_s[sku.id] * (cost.layers / REFERENCE_LAYERS) * calibration.k_decode
    step = read / bandwidth + overhead
    flops = cost.flops_per_token(prompt / 2)
    prefill = calibration.prefill_flops[sku.id] * calibration.k_prefill / flops
    return Expectation(
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


def _fits(cost: ModelCost, sku: Sku, params: PointParams) -> tuple[bool, float]:
    tokens = params.batch_size * (params.prompt_tokens + params.output_tokens)
    needed = cost.weight_bytes + cost.embedding_bytes + tokens * cost.kv_bytes_per_token
    return needed <= MEMORY_HEADROOM * sku.memory_gb * GB, needed


def _metric(name: str, expected: float, basis: str) -> ExpectedMetric:
    low, high = TOLERANCE[name]
    value = _round(expected)
    return ExpectedMetric(
        unit=spec(name).unit, expected=value, low=_round(value * low), high=_round(value * high), basis=basis
    )


def _round(value: float) -> float:
    return float(f"{value:.4g}")


def _point_id(model: str, provider: str, params: PointParams) -> str:
    return f"{model}|{provider}|p{params.prompt_tokens}|b{params.batch_size}|o{params.output_tokens}"


def real_model_points(scenarios: Sequence[Scenario]) -> list[tuple[str, str, PointParams, str]]:
    """(model, provider, params, scenario) of every scenario point, run with the real models on GPUs."""
    seen: dict[tuple[str, str, PointParams], str] = {}
    for scenario in scenarios:
        on_gpu = scenario.model_copy(
            update={"models": list(REAL_MODELS), "providers": list(GPU_PROVIDERS), "on_unsupported": "skip"}
        )
        expansion = expand(
            on_gpu, context_length=lambda ref: FAMILIES[REAL_MODELS[ref].family].context_length
        )
        for point in expansion.points:
            params = PointParams(
                prompt_tokens=point.prompt_tokens,
                batch_size=point.batch_size,
                output_tokens=point.output_tokens,
            )
            seen.setdefault((point.model, point.provider, params), scenario.name)
    return [(model, provider, params, name) for (model, provider, params), name in seen.items()]


def _figures(skus: Sequence[Sku]) -> list[PublishedFigure]:
    figures = [
        PublishedFigure(
            what="onnxruntime-genai DirectML, Llama-2-7B INT4, 100-token prompt, generation",
            gpu="RTX 4090",
            value=ORT_DECODE_TOKENS_PER_S,
            unit="tokens/s",
            source=ORT_GENAI_SOURCE,
        ),
        PublishedFigure(
            what="onnxruntime-genai DirectML, Llama-2-7B INT4, 100-token prompt, prompt processing",
            gpu="RTX 4090",
            value=ORT_PREFILL_TOKENS_PER_S,
            unit="tokens/s",
            source=ORT_GENAI_SOURCE,
        ),
    ]
    for sku in {figures_of(s).id: figures_of(s) for s in (*skus, SKUS_BY_ID["rtx-4090"])}.values():
        figures += [
            PublishedFigure(
                what="llama.cpp, Llama-3-8B Q4_K_M (4.9 GB), tg512",
                gpu=sku.display,
                value=sku.llama_cpp_tg512 or 0.0,
                unit="tokens/s",
                source=LLAMA_CPP_SOURCE,
            ),
            PublishedFigure(
                what="llama.cpp, Llama-3-8B Q4_K_M, pp512",
                gpu=sku.display,
                value=sku.llama_cpp_pp512 or 0.0,
                unit="tokens/s",
                source=LLAMA_CPP_SOURCE,
            ),
        ]
    return figures


def baseline_name(sku: Sku) -> str:
    return f"derived-{sku.architecture}-{sku.id}"


def derive_baseline(
    sku: Sku,
    scenarios: Sequence[Scenario],
    *,
    calibration: Calibration | None = None,
) -> BaselineDocument:
    """The derived baseline of one SKU: the real models at every point of ``scenarios``, CUDA and DML."""
    calibration = calibration or calibrate()
    costs = real_model_costs()
    points: dict[str, BaselinePoint] = {}
    notes: list[str] = []
    for model, provider, params, _scenario in real_model_points(scenarios):
        cost = costs[model]
        point_id = _point_id(model, provider, params)
        fits, needed = _fits(cost, sku, params)
        if not fits:
            if provider == GPU_PROVIDERS[0]:
                notes.append(
                    f"no expectation for {model} p{params.prompt_tokens}/b{params.batch_size}/"
                    f"o{params.output_tokens}: weights + KV cache {needed / GB:.1f} GB exceed "
                    f"{MEMORY_HEADROOM:.0%} of {sku.memory_gb:g} GB"
                )
            continue
        e = expect(cost, sku, calibration, params)
        points[point_id] = BaselinePoint(
            id=point_id,
            model=model,
            model_kind="real",
            provider=provider,
            params=params,
            expected={
                "decode_tokens_per_s": _metric("decode_tokens_per_s", e.decode_tokens_per_s, e.decode_basis),
                "tpot_ms": _metric("tpot_ms", e.tpot_ms, e.decode_basis),
                "prefill_tokens_per_s": _metric(
                    "prefill_tokens_per_s", e.prefill_tokens_per_s, e.prefill_basis
                ),
                "ttft_ms": _metric("ttft_ms", e.ttft_ms, f"batch × prompt / ({e.prefill_basis})"),
            },
        )
    models_info = {
        name: {
            "matmul_params": cost.matmul_params,
            "int4_weight_bytes_per_step": int(cost.weight_bytes),
            "embedding_bytes_fp16": int(cost.embedding_bytes),
            "kv_bytes_per_token_fp16": cost.kv_bytes_per_token,
            "layers": cost.layers,
            "effective_decode_efficiency": round(effective_efficiency(cost, sku, calibration), 3),
        }
        for name, cost in costs.items()
    }
    sku_lines = [line for line in calibration.lines if line.startswith(f"{sku.display}:")]
    ort_lines = [line for line in calibration.lines if line.startswith("onnxruntime-genai")]
    return BaselineDocument(
        name=baseline_name(sku),
        provenance="derived",
        description=(
            f"DERIVED, NOT MEASURED: what onnxruntime-genai should do on {sku.display} ({sku.architecture}) "
            "with the real INT4 models, from the memory-bandwidth roofline and published figures. "
            "Catches gross problems only (wrong provider, misconfiguration, throttling)."
        ),
        gpu=GpuKey(name=sku.name, architecture=sku.architecture, sku=sku.id),
        providers=sorted({p.provider for p in points.values()}),
        models=[
            BaselineModel(key=name, kind="real", name=name, family=REAL_MODELS[name].family)
            for name in sorted(costs)
        ],
        scenarios=sorted({s.name for s in scenarios}),
        points=points,
        notes=notes,
        derivation=Derivation(
            method=(__doc__ or "").strip(),
            sku={
                "id": sku.id,
                "name": sku.name,
                "architecture": sku.architecture,
                "memory_bandwidth_gb_s": sku.memory_bandwidth_gb_s,
                "memory_gb": sku.memory_gb,
                "bandwidth_source": sku.bandwidth_source,
                "llama_cpp_figures_from": figures_of(sku).display,
                "overhead_ms_per_step_llama_cpp": round(calibration.overhead_s[sku.id] * 1e3, 4),
                "prefill_tflops_llama_cpp": round(calibration.prefill_flops[sku.id] / 1e12, 2),
            },
            calibration=[
                *sku_lines,
                *ort_lines,
                f"expected decode step = (W + B·kv·(prompt + output/2)) / BW + overhead × layers/32 × "
                f"{calibration.k_decode:.3f}; prefill = TFLOP/s × {calibration.k_prefill:.3f} / FLOPs "
                f"per token at context prompt/2",
            ],
            figures=_figures([sku]),
            tolerance=dict(TOLERANCE),
            models=models_info,
            assumptions=[
                "Llama-3-8B Q4_K_M reads its 4.9 GB file once per token "
                "(its ~0.3 GB token embedding is not read; "
                "the error is inside the tolerance)",
                "the onnxruntime-genai Llama-2-7B INT4 model is block 32 with zero points "
                "(the builder default); "
                f"its decode figure is taken at an average context of {ORT_PROMPT_TOKENS} + "
                f"{ORT_ASSUMED_OUTPUT_TOKENS}/2 tokens",
                "CUDA and DirectML get the same expectation: the one onnxruntime-genai figure is DirectML",
                "decode stays memory bound up to batch 8 "
                "(INT4 weights: 4·B FLOP per byte, far below the ridge)",
                "points whose weights + KV cache exceed 90 % of the card's memory are left out (see notes)",
            ],
        ),
    )


def derive_all(scenarios: Sequence[Scenario], skus: Sequence[Sku] = SKUS) -> list[BaselineDocument]:
    calibration = calibrate(SKUS)
    return [derive_baseline(sku, scenarios, calibration=calibration) for sku in skus]


def write_derived(scenarios: Sequence[Scenario], out_dir: Path, skus: Sequence[Sku] = SKUS) -> list[Path]:
    """(Re)write ``derived-<architecture>-<sku>.json`` for every SKU into ``out_dir``."""
    return [write_baseline(doc, Path(out_dir) / f"{doc.name}.json") for doc in derive_all(scenarios, skus)]
