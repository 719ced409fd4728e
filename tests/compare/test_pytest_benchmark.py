"""pytest-benchmark interoperability: the JSON export and the pytest plugin."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import pytest
from pytest_benchmark.stats import Stats

from bench.compare.pytest_benchmark import benchmark_stats, machine_id, save_to_storage, to_pytest_benchmark
from bench.results.files import load_result
from tests.fakes.documents import make_document

PYTEST_BENCHMARK = [sys.executable, "-m", "pytest_benchmark"]  # the `pytest-benchmark` command, on any OS
DATA = Path(__file__).parent / "data"
POINTS = {
    (16, 1, 8): {
        "e2e_latency_ms": [10.0, 11.0, 12.0, 30.0],
        "ttft_ms": [2.0, 2.5, 2.2, 2.1],
        "tpot_ms": [1.0, 1.1, 1.0, 1.2],
        "decode_tokens_per_s": [900.0, 950.0, 1000.0, 990.0],
    },
    (64, 2, 8): {"e2e_latency_ms": [20.0, 21.0, 22.0, 23.0], "ttft_ms": [5.0, 5.5, 5.2, 5.1]},
}


@pytest.mark.parametrize("n", [1, 2, 3, 4, 5, 6, 7, 8, 9, 13])
def test_statistics_match_pytest_benchmarks_own(n):
    data = [random.Random(n).uniform(0.001, 0.1) for _ in range(n)]
    reference = Stats()
    for value in data:
        reference.update(value)
    ours = benchmark_stats(data)
    for key, expected in reference.as_dict().items():
        assert ours[key] == (expected if isinstance(expected, str) else pytest.approx(expected)), key


def test_export_layout_and_units():
    exported = to_pytest_benchmark(make_document(POINTS, run_id="run-1"))
    assert set(exported) == {"machine_info", "commit_info", "benchmarks", "datetime", "version"}
    names = [b["name"] for b in exported["benchmarks"]]
    assert names == [
        "e2e_latency[twin:mistral-nemo-12b:tiny|cpu|p16|b1|o8]",
        "ttft[twin:mistral-nemo-12b:tiny|cpu|p16|b1|o8]",
        "tpot[twin:mistral-nemo-12b:tiny|cpu|p16|b1|o8]",
        "e2e_latency[twin:mistral-nemo-12b:tiny|cpu|p64|b2|o8]",
        "ttft[twin:mistral-nemo-12b:tiny|cpu|p64|b2|o8]",
    ]
    first = exported["benchmarks"][0]
    assert first["stats"]["data"] == pytest.approx([0.010, 0.011, 0.012, 0.030])  # seconds
    assert first["stats"]["median"] == pytest.approx(0.0115) and first["stats"]["rounds"] == 4
    assert first["group"] == "smoke: e2e_latency" and first["param"] == first["params"]["point"]
    assert first["extra_info"]["decode_tokens_per_s_median"] == 970.0  # (950 + 990) / 2
    assert exported["commit_info"]["id"] == "run-1"


def test_invalid_points_are_left_out_unless_asked():
    document = make_document(POINTS)
    document.points[1].status = "invalid"
    assert len(to_pytest_benchmark(document)["benchmarks"]) == 3
    assert len(to_pytest_benchmark(document, include_invalid=True)["benchmarks"]) == 5


def test_real_pytest_benchmark_compare_reads_the_export(tmp_path):
    storage = tmp_path / ".benchmarks"
    before = load_result(DATA / "smoke-normal-1.json")
    first = save_to_storage(before, storage)
    second = save_to_storage(load_result(DATA / "smoke-slow-valgrind.json"), storage)
    assert first.name == f"0001_{before.run_id}.json" and second.name.startswith("0002_")
    assert first.parent.name == machine_id(before)
    completed = subprocess.run(
        [
            *PYTEST_BENCHMARK,
            "--storage",
            str(storage),
            "compare",
            str(first),
            str(second),
            "--columns",
            "min,median,max",
            "--histogram",
            str(tmp_path / "hist"),
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )
    assert completed.returncode == 0, completed.stderr
    assert "ttft[twin:mistral-nemo-12b:tiny|cpu|p16|b1|o8]" in completed.stdout
    assert "0001_" in completed.stdout and "0002_" in completed.stdout
    assert list(tmp_path.glob("hist*.svg")), "pytest-benchmark drew no histogram"


# --- the plugin ------------------------------------------------------------------------------------

PLUGIN_INSTALLED = any(ep.value == "bench.pytest_plugin" for ep in metadata.entry_points(group="pytest11"))

SCENARIO = """\
name: plugin-smoke
models: [twin:mistral-nemo-12b:tiny]
providers: [cpu]
sweep: {prompt_tokens: [16], batch_size: [1, 2], output_tokens: [6]}
warmup: 1
repetitions: 5
"""

CONFTEST = """\
import os
import time
from pathlib import Path

