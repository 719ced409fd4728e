"""`bench run` end to end on real tiny twins with the CPU build of onnxruntime-genai, through the CLI."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from bench.catalogue import shipped_dir
from bench.results.files import load_result

REPO = Path(__file__).resolve().parents[2]


def bench(*args: str, cwd: Path | None = None, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bench", *args],
        capture_output=True,
        text=True,
        cwd=cwd or REPO,
        timeout=timeout,
        env={**os.environ, "COLUMNS": "200"},
    )


def write_scenario(folder: Path, **changes: object) -> Path:
    scenario = yaml.safe_load((shipped_dir("scenarios") / "smoke.yaml").read_text()) | changes
    path = folder / "scenario.yaml"
    path.write_text(yaml.safe_dump(scenario))
    return path


def test_smoke_sweep_writes_a_complete_result_with_exact_token_counts(tmp_path):
    done = bench("run", "smoke", "--out", str(tmp_path), "--json")
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["status"] == "complete"
    document = load_result(Path(summary["result"]))
    assert document.status == "complete" and document.status_reasons == []
    # 2 models x 1 provider x 2 prompts x 2 batch sizes x 1 output length
    assert len(document.points) == 8
    assert {s.model.kind for s in document.sessions} == {"twin"}
    assert len(document.sessions) == 2  # each model loaded once for all of its points
    scenario_reps = yaml.safe_load((shipped_dir("scenarios") / "smoke.yaml").read_text())["repetitions"]
    for point in document.points:
        assert point.status in ("valid", "flagged"), point.reasons
        reps, output = point.repetitions, point.params.output_tokens
        assert reps == scenario_reps
        # Every repetition produced exactly output-1 inter-token latencies: the forced count held.
        assert len(point.metrics["itl_ms"].samples) == reps * (output - 1)
        assert len(point.metrics["ttft_ms"].samples) == reps
        assert point.model_kind == "twin" and point.id.startswith("twin:")
    assert document.environment.gpus.available is False
    assert document.environment.gpus.reason
    assert document.scenario.file_sha256 and document.scenario.source.endswith("smoke.yaml")


def test_table_output_names_the_result_and_marks_twins(tmp_path):
    done = bench(
        "run", "smoke", "--out", str(tmp_path), "--model", "twin:nemotron-mini-4b:tiny", "--repetitions", "2"
    )
    assert done.returncode == 0, done.stderr
    assert "result:" in done.stdout and str(tmp_path) in done.stdout
    assert "synthetic twins" in done.stdout
    # The shipped derived Ampere/Ada baselines are consulted and say honestly why they do not apply.
    assert "baselines: not comparable with any of" in done.stdout
    assert "no GPU in candidate run (provider cpu)" in done.stdout
    assert "did not match either" not in done.stdout  # one shared cause is said once
    (result,) = tmp_path.glob("smoke-*.json")
    document = load_result(result)
    assert document.scenario.overrides == {"models": ["twin:nemotron-mini-4b:tiny"], "repetitions": 2}
    assert {p.model for p in document.points} == {"twin:nemotron-mini-4b:tiny"}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["run", "no-such-scenario"], "unknown scenario 'no-such-scenario'"),
        (["run", "smoke", "--model", "twin:llama:tiny"], "unknown"),
        (["run", "smoke", "--model", "mistral-nemo-12b"], "BENCH_MODEL"),
        (["run", "smoke", "--provider", "rocm"], "providers.0"),
        (["run", "smoke", "--provider", "cuda"], "provider cuda unavailable"),
        (["export", "missing.json"], "no such result file"),
        (
            ["run", "smoke", "-m", "twin:nemotron-mini-4b:tiny", "-m", "twin:nemotron-mini-4b:tiny:seed=0"],
            "are the same model",
        ),
    ],
)
def test_bad_input_is_one_line_and_exit_code_2(tmp_path, args, message):
    done = bench(*args, "--out", str(tmp_path)) if args[0] == "run" else bench(*args, cwd=tmp_path)
    assert done.returncode == 2, (done.stdout, done.stderr)
    error_lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(error_lines) == 1, done.stderr
    assert error_lines[0].startswith("error: ") and message in error_lines[0]
    assert "Traceback" not in done.stderr
    assert list(tmp_path.glob("*.json")) == []  # nothing written for a run that never started


def test_unusable_output_paths_are_refused_in_one_line_before_anything_runs(tmp_path):
    (tmp_path / "afile").write_text("not a folder")
    (tmp_path / "not-utf8.json").write_bytes(b"\xff\xfe{}")
    cases = [
        (("run", "smoke", "--out", "afile/sub"), "--out afile/sub: cannot create the result folder"),
        (("run", "smoke", "--dashboard", "afile/x.html"), "afile is a file, not a folder"),
        (("export", "not-utf8.json"), "not UTF-8 text"),
        (("export", "not-utf8.json", "-o", "afile/x.csv"), "not UTF-8 text"),
    ]
    for args, message in cases:
        done = bench(*args, cwd=tmp_path)
        assert done.returncode == 2, (args, done.stderr)
        assert "Traceback" not in done.stderr and message in done.stderr, (args, done.stderr)
    assert not (tmp_path / "results").exists() or not list((tmp_path / "results").iterdir())


def test_a_bad_baseline_file_does_not_fail_a_completed_run(tmp_path):
    (tmp_path / "results" / "baselines").mkdir(parents=True)
    (tmp_path / "results" / "baselines" / "bad.json").write_text("{broken")
    done = bench("run", "smoke", "--model", "twin:nemotron-mini-4b:tiny", "--repetitions", "2", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "baselines: not checked:" in done.stdout and "bad.json" in done.stdout
    assert "result:" in done.stdout


def test_context_overflow_is_refused_before_anything_runs(tmp_path):
    scenario = write_scenario(tmp_path, sweep={"prompt_tokens": [4000], "output_tokens": [200]})
    done = bench("run", str(scenario), "--out", str(tmp_path / "out"))
    assert done.returncode == 2
    assert "exceeds twin:nemotron-mini-4b:tiny's context length 4096" in done.stderr
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").iterdir())


def test_malformed_scenario_file_is_exit_2(tmp_path):
    scenario = write_scenario(tmp_path, repetitions="many")
    done = bench("run", str(scenario), "--out", str(tmp_path))
    assert done.returncode == 2
    assert f"{scenario}: repetitions: Input should be a valid integer" in done.stderr


def test_run_can_publish_its_dashboard(tmp_path):
    page = tmp_path / "dash" / "index.html"
    done = bench(
        "run", "smoke", "--out", str(tmp_path), "--repetitions", "2", "--dashboard", str(page), "--json"
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["dashboard"] == str(page)
    html = page.read_text()
    assert 'id="bench-data"' in html and "twin:nemotron-mini-4b:tiny" in html


def test_export_csv_and_markdown_of_a_real_run(tmp_path):
    done = bench("run", "smoke", "--out", str(tmp_path), "--repetitions", "2", "--json")
    result = json.loads(done.stdout)["result"]
    csv_out = bench("export", result, "--format", "csv")
    assert csv_out.returncode == 0 and len(csv_out.stdout.strip().splitlines()) == 1 + 8
    md_out = bench("export", result, "--format", "markdown", "--output", str(tmp_path / "r.md"))
    assert md_out.returncode == 0
    assert "| model | kind | provider |" in (tmp_path / "r.md").read_text()


def _wait_for_points(path_glob: Path, minimum: int, timeout: float) -> Path:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for path in path_glob.parent.glob(path_glob.name):
            try:
                if len(json.loads(path.read_text())["points"]) >= minimum:
                    return path
            except (json.JSONDecodeError, OSError, KeyError):
                pass  # atomic writes mean this should not happen; the assertion below would catch it
        time.sleep(0.05)
    raise AssertionError(f"no checkpoint with {minimum} points within {timeout} s")


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signal delivery to a child process")
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_mid_sweep_keeps_completed_points_and_says_interrupted(tmp_path, sig):
    scenario = write_scenario(
        tmp_path,
        repetitions=40,
        sweep={"prompt_tokens": [16, 32, 48, 64, 80, 96], "batch_size": [1, 2], "output_tokens": [16]},
    )
    out = tmp_path / "out"
    child = subprocess.Popen(
        [sys.executable, "-m", "bench", "run", str(scenario), "--out", str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO,
    )
    try:
        checkpoint = _wait_for_points(out / "smoke-*.json", minimum=2, timeout=120)
        child.send_signal(sig)
        stdout, stderr = child.communicate(timeout=60)
    finally:
        child.kill()
    assert child.returncode == 130, stderr
    document = load_result(checkpoint)
    assert document.status == "interrupted"
    assert document.status_reasons[0].startswith(f"interrupted ({signal.Signals(sig).name})")
    assert 2 <= len(document.points) < 24
    assert all(p.repetitions == 40 for p in document.points)  # no half-measured point is kept
    assert document.finished_at is not None
    assert "interrupted" in stdout
    assert [p.name for p in out.iterdir()] == [checkpoint.name]  # no temp files left


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signal delivery to a child process")
def test_a_second_ctrl_c_exits_at_once_without_damaging_the_result(tmp_path):
    scenario = write_scenario(
        tmp_path, repetitions=200, sweep={"prompt_tokens": [16, 32, 48, 64], "output_tokens": [32]}
    )
    out = tmp_path / "out"
    child = subprocess.Popen(
        [sys.executable, "-m", "bench", "run", str(scenario), "--out", str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO,
    )
    try:
        checkpoint = _wait_for_points(out / "smoke-*.json", minimum=1, timeout=120)
        child.send_signal(signal.SIGINT)
        child.send_signal(signal.SIGINT)
        child.communicate(timeout=60)
    finally:
        child.kill()
    assert child.returncode != 0
    document = load_result(checkpoint)  # still a valid document
    assert document.status == "interrupted" and len(document.points) >= 1
