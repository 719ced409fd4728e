"""Resolving model references: registry names, folders, twins; every kind recorded in the identity."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import onnx
import pytest

from bench.architectures import REAL_MODELS
from bench.errors import BenchError
from bench.models.inspect import TWIN_METADATA_KEY
from bench.models.refs import (
    describe_model,
    parse_twin_ref,
    prompt_token_range,
    resolve_model,
)
from bench.twins.cache import twin_folder


def _real_like_copy(twin: Path, destination: Path) -> Path:
    """A copy of a twin folder with the twin marker removed: stands in for a real model folder."""
    shutil.copytree(twin, destination)
    model = onnx.load(str(destination / "model.onnx"), load_external_data=False)
    kept = [prop for prop in model.metadata_props if prop.key != TWIN_METADATA_KEY]
    del model.metadata_props[:]
    model.metadata_props.extend(kept)
    (destination / "model.onnx").write_bytes(model.SerializeToString())
    return destination


# --- twin grammar ---


def test_twin_ref_defaults_follow_the_published_builds_and_the_provider() -> None:
    cpu = parse_twin_ref("twin:mistral-nemo-12b:tiny")
    dml = parse_twin_ref("twin:mistral-nemo-12b:tiny", provider="dml")

    assert (cpu.block_size, cpu.symmetric, cpu.io_dtype, cpu.seed) == (128, False, "float32", 0)
    assert (dml.io_dtype, dml.provider) == ("float16", "dml")
    assert twin_folder(cpu) != twin_folder(dml)


def test_twin_ref_options() -> None:
    spec = parse_twin_ref("twin:nemotron-mini-4b:small:block_size=32,quant=sym,seed=7,dtype=float16")

    assert (spec.family, spec.size, spec.block_size, spec.symmetric, spec.seed, spec.io_dtype) == (
        "nemotron-mini-4b",
        "small",
        32,
        True,
        7,
        "float16",
    )
    assert parse_twin_ref(spec.ref) == spec


@pytest.mark.parametrize(
    ("ref", "message"),
    [
        ("twin:gpt-2:tiny", "unknown model family"),
        ("twin:mistral-nemo-12b:huge", "unknown size"),
        ("twin:mistral-nemo-12b", "malformed twin reference"),
        ("twin:mistral-nemo-12b:tiny:colour=red", "unknown twin option"),
        ("twin:mistral-nemo-12b:tiny:block_size=big", "not an integer"),
        ("twin:mistral-nemo-12b:tiny:block_size=48", "unsupported block size"),
        ("twin:mistral-nemo-12b:tiny:quant=int3", "unknown quant"),
        ("twin:mistral-nemo-12b:tiny:dtype=bfloat16", "unknown dtype"),
        ("twin:mistral-nemo-12b:tiny:seed=-1", "non-negative"),
    ],
)
def test_bad_twin_refs_are_clear_errors(ref: str, message: str) -> None:
    with pytest.raises(BenchError, match=message):
        resolve_model(ref)


def test_unknown_provider_is_a_clear_error() -> None:
    with pytest.raises(BenchError, match="unknown provider"):
        parse_twin_ref("twin:mistral-nemo-12b:tiny", provider="tpu")


# --- describing without building ---


def test_describe_twin_builds_nothing(twin_cache: Path) -> None:
    description = describe_model("twin:mistral-nemo-12b:full:seed=123")

    assert description.kind == "twin"
    assert description.context_length == 131072
    assert description.architecture.num_layers == 40
    assert description.path is None
    assert not (
        twin_cache / "mistral-nemo-12b" / parse_twin_ref("twin:mistral-nemo-12b:full:seed=123").cache_name
    ).exists()


def test_describe_real_model_without_a_local_copy_uses_family_data(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BENCH_MODELS_DIR", raising=False)
    monkeypatch.delenv(REAL_MODELS["nemotron-mini-4b"].env_var, raising=False)

    description = describe_model("nemotron-mini-4b")

    assert (description.kind, description.context_length, description.path) == ("real", 4096, None)
    assert description.display_name == "Nemotron-Mini-4B-Instruct ONNX INT4"


# --- twins ---


def test_twin_identity_records_the_twin(tiny_twins) -> None:
    identity = tiny_twins["mistral-nemo-12b"].identity

    assert identity.kind == "twin" and identity.is_twin
    assert identity.twin is not None and identity.twin.size == "tiny" and identity.twin.provider == "cpu"
    assert identity.label == "mistral-nemo-12b (twin:tiny)"
    assert identity.files["model.onnx.data"] > 0
    assert identity.architecture.context_length == 131072


def test_twin_prompt_range_excludes_special_tokens(tiny_twins) -> None:
    resolved = tiny_twins["nemotron-mini-4b"]

    assert resolved.prompt_token_range == (4, 4096)
    assert resolved.special_token_ids == frozenset({0, 1, 2, 3})
    assert resolved.tokenizer_vocab_size == 4096


def test_unbuilt_twin_with_build_disabled_is_refused() -> None:
    with pytest.raises(BenchError, match="not built yet"):
        resolve_model("twin:nemotron-mini-4b:tiny:seed=424242", build=False)


def test_twin_given_by_path_is_still_a_twin(tiny_twins) -> None:
    resolved = resolve_model(str(tiny_twins["nemotron-mini-4b"].path))

    assert resolved.identity.kind == "twin"
    assert resolved.identity.twin == tiny_twins["nemotron-mini-4b"].identity.twin
    assert describe_model(str(tiny_twins["nemotron-mini-4b"].path)).kind == "twin"


# --- registry names ---


def test_missing_real_model_says_which_variable_to_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BENCH_MODELS_DIR", raising=False)
    monkeypatch.delenv("BENCH_MODEL_MISTRAL_NEMO_12B", raising=False)

    with pytest.raises(BenchError) as raised:
        resolve_model("mistral-nemo-12b")

    message = raised.value.one_line()
    assert "BENCH_MODEL_MISTRAL_NEMO_12B" in message
    assert "BENCH_MODELS_DIR" in message
    assert "C:\\models\\mistral-nemo-12b" in message


def test_real_model_from_its_own_variable(
    tiny_twins, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = _real_like_copy(tiny_twins["mistral-nemo-12b"].path, tmp_path / "nemo")
    monkeypatch.setenv("BENCH_MODEL_MISTRAL_NEMO_12B", str(folder))

    resolved = resolve_model("mistral-nemo-12b")

    assert resolved.identity.kind == "real"
    assert resolved.identity.twin is None
    assert resolved.identity.name == "mistral-nemo-12b"
    assert resolved.path == folder.resolve()


def test_real_model_from_the_models_dir(tiny_twins, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _real_like_copy(tiny_twins["nemotron-mini-4b"].path, tmp_path / "models" / "nemotron-mini-4b")
    monkeypatch.delenv("BENCH_MODEL_NEMOTRON_MINI_4B", raising=False)
    monkeypatch.setenv("BENCH_MODELS_DIR", str(tmp_path / "models"))

    resolved = resolve_model("nemotron-mini-4b")

    assert resolved.identity.kind == "real"
    assert describe_model("nemotron-mini-4b").path == tmp_path / "models" / "nemotron-mini-4b"


def test_registry_variable_pointing_at_a_twin_still_says_twin(
    tiny_twins, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BENCH_MODEL_NEMOTRON_MINI_4B", str(tiny_twins["nemotron-mini-4b"].path))

    assert resolve_model("nemotron-mini-4b").identity.kind == "twin"


def test_variable_pointing_at_a_folder_without_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BENCH_MODEL_NEMOTRON_MINI_4B", str(tmp_path))

    with pytest.raises(BenchError, match="BENCH_MODEL_NEMOTRON_MINI_4B points at"):
        resolve_model("nemotron-mini-4b")


# --- plain folders ---


def test_plain_folder_is_kind_path(tiny_twins, tmp_path: Path) -> None:
    folder = _real_like_copy(tiny_twins["nemotron-mini-4b"].path, tmp_path / "my-model")

    resolved = resolve_model(str(folder))

    assert (resolved.identity.kind, resolved.identity.name, resolved.identity.family) == (
        "path",
        "my-model",
        None,
    )
    assert resolved.identity.content_sha256 != tiny_twins["nemotron-mini-4b"].identity.content_sha256


def test_folder_without_genai_config(tmp_path: Path) -> None:
    with pytest.raises(BenchError, match=r"no genai_config\.json"):
        resolve_model(str(tmp_path))


def test_nonexistent_reference() -> None:
    with pytest.raises(BenchError, match="neither a registry name"):
        resolve_model("no/such/model")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "not valid JSON"),
        (json.dumps({"search": {}}), "model.decoder"),
        (
            json.dumps({"model": {"decoder": {}, "type": "mistral", "context_length": 4, "vocab_size": 8}}),
            "head_size",
        ),
    ],
)
def test_unreadable_or_incomplete_config(tmp_path: Path, content: str, message: str) -> None:
    (tmp_path / "genai_config.json").write_text(content, encoding="utf-8")

    with pytest.raises(BenchError, match=message):
        resolve_model(str(tmp_path))


def test_config_naming_a_missing_graph(tiny_twins, tmp_path: Path) -> None:
    folder = tmp_path / "broken"
    folder.mkdir()
    shutil.copy(tiny_twins["nemotron-mini-4b"].path / "genai_config.json", folder)

    with pytest.raises(BenchError, match=r"model\.onnx named by genai_config\.json is missing"):
        resolve_model(str(folder))


# --- prompt ranges ---


@pytest.mark.parametrize(
    ("vocab", "specials", "expected"),
    [
        (4096, {0, 1, 2, 3}, (4, 4096)),
        (131072, set(range(1000)), (1000, 131072)),
        (256000, {0, 1, 2, 255998, 255999}, (3, 255998)),
        (100, set(), (0, 100)),
        (100, {5, 500}, (6, 100)),
    ],
)
def test_prompt_token_range(vocab: int, specials: set[int], expected: tuple[int, int]) -> None:
    assert prompt_token_range(vocab, specials) == expected


def test_wider_mlp_twin_is_a_different_model_with_more_work(tiny_twins) -> None:
    """``ffn=N`` (the known slowdown `bench ab` is proven with) is honest: its own cache folder, its own
    identity and point ids, a wider graph, and still a twin when given by path."""
    from bench.models.identity import model_key

    plain = tiny_twins["nemotron-mini-4b"]
    wide = resolve_model("twin:nemotron-mini-4b:tiny:ffn=1024")

    assert wide.path != plain.path and wide.path.name.endswith("-f1024-v1")
    assert wide.identity.twin is not None and wide.identity.twin.ffn == 1024
    assert plain.identity.twin is not None and plain.identity.twin.ffn is None
    assert model_key(wide.identity) == "twin:nemotron-mini-4b:tiny:ffn=1024"
    assert model_key(plain.identity) == "twin:nemotron-mini-4b:tiny"
    assert wide.identity.architecture.intermediate_size == 1024
    assert plain.identity.architecture.intermediate_size == 768
    assert wide.identity.quantization is not None and plain.identity.quantization is not None
    assert wide.identity.quantization.matmul_weight_bytes > plain.identity.quantization.matmul_weight_bytes
    by_path = resolve_model(str(wide.path))
    assert by_path.identity.kind == "twin" and by_path.identity.twin == wide.identity.twin


def test_ffn_must_be_a_positive_integer() -> None:
    with pytest.raises(BenchError, match="ffn"):
        parse_twin_ref("twin:nemotron-mini-4b:tiny:ffn=0")
    with pytest.raises(BenchError, match="not an integer"):
        parse_twin_ref("twin:nemotron-mini-4b:tiny:ffn=wide")
