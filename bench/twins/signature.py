"""The structural signature of an onnxruntime-genai model folder, for comparing graphs.

Two folders with the same signature have the same operators, wiring, attributes, graph I/O and
initializer names, dtypes and shapes, and a genai_config.json of the same structure: they differ
only in weight values. Weights are never read (``load_external_data=False``).

Imports only ``onnx`` and the standard library: the script that records the official builder's
signature runs it in a separate environment.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import onnx
from onnx import helper, numpy_helper

SIGNATURE_VERSION = 1

# genai_config values that depend on the tokenizer or on search preferences rather than on the graph.
_CONFIG_VALUES_IGNORED = {"bos_token_id", "eos_token_id", "pad_token_id"}


def _dtype_name(elem_type: int) -> str:
    return onnx.TensorProto.DataType.Name(elem_type).lower()


def _value_info(value: onnx.ValueInfoProto) -> list[Any]:
    tensor_type = value.type.tensor_type
    dims: list[int | str] = [
        dim.dim_param if dim.dim_param else dim.dim_value for dim in tensor_type.shape.dim
    ]
    return [value.name, _dtype_name(tensor_type.elem_type), dims]


def _round(value: float) -> float:
    return float(f"{value:.7g}")


def _attribute(attribute: onnx.AttributeProto) -> Any:
    value = helper.get_attribute_value(attribute)
    if isinstance(value, onnx.TensorProto):
        array = numpy_helper.to_array(value)
        return {"dtype": _dtype_name(value.data_type), "dims": list(value.dims), "values": array.tolist()}
    if isinstance(value, float):
        return _round(value)
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    if isinstance(value, list):
        return [_round(item) if isinstance(item, float) else item for item in value]
    return value


def graph_signature(model: onnx.ModelProto) -> dict[str, Any]:
    graph = model.graph
    nodes = [
        {
            "name": node.name,
            "op_type": node.op_type,
            "domain": node.domain or "ai.onnx",
            "inputs": list(node.input),
            "outputs": list(node.output),
            "attributes": {attribute.name: _attribute(attribute) for attribute in node.attribute},
        }
        for node in graph.node
    ]
    op_counts = Counter(f"{node['domain']}:{node['op_type']}" for node in nodes)
    return {
        "ir_version": model.ir_version,
        "opset_import": {entry.domain or "ai.onnx": entry.version for entry in model.opset_import},
        "inputs": [_value_info(value) for value in graph.input],
        "outputs": [_value_info(value) for value in graph.output],
        "op_counts": dict(sorted(op_counts.items())),
        "nodes": sorted(nodes, key=lambda node: node["name"]),
        "initializers": {
            tensor.name: [_dtype_name(tensor.data_type), list(tensor.dims)]
            for tensor in sorted(graph.initializer, key=lambda tensor: tensor.name)
        },
    }


def config_signature(config: dict[str, Any]) -> dict[str, Any]:
    """genai_config.json with tokenizer-dependent values dropped and search reduced to its keys."""
    model = {key: value for key, value in config["model"].items() if key not in _CONFIG_VALUES_IGNORED}
    search = config.get("search", {})
    return {
        "model": model,
        "search_keys": sorted(search),
        "past_present_share_buffer": search.get("past_present_share_buffer"),
    }


def folder_signature(folder: Path) -> dict[str, Any]:
    folder = Path(folder)
    config = json.loads((folder / "genai_config.json").read_text(encoding="utf-8"))
    filename = config["model"]["decoder"]["filename"]
    model = onnx.load(str(folder / filename), load_external_data=False)
    return {
        "signature_version": SIGNATURE_VERSION,
        "graph": graph_signature(model),
        "genai_config": config_signature(config),
    }


def signature_differences(expected: dict[str, Any], actual: dict[str, Any], *, limit: int = 20) -> list[str]:
    """Human-readable differences (path: expected != actual), at most ``limit`` of them."""
    found: list[str] = []

    def walk(path: str, left: Any, right: Any) -> None:
        if len(found) >= limit:
            return
        if isinstance(left, dict) and isinstance(right, dict):
            for key in sorted(set(left) | set(right), key=str):
                if key not in right:
                    found.append(f"{path}/{key}: missing (expected {json.dumps(left[key])[:200]})")
                elif key not in left:
                    found.append(f"{path}/{key}: unexpected {json.dumps(right[key])[:200]}")
                else:
                    walk(f"{path}/{key}", left[key], right[key])
        elif isinstance(left, list) and isinstance(right, list) and path.endswith("/nodes"):
            by_name_left = {node["name"]: node for node in left}
            by_name_right = {node["name"]: node for node in right}
            walk(path, by_name_left, by_name_right)
        elif left != right:
            found.append(f"{path}: expected {json.dumps(left)[:200]} != actual {json.dumps(right)[:200]}")

    walk("", expected, actual)
    return found
