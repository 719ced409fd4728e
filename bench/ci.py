"""CI-native output of a comparison report: JUnit cases and the GitHub step summary.

One JUnit case per (point, metric) row: a regression is a failure; a row that was not decided (a
coverage gap, or a change beyond the minimum effect that was not significant) is skipped with its
reason; anything else passed. The Markdown report, with the outcome, is appended to
``$GITHUB_STEP_SUMMARY`` when that variable is set (GitHub Actions sets it to a file per step).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from bench.analysis.rule import Rule
from bench.analysis.verdict import Verdict
from bench.compare.render import to_markdown
from bench.compare.report import ComparisonReport
from bench.errors import BenchError
from bench.gating import GateOutcome, unresolved
from bench.report.junit import CaseStatus, JUnitCase
from bench.report.markdown import md_text

STEP_SUMMARY_ENV = "GITHUB_STEP_SUMMARY"


def junit_cases(report: ComparisonReport, *, rule: Rule) -> list[JUnitCase]:
    cases = []
    for row in report.rows:
        shape = f"p{row.prompt_tokens}-b{row.batch_size}-o{row.output_tokens}"
        if row.verdict == Verdict.REGRESSION and not row.excluded:
            status = CaseStatus.FAILED
        elif row.gap is not None or row.excluded or unresolved(row, rule):
            status = CaseStatus.SKIPPED
        else:
            status = CaseStatus.PASSED
        change = f"{row.change_pct:+.1f} %" if row.change_pct is not None else "no change figure"
        cases.append(
            JUnitCase(
                classname=f"{row.model}/{row.provider}",
                name=f"{shape} {row.metric}",
                status=status,
                message=row.reason if status is not CaseStatus.PASSED else "",
                details=f"{row.verdict.value}: {change}; {row.reason}; baseline: {row.baseline_label}",
            )
        )
    return cases


def step_summary(report: ComparisonReport, outcome: GateOutcome, *, title: str) -> str:
    """The Markdown report followed by the outcome, its reason and remedy."""
    lines = [to_markdown(report, title=title).rstrip("\n"), "", f"**{md_text(outcome.headline)}**"]
    if outcome.reason:
        lines.append(f"- reason: {md_text(outcome.reason)}")
    if outcome.remedy:
        lines.append(f"- remedy: {md_text(outcome.remedy)}")
    return "\n".join(lines) + "\n"


def append_step_summary(markdown: str, *, environ: Mapping[str, str] | None = None) -> Path | None:
    """Append to the file named by ``$GITHUB_STEP_SUMMARY``; None when it is not set."""
    target = (environ if environ is not None else os.environ).get(STEP_SUMMARY_ENV)
    if not target:
        return None
    path = Path(target)
    try:
        with path.open("a", encoding="utf-8") as handle:
            handle.write(markdown if markdown.endswith("\n") else markdown + "\n")
    except OSError as exc:
        raise BenchError(
            f"cannot append the step summary: {exc.strerror or exc}", field=STEP_SUMMARY_ENV
        ) from None
    return path
