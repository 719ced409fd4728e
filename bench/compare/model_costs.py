"""Bytes read and FLOPs done per token by an INT4 model, from its architecture (what derived baselines
scale published figures by)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from bench.architectures import FAMILIES, REAL_MODELS, Family, Shape

GB = 1e9
FP16_BYTES = 2


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
# In ``Shape`` order: layers, hidden, attention heads, KV heads, head dim, intermediate, vocabulary.
LLAMA3_8B_SHAPE = Shape(32, 4096, 32, 8, 128, 14336, 128256)
LLAMA2_7B_SHAPE = Shape(32, 4096, 32, 32, 128, 11008, 32000)
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
