"""The dashboard payload: what the page draws, from real smoke results and fabricated documents."""

from __future__ import annotations

import json

import numpy as np
import pytest

from bench.analysis.regression import Rule
from bench.analysis.verdict import Verdict
from bench.catalogue import shipped_dir
from bench.compare.baseline_files import load_baseline
from bench.compare.engine import build_report
from bench.dashboard.data import build_payload
from bench.dashboard.numbers import r as _r
from bench.errors import BenchError
from bench.results.files import load_result
from bench.telemetry.types import GpuDevice, GpuInventory
from tests.dashboard.conftest import NORMAL_1, NORMAL_2, SLOWED_POINT, SPED_UP_POINT
from tests.dashboard.synthetic import History, documents
from tests.fakes.documents import make_document, twin_identity

SHIPPED = shipped_dir("baselines")


def _series(payload: dict, model: str) -> dict:
    return next(s for s in payload["series"] if s["model"] == model)


def _at(series: dict, point_id: str) -> int:
    return series["points"]["id"].index(point_id)


def test_no_documents_is_a_user_error():
    with pytest.raises(BenchError, match="no result files"):
        build_payload(documents=[])


def test_single_run_draws_the_sweep_without_comparison():
    run = load_result(NORMAL_1)
    payload = build_payload(documents=[run])
    assert payload["verdict"]["state"] == "none"
    assert payload["verdict"]["rule"] is None
    assert [r["role"] for r in payload["runs"]] == ["candidate"]
    assert len(payload["series"]) == 2  # two twins, one provider, one machine
    for series in payload["series"]:
        assert series["points"]["verdicts"] is None
        assert all(v is None for v in series["points"]["baseline"]["decode_tokens_per_s"]["median"])
        # CPU runs: the VRAM chart gives the recorded reason instead of an empty plot.
        assert series["vramNote"] == "provider cpu uses no GPU"
    assert payload["models"]["twin:mistral-nemo-12b:tiny"]["twin"] is True


def test_error_bars_are_p10_p90_of_the_samples_and_the_median():
    run = load_result(NORMAL_1)
    payload = build_payload(documents=[run])
    point = next(p for p in run.points if p.status == "valid")
    series = _series(payload, point.model)
    i = _at(series, point.id)
    samples = np.asarray(point.metrics["ttft_ms"].samples)
    columns = series["points"]["metrics"]["ttft_ms"]
    assert columns["median"][i] == _r(float(np.median(samples)))
    assert columns["low"][i] == _r(float(np.percentile(samples, 10)))
    assert columns["high"][i] == _r(float(np.percentile(samples, 90)))
    assert columns["count"][i] == samples.size
    quantiles = series["points"]["itl"][i]
    itl = point.metrics["itl_ms"].samples
    assert quantiles[0] == _r(min(itl)) and quantiles[-1] == _r(max(itl)) and len(quantiles) == 51


def test_injected_regression_lands_at_its_point_with_the_reports_numbers(injected):
    candidate, baseline = load_result(injected), load_result(NORMAL_1)
    report = build_report([candidate], [baseline], rule=Rule())
    payload = build_payload(documents=[candidate], report=report, baselines=[baseline])
    verdict = payload["verdict"]
    assert verdict["state"] == "regression"
    assert verdict["rule"] == report.rule
    for name in Verdict:
        assert verdict["totals"][name] == report.count(name)  # type: ignore[arg-type]

    slowed = _series(payload, "twin:nemotron-mini-4b:tiny")
    i = _at(slowed, SLOWED_POINT)
    row = next(r for r in report.rows if r.point_id == SLOWED_POINT and r.metric == "decode_tokens_per_s")
    vd = slowed["points"]["verdicts"]["decode_tokens_per_s"]
    assert vd["verdict"][i] == "regression"
    assert vd["change"][i] == _r(row.change_pct) and vd["ciLow"][i] == _r(row.ci_low_pct)
    assert vd["pAdjusted"][i] == _r(row.p_adjusted)
    # Only that point of that model regressed.
    others = [k for k, code in enumerate(vd["verdict"]) if code == "regression"]
    assert others == [i]
    group = next(g for g in verdict["groups"] if g["model"] == "twin:nemotron-mini-4b:tiny")
    assert group["worst"]["point"] == i and group["counts"]["regression"] == 5

    faster = _series(payload, "twin:mistral-nemo-12b:tiny")
    j = _at(faster, SPED_UP_POINT)
    assert faster["points"]["verdicts"]["decode_tokens_per_s"]["verdict"][j] == "improvement"
    assert next(g for g in verdict["groups"] if g["model"] == faster["model"])["worst"] is None

    # The measured baseline's band is the report's: the 95 % CI of the baseline median.
    band = slowed["points"]["baseline"]["decode_tokens_per_s"]
    assert band["kind"] == "measured" and band["band"] == "ci"
    assert (band["median"][i], band["low"][i], band["high"][i]) == (
        _r(row.baseline_value),
        _r(row.baseline_low),
        _r(row.baseline_high),
    )
    assert band["low"][i] < band["median"][i] < band["high"][i]


