"""What a synthetic twin is: family, size, quantization, I/O dtype, provider and seed.

A ``TwinSpec`` determines a twin bit for bit (together with ``WRITER_VERSION``); its ``cache_name``
is the cache key. The provider shapes the graph the way the official builder does for that execution
provider (see ``graph_options``), which is why it is part of the key.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from bench.architectures import FAMILIES, REAL_MODELS, Family, Shape, default_io_dtype
from bench.errors import BenchError
from bench.providers import PROVIDERS

# Bump whenever the bytes a given spec produces change (graph, weights, tokenizer, genai_config):
# cached twins from another version are never reused.
WRITER_VERSION = "1"

BLOCK_SIZES = (16, 32, 64, 128, 256)  # what the builder's MatMulNBits quantization accepts
IO_DTYPES = ("float32", "float16")
QUANT_NAMES = {"sym": True, "asym": False}
TWIN_METADATA_KEY = "bench.twin"  # the model.onnx metadata key the writer stamps a twin's spec under


class TwinParameters(BaseModel):
    """How a synthetic twin was generated; enough to rebuild it bit for bit."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    family: str
    size: str
    block_size: int
    symmetric: bool
    io_dtype: str
    seed: int
    writer_version: str
    provider: str = Field("cpu", description="execution provider the graph was shaped for (cpu, cuda, dml)")
    ffn: int | None = Field(
        default=None, description="MLP width instead of the size preset's (a known extra work)"
    )


@dataclass(frozen=True)
class GraphOptions:
    """Per-provider choices the official builder makes for an INT4 GroupQueryAttention model."""

    packed_qkv: bool  # one q/k/v MatMulNBits (cpu, cuda); three on dml
    fused_rotary: bool  # rotary inside GroupQueryAttention (cpu, cuda); RotaryEmbedding nodes on dml
    accuracy_level: int  # MatMulNBits accuracy_level: 4 on cpu, omitted (0) elsewhere
    provider_options: tuple[tuple[str, tuple[tuple[str, str], ...]], ...]


_GRAPH_OPTIONS = {
    "cpu": GraphOptions(packed_qkv=True, fused_rotary=True, accuracy_level=4, provider_options=()),
    "cuda": GraphOptions(
        packed_qkv=True,
        fused_rotary=True,
        accuracy_level=0,
        provider_options=(("cuda", (("enable_cuda_graph", "0"),)),),
    ),
    "dml": GraphOptions(
        packed_qkv=False,
        fused_rotary=False,
        accuracy_level=0,
        provider_options=(("dml", (("enable_graph_capture", "1"),)),),
    ),
}


