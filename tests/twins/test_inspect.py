"""Reading a model folder without its weights: architecture, quantization, hashes."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.models.inspect import inspect_model
from bench.twins import weights
from bench.twins.graph import build_graph
from bench.twins.spec import TwinSpec
from bench.twins.writer import write_twin

QUANTIZED = (weights.Int4Weight, weights.Int4Scales, weights.Int4ZeroPoints)


@pytest.mark.parametrize(
    ("symmetric", "block_size", "provider"), [(True, 32, "cpu"), (False, 128, "cpu"), (False, 64, "dml")]
)
def test_quantization_facts_match_what_was_written(
    tmp_path: Path, symmetric: bool, block_size: int, provider: str
) -> None:
    spec = TwinSpec.create(
        "mistral-nemo-12b", "tiny", symmetric=symmetric, block_size=block_size, provider=provider
    )
    plans = build_graph(spec).initializers
    folder = write_twin(spec, tmp_path / "twin")

    facts = inspect_model(folder).quantization

    assert (facts.bits, facts.block_size, facts.symmetric) == (4, block_size, symmetric)
    assert facts.matmul_weight_bytes == sum(
        plan.content.nbytes() for plan in plans if isinstance(plan.content, QUANTIZED)
    )
    assert facts.embedding_bytes == next(
        plan.content.nbytes() for plan in plans if plan.name == "model.embed_tokens.weight"
    )
    assert facts.kv_dtype == spec.io_dtype
    assert facts.kv_dtype_bytes == (4 if spec.io_dtype == "float32" else 2)


def test_architecture_facts_include_the_ffn_width_from_the_graph(tiny_twins) -> None:
    facts = tiny_twins["nemotron-mini-4b"].identity.architecture

    assert (facts.model_type, facts.num_layers, facts.hidden_size, facts.intermediate_size) == (
        "nemotron",
        2,
        256,
        768,
    )
    assert (facts.num_attention_heads, facts.num_kv_heads, facts.head_dim) == (6, 2, 64)


def test_content_hash_follows_the_graph_and_config(tmp_path: Path) -> None:
    spec = TwinSpec.create("nemotron-mini-4b", "tiny")
    same = [inspect_model(write_twin(spec, tmp_path / name)).content_sha256 for name in ("a", "b")]
    other = inspect_model(write_twin(TwinSpec.create("nemotron-mini-4b", "tiny", seed=2), tmp_path / "c"))

    assert same[0] == same[1]
    assert other.content_sha256 != same[0]
    assert other.twin is not None and other.twin["seed"] == 2
