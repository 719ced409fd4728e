"""The twins' graphs against the official onnxruntime-genai model builder's output.

fixtures/builder_signatures.json holds the signature (nodes with names, wiring and attributes,
graph I/O, initializer names, dtypes and shapes, genai_config structure) of what the builder emitted
for the exact tiny shapes; fixtures/make_builder_signatures.py regenerates it.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import onnx
import pytest

from bench.architectures import FAMILIES
from bench.twins.graph import build_graph
from bench.twins.signature import folder_signature, graph_signature, signature_differences
from bench.twins.spec import TwinSpec
from bench.twins.writer import write_twin

FIXTURE = Path(__file__).parent / "fixtures" / "builder_signatures.json"


def _builder_signatures() -> dict[str, dict]:
    return json.loads(FIXTURE.read_text(encoding="utf-8"))["signatures"]


VARIANTS = sorted(_builder_signatures())


@pytest.mark.parametrize("variant", VARIANTS)
def test_tiny_twin_matches_the_builders_graph(variant: str, tmp_path: Path) -> None:
    family, provider, quant, block_size = variant.split("/")
    spec = TwinSpec.create(
        family, "tiny", provider=provider, symmetric=quant == "sym", block_size=int(block_size)
    )
    folder = write_twin(spec, tmp_path / "twin")

    differences = signature_differences(_builder_signatures()[variant], folder_signature(folder))

    assert differences == []


def test_fixture_covers_both_families_and_all_providers() -> None:
    families = {variant.split("/")[0] for variant in VARIANTS}
    providers = {variant.split("/")[1] for variant in VARIANTS}
    assert families == set(FAMILIES)
    assert providers == {"cpu", "cuda", "dml"}


def _signature_without_data(spec: TwinSpec) -> dict:
    graph = build_graph(spec)
    model = onnx.ModelProto()
    model.CopyFrom(graph.model)
    for plan in graph.initializers:
        model.graph.initializer.append(
            onnx.TensorProto(name=plan.name, data_type=plan.data_type, dims=plan.dims)
        )
    return graph_signature(model)


@pytest.mark.parametrize("family", sorted(FAMILIES))
@pytest.mark.parametrize("size", ["small", "full"])
def test_larger_sizes_have_the_same_graph_at_their_shape(family: str, size: str) -> None:
    spec = TwinSpec.create(family, size)
    shape, data = spec.shape, FAMILIES[family]
    signature = _signature_without_data(spec)
    per_layer_matmuls = 2 + (3 if data.mlp == "swiglu" else 2)  # packed qkv + o_proj + MLP

    counts = signature["op_counts"]
    assert counts["com.microsoft:GroupQueryAttention"] == shape.num_layers
    assert counts["com.microsoft:MatMulNBits"] == shape.num_layers * per_layer_matmuls + 1
    blocks = math.ceil(shape.hidden_size / spec.block_size)
    assert signature["initializers"]["lm_head.MatMul.weight_Q4"] == [
        "uint8",
        [shape.vocab_size, blocks, spec.block_size // 2],
    ]
    assert signature["initializers"]["model.embed_tokens.weight"] == [
        "float",
        [shape.vocab_size, shape.hidden_size],
    ]
    rotary_half = int(shape.head_dim * data.partial_rotary_factor) // 2
    assert signature["initializers"]["cos_cache"] == ["float", [data.context_length, rotary_half]]
    assert signature["outputs"][0] == ["logits", "float", ["batch_size", "sequence_length", shape.vocab_size]]


def test_full_mistral_has_the_published_shape() -> None:
    signature = _signature_without_data(TwinSpec.create("mistral-nemo-12b", "full", provider="dml"))
    nodes = {node["name"]: node for node in signature["nodes"]}

    attention = nodes["/model/layers.39/attn/GroupQueryAttention"]["attributes"]
    assert (attention["num_heads"], attention["kv_num_heads"]) == (32, 8)
    assert nodes["/model/layers.0/attn/q_proj/MatMul_Q4"]["attributes"] == {
        "K": 5120,
        "N": 4096,
        "bits": 4,
        "block_size": 128,
    }
    assert nodes["/model/layers.0/mlp/down_proj/MatMul_Q4"]["attributes"]["K"] == 14336
    assert signature["initializers"]["model.layers.0.attn.q_proj.MatMul.weight_zero_points"] == [
        "uint8",
        [4096, 20],
    ]
    assert signature["inputs"][2] == ["position_ids", "int64", ["batch_size", "sequence_length"]]