import pytest

from bench.models.refs import ResolvedModel
from tests.fakes.documents import twin_identity
from tests.fakes.fake_genai import FakeGenai, Script

# Real sleeps per decode step: pytest-benchmark times wall clock. The slow build is 10x slower.
STEP_S = 0.010 if os.environ.get("BENCH_TEST_SLOW") else 0.001


@pytest.fixture(scope="session")
def bench_genai():
    module = FakeGenai(Script()).module
    original = module.Generator.generate_next_token

    def slow_step(self):
        time.sleep(STEP_S)
        original(self)

    module.Generator.generate_next_token = slow_step
    return module


@pytest.fixture(scope="session")
def bench_resolver(tmp_path_factory):
    def resolve(ref, provider="cpu"):
        return ResolvedModel(identity=twin_identity(), path=Path("unused"), context_length=4096,
                             tokenizer_vocab_size=256, prompt_token_range=(3, 250),
                             special_token_ids=frozenset(),
                             provider=provider)
    return resolve
"""

TEST_FILE = """\
import pytest


@pytest.mark.bench_scenario("plugin-smoke.yaml")
def test_smoke(bench_point, benchmark):
    samples = bench_point.run(benchmark)
    assert len(samples["ttft_ms"]) == 5  # the scenario's repetitions, warmup excluded
    assert benchmark.extra_info["bench_point"] == bench_point.id
"""


@dataclass
class Outcome:
    returncode: int
    output: str  # stdout and stderr


class Project:
    """A throwaway project whose own pytest runs in a subprocess, as a user's would.

    (pytester would do, but enabling it takes ``pytest_plugins`` in the top-level conftest.)
    """

    def __init__(self, path: Path) -> None:
        self.path = path

    def write(self, name: str, text: str) -> None:
        (self.path / name).write_text(text, encoding="utf-8")

    def pytest(self, *args: str, slow: bool = False) -> Outcome:
        repo = str(Path(__file__).resolve().parents[2])  # import bench and tests.fakes from this checkout
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join(filter(None, [repo, os.environ.get("PYTHONPATH")])),
        }
        env.pop("BENCH_TEST_SLOW", None)
        if slow:
            env["BENCH_TEST_SLOW"] = "1"
        plugin = [] if PLUGIN_INSTALLED else ["-p", "bench.pytest_plugin"]
        command = [
            sys.executable,
            "-m",
            "pytest",
            *plugin,
            "-p",
            "no:cacheprovider",
            "--benchmark-enable",
            "--benchmark-storage",
            ".benchmarks",
            *args,
        ]
        done = subprocess.run(command, cwd=self.path, env=env, capture_output=True, text=True, timeout=300)
        return Outcome(done.returncode, done.stdout + done.stderr)


@pytest.fixture
def project(tmp_path: Path) -> Project:
    return Project(tmp_path)


def test_plugin_runs_scenario_points_and_compare_fail_trips_on_a_slowdown(project):
    project.write("plugin-smoke.yaml", SCENARIO)
    project.write("conftest.py", CONFTEST)
    project.write("test_bench.py", TEST_FILE)
    saved = project.pytest("--benchmark-autosave")
    assert saved.returncode == 0 and "2 passed" in saved.output, saved.output
    assert "test_smoke[twin:mistral-nemo-12b:tiny|cpu|p16|b1|o6]" in saved.output
    assert "test_smoke[twin:mistral-nemo-12b:tiny|cpu|p16|b2|o6]" in saved.output
    stored = list((project.path / ".benchmarks").rglob("0001_*.json"))
    assert len(stored) == 1
    extra = json.loads(stored[0].read_text())["benchmarks"][0]["extra_info"]
    assert extra["ttft_ms_median"] > 0 and extra["model_kind"] == "twin"

    same = project.pytest("--benchmark-compare=0001", "--benchmark-compare-fail=median:100%")
    assert same.returncode == 0 and "2 passed" in same.output, same.output

    slow = project.pytest("--benchmark-compare=0001", "--benchmark-compare-fail=median:100%", slow=True)
    assert slow.returncode != 0
    assert "Performance has regressed" in slow.output
    assert "test_smoke[twin:mistral-nemo-12b:tiny|cpu|p16|b1|o6]" in slow.output


def test_bench_point_without_the_marker_is_a_usage_error(project):
    project.write("test_x.py", "def test_x(bench_point):\n    pass\n")
    project.write(
        "test_y.py",
        'import pytest\n\n@pytest.mark.bench_scenario("no-such-scenario")\n'
        "def test_y(bench_point):\n    pass\n",
    )
    result = project.pytest()
    assert result.returncode != 0
    assert "test_x.py::test_x: bench_point needs @pytest.mark.bench_scenario(NAME)" in result.output
    assert "test_y.py::test_y: " in result.output and "no-such-scenario" in result.output