def test_points_left_out_of_the_verdict_count_as_flagged(injected):
    candidate, baseline = load_result(injected), load_result(NORMAL_1)
    report = build_report([candidate], [baseline], rule=Rule())
    payload = build_payload(documents=[candidate], report=report, baselines=[baseline])
    flagged_ids = {p.id for p in candidate.points if p.status == "flagged"} | {
        r.point_id for r in report.rows if r.excluded
    }
    assert flagged_ids  # both recorded runs have a flagged point (tests/compare/data/README.md)
    assert payload["verdict"]["totals"]["flagged"] == len(flagged_ids)
    nemotron = _series(payload, "twin:nemotron-mini-4b:tiny")
    for point_id in flagged_ids:
        if point_id in nemotron["points"]["id"]:
            i = _at(nemotron, point_id)
            flagged_here = nemotron["points"]["status"][i] == "flagged"
            assert flagged_here or nemotron["points"]["verdicts"]["ttft_ms"]["excluded"][i] == 1


def test_derived_baseline_gives_the_tolerance_band():
    identity = twin_identity().model_copy(
        update={
            "kind": "real",
            "name": "mistral-nemo-12b",
            "ref": "mistral-nemo-12b",
            "twin": None,
            "size": None,
        }
    )
    gpu = GpuInventory(
        available=True,
        devices=[
            GpuDevice(index=0, name="NVIDIA GeForce RTX 4090", architecture="ada", driver_version="565.90")
        ],
    )
    candidate = make_document(
        {(128, 1, 128): {"decode_tokens_per_s": [120.0, 121.0, 119.5, 122.0, 120.5]}},
        model=identity,
        provider="cuda",
        gpus=gpu,
    )
    derived = load_baseline(SHIPPED / "derived-ada-rtx-4090.json")
    report = build_report([candidate], [derived], rule=Rule())
    payload = build_payload(documents=[candidate], report=report, baselines=[derived])
    series = payload["series"][0]
    assert series["baselineKind"] == "derived" and series["gpu"] == "ada / RTX 4090"
    band = series["points"]["baseline"]["decode_tokens_per_s"]
    expected = derived.points["mistral-nemo-12b|cuda|p128|b1|o128"].expected["decode_tokens_per_s"]
    assert band["kind"] == "derived" and band["band"] == "tolerance"
    assert (band["median"][0], band["low"][0], band["high"][0]) == (
        _r(expected.expected),
        _r(expected.low),
        _r(expected.high),
    )
    assert series["points"]["verdicts"]["decode_tokens_per_s"]["verdict"][0] == "no_change"
    # Fabricated documents carry no telemetry at all: the VRAM chart says so.
    assert series["vramNote"].startswith("no telemetry recorded")


