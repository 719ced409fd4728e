"""benchmarks/gpu_check.sh without a GPU: its Python steps, its scenario, its dry run."""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from bench.scenarios import parse_scenario
from bench.telemetry.crosscheck import compare, parse_compute_apps
from tests.fakes.documents import make_document

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "benchmarks" / "gpu_check.sh"


def _gpu_check():
    spec = importlib.util.spec_from_file_location("gpu_check", ROOT / "benchmarks" / "gpu_check.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_nvidia_smi_compute_apps_are_parsed_with_or_without_header_and_units():
    text = "pid, used_memory [MiB]\n4242, 6144 MiB\n77, [N/A]\n"
    assert parse_compute_apps(text) == {4242: 6144.0}
    assert parse_compute_apps("4242, 6144\n") == {4242: 6144.0}
    with pytest.raises(ValueError, match="expected 'pid, used_memory'"):
        parse_compute_apps("4242, 6144, extra\n")


def test_the_cross_check_names_agreement_disagreement_and_a_missing_pid():
    smi = {4242: 6144.0, 99: 100.0}
    assert compare(pid=4242, nvml_mib=6144.4, smi=smi).ok
    wrong = compare(pid=4242, nvml_mib=6000.0, smi=smi)
    assert not wrong.ok and "-144.0 MiB): DISAGREE" in wrong.text
    missing = compare(pid=1, nvml_mib=6144.0, smi=smi)
    assert not missing.ok and "does not list pid 1 (99: 100 MiB, 4242: 6144 MiB)" in missing.text
    assert not compare(pid=4242, nvml_mib=None, smi=smi).ok


def test_the_summary_holds_points_cross_check_on_off_and_timings():
    document = make_document({(512, 1, 64): {"ttft_ms": [40.0, 42.0, 41.0], "decode_tokens_per_s": [90.0]}})
    summary = _gpu_check().summary(
        result=json.loads(document.model_dump_json()),
        crosscheck={"ok": True, "text": "pid 1: NVML 6144 MiB, nvidia-smi 6144 MiB (+0.0 MiB): agree"},
        onoff="| telemetry | ... |\n| process | 1.001 |",
        log="total 300s",
    )
    assert "TTFT 41.0 ms, decode 90.0 tok/s" in summary
    assert "NVML vs nvidia-smi per-process memory: OK: pid 1" in summary
    assert "  | process | 1.001 |" in summary and "  total 300s" in summary


def test_the_scenario_the_script_writes_is_valid_and_short():
    text = SCRIPT.read_text(encoding="utf-8")
    body = re.search(r"<<'YAML'\n(.*?)\nYAML\n", text, re.S).group(1)
    scenario = parse_scenario(yaml.safe_load(body), origin="gpu_check.sh")
    assert scenario.providers == ["cuda"]
    assert set(scenario.models) == {"twin:nemotron-mini-4b:full", "twin:mistral-nemo-12b:full"}
    assert scenario.repetitions * len(scenario.models) <= 10  # the whole check must fit in 8 minutes


@pytest.mark.skipif(sys.platform == "win32" or shutil.which("bash") is None, reason="a bash script")
def test_the_dry_run_checks_the_machine_and_prints_every_step(tmp_path):
    done = subprocess.run(
        ["bash", str(SCRIPT), "--dry-run", "--work", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    steps = re.findall(r"== \[\s*\d+s\] (\d)/6", done.stderr)
    assert steps == ["1", "2", "3", "4", "5", "6"]
    assert "pip install --quiet" in done.stderr and "[cuda]" in done.stderr
    assert not (tmp_path / "venv").exists()  # nothing was installed
    bad = subprocess.run(["bash", str(SCRIPT), "--rounds", "0"], capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and "--rounds needs a positive integer" in bad.stderr


@pytest.mark.skipif(shutil.which("shellcheck") is None, reason="shellcheck not installed")
def test_shellcheck_finds_nothing():
    done = subprocess.run(["shellcheck", str(SCRIPT)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout
