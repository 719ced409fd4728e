"""The roofline counts every weight a decode step reads, whatever its element type.

INT4 twins come from bench's writer (MatMulNBits only). The writer has no fp16-weight variant, so the
fp16 model and the INT4 model with an fp16 LM head are built here with onnx.helper: the same graph
facts inspect reads (MatMulNBits / MatMul / Gather consumers, initializer types, the KV-cache input).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from bench.models.inspect import inspect_model, quantization_facts, weights_by_dtype
from bench.telemetry.roofline import decode_roofline
from bench.telemetry.types import Figure
from bench.twins import weights
from bench.twins.graph import build_graph
from bench.twins.spec import TwinSpec
from bench.twins.writer import write_twin

HIDDEN, VOCAB = 64, 128
CONFIG = {"model": {"decoder": {}}}
BANDWIDTH = Figure.of(100.0, "GB/s", "test")


def _graph(*, lm_head: str, body: str) -> onnx.ModelProto:
    """Embedding (Gather) -> a projection (body) -> LM head: each 'fp16' (MatMul) or 'int4' (MatMulNBits)."""
    inits = [numpy_helper.from_array(np.zeros((VOCAB, HIDDEN), np.float16), "embed")]
    nodes = [helper.make_node("Gather", ["embed", "input_ids"], ["h0"])]
    for index, (kind, n_out, source) in enumerate(((body, HIDDEN, "h0"), (lm_head, VOCAB, "h1"))):
        name, out = f"w{index}", f"h{index + 1}" if index == 0 else "logits"
        if kind == "fp16":
            inits.append(numpy_helper.from_array(np.zeros((HIDDEN, n_out), np.float16), name))
            nodes.append(helper.make_node("MatMul", [source, name], [out]))
        else:
            blocks = HIDDEN // 32
            inits += [
                numpy_helper.from_array(np.zeros((n_out, blocks, 16), np.uint8), name),
                numpy_helper.from_array(np.zeros((n_out * blocks,), np.float16), f"{name}_scales"),
            ]
            nodes.append(
                helper.make_node(
                    "MatMulNBits", [source, name, f"{name}_scales"], [out], domain="com.microsoft",
                    K=HIDDEN, N=n_out, bits=4, block_size=32,
                )
            )  # fmt: skip
    graph = helper.make_graph(
        nodes,
        "g",
        [
            helper.make_tensor_value_info("input_ids", TensorProto.INT64, [1, None]),
            helper.make_tensor_value_info("past_key_values.0.key", TensorProto.FLOAT16, [1, 2, None, 32]),
        ],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT16, [1, None, VOCAB])],
        initializer=inits,
    )
    return helper.make_model(graph)


def _roofline(model_proto: onnx.ModelProto, identity):
    facts = quantization_facts(model_proto, CONFIG)
    return facts, decode_roofline(
        model=identity.model_copy(update={"quantization": facts}),
        prompt_tokens=16,
        batch_size=1,
        output_tokens=8,
        peak_bandwidth=BANDWIDTH,
        measured_tokens_per_s=100.0,
    )


def test_an_fp16_model_is_counted_in_full(tiny_twins):
    identity = tiny_twins["nemotron-mini-4b"].identity
    facts, roof = _roofline(_graph(lm_head="fp16", body="fp16"), identity)
    fp16 = 2 * (HIDDEN * HIDDEN + HIDDEN * VOCAB)
    assert facts.matmul_weight_bytes == 0  # what the roofline counted before: an fp16 model read 0 bytes
    assert facts.weights_by_dtype == {"float16": fp16}  # the embedding (a row lookup) is not read in full
    assert roof.weight_bytes == fp16 and roof.efficiency_pct.value is not None


def test_an_int4_model_with_an_fp16_lm_head_counts_both(tiny_twins):
    identity = tiny_twins["nemotron-mini-4b"].identity
    facts, roof = _roofline(_graph(lm_head="fp16", body="int4"), identity)
    packed, scales, head = HIDDEN * 2 * 16, HIDDEN * 2 * 2, 2 * HIDDEN * VOCAB
    assert facts.weights_by_dtype == {"float16": scales + head, "int4 (MatMulNBits)": packed}
    assert facts.matmul_weight_bytes == packed + scales  # the LM head was missing from it
    assert roof.weight_bytes == packed + scales + head


def test_an_element_type_bench_cannot_size_makes_the_roofline_unavailable(tiny_twins):
    proto = _graph(lm_head="fp16", body="fp16")
    proto.graph.initializer.append(helper.make_tensor("names", TensorProto.STRING, [1], [b"x"]))
    proto.graph.node.append(helper.make_node("Identity", ["names"], ["names_out"]))
    by_dtype, reason = weights_by_dtype(proto)
    assert by_dtype is None and "element type STRING" in reason
    facts = quantization_facts(proto, CONFIG)
    with pytest.raises(ValueError, match="weight bytes per step unknown: initializer 'names'"):
        decode_roofline(
            model=tiny_twins["nemotron-mini-4b"].identity.model_copy(update={"quantization": facts}),
            prompt_tokens=16, batch_size=1, output_tokens=8, peak_bandwidth=BANDWIDTH,
            measured_tokens_per_s=1.0,
        )  # fmt: skip


def test_an_int4_twin_counts_every_initializer_but_the_embedding(tmp_path: Path):
    spec = TwinSpec.create("mistral-nemo-12b", "tiny")
    plans = build_graph(spec).initializers
    facts = inspect_model(write_twin(spec, tmp_path / "twin")).quantization
    quantized = (weights.Int4Weight, weights.Int4Scales, weights.Int4ZeroPoints)
    packed = sum(p.content.nbytes() for p in plans if isinstance(p.content, weights.Int4Weight))
    others = sum(p.content.nbytes() for p in plans if p.name != "model.embed_tokens.weight") - packed
    assert facts.weights_by_dtype["int4 (MatMulNBits)"] == packed
    assert sum(facts.weights_by_dtype.values()) == packed + others
    # Norm weights, rotary caches and scales are read too: a little more than the MatMulNBits inputs.
    assert sum(facts.weights_by_dtype.values()) >= sum(
        p.content.nbytes() for p in plans if isinstance(p.content, quantized)
    )
