"""What a person sees: a reader that leaves early, one line for flags, help and output without emoji."""

from __future__ import annotations

import os
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest
import typer.main
from typer.testing import CliRunner

import bench
from bench.cli.app import app
from bench.results.files import load_result

REPO = Path(__file__).resolve().parents[2]


def _bench_process(*args: str, stderr: int) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "bench", *args],
        stdout=subprocess.PIPE,
        stderr=stderr,
        cwd=REPO,
        env={**os.environ, "COLUMNS": "80"},
    )


@pytest.mark.parametrize("stderr_too", [False, True], ids=["stdout", "stdout-and-stderr"])
def test_a_reader_that_closes_the_pipe_does_not_fail_the_sweep(tmp_path, stderr_too):
    # `bench run smoke | head -1` (and `2>&1 | head -1`): --verbose prints a line per flagged point,
    # so the pipe closes while points are still being measured.
    out = tmp_path / "results"
    process = _bench_process(
        "run", "smoke", "--repetitions", "2", "--verbose", "--out", str(out),
        stderr=subprocess.STDOUT if stderr_too else subprocess.DEVNULL,
    )  # fmt: skip
    assert process.stdout is not None
    process.stdout.readline()
    process.stdout.close()
    assert process.wait(timeout=300) in (0, 1)  # the run's own exit code, never a crash
    (path,) = out.glob("smoke-*.json")
    document = load_result(path)
    assert document.status == "complete" and len(document.points) == 8, document.status_reasons


def test_flagged_points_are_one_line_per_run_and_detail_is_behind_verbose(tmp_path):
    # One repetition flags every point (no stability evidence): 8 flagged points, one line.
    done = subprocess.run(
        [sys.executable, "-m", "bench", "run", "smoke", "--repetitions", "1", "--out", str(tmp_path)],
        capture_output=True, text=True, cwd=REPO, env={**os.environ, "COLUMNS": "400"}, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    flag_lines = [line for line in done.stdout.splitlines() if "points flagged" in line]
    assert len(flag_lines) == 1 and "8 of 8 points flagged: no_stability_evidence at 8" in flag_lines[0]
    assert "--verbose" in flag_lines[0]
    assert "no_stability_evidence" not in done.stderr  # no per-point lines without --verbose
    (path,) = tmp_path.glob("smoke-*.json")
    assert all("no_stability_evidence" in p.reasons[0] for p in load_result(path).points)


def _commands(group, prefix: tuple[str, ...] = ()):
    # typer may vendor its own click: duck-type the group
    yield prefix
    for name, command in group.commands.items():
        if hasattr(command, "commands"):
            yield from _commands(command, (*prefix, name))
        else:
            yield (*prefix, name)


def _emoji(text: str) -> list[str]:
    return [ch for ch in text if ord(ch) >= 0x2190 and unicodedata.category(ch) == "So"]


def test_no_help_page_contains_an_emoji_and_twin_references_render_as_written():
    runner = CliRunner()
    group = typer.main.get_command(app)
    pages = {}
    for path in _commands(group):
        result = runner.invoke(app, [*path, "--help"], env={"COLUMNS": "200"})
        assert result.exit_code == 0, (path, result.output)
        pages[path] = result.output
        assert _emoji(result.output) == [], (path, _emoji(result.output))
    assert "twin:FAMILY:SIZE" in pages[("run",)]
    assert len(pages) >= 10


def test_version_and_shell_completion_are_offered():
    runner = CliRunner()
    assert runner.invoke(app, ["--version"]).output.strip() == f"bench {bench.__version__}"
    root_help = runner.invoke(app, ["--help"]).output
    assert "--install-completion" in root_help and "--show-completion" in root_help
