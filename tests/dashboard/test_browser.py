"""The dashboard drawn by headless Chromium from real result files (tests/compare/data/README.md).

Needs Debian's ``chromium`` (``.ci/run`` installs it) and playwright-python. Without them the tests
skip, unless ``BENCH_REQUIRE_BROWSER=1`` (CI), where they fail. Screenshots go to pytest's tmp folder
and, when ``BENCH_SCREENSHOT_DIR`` is set, there too.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bench.analysis.regression import Rule
from bench.cli.app import app
from bench.compare.engine import build_report
from bench.dashboard.numbers import r as _r
from bench.dashboard.series import SWEEP_METRICS
from bench.results.files import load_result
from tests.dashboard.conftest import HOSTILE, NORMAL_1, NORMAL_2, SLOW, SLOWED_POINT, SPED_UP_POINT, inject

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
RED = "#d62728"
GREEN = "#1e8e3e"
# Per model/provider card: TTFT, decode and prefill charts (VRAM is a message on CPU runs); then the
# change-per-point chart and the point detail: trend, inter-token latency, roofline.
CHARTS_PER_CPU_CARD = 3
DETAIL_CHARTS = 4

# Every verdict marker on every sweep chart: which card, which metric, where, what colour.
MARKERS_JS = """
(meta) => Array.from(document.querySelectorAll('.sweep-card')).flatMap(card =>
  Array.from(card.querySelectorAll('.chart-slot')).flatMap(slot => {
    const gd = slot.querySelector('.js-plotly-plot');
    if (!gd) return [];
    return gd.data.filter(t => t.meta === meta).flatMap(t => t.x.map((x, k) => ({
      series: card.dataset.series, metric: slot.dataset.metric, x: x, y: t.y[k],
      color: t.marker.color, point: t.customdata[k][2]})));
  }))
