"""`bench compare` on real result files recorded here (see data/README.md), through the real command."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bench.catalogue import shipped_dir
from bench.cli.app import app
from bench.compare.report import ComparisonReport

DATA = Path(__file__).parent / "data"
SHIPPED = shipped_dir("baselines")
NORMAL_1 = DATA / "smoke-normal-1.json"
NORMAL_2 = DATA / "smoke-normal-2.json"
SLOW = DATA / "smoke-slow-valgrind.json"


def compare(*args: object) -> tuple[int, ComparisonReport]:
    result = CliRunner().invoke(app, ["compare", *(str(a) for a in args), "--json"])
    assert result.exit_code in (0, 1, 3), result.output
    return result.exit_code, ComparisonReport.model_validate_json(result.stdout)


def test_two_normal_smoke_runs_show_no_regression():
    code, report = compare(NORMAL_2, NORMAL_1)
    # No regression, but the flagged points were not compared: inconclusive unless the floor allows it.
    assert code == 3 and not report.has_regression
    assert compare(NORMAL_2, NORMAL_1, "--min-coverage", "50%")[0] == 0
    compared = [r for r in report.rows if r.verdict != "not_comparable" and not r.excluded]
    assert len(compared) >= 20  # most of 8 points × 5 gate metrics (flagged points are excluded)
    assert report.count("not_comparable") == 0
    # The flagged points of either run are reported and excluded, not dropped.
    assert any(r.excluded and "flagged" in r.reason for r in report.rows)


def test_the_slowed_smoke_run_is_a_regression():
    code, report = compare(SLOW, NORMAL_1)
    assert code == 1 and report.has_regression
    decode = [r for r in report.rows if r.metric == "decode_tokens_per_s" and not r.excluded]
    assert decode and all(r.verdict == "regression" and r.change_pct < -50 for r in decode)
    ttft = [r for r in report.rows if r.metric == "ttft_ms" and not r.excluded]
    assert all(r.verdict == "regression" and r.change_pct > 100 for r in ttft)


def test_the_smoke_path_against_the_shipped_derived_baselines_is_not_comparable():
    code, report = compare(NORMAL_1, SHIPPED)
    assert code == 3  # nothing compared is never a pass
    assert report.rows and {r.verdict for r in report.rows} == {"not_comparable"}
    assert all(
        r.reason.startswith("no GPU in candidate run (provider cpu); baseline derived-") for r in report.rows
    )
    assert any("derived for ada / RTX 4090" in m for m in report.mismatches)
    assert any("derived for ampere / A100-SXM4-80GB" in m for m in report.mismatches)
    strict = CliRunner().invoke(app, ["compare", str(NORMAL_1), str(SHIPPED), "--fail-on-not-comparable"])
    assert strict.exit_code == 1


def test_a_result_file_recorded_as_baseline_gates_the_same_way(tmp_path):
    recorded = CliRunner().invoke(
        app, ["baseline", "record", str(NORMAL_1), "--name", "smoke-here", "--out", str(tmp_path)]
    )
    assert recorded.exit_code == 0, recorded.output
    baseline = json.loads((tmp_path / "smoke-here.json").read_text())
    assert baseline["provenance"] == "measured" and baseline["excluded"]  # the flagged point is left out
    assert compare(NORMAL_2, tmp_path / "smoke-here.json", "--min-coverage", "50%")[0] == 0
    assert compare(SLOW, tmp_path / "smoke-here.json")[0] == 1


@pytest.mark.slow
def test_gate_runs_the_smoke_scenario_and_compares_it_with_the_derived_baselines(tmp_path):
    result = CliRunner().invoke(
        app, ["gate", "smoke", "--baseline", str(SHIPPED), "--out", str(tmp_path), "--json"]
    )
    assert result.exit_code == 3, result.output  # nothing comparable on a CPU: inconclusive
    report = ComparisonReport.model_validate_json(result.stdout)
    written = list(tmp_path.glob("smoke-*.json"))
    assert len(written) == 1 and report.candidate == [json.loads(written[0].read_text())["run_id"]]
    assert report.rows and {r.verdict for r in report.rows} == {"not_comparable"}
    assert report.rows[0].reason.startswith("no GPU in candidate run (provider cpu)")
