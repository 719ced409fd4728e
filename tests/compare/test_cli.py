"""The commands: bench compare / gate / baseline / export -f pytest-benchmark, through the real app."""

from __future__ import annotations

import io
import json

import pytest
from typer.testing import CliRunner

from bench.catalogue import shipped_dir
from bench.cli.app import app
from bench.compare.baseline_files import load_baseline
from bench.compare.report import ComparisonReport
from bench.results.files import write_result
from bench.runner import RunOutcome
from tests.compare.test_engine import run

SHIPPED = shipped_dir("baselines")


def invoke(*args: str):
    return CliRunner().invoke(app, [str(a) for a in args], env={"COLUMNS": "250"})  # no wrapped lines


@pytest.fixture
def runs(tmp_path):
    paths = {}
    for name, scale, seed in (("base", 1.0, 1), ("same", 1.0, 2), ("slow", 0.7, 3)):
        paths[name] = write_result(run(scale=scale, seed=seed, run_id=name), tmp_path / f"{name}.json")
    return paths


def test_compare_exit_codes(runs, tmp_path):
    same = invoke("compare", runs["same"], runs["base"])
    assert same.exit_code == 0, same.output
    assert "no regression" in same.output and "rule:" in same.output
    slow = invoke("compare", runs["slow"], runs["base"])
    assert slow.exit_code == 1 and "REGRESSION" in slow.output
    missing = invoke("compare", runs["slow"], tmp_path / "nope.json")
    assert missing.exit_code == 2 and "no such file" in missing.output
    bad_option = invoke("compare", runs["slow"], runs["base"], "--min-effect", "fast")
    assert bad_option.exit_code == 2 and "--min-effect: not a percentage" in bad_option.output
    bare = invoke("compare", runs["slow"], runs["base"], "--min-effect", "0.05")  # 5 %? 0.05 %?
    assert bare.exit_code == 2 and "with a % sign" in bare.output
    backwards = invoke("compare", SHIPPED / "derived-ada-rtx-4090.json", runs["base"])
    assert backwards.exit_code == 2 and "a baseline cannot be the candidate" in backwards.output


def test_compare_json_and_markdown(runs):
    result = invoke("compare", runs["slow"], runs["base"], "--json", "--min-effect", "decode_tokens_per_s=3%")
    assert result.exit_code == 1
    report = ComparisonReport.model_validate_json(result.stdout)
    assert report.has_regression and report.candidate == ["slow"]
    assert "(decode_tokens_per_s 3 %)" in report.rule  # the per-metric minimum effect reached the rule
    markdown = invoke("compare", runs["slow"], runs["base"], "--markdown", "--metric", "ttft_ms")
    assert markdown.exit_code == 1
    assert markdown.stdout.startswith("### bench compare: REGRESSION (2)") and "`ttft_ms`" in markdown.stdout


def test_folders_of_runs_pool_rounds(runs, tmp_path):
    new = tmp_path / "new"
    for seed in (5, 6):
        write_result(run(seed=seed, run_id=f"new{seed}"), new / f"new{seed}.json")
    result = invoke("compare", new, runs["base"], "--json")
    assert result.exit_code == 0
    assert ComparisonReport.model_validate_json(result.stdout).candidate == ["new5", "new6"]


def test_nothing_comparable_is_inconclusive_and_fails_when_asked(runs):
    result = invoke("compare", runs["base"], SHIPPED)
    assert result.exit_code == 3
    assert (
        "NOTHING WAS COMPARED" in result.output and "no GPU in candidate run (provider cpu)" in result.output
    )
    strict = invoke("compare", runs["base"], "derived-ada-rtx-4090", "--fail-on-not-comparable")
    assert strict.exit_code == 1


def test_baseline_record_list_show(runs, tmp_path):
    out = tmp_path / "baselines"
    recorded = invoke("baseline", "record", runs["base"], runs["same"], "--name", "cpu-ref", "--out", out)
    assert recorded.exit_code == 0, recorded.output
    baseline = load_baseline(out / "cpu-ref.json")
    assert [s.run_id for s in baseline.sources] == ["base", "same"]
    again = invoke("baseline", "record", runs["base"], "--name", "cpu-ref", "--out", out)
    assert again.exit_code == 2 and "exists" in again.output
    listed = invoke("baseline", "list", out, SHIPPED, "--json")
    names = {entry["name"]: entry for entry in json.loads(listed.stdout)}
    assert names["cpu-ref"]["provenance"] == "measured"
    assert names["derived-ada-rtx-4090"]["provenance"] == "derived"
    shown = invoke("baseline", "show", SHIPPED / "derived-ampere-rtx-3090.json")
    assert shown.exit_code == 0 and "derived (not measured): ampere / RTX 3090" in shown.output
    assert "onnxruntime-genai/issues/641" in shown.output
    # The recorded baseline gates the slow run like the result file would.
    assert invoke("compare", runs["slow"], out / "cpu-ref.json").exit_code == 1


def test_baseline_derive_writes_the_files(tmp_path):
    result = invoke("baseline", "derive", "--out", tmp_path, "--sku", "rtx-4090", "--sku", "a100-80gb")
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "derived-ada-rtx-4090.json",
        "derived-ampere-a100-80gb.json",
    ]
    assert invoke("baseline", "derive", "--out", tmp_path, "--sku", "rtx-9999").exit_code == 2


