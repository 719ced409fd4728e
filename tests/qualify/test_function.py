"""Stage 2: load, exact token count, greedy determinism, VRAM budget (pure judgement of a result)."""

from __future__ import annotations

import pytest

from bench.qualify.criteria import Status
from bench.qualify.function import judge_function, judge_load_failure
from bench.qualify.profile import FunctionCriteria, MemoryBudget
from bench.telemetry.api import PointShape
from bench.telemetry.summary import disabled_point
from bench.telemetry.types import Figure, HostPhase, MemorySpan, Series, SessionTelemetry
from tests.fakes.documents import make_document, twin_identity

POINT = (512, 1, 64)
BUDGET = MemoryBudget(after_load_min_mib=1686, after_load_max_mib=4096, peak_max_mib=5632)
CRITERIA = FunctionCriteria(memory_budgets={"twin:mistral-nemo-12b:tiny": BUDGET})


def _host() -> HostPhase:
    return HostPhase(
        rss=MemorySpan.missing("test"),
        cpu_util_pct=Figure.missing("%", "test"),
        system_cpu_pct=Figure.missing("%", "test"),
        system_available_min_mib=Figure.missing("MiB", "test"),
        cpu_freq_mhz=Series.missing("MHz", "test"),
    )


def document(*, digests=None, after_load: float | None = 3300, peak: float = 3500):
    doc = make_document({POINT: {"decode_tokens_per_s": [100.0] * 3, "itl_ms": [1.0] * (3 * 63)}})
    point = doc.points[0]
    point.output_sha256 = digests if digests is not None else ["a" * 64] * 3
    after = (
        Figure.of(after_load, "MiB", "nvml-process", "process") if after_load else Figure.missing("MiB", "x")
    )
    doc.sessions[0].telemetry = SessionTelemetry(
        duration_s=1.0,
        samples=2,
        host=_host(),
        provider="cuda",
        vram_baseline_mib=Figure.of(0, "MiB", "nvml-process", "process"),
        vram_after_load_mib=after,
        vram_weights_mib=after,
        host_rss_growth_mib=Figure.missing("MiB", "test"),
    )
    blank = disabled_point(
        provider="cuda", reason="test", point=PointShape(*POINT), model=twin_identity(), repetitions=3
    )
    point.telemetry = blank.model_copy(
        update={"vram_peak_mib": Figure.of(peak, "MiB", "nvml-process", "process")}
    )
    return doc


def rows(doc, criteria=CRITERIA, no_gpu=None):
    return {r.name.split(" at ")[0]: r for r in judge_function(doc, criteria, model="x", no_gpu=no_gpu)}


def test_a_healthy_model_passes_every_function_criterion():
    judged = rows(document())
    assert {r.status for r in judged.values()} == {Status.PASS}, judged
    assert judged["VRAM after load"].threshold == "1686-4096 MiB"


def test_a_repetition_with_other_tokens_fails_determinism():
    judged = rows(document(digests=["a" * 64, "a" * 64, "b" * 64]))
    row = judged["greedy output identical across repetitions"]
    assert row.status is Status.FAIL and row.measured is not None and row.measured.startswith("1 of 2")


def test_missing_digests_are_not_judged():
    row = rows(document(digests=[]))["greedy output identical across repetitions"]
    assert row.status is Status.NOT_JUDGED


def test_a_token_count_mismatch_fails():
    doc = document()
    doc.points[0].error = "token count mismatch: generated 12 tokens per sequence, forced 64"
    assert rows(doc)["exact token count"].status is Status.FAIL


@pytest.mark.parametrize(("after_load", "peak"), [(4500, 4600), (1000, 3000)])
def test_memory_outside_the_band_fails(after_load, peak):
    assert rows(document(after_load=after_load, peak=peak))["VRAM after load"].status is Status.FAIL


def test_a_peak_over_budget_fails():
    assert rows(document(peak=6000))["VRAM peak"].status is Status.FAIL


def test_no_gpu_and_no_budget_are_not_judged_with_the_reason():
    judged = rows(document(), no_gpu="no GPU: provider cpu runs on no GPU")
    assert judged["VRAM after load"].reason == "no GPU: provider cpu runs on no GPU"
    judged = rows(document(), criteria=FunctionCriteria())
    assert (
        judged["VRAM peak"].status is Status.NOT_JUDGED and "no memory budget" in judged["VRAM peak"].reason
    )


def test_a_model_that_does_not_load_fails():
    judged = {r.name: r for r in judge_load_failure("mistral-nemo-12b", "could not load: out of memory")}
    assert judged["model loads"].status is Status.FAIL
    assert judged["exact token count"].status is Status.NOT_JUDGED
