"""Baseline files: recording from runs, refusing foreign files, matching a run with its baseline."""

from __future__ import annotations

import json

import pytest

from bench.compare.baseline_files import load_baseline, write_baseline
from bench.compare.baselines import BaselineDocument, GpuKey, gpu_key
from bench.compare.context import run_context
from bench.compare.matching import match_baseline, mismatch_reason, point_mismatch
from bench.compare.pooling import record_baseline
from bench.compare.skus import sku_for
from bench.errors import BenchError
from bench.models.identity import ArchitectureFacts, ModelIdentity
from tests.compare.conftest import gpu_inventory
from tests.fakes.documents import make_document

POINTS = {
    (16, 1, 8): {"ttft_ms": [2.0, 2.1, 2.2], "decode_tokens_per_s": [100.0, 101.0, 99.0]},
    (64, 2, 8): {"ttft_ms": [8.0, 8.1, 8.2], "decode_tokens_per_s": [50.0, 51.0, 49.0]},
}


def real_identity(name: str = "mistral-nemo-12b") -> ModelIdentity:
    return ModelIdentity(
        ref=name,
        kind="real",
        name=name,
        family=name,
        path=f"/models/{name}",
        files={"model.onnx": 1},
        content_sha256="1" * 64,
        architecture=ArchitectureFacts(
            model_type="mistral",
            num_layers=40,
            hidden_size=5120,
            num_attention_heads=32,
            num_kv_heads=8,
            head_dim=128,
            vocab_size=131072,
            context_length=131072,
        ),
    )


def _with_status(document, index: int, status: str, reason: str):
    document.points[index].status = status
    document.points[index].reasons = [reason]
    return document


def test_record_keeps_every_sample_rounds_and_each_runs_environment():
    first = make_document(POINTS, run_id="r1")
    second = make_document(POINTS, run_id="r2", hostname="host-b")
    baseline = record_baseline([first, second], name="cpu-base", files=["a.json", "b.json"])
    point = baseline.points["twin:mistral-nemo-12b:tiny|cpu|p16|b1|o8"]
    assert point.measured["ttft_ms"].samples == [2.0, 2.1, 2.2, 2.0, 2.1, 2.2]
    assert point.measured["ttft_ms"].rounds == [3, 3]
    assert [s.run_id for s in baseline.sources] == ["r1", "r2"]
    assert [s.hostname for s in baseline.sources] == ["host-a", "host-b"]
    assert baseline.sources[0].onnxruntime_genai == "0.18.0" and baseline.sources[0].file == "a.json"
    assert baseline.provenance == "measured" and baseline.gpu is None and baseline.providers == ["cpu"]
    assert baseline.environment == first.environment
    assert [m.kind for m in baseline.models] == ["twin"]


def test_flagged_and_invalid_points_never_feed_a_baseline_silently():
    document = make_document(POINTS)
    _with_status(document, 0, "flagged", "cv 0.31 above 0.10")
    _with_status(document, 1, "invalid", "token count mismatch")
    with pytest.raises(BenchError, match="no valid point"):
        record_baseline([document], name="b")
    baseline = record_baseline([document], name="b", include_flagged=True)
    assert list(baseline.points) == ["twin:mistral-nemo-12b:tiny|cpu|p16|b1|o8"]
    assert baseline.points["twin:mistral-nemo-12b:tiny|cpu|p16|b1|o8"].status == "flagged"
    assert len(baseline.excluded) == 1 and "invalid: token count mismatch" in baseline.excluded[0]


def test_a_point_flagged_in_any_round_is_flagged_in_the_pool():
    clean = make_document(POINTS, run_id="r1")
    flagged = _with_status(make_document(POINTS, run_id="r2"), 0, "flagged", "throttled")
    baseline = record_baseline([clean, flagged], name="b", include_flagged=True)
    assert baseline.points["twin:mistral-nemo-12b:tiny|cpu|p16|b1|o8"].status == "flagged"
    assert baseline.points["twin:mistral-nemo-12b:tiny|cpu|p64|b2|o8"].status == "valid"


def test_incomplete_run_is_refused():
    with pytest.raises(BenchError, match="interrupted, not complete"):
        record_baseline([make_document(POINTS, status="interrupted")], name="b")


def test_runs_on_different_gpus_make_no_baseline():
    a = make_document(POINTS, provider="cuda", gpus=gpu_inventory("NVIDIA GeForce RTX 4090"))
    b = make_document(POINTS, provider="cuda", gpus=gpu_inventory("NVIDIA GeForce RTX 3090"))
    with pytest.raises(BenchError, match="different GPUs"):
        record_baseline([a, b], name="b")


def test_round_trip_and_refusal_of_foreign_files(tmp_path):
    baseline = record_baseline([make_document(POINTS)], name="b")
    path = write_baseline(baseline, tmp_path / "b.json")
    assert load_baseline(path) == baseline
    raw = json.loads(path.read_text())
    assert raw["kind"] == "bench.baseline" and raw["schema_version"] == 1 and raw["provenance"] == "measured"

    future = tmp_path / "future.json"
    future.write_text(json.dumps(raw | {"schema_version": 99}))
    with pytest.raises(BenchError) as caught:
        load_baseline(future)
    assert "foreign baseline schema: schema_version 99" in str(caught.value) and "\n" not in str(caught.value)

    result = tmp_path / "result.json"
    result.write_text(make_document(POINTS).model_dump_json())
    with pytest.raises(BenchError, match="not a bench baseline file"):
        load_baseline(result)
    broken = tmp_path / "broken.json"
    broken.write_text("{")
    with pytest.raises(BenchError, match="not valid JSON"):
        load_baseline(broken)
    tampered = tmp_path / "tampered.json"
    raw["points"]["twin:mistral-nemo-12b:tiny|cpu|p16|b1|o8"]["measured"]["ttft_ms"]["rounds"] = [2]
    tampered.write_text(json.dumps(raw))
    with pytest.raises(BenchError, match="invalid baseline file at points"):
        load_baseline(tampered)