def test_gate_runs_compares_and_states_the_rule(runs, tmp_path, monkeypatch):
    calls = []

    def fake_run(**kwargs):
        calls.append(kwargs)
        document = run(scale=0.6, seed=9, run_id="gated")
        return RunOutcome(document=document, path=write_result(document, tmp_path / "gated.json"))

    monkeypatch.setattr("bench.cli.gate.execute_run", fake_run)
    bad = invoke("gate", "smoke", "--baseline", tmp_path / "missing.json")
    assert bad.exit_code == 2 and not calls  # the baseline is read before anything runs
    gated = invoke("gate", "smoke", "--baseline", runs["base"], "--repetitions", "10", "--markdown")
    assert gated.exit_code == 1
    assert calls[0]["scenario"] == "smoke" and calls[0]["repetitions"] == 10
    assert "### bench gate smoke: REGRESSION" in gated.stdout and "**Rule:**" in gated.stdout


def test_export_pytest_benchmark(runs):
    result = invoke("export", runs["base"], "-f", "pytest-benchmark")
    assert result.exit_code == 0
    exported = json.loads(result.stdout)
    assert (
        exported["benchmarks"][0]["name"].startswith("e2e_latency[")
        and exported["commit_info"]["id"] == "base"
    )


@pytest.mark.parametrize("columns", [80, 200])
def test_terminal_table_fits_the_terminal_and_names_each_section(runs, columns):
    result = CliRunner().invoke(
        app, ["compare", str(runs["slow"]), str(runs["base"])], env={"COLUMNS": str(columns)}
    )
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert max(len(line.rstrip()) for line in lines) <= columns
    # One table per model, provider and metric, titled with its unit and direction; rows are sweep shapes.
    words = " ".join(result.output.split())  # titles may wrap on a narrow terminal
    assert "twin:mistral-nemo-12b:tiny · cpu · decode_tokens_per_s (tokens/s, higher is better)" in words
    assert any(line.lstrip().startswith("p") and "REGRESSION" in line for line in lines)
    # The per-row reason needs room: shown on a wide terminal, left to --markdown/--json on a narrow one.
    assert ("beyond" in result.output) is (columns == 200)


def test_piped_output_is_not_squeezed_to_80_columns(monkeypatch):
    from bench.compare import render

    monkeypatch.setattr("sys.stdout", io.StringIO())  # not a terminal, as in a CI log
    monkeypatch.delenv("COLUMNS", raising=False)
    assert render.report_console().width == render.PIPED_WIDTH
    monkeypatch.setenv("COLUMNS", "100")  # an explicit width wins
    assert render.report_console().width == 100


def test_text_from_files_is_printed_literally_not_as_rich_markup(runs, tmp_path):
    from bench.results.files import load_result

    document = load_result(runs["same"])
    hostile = "wrote [/var/log/bench] while [bold]throttled[/bold]"
    document.points[0].status = "flagged"
    document.points[0].reasons = [hostile]
    path = write_result(document, tmp_path / "hostile.json")
    result = invoke("compare", path, runs["base"])
    assert result.exit_code == 3, result.output  # the flagged point was not compared
    assert hostile in " ".join(result.output.split())


def _failed(document, error="onnxruntime-genai failed: out of memory"):
    """Every point of ``document`` as a run that crashed before measuring it."""
    for point in document.points:
        point.status, point.error, point.metrics = "invalid", error, {}
        point.reasons = [error]
    return document


def test_points_that_failed_are_reported_not_dropped(runs, tmp_path):
    failed = write_result(_failed(run(scale=1.0, seed=7, run_id="failed")), tmp_path / "failed.json")
    result = invoke("compare", failed, runs["base"], "--json")
    report = ComparisonReport.model_validate_json(result.stdout)
    assert report.rows and all(r.verdict == "not_comparable" for r in report.rows)
    assert "point invalid: onnxruntime-genai failed: out of memory" in report.rows[0].reason
    assert invoke("compare", failed, runs["base"], "--fail-on-not-comparable").exit_code == 1


def test_gate_fails_when_the_run_could_not_measure_its_points(runs, tmp_path, monkeypatch):
    def crashed_run(**kwargs):
        document = _failed(run(scale=1.0, seed=9, run_id="crashed"))
        return RunOutcome(document=document, path=write_result(document, tmp_path / "crashed.json"))

    monkeypatch.setattr("bench.cli.gate.execute_run", crashed_run)
    gated = invoke("gate", "smoke", "--baseline", runs["base"])
    assert gated.exit_code == 1
    assert "gate: FAIL:" in gated.output and "out of memory" in gated.output


def test_flagged_rows_fail_a_gate_that_asked_for_everything_to_be_compared(runs, tmp_path):
    from bench.results.files import load_result

    document = load_result(runs["same"])
    for point in document.points:
        point.status, point.reasons = "flagged", ["throttled: 10 of 10 repetitions ran under HwThermal"]
    throttled = write_result(document, tmp_path / "throttled.json")
    assert invoke("compare", throttled, runs["base"]).exit_code == 3  # inconclusive, never a pass
    strict = invoke("compare", throttled, runs["base"], "--fail-on-not-comparable")
    assert strict.exit_code == 1 and "excluded (flagged or invalid points)" in strict.output
