"""PASS / FAIL / INCONCLUSIVE: coverage floors, exit codes, JUnit and the step summary (compare, gate)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from bench.analysis.regression import Rule
from bench.compare.engine import build_report
from bench.gating import judge, parse_min_coverage
from bench.outcome import Outcome
from bench.results.files import load_result, write_result
from bench.runner import RunOutcome
from tests.compare.test_cli import invoke
from tests.compare.test_engine import run

FLAGGED = "high_cv: decode_tokens_per_s varies 26.0% between repetitions (threshold 10%)"


def _flag(document, indices=None):
    for index, point in enumerate(document.points):
        if indices is None or index in indices:
            point.status, point.reasons = "flagged", [FLAGGED]
    return document


@pytest.fixture
def files(tmp_path):
    def write(document, name):
        return write_result(document, tmp_path / f"{name}.json")

    return write


def test_everything_excluded_is_inconclusive_never_a_pass(files) -> None:
    """The loaded-CPU case: every point of the candidate flagged, nothing compared -> exit 3."""
    base = files(run(seed=1, run_id="base"), "base")
    loaded = files(_flag(run(seed=2, run_id="loaded")), "loaded")
    result = invoke("compare", loaded, base)
    assert result.exit_code == 3, result.output
    assert "compare: INCONCLUSIVE: 0 of 10 comparisons decided" in result.output
    assert "10 flagged" in result.output and "a quieter runner" in result.output


def test_coverage_below_and_above_the_floor(files) -> None:
    base = files(run(seed=1, run_id="base"), "base")
    half = files(_flag(run(seed=2, run_id="half"), indices={0}), "half")  # 5 of 10 pairs left out
    assert invoke("compare", half, base).exit_code == 3
    assert invoke("compare", half, base, "--min-coverage", "60%").exit_code == 3
    relaxed = invoke("compare", half, base, "--min-coverage", "50%")
    assert (
        relaxed.exit_code == 0 and "PASS: no regression; 5 of 10 comparisons decided (50%" in relaxed.output
    )
    assert invoke("compare", half, base, "--min-coverage", "0.5").exit_code == 2  # a bare number is refused
    assert invoke("compare", half, base, "--fail-on-not-comparable").exit_code == 1


def test_a_regression_wins_over_inconclusive(files) -> None:
    base = files(run(seed=1, run_id="base"), "base")
    slow = files(_flag(run(scale=0.7, seed=2, run_id="slow"), indices={0}), "slow")
    result = invoke("compare", slow, base)
    assert result.exit_code == 1 and "compare: FAIL: 5 regression(s)" in result.output


def test_a_change_beyond_the_minimum_effect_that_is_not_significant_is_not_a_pass() -> None:
    candidate = run(seed=2, run_id="noisy")
    for point in candidate.points:  # 8 % slower on average, but two repetitions only: no test can tell
        point.metrics["tpot_ms"].samples = [1.01, 1.15]
    report = build_report([candidate], [run(seed=1, run_id="base")], rule=Rule(test="welch-log"))
    tpot = [r for r in report.rows if r.metric == "tpot_ms"]
    assert all(r.verdict == "no_change" and r.change_pct > 5 for r in tpot), [r.reason for r in tpot]
    outcome = judge(report, rule=Rule(test="welch-log"))
    assert outcome.outcome is Outcome.INCONCLUSIVE and outcome.exit_code == 3
    assert "2 change(s) beyond the minimum effect not significant" in outcome.reason
    assert "bench ab" in outcome.remedy


def test_nothing_expected_is_inconclusive() -> None:
    report = build_report([run(seed=2)], [run(seed=1, shapes=[(512, 8, 8)])], rule=Rule())
    assert judge(report, rule=Rule()).outcome is Outcome.INCONCLUSIVE


def test_min_coverage_accepts_100_percent() -> None:
    assert parse_min_coverage("100%") == 1.0 and parse_min_coverage("90%") == pytest.approx(0.9)


def test_junit_is_parsed_back_and_the_step_summary_appended(files, tmp_path) -> None:
    base = files(run(seed=1, run_id="base"), "base")
    slow = files(_flag(run(scale=0.7, seed=2, run_id="slow"), indices={1}), "slow")
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step\n")
    junit = tmp_path / "out" / "compare.xml"
    result = CliRunnerEnv(summary).invoke("compare", slow, base, "--junit", junit)
    assert result.exit_code == 1
    suite = ET.parse(junit).getroot().find("testsuite")
    assert suite is not None
    cases = suite.findall("testcase")
    assert len(cases) == 10 and suite.get("failures") == "5" and suite.get("skipped") == "5"
    failed = [c for c in cases if c.find("failure") is not None]
    assert all(c.get("name").startswith("p16-b1-o8 ") for c in failed)
    skipped = [c for c in cases if c.find("skipped") is not None]
    assert all("flagged" in (c.find("skipped").get("message") or "") for c in skipped)
    text = summary.read_text()
    assert (
        text.startswith("earlier step\n")
        and "### bench compare" in text
        and "**FAIL: 5 regression(s)" in text
    )


def test_gate_on_a_loaded_cpu_exits_3_never_0(files, monkeypatch) -> None:
    base = files(run(seed=1, run_id="base"), "base")

    def loaded_run(**kwargs):
        document = _flag(run(seed=9, run_id="loaded"))
        return RunOutcome(document=document, path=files(document, "gated"))

    monkeypatch.setattr("bench.cli.gate.execute_run", loaded_run)
    gated = invoke("gate", "smoke", "--baseline", base)
    assert gated.exit_code == 3, gated.output
    assert "gate: INCONCLUSIVE" in gated.output and "remedy:" in gated.output
    assert load_result(base).run_id == "base"


class CliRunnerEnv:
    """``invoke`` with $GITHUB_STEP_SUMMARY set."""

    def __init__(self, summary) -> None:
        self.env = {"COLUMNS": "250", "GITHUB_STEP_SUMMARY": str(summary)}

    def invoke(self, *args):
        from typer.testing import CliRunner

        from bench.cli.app import app

        return CliRunner().invoke(app, [str(a) for a in args], env=self.env)


def test_unreadable_inputs_make_a_pass_inconclusive() -> None:
    report = build_report([run(seed=2)], [run(seed=1, run_id="base")], rule=Rule())
    assert judge(report, rule=Rule()).outcome is Outcome.PASS
    outcome = judge(report, rule=Rule(), unread=["results/broken.json: not valid JSON"])
    assert outcome.outcome is Outcome.INCONCLUSIVE
    assert "1 input(s) left out: results/broken.json" in outcome.reason
    assert "unreadable files" in outcome.remedy