"""


def _executable() -> Path | None:
    found = shutil.which("chromium")
    if found:
        return Path(found)
    return CHROMIUM if CHROMIUM.exists() else None


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    required = os.environ.get("BENCH_REQUIRE_BROWSER") == "1"
    executable = _executable()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover - dev extra missing
        if required:
            pytest.fail("BENCH_REQUIRE_BROWSER=1 but playwright is not installed (pip install -e '.[dev]')")
        pytest.skip("playwright is not installed (pip install -e '.[dev]')")
    if executable is None:
        if required:
            pytest.fail("BENCH_REQUIRE_BROWSER=1 but chromium is not installed (apt-get install chromium)")
        pytest.skip("chromium is not installed (Debian: apt-get install chromium; CI installs it in .ci/run)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(executable), args=ARGS)
        yield launched
        launched.close()


class Page:
    """One dashboard opened in a fresh page, with every console error, page error and dialog kept."""

    def __init__(self, browser, path: Path) -> None:
        self.page = browser.new_page(viewport={"width": 1440, "height": 1000})
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        self.page.on(
            "console", lambda m: self.errors.append(f"console: {m.text}") if m.type == "error" else None
        )
        self.page.on("pageerror", lambda e: self.errors.append(f"pageerror: {e}"))
        self.page.on("dialog", self._dialog)
        self.page.goto(path.resolve().as_uri())
        self.page.wait_for_selector("html[data-ready='1']", timeout=60_000)

    def _dialog(self, dialog) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def charts(self) -> int:
        return self.page.locator(".js-plotly-plot").count()

    def markers(self, meta: str) -> list[dict]:
        return self.page.evaluate(MARKERS_JS, meta)

    def screenshot(self, tmp_path: Path, name: str) -> Path:
        path = tmp_path / name
        self.page.screenshot(path=str(path), full_page=True)
        folder = os.environ.get("BENCH_SCREENSHOT_DIR")
        if folder:
            Path(folder).mkdir(parents=True, exist_ok=True)
            shutil.copy(path, Path(folder) / name)
        assert path.stat().st_size > 50_000  # a drawn page, not a blank one
        return path

    def close(self) -> None:
        self.page.close()


def _publish(tmp_path: Path, *args: str) -> Path:
    out = tmp_path / "index.html"
    result = CliRunner().invoke(app, ["dashboard", *args, "-o", str(out)])
    assert result.exit_code == 0, result.output
    return out


def _series_key(model: str) -> str:
    return f"{model}|cpu|cpu||0.18.0"


def test_injected_regression_is_marked_red_at_its_point(browser, injected, tmp_path):
    out = _publish(tmp_path, str(injected), "--baseline", str(NORMAL_1), "--history", str(SLOW))
    page = Page(browser, out)
    try:
        assert page.errors == []
        assert page.charts() == 2 * CHARTS_PER_CPU_CARD + DETAIL_CHARTS
        assert page.page.locator("#verdict-banner .banner__state").inner_text() == "REGRESSION"
        # VRAM: the reason instead of an empty chart.
        assert (
            page.page.get_by_text("No GPU telemetry in these runs (provider cpu uses no GPU).").count() == 2
        )

        report = build_report([load_result(injected)], [load_result(NORMAL_1)], rule=Rule())
        expected = {
            (_series_key(r.model), r.metric, r.prompt_tokens, r.point_id): _r(r.candidate_value)
            for r in report.rows
            if r.verdict == "regression" and not r.excluded and r.metric in SWEEP_METRICS
        }
        assert {key[3] for key in expected} == {SLOWED_POINT}
        red = page.markers("verdict-regression")
        assert {(m["series"], m["metric"], m["x"], m["point"]): m["y"] for m in red} == expected
        assert {m["color"] for m in red} == {RED}
        green = page.markers("verdict-improvement")
        assert {m["point"] for m in green} == {SPED_UP_POINT} and {m["color"] for m in green} == {GREEN}
        assert page.markers("flagged")  # both recorded runs have a flagged point

        # The page opens its point detail on the worst regression.
        assert SLOWED_POINT in page.page.locator("#detail-summary").inner_text()
        page.screenshot(tmp_path, "dashboard-injected-regression.png")
    finally:
        page.close()


def test_slowed_real_run_marks_every_regressing_point(browser, tmp_path):
    out = _publish(tmp_path, str(SLOW), "--baseline", str(NORMAL_1), "--baseline", str(NORMAL_2))
    page = Page(browser, out)
    try:
        assert page.errors == []
        report = build_report(
            [load_result(SLOW)], [load_result(NORMAL_1), load_result(NORMAL_2)], rule=Rule()
        )
        expected = {
            (r.point_id, r.metric)
            for r in report.rows
            if r.verdict == "regression" and not r.excluded and r.metric in SWEEP_METRICS
        }
        assert len(expected) >= 12
        assert {(m["point"], m["metric"]) for m in page.markers("verdict-regression")} == expected
        # Filtering to one model redraws the sweep with that model's card only.
        page.page.select_option("#filter-model", "twin:mistral-nemo-12b:tiny")
        assert page.page.locator(".sweep-card").count() == 1
        assert page.charts() == CHARTS_PER_CPU_CARD + DETAIL_CHARTS
        assert {m["series"] for m in page.markers("verdict-regression")} == {
            _series_key("twin:mistral-nemo-12b:tiny")
        }
        page.page.select_option("#filter-batch", "2")
        batches = page.page.evaluate(
            "() => Array.from(document.querySelectorAll('.sweep-card .js-plotly-plot'))"
            ".flatMap(gd => gd.data.filter(t => t.meta === 'candidate').map(t => t.name))"
        )
        assert set(batches) == {"batch 2"}
        assert page.errors == []
        page.screenshot(tmp_path, "dashboard-slowed-run.png")
    finally:
        page.close()


def test_hostile_names_render_as_text_and_run_nothing(browser, tmp_path):
    hostile = inject(
        NORMAL_2,
        tmp_path / "hostile.json",
        factors={},
        run_id="20261125T090000Z-hostil",
        hostname=HOSTILE,
        scenario=HOSTILE,
    )
    out = _publish(tmp_path, str(hostile))  # one run, no baseline: the sweep without a verdict
    page = Page(browser, out)
    try:
        assert page.dialogs == []
        assert page.errors == []
        assert page.page.title() == f"bench: {HOSTILE}"
        assert page.page.locator("#page-title").inner_text() == f"bench: {HOSTILE}"
        runs = page.page.locator("#runs-table tbody tr").first
        assert runs.get_by_text(HOSTILE, exact=True).count() == 2  # host and scenario cells
        assert runs.get_by_text(HOSTILE, exact=True).first.is_visible()
        assert page.page.locator("body script").count() == 3  # data, plotly, the page's own: nothing injected
        assert page.page.locator("#verdict-banner .banner__state").inner_text() == "NO BASELINE"
        assert page.page.get_by_text("No baseline was given").count() == 1
        assert page.charts() == 2 * CHARTS_PER_CPU_CARD + DETAIL_CHARTS - 1  # no change chart
        page.screenshot(tmp_path, "dashboard-hostile-names.png")
    finally:
        page.close()
