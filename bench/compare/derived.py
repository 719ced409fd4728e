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

from collections.abc import Sequence
from pathlib import Path

from bench.architectures import FAMILIES, REAL_MODELS
from bench.compare.baseline_files import write_baseline
from bench.compare.baselines import (
    BaselineDocument,
    BaselineModel,
    BaselinePoint,
    Derivation,
    ExpectedMetric,
    GpuKey,
    PublishedFigure,
)
from bench.compare.calibration import (
    ORT_ASSUMED_OUTPUT_TOKENS,
    ORT_DECODE_TOKENS_PER_S,
    ORT_GENAI_SOURCE,
    ORT_PREFILL_TOKENS_PER_S,
    ORT_PROMPT_TOKENS,
    Calibration,
    calibrate,
    effective_efficiency,
    expect,
)
from bench.compare.model_costs import GB, ModelCost, real_model_costs
from bench.compare.skus import LLAMA_CPP_SOURCE, SKUS, SKUS_BY_ID, Sku, figures_of
from bench.metrics import spec
from bench.point_key import PointKey
from bench.providers import GPU_PROVIDERS
from bench.results.schema import PointParams
from bench.scenarios import Scenario, expand

MEMORY_HEADROOM = 0.9  # of the card's memory usable for weights + KV cache


# metric -> (low, high) factors on the expectation; wide on purpose (see the module docstring).
TOLERANCE: dict[str, tuple[float, float]] = {
    "decode_tokens_per_s": (0.5, 2.0),
    "tpot_ms": (0.5, 2.0),
    "prefill_tokens_per_s": (1 / 3, 3.0),
    "ttft_ms": (1 / 3, 3.0),
}


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
    ort = "onnxruntime-genai DirectML, Llama-2-7B INT4, 100-token prompt"
    rows: list[tuple[str, str, float, str]] = [  # (what, GPU, tokens/s, source)
        (f"{ort}, generation", "RTX 4090", ORT_DECODE_TOKENS_PER_S, ORT_GENAI_SOURCE),
        (f"{ort}, prompt processing", "RTX 4090", ORT_PREFILL_TOKENS_PER_S, ORT_GENAI_SOURCE),
    ]
    for sku in {figures_of(s).id: figures_of(s) for s in (*skus, SKUS_BY_ID["rtx-4090"])}.values():
        rows += [
            (
                "llama.cpp, Llama-3-8B Q4_K_M (4.9 GB), tg512",
                sku.display,
                sku.llama_cpp_tg512 or 0.0,
                LLAMA_CPP_SOURCE,
            ),
            (
                "llama.cpp, Llama-3-8B Q4_K_M, pp512",
                sku.display,
                sku.llama_cpp_pp512 or 0.0,
                LLAMA_CPP_SOURCE,
            ),
        ]
    return [
        PublishedFigure(what=what, gpu=gpu, value=value, unit="tokens/s", source=source)
        for what, gpu, value, source in rows
    ]


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
        point_id = PointKey.of(model, provider, params).id
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