def test_gpu_names_resolve_to_skus_and_architectures():
    assert gpu_key("NVIDIA GeForce RTX 4090") == GpuKey(
        name="NVIDIA GeForce RTX 4090", architecture="ada", sku="rtx-4090"
    )
    assert sku_for("NVIDIA A100 80GB PCIe").id == "a100-pcie-80gb"
    assert sku_for("NVIDIA A100-SXM4-80GB").id == "a100-80gb"
    assert sku_for("NVIDIA A100-PCIE-40GB").id == "a100-40gb"
    assert sku_for("NVIDIA GeForce RTX 3090 Ti") is None  # another card: no silent match
    assert sku_for("NVIDIA RTX 6000 Ada Generation").id == "rtx-6000-ada"
    # Laptop parts are other chips with other memory: never the desktop SKU of the same number.
    assert sku_for("NVIDIA GeForce RTX 4090 Laptop GPU") is None
    assert sku_for("NVIDIA GeForce RTX 3070 Laptop GPU") is None
    assert not gpu_key("NVIDIA GeForce RTX 4090 Laptop GPU").same_gpu(gpu_key("NVIDIA GeForce RTX 4090"))


def _derived(name: str, gpu: GpuKey, providers=("cuda",)) -> BaselineDocument:
    from bench.compare.baselines import Derivation

    return BaselineDocument(
        name=name,
        provenance="derived",
        gpu=gpu,
        providers=list(providers),
        models=[],
        points={},
        derivation=Derivation(method="test", sku={}, calibration=[], figures=[], tolerance={}),
    )


def _context(document):
    return run_context(document, document.sessions[0])


def test_cpu_run_against_a_gpu_baseline_says_why_not():
    ada = _derived("derived-ada-rtx-4090", gpu_key("NVIDIA GeForce RTX 4090"))
    match = match_baseline(_context(make_document(POINTS)), [ada])
    assert match.baseline is None
    assert match.reasons == [
        "no GPU in candidate run (provider cpu); baseline derived-ada-rtx-4090 is derived for ada / RTX 4090"
    ]


def test_match_by_gpu_name_first_then_architecture():
    run = make_document(POINTS, provider="cuda", gpus=gpu_inventory("NVIDIA GeForce RTX 4090", "ada"))
    exact = _derived("exact", gpu_key("NVIDIA GeForce RTX 4090"))
    family = _derived("family", GpuKey(name=None, architecture="ada"))
    other = _derived("other", gpu_key("NVIDIA GeForce RTX 3090"))
    assert match_baseline(_context(run), [family, other, exact]).baseline.name == "exact"
    match = match_baseline(_context(run), [family, other])
    assert (match.baseline.name, match.how) == ("family", "architecture")
    assert match.reasons == [
        "GPU mismatch: candidate ran on ada / RTX 4090; baseline other is derived for ampere / RTX 3090"
    ]
    # A different SKU of the same architecture is not "the baseline for its GPU".
    assert (
        match_baseline(_context(run), [_derived("4080", gpu_key("NVIDIA GeForce RTX 4080"))]).baseline is None
    )


def test_gpu_run_against_a_cpu_baseline_is_refused():
    cpu_baseline = record_baseline([make_document(POINTS)], name="cpu")
    run = make_document(POINTS, provider="cuda", gpus=gpu_inventory("NVIDIA GeForce RTX 4090"))
    reason = mismatch_reason(_context(run), cpu_baseline)
    assert reason.startswith(
        "candidate ran on ada / RTX 4090 (provider cuda); baseline cpu was measured without"
    )


def test_point_mismatch_names_provider_twin_and_model():
    twin_baseline = record_baseline([make_document(POINTS)], name="twins")
    real_baseline = record_baseline([make_document(POINTS, model=real_identity())], name="real")
    assert point_mismatch(
        point_id="x|cuda|p1|b1|o2",
        model="twin:mistral-nemo-12b:tiny",
        model_kind="twin",
        provider="cuda",
        baseline=twin_baseline,
    ).startswith("provider mismatch: candidate cuda")
    twin_vs_real = point_mismatch(
        point_id="x",
        model="twin:mistral-nemo-12b:tiny",
        model_kind="twin",
        provider="cpu",
        baseline=real_baseline,
    )
    assert (
        twin_vs_real.startswith(
            "twin vs real weights: candidate measured synthetic twin twin:mistral-nemo-12b:tiny"
        )
        and "never compared" in twin_vs_real
    )
    assert point_mismatch(
        point_id="x",
        model="twin:nemotron-mini-4b:tiny",
        model_kind="twin",
        provider="cpu",
        baseline=twin_baseline,
    ).startswith("model mismatch")
