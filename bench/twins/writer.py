"""Write a complete twin folder atomically.

Everything is written into a temporary folder next to the target (same volume) and renamed into
place at the end, so a reader sees either no folder or a complete one. Any ``OSError`` on the way
(disk full, permission denied, ...) removes the temporary folder and becomes a ``BenchError``.
If another process renames the same twin into place first, its copy wins and ours is discarded.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import secrets
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import onnx

from bench.errors import BenchError
from bench.twins import tokenizer
from bench.twins.graph import TwinGraph, build_graph
from bench.twins.spec import TwinSpec
from bench.twins.weights import stream_content

Progress = Callable[[int, int, str], None]
"""``progress(bytes_done, bytes_total, what)``: called as model.onnx.data grows."""

MODEL_FILES = ("genai_config.json", "model.onnx", "model.onnx.data", *tokenizer.TOKENIZER_FILES)
PARTIAL_PREFIX = ".partial-"


def genai_config(spec: TwinSpec) -> dict[str, Any]:
    """The builder's genai_config.json with the twin tokenizer's ids and greedy search defaults."""
    shape, family, options = spec.shape, spec.family_data, spec.graph_options
    inputs = {"input_ids": "input_ids", "attention_mask": "attention_mask"}
    if not options.fused_rotary:
        inputs["position_ids"] = "position_ids"
    inputs |= {"past_key_names": "past_key_values.%d.key", "past_value_names": "past_key_values.%d.value"}
    return {
        "model": {
            "bos_token_id": tokenizer.BOS_TOKEN_ID,
            "context_length": family.context_length,
            "decoder": {
                "session_options": {
                    "log_id": "onnxruntime-genai",
                    "provider_options": [
                        {provider: dict(values)} for provider, values in options.provider_options
                    ],
                },
                "filename": "model.onnx",
                "head_size": shape.head_dim,
                "hidden_size": shape.hidden_size,
                "inputs": inputs,
                "outputs": {
                    "logits": "logits",
                    "present_key_names": "present.%d.key",
                    "present_value_names": "present.%d.value",
                },
                "num_attention_heads": shape.num_attention_heads,
                "num_hidden_layers": shape.num_layers,
                "num_key_value_heads": shape.num_kv_heads,
            },
            "eos_token_id": tokenizer.EOS_TOKEN_ID,
            "pad_token_id": tokenizer.PAD_TOKEN_ID,
            "type": family.model_type,
            "vocab_size": shape.vocab_size,
        },
        # The builder's keys; greedy and buffer-sharing for benchmarking. max_length is the context
        # length as in real model folders: the runner always sets max_length per generator.
        "search": {
            "diversity_penalty": 0.0,
            "do_sample": False,
            "early_stopping": True,
            "length_penalty": 1.0,
            "max_length": family.context_length,
            "min_length": 0,
            "no_repeat_ngram_size": 0,
            "num_beams": 1,
            "num_return_sequences": 1,
            "past_present_share_buffer": True,
            "repetition_penalty": 1.0,
            "temperature": 1.0,
            "top_k": 1,
            "top_p": 1.0,
        },
    }


def estimated_bytes(spec: TwinSpec) -> int:
    """Bytes the twin takes on disk (external data dominates; the rest is a few hundred KB)."""
    return build_graph(spec).data_bytes + 1_000_000


def _write_data(graph: TwinGraph, folder: Path, seed: int, progress: Progress | None) -> None:
    total = graph.data_bytes
    done = 0
    data_path = folder / "model.onnx.data"
    with open(data_path, "wb") as sink:
        for plan in graph.initializers:
            offset = sink.tell()

            def advance(count: int, what: str = plan.name) -> None:
                nonlocal done
                done += count
                if progress is not None:
                    progress(done, total, what)

            length = stream_content(plan.content, seed=seed, sink=sink, on_bytes=advance)
            tensor = onnx.TensorProto(name=plan.name, data_type=plan.data_type, dims=plan.dims)
            tensor.data_location = onnx.TensorProto.EXTERNAL
            for key, value in (
                ("location", data_path.name),
                ("offset", str(offset)),
                ("length", str(length)),
            ):
                entry = tensor.external_data.add()
                entry.key, entry.value = key, value
            graph.model.graph.initializer.append(tensor)
        sink.flush()
        os.fsync(sink.fileno())


def _fill_folder(spec: TwinSpec, folder: Path, progress: Progress | None) -> None:
    graph = build_graph(spec)
    _write_data(graph, folder, spec.seed, progress)
    (folder / "model.onnx").write_bytes(graph.model.SerializeToString(deterministic=True))
    (folder / "genai_config.json").write_text(
        json.dumps(genai_config(spec), indent=4) + "\n", encoding="utf-8"
    )
    tokenizer.copy_tokenizer(folder)


def _check_free_space(spec: TwinSpec, parent: Path) -> None:
    needed = estimated_bytes(spec)
    free = shutil.disk_usage(parent).free
    if free < needed:
        raise BenchError(
            f"not enough disk space for twin {spec.ref}: "
            f"needs {needed / 1e9:.1f} GB, {free / 1e9:.1f} GB free",
            field=str(parent),
            hint="free some space or point BENCH_CACHE_DIR (or --out) at a larger disk",
        )


def _remove(folder: Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)


def write_twin(spec: TwinSpec, target: Path, *, progress: Progress | None = None) -> Path:
    """Write the twin into ``target`` (which must not exist yet); returns ``target``.

    If ``target`` appears meanwhile (another process finished the same twin first), that copy is
    kept and ours discarded; for a cache folder both copies are identical by construction.
    """
    target = Path(target)
    if target.exists():
        raise BenchError(
            "folder already exists", field=str(target), hint="choose another folder or remove it"
        )
    parent = target.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        _check_free_space(spec, parent)
        partial = parent / f"{PARTIAL_PREFIX}{target.name}-{os.getpid()}-{secrets.token_hex(4)}"
        partial.mkdir()
    except OSError as error:
        raise BenchError(
            f"cannot create twin folder: {error.strerror or error}", field=str(target)
        ) from error
    try:
        _fill_folder(spec, partial, progress)
        try:
            os.rename(partial, target)
        except OSError:
            if not (target / "model.onnx").exists():
                raise
            _remove(partial)  # lost the race to an identical copy
    except OSError as error:
        _remove(partial)
        reason = "disk full" if error.errno == errno.ENOSPC else (error.strerror or str(error))
        raise BenchError(
            f"writing twin {spec.ref} failed: {reason}; nothing was left behind",
            field=str(target),
            hint="free some space or point BENCH_CACHE_DIR (or --out) at a larger disk"
            if error.errno == errno.ENOSPC
            else None,
        ) from error
    except BaseException:
        _remove(partial)
        raise
    return target


def remove_stale_partials(parent: Path) -> None:
    """Remove temporary folders left by writers that died (their process id is gone)."""
    import psutil

    if not parent.is_dir():
        return
    for entry in parent.iterdir():
        if not entry.name.startswith(PARTIAL_PREFIX):
            continue
        pid_text = entry.name.rsplit("-", 2)[-2]
        with contextlib.suppress(ValueError):
            if not psutil.pid_exists(int(pid_text)):
                _remove(entry)