def test_trend_places_the_change_point_at_the_slowdown():
    history = History(
        runs=24,
        prompts=(512,),
        batches=(1, 4),
        outputs=(64,),
        slowdown={"mistral-nemo-12b": 1.15},
        slowdown_from=14,
        drivers=((0, "565.90"), (14, "570.12")),
    )
    runs = documents(history)
    payload = build_payload(documents=runs[-1:], history=runs[:-1])
    trend = payload["trend"]
    assert [r["role"] for r in payload["runs"]] == ["history"] * 23 + ["candidate"]
    assert trend["versions"][0] == "driver 565.90, onnxruntime-genai 0.18.0"
    assert trend["versions"][-1] == "driver 570.12, onnxruntime-genai 0.18.0"
    for series in trend["series"]:
        assert series["run"] == list(range(24))
        decode = series["changePoints"]["decode_tokens_per_s"]
        if series["model"] == "twin:mistral-nemo-12b:full":
            assert [(c["run"], c["verdict"]) for c in decode] == [(14, "regression")]
            assert decode[0]["change"] < -10
        else:
            assert decode == []


def test_runs_given_twice_keep_their_first_role_and_are_ordered_by_time():
    a, b = load_result(NORMAL_1), load_result(NORMAL_2)
    payload = build_payload(documents=[b], baselines=[a], history=[a, b])
    assert [(r["id"], r["role"]) for r in payload["runs"]] == [
        (a.run_id, "baseline"),
        (b.run_id, "candidate"),
    ]


def test_candidates_on_two_drivers_get_one_series_each_with_their_own_verdicts():
    history = History(
        runs=6,
        prompts=(512,),
        batches=(1,),
        outputs=(64,),
        drivers=((0, "565.90"), (3, "570.12")),
        slowdown={"mistral-nemo-12b": 1.3},
        slowdown_from=3,
    )
    runs = documents(history)
    report = build_report(runs[1:], runs[:1], rule=Rule())
    payload = build_payload(documents=runs[1:], report=report, baselines=runs[:1])
    mistral = [s for s in payload["series"] if s["model"] == "twin:mistral-nemo-12b:full"]
    assert sorted(s["versions"] for s in mistral) == [
        "driver 565.90, onnxruntime-genai 0.18.0",
        "driver 570.12, onnxruntime-genai 0.18.0",
    ]
    verdicts = {s["versions"]: s["points"]["verdicts"]["decode_tokens_per_s"]["verdict"][0] for s in mistral}
    assert verdicts["driver 570.12, onnxruntime-genai 0.18.0"] == "regression"
    assert verdicts["driver 565.90, onnxruntime-genai 0.18.0"] == "no_change"


def test_payload_is_plain_json():
    payload = build_payload(documents=[load_result(NORMAL_1)])
    assert json.loads(json.dumps(payload, allow_nan=False)) == payload


def test_change_points_are_searched_in_the_newest_runs_only():
    old_step = History(
        runs=70,
        prompts=(512,),
        batches=(1,),
        outputs=(64,),
        slowdown={"mistral-nemo-12b": 1.2},
        slowdown_from=10,
    )
    runs = documents(old_step)
    trend = build_payload(documents=runs[-1:], history=runs[:-1])["trend"]
    mistral = next(s for s in trend["series"] if s["model"] == "twin:mistral-nemo-12b:full")
    assert trend["window"] == 50 and len(mistral["run"]) == 70
    # The step at run 10 is older than the last 50 runs.
    assert mistral["changePoints"]["decode_tokens_per_s"] == []


def test_without_a_report_the_band_is_the_baseline_spread():
    candidate, baseline = load_result(NORMAL_2), load_result(NORMAL_1)
    payload = build_payload(documents=[candidate], baselines=[baseline])
    assert payload["verdict"]["state"] == "none"
    point = next(p for p in baseline.points if p.status == "valid")
    series = _series(payload, point.model)
    i = _at(series, point.id)
    band = series["points"]["baseline"]["decode_tokens_per_s"]
    samples = point.metrics["decode_tokens_per_s"].samples
    assert band["band"] == "spread"
    assert band["low"][i] == _r(float(np.percentile(samples, 10)))
    assert band["high"][i] == _r(float(np.percentile(samples, 90)))
