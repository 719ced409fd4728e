"""`bench ab` end to end on real tiny twins (CPU onnxruntime-genai): sides, files, interruption, errors."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from bench.ab.rounds import AbRequest, run_ab
from bench.ab.sides import Side
from bench.engine.genai import StopFlag
from bench.metrics import GATE_METRICS
from bench.results.files import load_result
from bench.scenarios import load_scenario
from tests.ab.conftest import REPO, TINY, TINY_WIDER, bench

pytest.importorskip("onnxruntime_genai")


def _folder(out: Path) -> Path:
    (folder,) = [p for p in out.iterdir() if p.is_dir()]
    return folder


def test_two_model_folders_interleaved_into_two_ordinary_result_files(tmp_path, scenario_file, model_folders):
    old, new = model_folders
    summary = tmp_path / "summary.md"
    done = bench(
        "ab", str(scenario_file), "--baseline-model", str(old), "--candidate-model", str(new),
        "--rounds", "2", "--repetitions", "2", "--out", str(tmp_path / "out"),
        "--junit", str(tmp_path / "ab.xml"), "--dashboard", str(tmp_path / "ab.html"),
        env={"GITHUB_STEP_SUMMARY": str(summary)},
    )  # fmt: skip
    assert done.returncode in (0, 1, 3), done.stderr  # the verdict depends on this machine; never 2
    folder = _folder(tmp_path / "out")
    baseline, candidate = load_result(folder / "baseline.json"), load_result(folder / "candidate.json")
    assert baseline.status == candidate.status == "complete"
    assert baseline.ab and candidate.ab and baseline.ab.partner_run_id == candidate.run_id
    assert (baseline.ab.role, candidate.ab.role) == ("baseline", "candidate")
    assert candidate.ab.rounds_completed == 2
    assert [s.model.path for s in baseline.sessions] == [str(old)]
    assert [s.model.path for s in candidate.sessions] == [str(new)]
    assert candidate.sessions[0].model.twin and candidate.sessions[0].model.twin.ffn == 1024
    assert len(baseline.points) == len(candidate.points) == 2
    for base, cand in zip(baseline.points, candidate.points, strict=True):
        assert base.params == cand.params and base.id != cand.id  # same shape, different model
        for point in (base, cand):
            assert point.rounds == [0, 0, 1, 1] and point.repetitions == 4 and point.warmups == 2
            assert len(point.metrics["ttft_ms"].samples) == 4
            assert len(point.metrics["itl_ms"].samples) == 4 * (point.params.output_tokens - 1)
    report = json.loads((folder / "report.json").read_text())
    assert sum(len(group["rows"]) for group in report["groups"]) == 2 * len(GATE_METRICS)
    # JUnit: one case per point x metric, read back by a parser.
    cases = ET.parse(tmp_path / "ab.xml").getroot().findall(".//testcase")
    assert len(cases) == 2 * len(GATE_METRICS)
    assert {c.get("name").split()[1] for c in cases} == set(GATE_METRICS)
    assert "bench ab tiny-ab" in summary.read_text()
    assert "ab: " in done.stderr and (
        "PASS" in done.stderr or "FAIL" in done.stderr or "INCONCLUSIVE" in done.stderr
    )


def test_a_second_python_environment_runs_the_candidate_side(tmp_path, scenario_file, second_python):
    done = bench(
        "ab", str(scenario_file), "--candidate-python", str(second_python),
        "--candidate-env", "BENCH_AB_TEST=1", "--rounds", "1", "--repetitions", "2",
        "--out", str(tmp_path), "--include-flagged",
    )  # fmt: skip
    assert done.returncode in (0, 1, 3), done.stderr
    folder = _folder(tmp_path)
    candidate = load_result(folder / "candidate.json")
    baseline = load_result(folder / "baseline.json")
    assert candidate.ab and baseline.ab
    assert candidate.ab.python == str(second_python) and candidate.ab.worker["python"] == str(second_python)
    assert candidate.ab.worker["genai_version"] and candidate.ab.env == {"BENCH_AB_TEST": "1"}
    assert candidate.scenario.overrides["python"] == str(second_python)
    assert baseline.ab.worker["python"] != str(second_python)
    assert [p.id for p in candidate.points] == [p.id for p in baseline.points]  # A/A in two environments


def test_ctrl_c_keeps_the_completed_rounds(tmp_path):
    scenario = load_scenario(Path(__file__).parent / "data" / "tiny-ab.yaml").scenario
    stop = StopFlag()

    class StopAfterFirstRound:
        def note(self, text: str) -> None:
            pass

        def round_finished(self, *, completed: int, total: int, seconds: float) -> None:
            stop.request("SIGINT")

    run = run_ab(
        AbRequest(scenario=scenario, baseline=Side("baseline"), candidate=Side("candidate"), rounds=3,
                  repetitions=2, warmup=0, out_dir=tmp_path, telemetry=False),
        stop=stop,
        reporter=StopAfterFirstRound(),
    )  # fmt: skip
    assert run.interrupted and run.rounds_completed == 1
    for path in (run.baseline_path, run.candidate_path):
        document = load_result(path)
        assert document.status == "interrupted"
        assert "after 1 of 3 rounds; completed rounds are kept" in document.status_reasons[0]
        assert document.ab and document.ab.rounds_completed == 1
        assert all(p.rounds == [0, 0] for p in document.points)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--candidate-python", "/no/such/python"],
            "--candidate-python /no/such/python: no such interpreter",
        ),
        (["--candidate-model", TINY, "--candidate-model", TINY_WIDER], "the sides' points do not match"),
        (["--baseline-env", "NOEQUALS"], "--baseline-env: expected KEY=VALUE"),
        (["--candidate-option", "gpu.x=1"], "unknown provider 'gpu'"),
        (["--candidate-model", "/no/such/model"], "neither a registry name, a twin nor an existing folder"),
    ],
)
def test_bad_sides_are_one_line_errors_before_anything_is_measured(tmp_path, scenario_file, args, message):
    done = bench("ab", str(scenario_file), "--rounds", "1", "--out", str(tmp_path / "out"), *args)
    assert done.returncode == 2, done.stderr
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("error: ") and message in last and "Traceback" not in done.stderr
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_a_side_that_fails_to_load_stops_before_measuring(tmp_path, scenario_file, model_folders):
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "genai_config.json").write_text((model_folders[0] / "genai_config.json").read_text())
    (broken / "model.onnx").write_bytes(b"not an onnx graph")
    done = bench("ab", str(scenario_file), "--candidate-model", str(broken), "--out", str(tmp_path / "out"))
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.strip().splitlines()[-1].startswith("error: candidate side:")
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_a_python_without_onnxruntime_genai_is_refused(tmp_path, scenario_file, python_without_genai):
    done = bench(
        "ab", str(scenario_file), "--baseline-python", str(python_without_genai), "--out", str(tmp_path)
    )
    assert done.returncode == 2, done.stderr
    last = done.stderr.strip().splitlines()[-1]
    assert (
        "onnxruntime-genai is not importable" in last and f"--baseline-python {python_without_genai}" in last
    )


@pytest.mark.skipif(sys.platform == "win32", reason="sends SIGINT to the process (POSIX)")
def test_sigint_to_the_command_keeps_completed_rounds_and_exits_130(tmp_path, scenario_file):
    process = subprocess.Popen(
        [sys.executable, "-m", "bench", "ab", str(scenario_file), "--rounds", "200", "--repetitions", "1",
         "--warmup", "0", "--no-telemetry", "--out", str(tmp_path)],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        files = list(tmp_path.glob("*/candidate.json"))
        if files and (load_result(files[0]).ab or AbRecordStub).rounds_completed >= 2:
            break
        time.sleep(0.5)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 130, stderr
    folder = _folder(tmp_path)
    baseline, candidate = load_result(folder / "baseline.json"), load_result(folder / "candidate.json")
    assert baseline.ab and candidate.ab
    completed = candidate.ab.rounds_completed
    assert 2 <= completed < 200 and baseline.ab.rounds_completed == completed
    assert candidate.status == baseline.status == "interrupted"
    assert all(p.rounds == list(range(completed)) for p in candidate.points + baseline.points)
    assert "Traceback" not in stderr


class AbRecordStub:
    rounds_completed = 0
