"""The qualification report opened in headless Chromium: no console error, the verdict visible, the soak
chart drawn; hostile text from files stays text. Uses the dashboard tests' browser set-up."""

from __future__ import annotations

from datetime import datetime, timezone

import pynvml
import pytest

from bench.qualify.facts import GpuFacts
from bench.qualify.profile import load_profile
from bench.qualify.render import render_html
from bench.qualify.report import MachineIdentity, QualificationReport
from bench.qualify.soak import judge_soak
from tests.dashboard.conftest import HOSTILE
from tests.dashboard.test_browser import Page, browser  # noqa: F401  (the shared Chromium fixture)
from tests.qualify.test_soak import CRITERIA, REP_S, soak
from tests.telemetry.fake_nvml import FakeGpu

pytestmark = pytest.mark.browser

SOAK_TRACES_JS = """
(id) => { const gd = document.getElementById(id);
  if (!gd.classList.contains('js-plotly-plot') || !gd.querySelector('.main-svg')) return null;
  return gd.data.map(t => ({name: t.name, n: t.y.filter(v => v !== null).length})); }
"""


def test_cpu_report_shows_its_verdict_and_draws_the_soak(browser, cpu_qualification):  # noqa: F811
    page = Page(browser, cpu_qualification.report("html"))
    try:
        assert page.errors == []
        verdict = page.page.locator("#verdict")
        assert verdict.is_visible() and verdict.inner_text() == "INCONCLUSIVE"
        traces = page.page.evaluate(SOAK_TRACES_JS, "soak-chart")
        assert traces is not None and traces[0]["name"] == "decode tokens/s" and traces[0]["n"] >= 2
        assert page.page.evaluate(SOAK_TRACES_JS, "soak-gpu-chart") is None
        assert "No GPU readings in the soak" in page.page.locator("#soak-message").inner_text()
        rows = page.page.locator("#criteria tbody tr")
        assert rows.count() > 20
        assert page.page.locator("#criteria tr.status-not_judged").first.is_visible()
    finally:
        page.close()


def test_gpu_report_with_a_throttling_soak_and_hostile_names(browser, tmp_path):  # noqa: F811
    def throttle_from_3_minutes(rep: int, gpu: FakeGpu) -> None:
        gpu.reasons = pynvml.nvmlClocksEventReasonHwThermalSlowdown if rep * REP_S >= 180 else 0

    point = soak(FakeGpu(), script=throttle_from_3_minutes)
    rows, result = judge_soak(point, CRITERIA, run_status="complete", no_gpu=None)
    profile = load_profile("default")
    report = QualificationReport(
        started_at=datetime(2026, 12, 2, 8, 0, tzinfo=timezone.utc),
        identity=MachineIdentity(
            hostname=HOSTILE,
            os="Linux 6",
            cpu_model=HOSTILE,
            ram_total_gib=64,
            gpu_name="NVIDIA GeForce RTX 4090",
            provider="cuda",
            bench="0.1.0",
            profile_name=profile.profile.name,
            profile_source=profile.source,
            profile_sha256=profile.sha256,
        ),
        facts=GpuFacts(provider="cuda", no_gpu=None),
        profile=profile.profile.model_dump(mode="json"),
        soak=result,
        notes=[HOSTILE],
    )
    report.finish_stage("soak", rows)
    path = tmp_path / "report.html"
    path.write_text(render_html(report), encoding="utf-8")
    page = Page(browser, path)
    try:
        assert page.errors == [] and page.dialogs == []
        assert page.page.locator("#verdict").inner_text() == "FAIL"
        assert page.page.title() == f"bench qualify: {HOSTILE} FAIL"
        assert page.page.locator("#machine").get_by_text(HOSTILE, exact=True).count() == 2
        assert page.page.locator("body script").count() == 3  # data, plotly, the page's own
        throughput = page.page.evaluate(SOAK_TRACES_JS, "soak-chart")
        assert throughput[0]["n"] == len(result.intervals) == 20
        gpu = {t["name"]: t["n"] for t in page.page.evaluate(SOAK_TRACES_JS, "soak-gpu-chart")}
        assert gpu["sm_clock_mhz"] == 20 and gpu["temperature_max_c"] == 20
        failed = page.page.locator("#criteria tr.status-fail")
        assert failed.count() == 1 and "time throttled" in failed.inner_text()
        page.screenshot(tmp_path, "qualification-throttling.png")
    finally:
        page.close()
