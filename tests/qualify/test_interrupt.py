"""Ctrl-C during a qualification keeps the stages completed before it; the rest say they did not run."""

from __future__ import annotations

from typer.testing import CliRunner

from bench.catalogue import shipped_dir
from bench.cli.app import app
from bench.engine.genai import StopFlag
from bench.outcome import Outcome
from bench.qualify.criteria import Stage, Status
from bench.qualify.profile import load_profile
from bench.qualify.report import load_qualification
from bench.qualify.run import qualify
from bench.results.files import load_result
from bench.runner import Reporter, SilentReporter
from tests.qualify.conftest import short_smoke


class StopAt:
    """Requests a stop (as the Ctrl-C handler does) when ``stage`` begins."""

    def __init__(self, stage: Stage, stop: StopFlag) -> None:
        self.at, self.stop = stage, stop

    def stage(self, stage: Stage, text: str) -> None:
        if stage == self.at:
            self.stop.request("SIGINT")

    def runner(self) -> Reporter:
        return SilentReporter()


def test_an_interrupt_during_performance_keeps_function_and_skips_the_soak(tmp_path):
    stop = StopFlag()
    outputs = qualify(
        profile=load_profile(str(short_smoke(tmp_path))),
        out_dir=tmp_path / "out",
        progress=StopAt("performance", stop),
        stop=stop,
        scenario_dirs=[shipped_dir("scenarios")],
    )
    assert outputs.interrupted
    report = load_qualification(outputs.json_path)
    assert report.status == "interrupted"
    assert [s.state for s in report.stages] == ["done", "done", "interrupted", "not run"]
    function = [c for c in report.criteria if c.stage == "function"]
    assert {c.name for c in function if c.status is Status.PASS} >= {"model loads", "exact token count"}
    soak = [c for c in report.criteria if c.stage == "soak"]
    assert [(c.status, c.reason) for c in soak] == [(Status.NOT_JUDGED, "not run: interrupted")]
    # Whatever passed before, an interrupted qualification never says PASS.
    assert report.verdict is not Outcome.PASS
    assert outputs.html_path.is_file() and outputs.junit_path.is_file()


def test_a_bad_store_url_is_refused_before_anything_runs(tmp_path):
    result = CliRunner().invoke(
        app,
        ["qualify", "--profile", "smoke", "--out", str(tmp_path / "out"), "--store", "mysql://u:secret@h/db"],
    )
    assert result.exit_code == 2 and result.output.count("\n") == 1
    assert "--store" in result.output and "secret" not in result.output
    assert not (tmp_path / "out").exists()


def test_store_ingests_the_runs_behind_the_report(tmp_path):
    from bench.store import open_store
    from bench.store.url import store_url

    out, db = tmp_path / "out", tmp_path / "lab.db"
    result = CliRunner().invoke(
        app,
        ["qualify", "--profile", str(short_smoke(tmp_path)), "--out", str(out), "--store", f"sqlite:///{db}"],
    )
    assert result.exit_code == 3, result.output
    (path,) = out.glob("qualification-*.json")
    report = load_qualification(path)
    run_ids = {load_result(f).run_id for f in report.result_files}
    assert run_ids and report.store is not None and f"{len(run_ids)} run(s) added" in report.store
    with open_store(store_url(f"sqlite:///{db}")) as store:
        assert {run.run_id for run in store.runs()} == run_ids


def test_an_unavailable_provider_or_unknown_model_is_bad_input_and_writes_nothing(tmp_path):
    out = tmp_path / "out"
    result = CliRunner().invoke(
        app, ["qualify", "--profile", "smoke", "--provider", "cuda", "--out", str(out)]
    )
    assert result.exit_code == 2 and "--provider: provider cuda is not available" in result.output
    profile = short_smoke(tmp_path, model="twin:no-such-family:tiny")
    result = CliRunner().invoke(app, ["qualify", "--profile", str(profile), "--out", str(out)])
    assert result.exit_code == 2 and "no-such-family" in result.output
    assert result.output.count("\n") == 1
    assert not out.exists()
