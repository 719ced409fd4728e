"""The ONNX graph of a twin: what onnxruntime-genai's model builder emits for an INT4 model.

Node names, initializer names, wiring, attributes and graph I/O follow
``onnxruntime_genai/models/builders/base.py`` (0.18) for ``-p int4`` with its MatMulNBits quantizer:
mask preprocessing into ``seqlens_k``/``total_sequence_length``, an unquantized ``Gather``
embedding, per layer a (Skip)(Simplified)LayerNormalization, q/k/v ``MatMulNBits`` (packed on
cpu/cuda), ``GroupQueryAttention`` with rotary fused in (cpu/cuda) or ``RotaryEmbedding`` nodes in
front (dml), the family's MLP, and an INT4 LM head. tests/twins/test_signature.py pins this against
the builder's own output for the tiny shapes.

Initializers are not materialised here: each is a name, dtype, shape and a content description from
``bench.twins.weights`` that the writer streams into ``model.onnx.data``.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field

import onnx
from onnx import TensorProto, helper

from bench.twins import weights
from bench.twins.spec import TWIN_METADATA_KEY, WRITER_VERSION, TwinSpec

OPSET = 22
MS_DOMAIN = "com.microsoft"

_ONNX_DTYPES = {"float32": TensorProto.FLOAT, "float16": TensorProto.FLOAT16}

# Names of the mask-preprocessing outputs every attention node reads.
_MASK = "/model/attn_mask_reformat/attn_mask_subgraph"
SEQLENS_K = f"{_MASK}/Sub/Cast/output_0"
TOTAL_SEQ_LEN = f"{_MASK}/Gather/Cast/output_0"


@dataclass(frozen=True)
class InitializerPlan:
    name: str
    data_type: int
    dims: tuple[int, ...]
    content: weights.Content


@dataclass
class TwinGraph:
    """A model whose initializers are still descriptions; the writer streams them and attaches them."""

    model: onnx.ModelProto
    initializers: list[InitializerPlan]

    @property
    def data_bytes(self) -> int:
        return sum(plan.content.nbytes() for plan in self.initializers)


@dataclass
class _Builder:
    spec: TwinSpec
    nodes: list[onnx.NodeProto] = field(default_factory=list)
    constant_nodes: dict[str, onnx.NodeProto] = field(default_factory=dict)
    float_initializers: list[InitializerPlan] = field(default_factory=list)
    quantized_initializers: list[InitializerPlan] = field(default_factory=list)

    @property
    def io_type(self) -> int:
        return _ONNX_DTYPES[self.spec.io_dtype]

    def node(
        self, op_type: str, inputs: list[str], outputs: list[str], name: str, domain: str = "", **attrs
    ) -> None:
        self.nodes.append(helper.make_node(op_type, inputs, outputs, name=name, domain=domain, **attrs))

    def constant(self, dtype: str, value: int | list[int]) -> str:
        """A ``Constant`` node named like the builder's ``/model/constants/{DTYPE}/{value}``."""
        name = f"/model/constants/{dtype}/{value}"
        if name not in self.constant_nodes:
            onnx_type = {"INT64": TensorProto.INT64, "INT32": TensorProto.INT32}[dtype]
            dims = [len(value)] if isinstance(value, list) else []
            values = value if isinstance(value, list) else [value]
            tensor = helper.make_tensor(name, onnx_type, dims, values)
            self.constant_nodes[name] = helper.make_node(
                "Constant", [], [name], name=name.replace("constants", "constant_nodes"), value=tensor
            )
        return name

    def float_initializer(self, name: str, dims: tuple[int, ...], content: weights.Content) -> str:
        self.float_initializers.append(InitializerPlan(name, self.io_type, dims, content))
        return name

    # --- graph pieces, in the order the builder makes them ---

    def mask_preprocessing(self) -> None:
        one = self.constant("INT64", [1])
        self.node(
            "ReduceSum",
            ["attention_mask", one],
            [f"{_MASK}/ReduceSum/output_0"],
            f"{_MASK}/ReduceSum",
            keepdims=0,
        )
        self.node("Sub", [f"{_MASK}/ReduceSum/output_0", one], [f"{_MASK}/Sub/output_0"], f"{_MASK}/Sub")
        self.node("Cast", [f"{_MASK}/Sub/output_0"], [SEQLENS_K], f"{_MASK}/Sub/Cast", to=TensorProto.INT32)
        self.node("Shape", ["attention_mask"], [f"{_MASK}/Shape/output_0"], f"{_MASK}/Shape")
        index = self.constant("INT64", 1)
        self.node(
            "Gather",
            [f"{_MASK}/Shape/output_0", index],
            [f"{_MASK}/Gather/output_0"],
            f"{_MASK}/Gather",
            axis=0,
        )
        self.node(
            "Cast",
            [f"{_MASK}/Gather/output_0"],
            [TOTAL_SEQ_LEN],
            f"{_MASK}/Gather/Cast",
            to=TensorProto.INT32,
        )

    def embedding(self) -> str:
        shape = self.spec.shape
        table = self.float_initializer(
            "model.embed_tokens.weight",
            (shape.vocab_size, shape.hidden_size),
            weights.UniformEmbedding(
                "model.embed_tokens", shape.vocab_size, shape.hidden_size, self.spec.io_dtype
            ),
        )
        output = "/model/embed_tokens/Gather/output_0"
        self.node("Gather", [table, "input_ids"], [output], "/model/embed_tokens/Gather")
        return output

    def layernorm(
        self, layer: int, location: str, root: str, skip: str | None, last: bool = False
    ) -> tuple[str, str]:
        """Returns (normalised output, residual sum) like the builder's output_0 and output_3."""
        family = self.spec.family_data
        hidden = self.spec.shape.hidden_size
        simple = family.norm == "rms"
        prefix = f"model.layers.{layer}.{location}_layernorm"
        # layernorm1p: the builder folds the +1 into the stored weight (weight + add_offset).
        inputs = [
            root,
            *([skip] if skip else []),
            self.float_initializer(
                f"{prefix}.weight", (hidden,), weights.Filled(hidden, 1.0, self.spec.io_dtype)
            ),
        ]
        if not simple:
            inputs.append(
                self.float_initializer(
                    f"{prefix}.bias", (hidden,), weights.Filled(hidden, 0.0, self.spec.io_dtype)
                )
            )
        base = f"/model/layers.{layer}/{location}_layernorm"
        output_0, output_3 = f"{base}/output_0", f"{base}/output_3"
        op_type = f"{'Skip' if skip else ''}{'Simplified' if simple else ''}LayerNormalization"
        if skip:
            outputs = [output_0] if last else [output_0, "", "", output_3]
            self.node(
                op_type, inputs, outputs, f"{base}/SkipLayerNorm", MS_DOMAIN, epsilon=family.norm_epsilon
            )
            return output_0, output_3
        self.node(
            op_type,
            inputs,
            [output_0],
            f"{base}/LayerNorm",
            epsilon=family.norm_epsilon,
            axis=-1,
            stash_type=1,
        )
        return output_0, root

    def matmul(
        self,
        basename: str,
        root: str,
        streams: tuple[tuple[str, int], ...],
        k: int,
        output: str | None = None,
    ) -> str:
        """A MatMulNBits named like the quantizer names it (``{basename}/MatMul_Q4``)."""
        spec = self.spec
        n = sum(rows for _, rows in streams)
        blocks = math.ceil(k / spec.block_size)
        weight = basename[1:].replace("/", ".") + ".MatMul.weight"
        plans = [
            InitializerPlan(
                f"{weight}_Q4",
                TensorProto.UINT8,
                (n, blocks, spec.block_size // 2),
                weights.Int4Weight(streams, k, spec.block_size),
            ),
            InitializerPlan(
                f"{weight}_scales",
                self.io_type,
                (n, blocks),
                weights.Int4Scales(streams, k, spec.block_size, spec.io_dtype),
            ),
        ]
        if not spec.symmetric:
            plans.append(
                InitializerPlan(
                    f"{weight}_zero_points",
                    TensorProto.UINT8,
                    (n, (blocks + 1) // 2),
                    weights.Int4ZeroPoints(streams, k, spec.block_size),
                )
            )
        self.quantized_initializers.extend(plans)
        output = output or f"{basename}/MatMul/output_0"
        attrs = {"K": k, "N": n, "bits": 4, "block_size": spec.block_size}
        if spec.graph_options.accuracy_level:
            attrs["accuracy_level"] = spec.graph_options.accuracy_level
        self.node(
            "MatMulNBits",
            [root, *(plan.name for plan in plans)],
            [output],
            f"{basename}/MatMul_Q4",
            MS_DOMAIN,
            **attrs,
        )
        return output

    def rotary_caches(self) -> tuple[str, str]:
        family = self.spec.family_data
        rotary_dim = family.rotary_dim(self.spec.shape)
        dims = (family.context_length, rotary_dim // 2)
        if not any(plan.name == "cos_cache" for plan in self.float_initializers):
            for function in ("cos", "sin"):
                self.float_initializer(
                    f"{function}_cache",
                    dims,
                    weights.RotaryCache(
                        function, family.context_length, rotary_dim, family.rope_theta, self.spec.io_dtype
                    ),
                )
        return "cos_cache", "sin_cache"

    def attention(self, layer: int, root: str) -> str:
        spec, shape, family = self.spec, self.spec.shape, self.spec.family_data
        hidden = shape.hidden_size
        base = f"/model/layers.{layer}/attn"
        stream = f"model.layers.{layer}.attn"
        q_stream = (f"{stream}.q_proj", shape.q_size)
        k_stream = (f"{stream}.k_proj", shape.kv_size)
        v_stream = (f"{stream}.v_proj", shape.kv_size)
        if spec.graph_options.packed_qkv:
            q = self.matmul(f"{base}/qkv_proj", root, (q_stream, k_stream, v_stream), hidden)
            k = v = ""
        else:
            q = self.matmul(f"{base}/q_proj", root, (q_stream,), hidden)
            k = self.matmul(f"{base}/k_proj", root, (k_stream,), hidden)
            v = self.matmul(f"{base}/v_proj", root, (v_stream,), hidden)
        cos, sin = self.rotary_caches()
        if not spec.graph_options.fused_rotary:
            partial = family.partial_rotary_factor != 1.0
            rotary_dim = family.rotary_dim(shape) if partial else 0
            rotated = []
            for which, path, heads in (("q", q, shape.num_attention_heads), ("k", k, shape.num_kv_heads)):
                name = f"{base}/{which}_rotary/RotaryEmbedding"
                self.node(
                    "RotaryEmbedding",
                    [path, "position_ids", cos, sin],
                    [f"{name}/output_0"],
                    name,
                    MS_DOMAIN,
                    interleaved=0,
                    num_heads=heads if partial else 0,
                    rotary_embedding_dim=rotary_dim,
                )
                rotated.append(f"{name}/output_0")
            q, k = rotated
            cos = sin = ""
        name = f"{base}/GroupQueryAttention"
        self.node(
            "GroupQueryAttention",
            [
                q,
                k,
                v,
                f"past_key_values.{layer}.key",
                f"past_key_values.{layer}.value",
                SEQLENS_K,
                TOTAL_SEQ_LEN,
                cos,
                sin,
                "",
                "",
                "",
            ],
            [f"{name}/output_0", f"present.{layer}.key", f"present.{layer}.value"],
            name,
            MS_DOMAIN,
            num_heads=shape.num_attention_heads,
            kv_num_heads=shape.num_kv_heads,
            scale=float(1 / math.sqrt(shape.head_dim)),
            local_window_size=-1,
            softcap=0.0,
            do_rotary=int(spec.graph_options.fused_rotary),
            rotary_interleaved=0,
        )
        return self.matmul(
            f"{base}/o_proj", f"{name}/output_0", ((f"{stream}.o_proj", hidden),), shape.q_size
        )

    def mlp(self, layer: int, root: str) -> str:
        shape, family = self.spec.shape, self.spec.family_data
        hidden, inner = shape.hidden_size, shape.intermediate_size
        base = f"/model/layers.{layer}/mlp"
        stream = f"model.layers.{layer}.mlp"
        if family.mlp == "swiglu":
            gate = self.matmul(f"{base}/gate_proj", root, ((f"{stream}.gate_proj", inner),), hidden)
            up = self.matmul(f"{base}/up_proj", root, ((f"{stream}.up_proj", inner),), hidden)
            self.node("Sigmoid", [gate], [f"{base}/act_fn/Sigmoid/output_0"], f"{base}/act_fn/Sigmoid")
            self.node(
                "Mul",
                [gate, f"{base}/act_fn/Sigmoid/output_0"],
                [f"{base}/act_fn/Mul/output_0"],
                f"{base}/act_fn/Mul",
            )
            self.node("Mul", [f"{base}/act_fn/Mul/output_0", up], [f"{base}/Mul/output_0"], f"{base}/Mul")
            activated = f"{base}/Mul/output_0"
        elif family.mlp == "relu2":
            up = self.matmul(f"{base}/up_proj", root, ((f"{stream}.up_proj", inner),), hidden)
            self.node("Relu", [up], [f"{base}/act_fn/Relu/output_0"], f"{base}/act_fn/Relu")
            pow_name = f"{base}/square/Relu2/pow"
            self.node(
                "Pow",
                [f"{base}/act_fn/Relu/output_0", self.constant("INT32", [2])],
                [f"{pow_name}/output_0"],
                pow_name,
            )
            activated = f"{pow_name}/output_0"
        else:  # a new Family value with an MLP this module does not know
            raise NotImplementedError(f"MLP kind {family.mlp!r}")
        return self.matmul(f"{base}/down_proj", activated, ((f"{stream}.down_proj", hidden),), inner)

    def decoder(self) -> None:
        shape = self.spec.shape
        self.mask_preprocessing()
        hidden_states = self.embedding()
        root, skip = hidden_states, None
        for layer in range(shape.num_layers):
            normed, root = self.layernorm(layer, "input", root, skip)
            attention_out = self.attention(layer, normed)
            normed, root = self.layernorm(layer, "post_attention", root, attention_out)
            skip = self.mlp(layer, normed)
        normed, _ = self.layernorm(shape.num_layers, "final_norm", root, skip, last=True)
        self.matmul("/lm_head", normed, (("lm_head", shape.vocab_size),), shape.hidden_size, output="logits")


def _io(spec: TwinSpec) -> tuple[list[onnx.ValueInfoProto], list[onnx.ValueInfoProto]]:
    shape = spec.shape
    io_type = _ONNX_DTYPES[spec.io_dtype]
    layers = range(shape.num_layers)
    kv = shape.num_kv_heads
    inputs = [
        helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch_size", "sequence_length"]),
        helper.make_tensor_value_info(
            "attention_mask", TensorProto.INT64, ["batch_size", "total_sequence_length"]
        ),
    ]
    if not spec.graph_options.fused_rotary:
        inputs.append(
            helper.make_tensor_value_info(
                "position_ids", TensorProto.INT64, ["batch_size", "sequence_length"]
            )
        )
    for kind in ("key", "value"):
        inputs += [
            helper.make_tensor_value_info(
                f"past_key_values.{i}.{kind}",
                io_type,
                ["batch_size", kv, "past_sequence_length", "kv_cache_dim"],
            )
            for i in layers
        ]
    outputs = [
        helper.make_tensor_value_info("logits", io_type, ["batch_size", "sequence_length", shape.vocab_size])
    ]
    for kind in ("key", "value"):
        outputs += [
            helper.make_tensor_value_info(
                f"present.{i}.{kind}", io_type, ["batch_size", kv, "total_sequence_length", "kv_cache_dim"]
            )
            for i in layers
        ]
    return inputs, outputs


def build_graph(spec: TwinSpec) -> TwinGraph:
    builder = _Builder(spec)
    builder.decoder()
    inputs, outputs = _io(spec)
    graph = helper.make_graph(
        [*builder.constant_nodes.values(), *builder.nodes], "main_graph", inputs, outputs, initializer=[]
    )
    model = helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid("", OPSET), helper.make_opsetid(MS_DOMAIN, 1)],
        ir_version=10,
        producer_name="bench.twins",
        producer_version=WRITER_VERSION,
        doc_string="Synthetic twin written by bench: real architecture, RANDOM weights. Not a real model.",
    )
    helper.set_model_props(model, {TWIN_METADATA_KEY: json.dumps(spec.metadata(), sort_keys=True)})
    # The builder's file order: unquantized tensors as the graph first uses them, then the quantizer's.
    return TwinGraph(model, [*builder.float_initializers, *builder.quantized_initializers])
