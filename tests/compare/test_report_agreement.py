"""One comparison report, four readers: the terminal table, the JSON, the Markdown comment and the
dashboard payload must agree on every row's verdict and numbers, and on the coverage."""

from __future__ import annotations

import io
import json
import re

import pytest
from rich.console import Console

from bench.analysis.regression import Rule
from bench.analysis.verdict import Verdict
from bench.compare import render
from bench.compare.engine import build_report
from bench.compare.report import ComparisonReport, ComparisonRow
from bench.dashboard.data import build_payload
from bench.dashboard.numbers import r
from bench.dashboard.series import SWEEP_METRICS
from bench.results.files import load_result
from tests.dashboard.conftest import NORMAL_1, NORMAL_2, SLOWED_POINT, SPED_UP_POINT, inject


@pytest.fixture(scope="module")
def compared(tmp_path_factory) -> tuple[ComparisonReport, list, list]:
    """A real pair of smoke runs with one point 30 % slower and one 25 % faster: every verdict occurs
    (regression, improvement, no change, and flagged points left out)."""
    folder = tmp_path_factory.mktemp("agreement")
    candidate = load_result(
        inject(NORMAL_2, folder / "c.json", factors={SLOWED_POINT: 1.3, SPED_UP_POINT: 0.75}, run_id="cand")
    )
    baseline = load_result(NORMAL_1)
    report = build_report([candidate], [baseline], rule=Rule())
    return report, [candidate], [baseline]


def test_the_report_holds_every_kind_of_row(compared):
    report, _, _ = compared
    verdicts = {row.verdict for row in report.rows}
    assert verdicts == set(Verdict)
    assert any(row.excluded for row in report.rows) and report.has_regression
    assert 0 < report.coverage.fraction < 1


def _terminal(report: ComparisonReport) -> str:
    console = Console(width=250, record=True, color_system=None, file=io.StringIO())
    console.print(render.rich_report(report, width=250))
    return console.export_text()


def _section(text: str, row: ComparisonRow) -> str:
    """The lines of the table titled with this row's model, provider and metric."""
    title = f"{row.model} · {row.provider} · {row.metric} ("
    start = text.index(title)
    rest = text[start + len(title) :]
    end = re.search(r"\n\S.* · .* · .*is better\)", rest)
    return rest[: end.start()] if end else rest


def test_terminal_table_shows_every_compared_row_with_the_reports_numbers(compared):
    report, _, _ = compared
    text = _terminal(report)
    assert report.coverage.describe() in text
    for row in report.rows:
        if row.verdict is Verdict.NOT_COMPARABLE:
            continue
        shape = f"p{row.prompt_tokens} b{row.batch_size} o{row.output_tokens}"
        line = next(line for line in _section(text, row).splitlines() if line.strip().startswith(shape + " "))
        cells = [render._baseline_cell(row), render._num(row.candidate_value), render._pct(row.change_pct)]
        cells += [render._ci(row), render.VERDICT_TEXT[row.verdict]]
        positions = [line.index(cell) for cell in cells]
        assert positions == sorted(positions), (line, cells)
    # Rows left out are counted by reason, as many as the report has.
    for reason, rows in render._not_comparable(report).items():
        assert f"{len(rows)} row(s): {reason}" in text


def test_json_carries_the_same_rows_and_coverage_without_the_samples(compared):
    report, _, _ = compared
    data = json.loads(render.to_json(report))
    rows = [row for group in data["groups"] for row in group["rows"]]
    assert len(rows) == len(report.rows) and data["rows"] == rows
    for written, row in zip(rows, report.rows, strict=True):
        assert written == row.model_dump(mode="json")
    assert data["coverage"]["expected"] == report.coverage.expected
    assert data["coverage"]["compared"] == report.coverage.compared
    assert data["coverage"]["fraction"] == report.coverage.fraction
    assert data["coverage"]["by_reason"] == {k.value: v for k, v in report.coverage.by_reason.items()}
    assert data["counts"] == {k.value: v for k, v in report.counts.items()}
    assert all("candidate_points" not in group for group in data["groups"])  # raw samples stay in files
    assert ComparisonReport.model_validate(data).rows == report.rows


def test_markdown_table_has_one_line_per_compared_row_with_the_reports_numbers(compared):
    report, _, _ = compared
    markdown = render.to_markdown(report)
    assert f"**Coverage:** {report.coverage.describe()}" in markdown
    table = [line for line in markdown.splitlines() if line.startswith("| twin:")]
    compared_rows = [row for row in report.rows if row.verdict is not Verdict.NOT_COMPARABLE]
    assert len(table) == len(compared_rows)
    for line, row in zip(table, compared_rows, strict=True):
        cells = [c.strip() for c in re.split(r"(?<!\\)\|", line)[1:-1]]
        verdict = render.VERDICT_TEXT[row.verdict]
        if row.verdict is Verdict.REGRESSION:
            verdict = f"**{verdict}**"
        assert cells[:7] == [
            render._point(row),
            f"`{row.metric}`",
            render._baseline_cell(row),
            render._num(row.candidate_value),
            render._pct(row.change_pct),
            render._ci(row),
            verdict,
        ]
    for reason, rows in render._not_comparable(report).items():
        assert f"- **{len(rows)}** × {reason}" in markdown


def test_dashboard_payload_draws_the_reports_verdicts_numbers_and_coverage(compared):
    report, candidates, baselines = compared
    payload = build_payload(documents=candidates, report=report, baselines=baselines)
    verdict = payload["verdict"]
    assert verdict["coverage"] == report.coverage.model_dump(mode="json")
    for name, count in report.counts.items():
        assert verdict["totals"][name.value] == count
    drawn = 0
    for row in report.rows:
        if row.metric not in SWEEP_METRICS:
            continue
        series = next(
            s for s in payload["series"] if (s["model"], s["provider"]) == (row.model, row.provider)
        )
        i = series["points"]["id"].index(row.point_id)
        columns = series["points"]["verdicts"][row.metric]
        assert columns["verdict"][i] == row.verdict.value
        assert columns["excluded"][i] == int(row.excluded)
        assert (columns["change"][i], columns["ciLow"][i], columns["ciHigh"][i]) == (
            r(row.change_pct),
            r(row.ci_low_pct),
            r(row.ci_high_pct),
        )
        assert (columns["p"][i], columns["pAdjusted"][i], columns["reason"][i]) == (
            r(row.p_value),
            r(row.p_adjusted),
            row.reason,
        )
        if row.baseline_value is not None:
            band = series["points"]["baseline"][row.metric]
            assert (band["median"][i], band["low"][i], band["high"][i]) == (
                r(row.baseline_value),
                r(row.baseline_low),
                r(row.baseline_high),
            )
        drawn += 1
    assert drawn == sum(1 for row in report.rows if row.metric in SWEEP_METRICS) > 0
