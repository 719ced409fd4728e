"""Model families and the registry of real models, as data.

A ``Family`` is an architecture (operators, norms, activation, rotary layout) with its real shape; a
size preset is a set of overrides on that shape, so ``tiny``, ``small`` and ``full`` differ in shape
only and a new architecture is a new ``Family`` value, not new code paths. ``RealModel`` entries name
the published INT4 builds bench qualifies and point at their family.

This module imports only the standard library: the script that regenerates the builder fixtures runs
it in a separate environment (torch + transformers) that has none of bench's dependencies.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

NormKind = Literal["rms", "layernorm1p"]
MlpKind = Literal["swiglu", "relu2"]


@dataclass(frozen=True)
class Shape:
    """The tensor dimensions of a decoder-only transformer; everything a size preset may override."""

    num_layers: int
    hidden_size: int
    num_attention_heads: int
    num_kv_heads: int
    head_dim: int
    intermediate_size: int
    vocab_size: int

    def __post_init__(self) -> None:
        for name, value in dataclasses.asdict(self).items():
            if not isinstance(value, int) or value <= 0:
                raise ValueError(f"{name} must be a positive integer, got {value!r}")
        if self.num_attention_heads % self.num_kv_heads:
            raise ValueError(
                "num_attention_heads must be a multiple of num_kv_heads (grouped-query attention)"
            )

    @property
    def q_size(self) -> int:
        return self.num_attention_heads * self.head_dim

    @property
    def kv_size(self) -> int:
        return self.num_kv_heads * self.head_dim


@dataclass(frozen=True)
class Family:
    """An architecture with its real shape and named size presets (overrides on that shape)."""

    name: str
    display_name: str
    model_type: str  # genai_config ``model.type``
    hf_architecture: str  # the Hugging Face class the official builder reads
    shape: Shape
    context_length: int
    rope_theta: float
    partial_rotary_factor: float
    norm: NormKind
    mlp: MlpKind
    norm_epsilon: float  # as written into the graph by the official builder
    sizes: Mapping[str, Mapping[str, int]] = field(default_factory=dict)
    size_notes: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for size in self.sizes:
            # Size names are part of cache folder names, which use "-" as separator.
            if not size.replace("_", "").isalnum() or not size.islower():
                raise ValueError(f"size name {size!r} must be lower-case letters, digits or '_'")
            dataclasses.replace(self.shape, **self.sizes[size])  # the overrides must make a valid Shape

    @property
    def size_names(self) -> tuple[str, ...]:
        return (*(name for name in self.sizes if name != "full"), "full")

    def shape_for(self, size: str) -> Shape:
        """The shape of a size preset; raises KeyError for an unknown size (callers word the error)."""
        if size == "full":
            return self.shape
        return dataclasses.replace(self.shape, **self.sizes[size])

    def rotary_dim(self, shape: Shape | None = None) -> int:
        """Channels of each head that are rotated; the cos/sin caches hold half as many columns."""
        head_dim = (shape or self.shape).head_dim
        return int(head_dim * self.partial_rotary_factor)


@dataclass(frozen=True)
class PublishedBuild:
    """How the published INT4 ONNX build of a real model was made (what a twin should imitate)."""

    quantization: str
    bits: int
    block_size: int
    symmetric: bool
    io_dtype_by_provider: Mapping[str, str]


@dataclass(frozen=True)
class RealModel:
    """A registry entry: a published model bench qualifies, resolved to a local folder by name."""

    name: str
    display_name: str
    family: str
    published: PublishedBuild
    source: str  # where the published weights live, for the "how to get it" hint

    @property
    def env_var(self) -> str:
        """Per-model override, e.g. ``BENCH_MODEL_MISTRAL_NEMO_12B``."""
        return "BENCH_MODEL_" + self.name.upper().replace("-", "_").replace(".", "_")


def _frozen(mapping: Mapping[str, Mapping[str, int]]) -> Mapping[str, Mapping[str, int]]:
    return MappingProxyType({key: MappingProxyType(dict(value)) for key, value in mapping.items()})


# `tiny` keeps every operator and the family's GQA ratio at a few MB (unit and end-to-end tests);
# `small` keeps the real head_dim and GQA ratio with a decode step of a few milliseconds on a 2-core
# CPU (overhead measurements); `full` is the real shape. The context length is a family property and
# the same in every size, so validation against it never depends on the size.
MISTRAL_NEMO_12B = Family(
    name="mistral-nemo-12b",
    display_name="Mistral-Nemo-12B",
    model_type="mistral",
    hf_architecture="MistralForCausalLM",
    shape=Shape(
        num_layers=40,
        hidden_size=5120,
        num_attention_heads=32,
        num_kv_heads=8,
        head_dim=128,
        intermediate_size=14336,
        vocab_size=131072,
    ),
    context_length=131072,
    rope_theta=1_000_000.0,
    partial_rotary_factor=1.0,
    norm="rms",
    mlp="swiglu",
    norm_epsilon=1e-5,
    sizes=_frozen(
        {
            "tiny": dict(
                num_layers=2,
                hidden_size=384,
                num_attention_heads=4,
                num_kv_heads=1,
                head_dim=64,
                intermediate_size=1024,
                vocab_size=4096,
            ),
            "small": dict(
                num_layers=4,
                hidden_size=1536,
                num_attention_heads=16,
                num_kv_heads=4,
                head_dim=128,
                intermediate_size=4096,
                vocab_size=16384,
            ),
        }
    ),
    size_notes=MappingProxyType(
        {
            "tiny": "2 layers, hidden 384, q width 256 != hidden (as in the real model), vocab 4096",
            "small": "4 layers, hidden 1536, real head_dim 128 and GQA 4:1, vocab reduced to 16384",
            "full": "real shape",
        }
    ),
)

NEMOTRON_MINI_4B = Family(
    name="nemotron-mini-4b",
    display_name="Nemotron-Mini-4B",
    model_type="nemotron",
    hf_architecture="NemotronForCausalLM",
    shape=Shape(
        num_layers=32,
        hidden_size=3072,
        num_attention_heads=24,
        num_kv_heads=8,
        head_dim=128,
        intermediate_size=9216,
        vocab_size=256000,
    ),
    context_length=4096,
    rope_theta=10000.0,
    partial_rotary_factor=0.5,
    norm="layernorm1p",
    mlp="relu2",
    # Nemotron's config says norm_eps=1e-5, but the builder reads `rms_norm_eps`, which Nemotron's
    # config lacks, and falls back to 1e-6: the published graph carries 1e-6, and so do the twins.
    norm_epsilon=1e-6,
    sizes=_frozen(
        {
            "tiny": dict(
                num_layers=2,
                hidden_size=256,
                num_attention_heads=6,
                num_kv_heads=2,
                head_dim=64,
                intermediate_size=768,
                vocab_size=4096,
            ),
            "small": dict(
                num_layers=4,
                hidden_size=1536,
                num_attention_heads=12,
                num_kv_heads=4,
                head_dim=128,
                intermediate_size=4608,
                vocab_size=16384,
            ),
        }
    ),
    size_notes=MappingProxyType(
        {
            "tiny": "2 layers, hidden 256, GQA 3:1, partial rotary 50 %, vocab 4096",
            "small": "4 layers, hidden 1536, real head_dim 128 and GQA 3:1, vocab reduced to 16384",
            "full": "real shape",
        }
    ),
)

FAMILIES: Mapping[str, Family] = MappingProxyType(
    {family.name: family for family in (MISTRAL_NEMO_12B, NEMOTRON_MINI_4B)}
)

# Both published builds are AWQ INT4 made with the onnxruntime-genai model builder: asymmetric (zero
# points), block 128, float16 graph I/O for the GPU providers (the builder's default for cuda/dml).
_AWQ_INT4 = PublishedBuild(
    quantization="AWQ",
    bits=4,
    block_size=128,
    symmetric=False,
    io_dtype_by_provider=MappingProxyType({"dml": "float16", "cuda": "float16", "cpu": "float32"}),
)

REAL_MODELS: Mapping[str, RealModel] = MappingProxyType(
    {
        model.name: model
        for model in (
            RealModel(
                name="mistral-nemo-12b",
                display_name="Mistral-Nemo-12B-Instruct ONNX INT4",
                family="mistral-nemo-12b",
                published=_AWQ_INT4,
                source="the published Mistral-Nemo-12B-Instruct ONNX INT4 folder "
                "(genai_config.json, model.onnx, model.onnx.data, tokenizer files)",
            ),
            RealModel(
                name="nemotron-mini-4b",
                display_name="Nemotron-Mini-4B-Instruct ONNX INT4",
                family="nemotron-mini-4b",
                published=_AWQ_INT4,
                source="the published Nemotron-Mini-4B-Instruct ONNX INT4 folder "
                "(genai_config.json, model.onnx, model.onnx.data, tokenizer files)",
            ),
        )
    }
)


def default_io_dtype(provider: str) -> str:
    """The graph I/O dtype the official builder picks for INT4: float32 on CPU, float16 on GPUs."""
    return "float32" if provider == "cpu" else "float16"
