"""Each result names its onnxruntime-genai wheel; a comparison across different wheels says so."""

from __future__ import annotations

from bench.analysis.regression import Rule
from bench.compare.engine import build_report
from bench.environment import collect_software
from tests.fakes.documents import make_document

POINTS = {(16, 1, 8): {"decode_tokens_per_s": [100.0, 101.0, 99.0, 100.5, 99.5]}}


def _run(run_id: str, distribution: str | None, version: str):
    document = make_document(POINTS, run_id=run_id)
    software = document.environment.software
    software.onnxruntime_genai_distribution = distribution
    software.onnxruntime_genai = version
    return document


def test_the_installed_genai_wheel_is_recorded_by_distribution_name():
    software = collect_software()
    assert software.onnxruntime_genai_distribution == "onnxruntime-genai"  # the [cpu] extra here
    assert software.onnxruntime_genai_build == "cpu" and software.onnxruntime_genai


def test_a_comparison_across_genai_builds_names_both():
    directml = _run("a", "onnxruntime-genai-directml", "0.13.1")
    cuda = _run("b", "onnxruntime-genai-cuda", "0.18.0")
    notes = build_report([cuda], [directml], rule=Rule()).notes
    (note,) = [n for n in notes if n.startswith("VERSION COMPARISON")]
    assert "onnxruntime-genai builds onnxruntime-genai-cuda 0.18.0, onnxruntime-genai-directml 0.13.1" in note
    same = build_report([_run("c", "onnxruntime-genai-cuda", "0.18.0")], [cuda], rule=Rule()).notes
    assert not any("builds" in n for n in same)