@dataclass(frozen=True)
class TwinSpec:
    """Everything that determines a twin. Build with ``TwinSpec.create`` (validates, fills defaults)."""

    family: str
    size: str
    provider: str
    io_dtype: str
    block_size: int
    symmetric: bool
    seed: int
    # Width of the MLP (intermediate size) instead of the size preset's: a twin with a known amount of
    # extra decode work, e.g. a slower candidate for `bench ab` (docs/STATISTICS.md). None: the preset's.
    ffn: int | None = None

    @classmethod
    def create(
        cls,
        family: str,
        size: str,
        *,
        provider: str = "cpu",
        io_dtype: str | None = None,
        block_size: int | None = None,
        symmetric: bool | None = None,
        seed: int = 0,
        ffn: int | None = None,
    ) -> TwinSpec:
        """Validate and fill defaults: quantization like the published builds, dtype like the builder."""
        if family not in FAMILIES:
            raise BenchError(
                f"unknown model family {family!r}", field="family", hint=f"known: {', '.join(FAMILIES)}"
            )
        family_data = FAMILIES[family]
        if size not in family_data.size_names:
            raise BenchError(
                f"unknown size {size!r} for {family}",
                field="size",
                hint=f"known: {', '.join(family_data.size_names)}",
            )
        if provider not in PROVIDERS:
            raise BenchError(
                f"unknown provider {provider!r}", field="provider", hint=f"known: {', '.join(PROVIDERS)}"
            )
        io_dtype = io_dtype or default_io_dtype(provider)
        if io_dtype not in IO_DTYPES:
            raise BenchError(
                f"unsupported dtype {io_dtype!r}", field="dtype", hint=f"known: {', '.join(IO_DTYPES)}"
            )
        published = _published_defaults(family)
        block_size = published["block_size"] if block_size is None else block_size
        if block_size not in BLOCK_SIZES:
            raise BenchError(
                f"unsupported block size {block_size!r}",
                field="block_size",
                hint=f"known: {', '.join(map(str, BLOCK_SIZES))}",
            )
        symmetric = published["symmetric"] if symmetric is None else symmetric
        if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
            raise BenchError(f"seed must be a non-negative integer, got {seed!r}", field="seed")
        if ffn is not None and (not isinstance(ffn, int) or isinstance(ffn, bool) or ffn <= 0):
            raise BenchError(f"ffn must be a positive integer, got {ffn!r}", field="ffn")
        return cls(
            family=family,
            size=size,
            provider=provider,
            io_dtype=io_dtype,
            block_size=block_size,
            symmetric=bool(symmetric),
            seed=seed,
            ffn=ffn,
        )

    @property
    def family_data(self) -> Family:
        return FAMILIES[self.family]

    @property
    def shape(self) -> Shape:
        shape = self.family_data.shape_for(self.size)
        return shape if self.ffn is None else dataclasses.replace(shape, intermediate_size=self.ffn)

    @property
    def quant(self) -> str:
        return "sym" if self.symmetric else "asym"

    @property
    def graph_options(self) -> GraphOptions:
        return _GRAPH_OPTIONS[self.provider]

    @property
    def cache_name(self) -> str:
        """Folder name under the cache root's family folder; also parsed back by ``parse_cache_name``."""
        return (
            f"{self.size}-{self.provider}-{self.io_dtype}-{self.quant}-b{self.block_size}"
            f"-s{self.seed}{f'-f{self.ffn}' if self.ffn is not None else ''}-v{WRITER_VERSION}"
        )

    @property
    def ref(self) -> str:
        """The canonical twin reference (every option spelled out)."""
        return (
            f"twin:{self.family}:{self.size}:block_size={self.block_size},quant={self.quant},"
            f"dtype={self.io_dtype},seed={self.seed}{f',ffn={self.ffn}' if self.ffn is not None else ''}"
        )

    def metadata(self) -> dict[str, Any]:
        """What the writer stamps into model.onnx so a twin folder is recognised wherever it is."""
        # ``ffn`` only when set: a preset twin's bytes stay those of earlier builds (no version bump).
        fields = {k: v for k, v in dataclasses.asdict(self).items() if k != "ffn" or v is not None}
        return {**fields, "writer_version": WRITER_VERSION}

    def to_parameters(self) -> TwinParameters:
        return TwinParameters(
            family=self.family,
            size=self.size,
            block_size=self.block_size,
            symmetric=self.symmetric,
            io_dtype=self.io_dtype,
            seed=self.seed,
            writer_version=WRITER_VERSION,
            provider=self.provider,
            ffn=self.ffn,
        )


def _published_defaults(family: str) -> dict[str, Any]:
    for model in REAL_MODELS.values():
        if model.family == family:
            return {"block_size": model.published.block_size, "symmetric": model.published.symmetric}
    return {"block_size": 32, "symmetric": True}  # the builder's own defaults


def parse_cache_name(family: str, name: str) -> TwinSpec | None:
    """Inverse of ``TwinSpec.cache_name`` for the current writer version; None for anything else."""
    parts = name.split("-")
    if len(parts) not in (7, 8) or parts[-1] != f"v{WRITER_VERSION}":
        return None
    size, provider, io_dtype, quant, block, seed = parts[:6]
    ffn = parts[6] if len(parts) == 8 else None
    if quant not in QUANT_NAMES or not block.startswith("b") or not seed.startswith("s"):
        return None
    if ffn is not None and not ffn.startswith("f"):
        return None
    try:
        return TwinSpec.create(
            family,
            size,
            provider=provider,
            io_dtype=io_dtype,
            block_size=int(block[1:]),
            symmetric=QUANT_NAMES[quant],
            seed=int(seed[1:]),
            ffn=int(ffn[1:]) if ffn is not None else None,
        )
    except (BenchError, ValueError):
        return None
