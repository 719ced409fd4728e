"""Stage 3: each point of the sweep inside the band of the SKU class's baseline (bench.compare decides)."""

from __future__ import annotations

from pathlib import Path

from bench.analysis.regression import Rule
from bench.catalogue import shipped_dir
from bench.compare.engine import build_report
from bench.compare.inputs import load_references
from bench.outcome import Outcome
from bench.qualify.criteria import Status, verdict
from bench.qualify.performance import judge_performance
from tests.compare.conftest import gpu_inventory
from tests.compare.test_baselines import real_identity
from tests.fakes.documents import make_document

REPO = Path(__file__).resolve().parents[2]
DERIVED_4090 = shipped_dir("baselines") / "derived-ada-rtx-4090.json"
POINT = (128, 1, 128)
BAND_LOW = 64.8  # derived-ada-rtx-4090.json, mistral-nemo-12b|cuda|p128|b1|o128 decode_tokens_per_s


def judge(decode: float, *, gpu: str = "NVIDIA GeForce RTX 4090", status: str = "valid"):
    document = make_document(
        {POINT: {"decode_tokens_per_s": [decode * f for f in (0.99, 1.0, 1.01, 1.0, 0.995)]}},
        model=real_identity(),
        provider="cuda",
        gpus=gpu_inventory(gpu, "ada"),
    )
    document.points[0].status = status  # type: ignore[assignment]
    document.points[0].reasons = [] if status == "valid" else [f"test: {status}"]
    report = build_report(
        [document], load_references([DERIVED_4090]), rule=Rule(), metrics=["decode_tokens_per_s"]
    )
    return judge_performance(report, no_gpu=None)


def test_a_gpu_20_percent_below_its_band_fails():
    rows = judge(0.8 * BAND_LOW)
    assert [r.status for r in rows] == [Status.FAIL]
    assert rows[0].subject == "mistral-nemo-12b|cuda|p128|b1|o128"
    assert rows[0].threshold.startswith(f">= {BAND_LOW:g} tokens/s (band {BAND_LOW:g}-")
    assert verdict(rows) is Outcome.FAIL


def test_a_point_inside_its_band_passes():
    rows = judge(1.3 * BAND_LOW)
    assert [r.status for r in rows] == [Status.PASS]


def test_faster_than_the_band_is_not_a_hardware_fault():
    assert [r.status for r in judge(10 * BAND_LOW)] == [Status.PASS]


def test_a_gpu_without_a_baseline_is_not_judged_with_the_reason():
    rows = judge(100.0, gpu="NVIDIA GeForce RTX 5090")
    assert [r.status for r in rows] == [Status.NOT_JUDGED]
    assert "GPU mismatch" in rows[0].reason
    assert verdict(rows) is Outcome.INCONCLUSIVE


def test_a_point_this_machine_failed_to_measure_fails():
    rows = judge(1.3 * BAND_LOW, status="invalid")
    assert [r.status for r in rows] == [Status.FAIL]


def test_a_flagged_point_is_left_out_and_not_judged():
    rows = judge(1.3 * BAND_LOW, status="flagged")
    assert [r.status for r in rows] == [Status.NOT_JUDGED]
    assert "flagged" in rows[0].reason
