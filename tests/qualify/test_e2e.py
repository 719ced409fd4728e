"""`bench qualify` end to end on the CPU with tiny twins: INCONCLUSIVE, every GPU criterion "no GPU"."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

from bench.outcome import EXIT_INCONCLUSIVE
from bench.qualify.criteria import Status
from bench.qualify.report import load_qualification
from bench.results.files import load_result

GPU_CRITERIA = {
    "GPU architecture",
    "VRAM total",
    "driver version",
    "PCIe link width under load",
    "PCIe link generation under load",
    "power limit",
    "VRAM after load",
    "VRAM peak",
    "time throttled (thermal or power)",
    "VRAM growth across repetitions",
}


def test_smoke_qualification_runs_every_stage_and_is_inconclusive(cpu_qualification):
    done = cpu_qualification
    assert done.returncode == EXIT_INCONCLUSIVE, done.stderr
    assert "verdict: INCONCLUSIVE (complete)" in done.stdout
    report = load_qualification(done.report("json"))
    assert report.kind == "bench.qualification" and report.schema_version == 1
    assert report.status == "complete" and report.verdict.value == "inconclusive"
    assert [s.state for s in report.stages] == ["done"] * 4
    by_status = {status: [c for c in report.criteria if c.status is status] for status in Status}
    assert by_status[Status.FAIL] == []
    for criterion in by_status[Status.NOT_JUDGED]:
        assert criterion.reason.startswith("no GPU: "), criterion
    judged_on_gpu = {c.name.split(" at ")[0] for c in by_status[Status.NOT_JUDGED]}
    assert judged_on_gpu >= GPU_CRITERIA
    passed = {(c.stage, c.name) for c in by_status[Status.PASS]}
    # What a CPU can show is judged and held on real tiny twins: loads, exact tokens, determinism, pace.
    assert {
        ("function", "model loads"),
        ("function", "exact token count"),
        ("function", "greedy output identical across repetitions"),
        ("soak", "throughput, last interval vs first"),
        ("soak", "no errors"),
    } <= passed
    assert report.identity.profile_sha256 and report.identity.bench and report.identity.hostname
    assert report.identity.onnxruntime_genai_build == "cpu"
    assert report.soak is not None and len(report.soak.intervals) >= 2
    assert len({done.report(ext).stem for ext in ("json", "html", "xml")}) == 1  # one report, one name


def test_the_runs_behind_it_are_ordinary_result_files(cpu_qualification):
    report = load_qualification(cpu_qualification.report("json"))
    files = report.result_files
    assert len(files) == 4  # function x 2 models, performance, soak
    for file in files:
        document = load_result(Path(file))  # what bench compare and the dashboard read
        assert document.status == "complete"
    function = load_result(Path(report.stage("function").result_files[0]))
    digests = function.points[0].output_sha256
    assert len(digests) == function.points[0].repetitions and len(set(digests)) == 1


def test_junit_has_one_case_per_criterion_with_not_judged_skipped(cpu_qualification):
    report = json.loads(cpu_qualification.report("json").read_text())
    suite = ET.parse(cpu_qualification.report("xml")).getroot().find("testsuite")
    assert suite is not None
    assert int(suite.get("tests", "0")) == len(report["criteria"])
    skipped = sum(1 for c in report["criteria"] if c["status"] == "not judged")
    assert int(suite.get("skipped", "0")) == skipped and int(suite.get("failures", "0")) == 0
