"""Read what a model folder is without loading its weights.

``genai_config.json`` gives the architecture (``ArchitectureFacts``); ``model.onnx`` loaded with
``load_external_data=False`` gives the quantization (``QuantizationFacts``): the bytes of every
``MatMulNBits`` weight, scale and zero point are what one decode step streams from memory. A folder
written by bench's twin writer carries its parameters in the graph's metadata, so a twin is
recognised even when given by path.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import onnx
from onnx import helper

from bench.errors import BenchError
from bench.models.identity import ArchitectureFacts, QuantizationFacts
from bench.twins.spec import TWIN_METADATA_KEY

CONFIG_NAME = "genai_config.json"

_REQUIRED_DECODER_KEYS = (
    "head_size",
    "hidden_size",
    "num_attention_heads",
    "num_hidden_layers",
    "num_key_value_heads",
)


def read_genai_config(folder: Path) -> dict[str, Any]:
    """Parse ``FOLDER/genai_config.json``; every way it can be missing or wrong is a ``BenchError``."""
    folder = Path(folder)
    if not folder.is_dir():
        raise BenchError(
            "not a folder", field=str(folder), hint="give a model folder holding genai_config.json"
        )
    path = folder / CONFIG_NAME
    if not path.is_file():
        raise BenchError(
            f"no {CONFIG_NAME} in this folder",
            field=str(folder),
            hint="an onnxruntime-genai model folder has genai_config.json next to model.onnx",
        )
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise BenchError(f"cannot read {CONFIG_NAME}: {error.strerror or error}", field=str(path)) from error
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise BenchError(f"{CONFIG_NAME} is not valid JSON: {error}", field=str(path)) from error
    model = config.get("model") if isinstance(config, dict) else None
    decoder = model.get("decoder") if isinstance(model, dict) else None
    if not isinstance(model, dict) or not isinstance(decoder, dict):
        raise BenchError("missing the model.decoder section", field=str(path))
    for key in ("type", "context_length", "vocab_size"):
        if key not in model:
            raise BenchError(f"missing model.{key}", field=str(path))
    for key in _REQUIRED_DECODER_KEYS:
        if key not in decoder:
            raise BenchError(f"missing model.decoder.{key}", field=str(path))
    return config


def model_filename(config: dict[str, Any]) -> str:
    return str(config["model"]["decoder"].get("filename", "model.onnx"))


def load_graph(folder: Path, config: dict[str, Any]) -> onnx.ModelProto:
    path = Path(folder) / model_filename(config)
    if not path.is_file():
        raise BenchError(f"{path.name} named by {CONFIG_NAME} is missing", field=str(folder))
    try:
        return onnx.load(str(path), load_external_data=False)
    except Exception as error:  # protobuf raises several unrelated types for a corrupt file
        raise BenchError(f"cannot parse {path.name}: {error}", field=str(path)) from error


def _intermediate_size(model: onnx.ModelProto | None) -> int | None:
    if model is None:
        return None
    for node in model.graph.node:
        if "/mlp/down_proj/" in node.name and node.op_type == "MatMulNBits":
            return next((attr.i for attr in node.attribute if attr.name == "K"), None)
    return None


def architecture_facts(config: dict[str, Any], model: onnx.ModelProto | None = None) -> ArchitectureFacts:
    model_section, decoder = config["model"], config["model"]["decoder"]
    try:
        return ArchitectureFacts(
            model_type=str(model_section["type"]),
            num_layers=decoder["num_hidden_layers"],
            hidden_size=decoder["hidden_size"],
            num_attention_heads=decoder["num_attention_heads"],
            num_kv_heads=decoder["num_key_value_heads"],
            head_dim=decoder["head_size"],
            vocab_size=model_section["vocab_size"],
            context_length=model_section["context_length"],
            intermediate_size=_intermediate_size(model),
        )
    except ValueError as error:  # pydantic's ValidationError is a ValueError
        raise BenchError(f"{CONFIG_NAME} has invalid architecture values: {error}") from error


def _tensor_bytes(tensor: onnx.TensorProto) -> int:
    itemsize = np.dtype(helper.tensor_dtype_to_np_dtype(tensor.data_type)).itemsize
    return int(np.prod(tensor.dims, dtype=np.int64)) * itemsize


# Bits per element of initializer types; getattr: older onnx releases lack the newest types.
_ELEMENT_BITS = {
    name: bits
    for names, bits in (
        (("DOUBLE", "INT64", "UINT64", "COMPLEX64"), 64),
        (("FLOAT", "INT32", "UINT32"), 32),
        (("FLOAT16", "BFLOAT16", "INT16", "UINT16"), 16),
        (("INT8", "UINT8", "BOOL", "FLOAT8E4M3FN", "FLOAT8E4M3FNUZ", "FLOAT8E5M2", "FLOAT8E5M2FNUZ"), 8),
        (("INT4", "UINT4", "FLOAT4E2M1"), 4),
    )
    for name in names
}
_LOOKUPS = ("Gather", "GatherBlockQuantized")  # read one row per token, not the whole table


def weights_by_dtype(model: onnx.ModelProto) -> tuple[dict[str, int] | None, str | None]:
    """Bytes of every initializer a decode step reads in full, by element type; or why unknown.

    Row-lookup tables (an initializer whose every consumer is a Gather on it) are left out; a packed
    ``MatMulNBits`` weight counts as ``int<bits> (MatMulNBits)``, its scales by their own type.
    """
    initializers = {tensor.name: tensor for tensor in model.graph.initializer}
    labels: dict[str, set[str]] = {}
    lookups_only: dict[str, bool] = {}
    for node in model.graph.node:
        bits = next((attr.i for attr in node.attribute if attr.name == "bits"), 4)
        for position, name in enumerate(node.input):
            if name not in initializers:
                continue
            lookup = node.op_type in _LOOKUPS and position == 0
            lookups_only[name] = lookups_only.get(name, True) and lookup
            if node.op_type == "MatMulNBits" and position == 1:
                labels.setdefault(name, set()).add(f"int{bits} (MatMulNBits)")
    totals: dict[str, int] = {}
    for name, only_lookups in lookups_only.items():
        if only_lookups:
            continue
        tensor = initializers[name]
        type_name = onnx.TensorProto.DataType.Name(tensor.data_type)
        element_bits = _ELEMENT_BITS.get(type_name)
        if element_bits is None:
            return None, f"initializer {name!r} has element type {type_name}, whose size bench does not know"
        count = int(np.prod(tensor.dims, dtype=np.int64))  # dims are in the graph even for external data
        label = next(iter(labels[name])) if len(labels.get(name, ())) == 1 else type_name.lower()
        label = "float32" if label == "float" else label
        totals[label] = totals.get(label, 0) + (count * element_bits + 7) // 8
    return dict(sorted(totals.items())), None


def _symmetric(with_zero_points: int, without_zero_points: int) -> bool | None:
    """True when no MatMulNBits has zero points, False when all have them, None if mixed or none."""
    if (with_zero_points and without_zero_points) or not (with_zero_points or without_zero_points):
        return None
    return without_zero_points > 0


def quantization_facts(model: onnx.ModelProto, config: dict[str, Any]) -> QuantizationFacts:
    initializers = {tensor.name: tensor for tensor in model.graph.initializer}
    matmul_inputs: set[str] = set()
    bits: Counter[int] = Counter()
    blocks: Counter[int] = Counter()
    with_zero_points = without_zero_points = 0
    embedding_inputs: set[str] = set()
    for node in model.graph.node:
        if node.op_type == "MatMulNBits":
            attrs = {attr.name: attr.i for attr in node.attribute}
            bits[attrs.get("bits", 4)] += 1
            blocks[attrs.get("block_size", 0)] += 1
            matmul_inputs.update(name for name in node.input[1:] if name in initializers)
            if len(node.input) > 3 and node.input[3]:
                with_zero_points += 1
            else:
                without_zero_points += 1
        elif (
            node.op_type in ("Gather", "GatherBlockQuantized")
            and node.input
            and node.input[0] in initializers
        ):
            embedding_inputs.add(node.input[0])
    kv_name = config["model"]["decoder"].get("inputs", {}).get("past_key_names", "past_key_values.%d.key") % 0
    kv_type = next(
        (value.type.tensor_type.elem_type for value in model.graph.input if value.name == kv_name), None
    )
    if kv_type is None:
        raise BenchError(f"the graph has no input {kv_name!r} (past key cache) named by {CONFIG_NAME}")
    kv_dtype = np.dtype(helper.tensor_dtype_to_np_dtype(kv_type))
    by_dtype, weights_reason = weights_by_dtype(model)
    return QuantizationFacts(
        bits=bits.most_common(1)[0][0] if len(bits) == 1 else None,
        block_size=blocks.most_common(1)[0][0] if len(blocks) == 1 else None,
        symmetric=_symmetric(with_zero_points, without_zero_points),
        matmul_weight_bytes=sum(_tensor_bytes(initializers[name]) for name in matmul_inputs),
        embedding_bytes=sum(_tensor_bytes(initializers[name]) for name in embedding_inputs),
        kv_dtype=kv_dtype.name,
        kv_dtype_bytes=kv_dtype.itemsize,
        weights_by_dtype=by_dtype,
        weights_unavailable=weights_reason,
    )


def folder_files(folder: Path) -> dict[str, int]:
    folder = Path(folder)
    return {
        path.relative_to(folder).as_posix(): path.stat().st_size
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def content_sha256(folder: Path, config: dict[str, Any]) -> str:
    """sha256 over genai_config.json, then the graph file (weights excluded: they can be tens of GB)."""
    digest = hashlib.sha256()
    for name in (CONFIG_NAME, model_filename(config)):
        with open(Path(folder) / name, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


def twin_metadata(model: onnx.ModelProto) -> dict[str, Any] | None:
    """The parameters bench's twin writer stamped into the graph, or None for any other model."""
    for prop in model.metadata_props:
        if prop.key == TWIN_METADATA_KEY:
            try:
                value = json.loads(prop.value)
            except json.JSONDecodeError:
                return None
            return value if isinstance(value, dict) else None
    return None


@dataclass(frozen=True)
class InspectedModel:
    path: Path
    config: dict[str, Any]
    architecture: ArchitectureFacts
    quantization: QuantizationFacts
    files: dict[str, int]
    content_sha256: str
    twin: dict[str, Any] | None


def inspect_model(folder: Path) -> InspectedModel:
    folder = Path(folder).resolve()
    config = read_genai_config(folder)
    model = load_graph(folder, config)
    return InspectedModel(
        path=folder,
        config=config,
        architecture=architecture_facts(config, model),
        quantization=quantization_facts(model, config),
        files=folder_files(folder),
        content_sha256=content_sha256(folder, config),
        twin=twin_metadata(model),
    )
