"""What a result records about the model it measured.

A result from a synthetic twin must never be mistaken for one from real weights, so ``kind`` is
mandatory and the twin's generation parameters travel with it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from bench.twins.spec import TwinParameters, TwinSpec

ModelKind = Literal["real", "twin", "path"]
"""``real``: a registry name resolved to a local copy of the published weights; ``twin``: synthetic
weights written by bench; ``path``: any folder with a ``genai_config.json`` given by path (unknown
provenance)."""


class ArchitectureFacts(BaseModel):
    """Shape facts read from ``genai_config.json`` (and the graph where the config is silent)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    model_type: str
    num_layers: int = Field(gt=0)
    hidden_size: int = Field(gt=0)
    num_attention_heads: int = Field(gt=0)
    num_kv_heads: int = Field(gt=0)
    head_dim: int = Field(gt=0)
    vocab_size: int = Field(gt=0)
    context_length: int = Field(gt=0)
    intermediate_size: int | None = None

    def kv_cache_bytes(self, *, tokens: int, batch_size: int, dtype_bytes: int) -> int:
        """Bytes of K and V for ``tokens`` positions of ``batch_size`` sequences, all layers."""
        return 2 * self.num_layers * self.num_kv_heads * self.head_dim * tokens * batch_size * dtype_bytes


class QuantizationFacts(BaseModel):
    """Read from the graph's ``MatMulNBits`` nodes and initializers (no weights are loaded)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    bits: int | None = None
    block_size: int | None = None
    symmetric: bool | None = None  # False when zero points are present (AWQ-style)
    matmul_weight_bytes: int = Field(ge=0, description="INT4 weights + scales + zero points read per step")
    embedding_bytes: int = Field(ge=0, description="unquantized embedding table (a row per token is read)")
    weights_by_dtype: dict[str, int] | None = Field(
        default=None,
        description="bytes of every weight initializer read once per decode step, by element type "
        "('int4 (MatMulNBits)', 'float16', ...): all but row-lookup tables (v2)",
    )
    weights_unavailable: str | None = Field(default=None, description="why weights_by_dtype is unknown (v2)")
    kv_dtype: str = Field(description="element type of past_key_values, e.g. float16 or float32")
    kv_dtype_bytes: int = Field(gt=0)


class ModelIdentity(BaseModel):
    """The identity of one model as measured: enough to tell two models apart and to rebuild a twin."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    ref: str = Field(description="the reference as the user wrote it (registry name, path or twin:...)")
    kind: ModelKind
    name: str = Field(description="registry or family name, or the folder name for a bare path")
    family: str | None = None
    size: str | None = Field(None, description="twin size preset (tiny, small, full); None for real/path")
    path: str
    files: dict[str, int] = Field(description="file name -> size in bytes, for every file in the folder")
    content_sha256: str = Field(description="sha256 over genai_config.json then the graph file (model.onnx)")
    architecture: ArchitectureFacts
    quantization: QuantizationFacts | None = None
    twin: TwinParameters | None = None

    @property
    def is_twin(self) -> bool:
        return self.kind == "twin"

    @property
    def label(self) -> str:
        """Short display name that never hides a twin: ``mistral-nemo-12b (twin:tiny)``."""
        if self.kind == "twin":
            return f"{self.family or self.name} (twin:{self.size})"
        return self.name

    @property
    def folder(self) -> Path:
        return Path(self.path)


def model_key(identity: ModelIdentity) -> str:
    """The part of a point id that names the model, stable across machines and runs, and different for
    different models: a twin's non-default options are part of it, and a bare folder is named with its
    content hash (two folders called ``model`` are not the same model, nor one named like a registry
    model)."""
    if identity.kind == "twin" and identity.twin is not None:
        twin = identity.twin
        defaults = TwinSpec.create(twin.family, twin.size, provider=twin.provider)
        options = [
            f"{name}={value}"
            for name, value, default in (
                ("block_size", twin.block_size, defaults.block_size),
                ("quant", "sym" if twin.symmetric else "asym", "sym" if defaults.symmetric else "asym"),
                ("dtype", twin.io_dtype, defaults.io_dtype),
                ("seed", twin.seed, defaults.seed),
                ("ffn", twin.ffn, defaults.ffn),
            )
            if value != default
        ]
        return f"twin:{twin.family}:{twin.size}" + (f":{','.join(options)}" if options else "")
    if identity.kind == "path":
        return f"{identity.name}@{identity.content_sha256[:12]}"
    return identity.name
