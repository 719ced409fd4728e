"""The comparison engine on fabricated runs: matching, exclusions, pooling, version grouping, verdicts."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest

from bench.analysis.regression import Rule
from bench.catalogue import shipped_dir
from bench.compare.baseline_files import load_baseline
from bench.compare.engine import build_report
from bench.compare.pooling import record_baseline
from bench.compare.render import headline, to_markdown
from bench.compare.report import ComparisonReport
from tests.compare.conftest import gpu_inventory
from tests.compare.test_baselines import real_identity
from tests.fakes.documents import make_document

SHIPPED = shipped_dir("baselines")
SHAPES = [(16, 1, 8), (64, 2, 8)]


def samples(center: float, n: int = 10, seed: int = 0, spread: float = 0.01) -> list[float]:
    rng = np.random.default_rng(seed)
    return list(center * (1 + spread * rng.standard_normal(n)))


def run(*, scale: float = 1.0, seed: int = 0, shapes=SHAPES, **kwargs):
    """A run whose throughputs are ``scale`` × the reference and whose latencies are 1/scale ×."""
    points = {
        shape: {
            "ttft_ms": samples(2.0 * shape[0] / 16 / scale, seed=seed),
            "prefill_tokens_per_s": samples(8000.0 * scale, seed=seed + 1),
            "decode_tokens_per_s": samples(1000.0 * scale, seed=seed + 2),
            "tpot_ms": samples(1.0 / scale, seed=seed + 3),
            "e2e_latency_ms": samples(10.0 / scale, seed=seed + 4),
        }
        for shape in shapes
    }
    return make_document(points, **kwargs)


def test_same_performance_is_no_change():
    report = build_report([run(seed=1)], [run(seed=2, run_id="base")], rule=Rule())
    assert not report.has_regression
    assert report.count("no_change") == len(report.rows) == 2 * 5
    assert report.rule == Rule().describe(10)  # the correction ran over the 10 comparisons


def test_slower_candidate_is_a_regression_on_every_gate_metric():
    report = build_report([run(scale=0.7, seed=1)], [run(seed=2, run_id="base")], rule=Rule())
    assert report.has_regression and report.count("regression") == 10
    decode = next(r for r in report.rows if r.metric == "decode_tokens_per_s")
    assert decode.change_pct == pytest.approx(-30, abs=2)
    assert decode.ci_low_pct < decode.change_pct < decode.ci_high_pct
    assert decode.baseline_kind == "measured" and decode.baseline_label.startswith("measured: runs-")


def test_faster_candidate_is_an_improvement_not_a_regression():
    report = build_report([run(scale=1.4, seed=1)], [run(seed=2, run_id="base")], rule=Rule())
    assert not report.has_regression and report.count("improvement") == 10


def test_metric_restriction():
    report = build_report([run(seed=1)], [run(seed=2)], rule=Rule(), metrics=["ttft_ms"])
    assert {r.metric for r in report.rows} == {"ttft_ms"}


def test_cpu_smoke_run_against_the_shipped_derived_baselines_is_not_comparable():
    derived = [load_baseline(p) for p in sorted(SHIPPED.glob("derived-*.json"))]
    report = build_report([run()], derived, rule=Rule())
    assert report.rows and all(r.verdict == "not_comparable" for r in report.rows)
    assert not report.has_regression
    reason = report.rows[0].reason
    assert reason.startswith("no GPU in candidate run (provider cpu); baseline derived-")
    assert "is derived for" in reason and f"(and {len(derived) - 1} other baselines" in reason
    assert any("derived for ada / RTX 4090" in m for m in report.mismatches)
    assert any("derived for ampere / RTX 3090" in m for m in report.mismatches)
    assert "NOTHING WAS COMPARED" in headline(report)


def test_gpu_run_against_its_derived_baseline_catches_only_gross_problems():
    baseline = load_baseline(SHIPPED / "derived-ada-rtx-4090.json")
    expected = baseline.points["mistral-nemo-12b|cuda|p64|b1|o32"].expected["decode_tokens_per_s"].expected

    def gpu_run(decode: float):
        return make_document(
            {(64, 1, 32): {"decode_tokens_per_s": samples(decode)}},
            model=real_identity(),
            provider="cuda",
            gpus=gpu_inventory("NVIDIA GeForce RTX 4090", "ada"),
        )

    healthy = build_report([gpu_run(expected * 0.8)], [baseline], rule=Rule())
    row = next(r for r in healthy.rows if r.metric == "decode_tokens_per_s")
    assert row.verdict == "no_change" and row.baseline_kind == "derived"
    assert row.baseline_label.startswith("derived (not measured)") and "derived expectation" in row.reason
    broken = build_report([gpu_run(expected * 0.2)], [baseline], rule=Rule())
    assert broken.has_regression
    assert any("DERIVED, NOT MEASURED" in n for n in broken.notes)
    # Every point of the derived file the run did not measure is listed, summarised.
    assert broken.mismatches and broken.mismatches[-1].startswith("... and ")


def test_twin_run_against_a_real_weights_baseline_is_never_compared():
    real = record_baseline([run(model=real_identity(), run_id="real")], name="real")
    report = build_report([run()], [real], rule=Rule())
    assert all(r.verdict == "not_comparable" for r in report.rows)
    assert report.rows[0].reason.startswith("twin vs real weights")


def test_flagged_points_are_reported_and_excluded_unless_asked():
    candidate = run(scale=0.5, seed=1)
    candidate.points[0].status = "flagged"
    candidate.points[0].reasons = ["cv 0.25 above 0.10"]
    candidate.points[1].status = "invalid"
    candidate.points[1].reasons = ["token count mismatch"]
    report = build_report([candidate], [run(seed=2)], rule=Rule())
    flagged = [r for r in report.rows if r.point_id == candidate.points[0].id]
    invalid = [r for r in report.rows if r.point_id == candidate.points[1].id]
    assert flagged and all(r.excluded and r.verdict == "not_comparable" for r in flagged)
    assert all("flagged" in r.reason and "cv 0.25 above 0.10" in r.reason for r in flagged)
    assert invalid and all(r.excluded and "token count mismatch" in r.reason for r in invalid)
    assert not report.has_regression  # the halved throughput sits only in excluded points
    included = build_report([candidate], [run(seed=2)], rule=Rule(include_flagged=True))
    assert included.has_regression
    # Flagged points are let in; invalid ones never (their samples do not measure the point).
    excluded = {r.point_id for r in included.rows if r.excluded}
    assert excluded == {candidate.points[1].id}


def test_points_missing_on_either_side_are_listed():
    candidate = run(shapes=[(16, 1, 8), (32, 1, 8)])
    report = build_report([candidate], [run(seed=2)], rule=Rule())
    missing = [r for r in report.rows if r.point_id.endswith("p32|b1|o8")]
    assert missing and all(
        r.verdict == "not_comparable" and r.reason.startswith("point not in baseline") for r in missing
    )
    assert any(
        "p64|b2|o8: in baseline" in m and "not measured by the candidate" in m for m in report.mismatches
    )


def test_rounds_are_pooled_and_a_driver_change_is_named_and_grouped():
    gpu_a = gpu_inventory("NVIDIA GeForce RTX 4090", "ada", driver="565.90")
    gpu_b = gpu_inventory("NVIDIA GeForce RTX 4090", "ada", driver="572.16")
    base = [run(seed=i, run_id=f"a{i}", provider="cuda", gpus=gpu_a) for i in range(3)]
    new = [run(seed=10 + i, run_id=f"b{i}", provider="cuda", gpus=gpu_b) for i in range(3)]
    for i, (a, b) in enumerate(zip(base, new, strict=True)):  # A B A B A B
        a.started_at += timedelta(hours=2 * i)
        b.started_at += timedelta(hours=2 * i + 1)
    report = build_report(new, base, rule=Rule())
    assert "VERSION COMPARISON: driver 565.90 (baseline) -> 572.16 (candidate)" in report.notes
    assert "rounds were interleaved" in report.notes
    assert any(n.startswith("rounds: 3 candidate run(s), 3 baseline run(s)") for n in report.notes)
    assert report.candidate == ["b0", "b1", "b2"] and not report.has_regression

    mixed = build_report([new[0], run(seed=20, run_id="c", provider="cuda", gpus=gpu_a)], base, rule=Rule())
    assert {r.group for r in mixed.rows} == {
        "ada / RTX 4090; driver 572.16, onnxruntime-genai 0.18.0",
        "ada / RTX 4090; driver 565.90, onnxruntime-genai 0.18.0",
    }


def test_sequential_rounds_are_called_out():
    base = [run(seed=i, run_id=f"a{i}") for i in range(2)]
    new = [run(seed=10 + i, run_id=f"b{i}") for i in range(2)]
    for i, document in enumerate(new):
        document.started_at += timedelta(days=1, hours=i)
    report = build_report(new, base, rule=Rule())
    assert any(n.startswith("rounds were not interleaved") for n in report.notes)


def test_report_renders_the_rule_and_round_trips_as_json():
    report = build_report([run(scale=0.7, seed=1)], [run(seed=2)], rule=Rule())
    markdown = to_markdown(report)
    assert markdown.startswith("### bench compare: REGRESSION (10)")
    assert f"**Rule:** {report.rule}" in markdown and "| point | metric | baseline |" in markdown
    assert ComparisonReport.model_validate_json(report.model_dump_json()) == report


def test_a_model_the_candidate_did_not_run_at_all_is_a_mismatch_in_one_line():
    baseline = run(seed=2)
    for point in list(baseline.points):
        other = point.model_copy(
            update={"id": point.id.replace(point.model, "twin:other:tiny"), "model": "twin:other:tiny"}
        )
        baseline.points.append(other)
    report = build_report([run(seed=1)], [baseline], rule=Rule())
    lines = [m for m in report.mismatches if m.startswith("twin:other:tiny on cpu")]
    assert len(lines) == 1 and "2 point(s)" in lines[0] and "none measured by the candidate" in lines[0]


def test_of_several_matching_references_the_same_versions_win_and_the_rest_are_named():
    old_driver = gpu_inventory("NVIDIA GeForce RTX 4090", "ada", driver="560.10")
    same_driver = gpu_inventory("NVIDIA GeForce RTX 4090", "ada", driver="565.90")
    candidate = run(seed=1, run_id="new", provider="cuda", gpus=same_driver)
    references = [
        run(seed=2, run_id="old", provider="cuda", gpus=old_driver),  # given first
        run(seed=3, run_id="same", provider="cuda", gpus=same_driver),
    ]
    report = build_report([candidate], references, rule=Rule())
    assert report.baseline == ["runs-same"]
    assert not any(n.startswith("VERSION COMPARISON") for n in report.notes)
    assert any(n.startswith("runs-old (") and n.endswith("also matched, not used") for n in report.notes)
