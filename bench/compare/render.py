"""Renderings of one ``ComparisonReport``: a rich terminal table, Markdown for a pull request, JSON.

All three say the same things in the same order: the verdict, the rule, what was compared with what
(a derived baseline always labelled as such), header notes, the per-point table, then everything that
was not comparable and why. Not-comparable rows are collapsed by reason so a hundred of them stay
readable.
"""

from __future__ import annotations

import os
from collections import defaultdict

from rich import box
from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from bench.analysis.verdict import Verdict
from bench.compare.report import NO_MATCH, ComparisonReport, ComparisonRow
from bench.console import make_console
from bench.metrics import Direction, spec
from bench.report.markdown import md_cell, md_text

PIPED_WIDTH = 160
WIDE_ENOUGH_FOR_NOTES = 120

VERDICT_TEXT = {
    Verdict.REGRESSION: "REGRESSION",
    Verdict.IMPROVEMENT: "improvement",
    Verdict.NO_CHANGE: "no change",
    Verdict.NOT_COMPARABLE: "not comparable",
}
VERDICT_STYLE = {
    Verdict.REGRESSION: "bold red",
    Verdict.IMPROVEMENT: "green",
    Verdict.NO_CHANGE: "dim",
    Verdict.NOT_COMPARABLE: "yellow",
}


def _num(value: float | None) -> str:
    if value is None:
        return "–"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    if abs(value) >= 100:
        return f"{value:.1f}"
    return f"{value:.3g}" if abs(value) < 1 else f"{value:.2f}"


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value:+.1f}%"


def _ci(row: ComparisonRow) -> str:
    if row.ci_low_pct is None or row.ci_high_pct is None:
        return "–"
    return f"[{row.ci_low_pct:+.1f}, {row.ci_high_pct:+.1f}]"


def _baseline_cell(row: ComparisonRow) -> str:
    value = _num(row.baseline_value)
    if row.baseline_kind == "derived" and row.baseline_low is not None and row.baseline_high is not None:
        return f"{value} (ok {_num(row.baseline_low)}–{_num(row.baseline_high)})"
    return value


def _point(row: ComparisonRow) -> str:
    return f"{row.model} {row.provider} p{row.prompt_tokens} b{row.batch_size} o{row.output_tokens}"


def headline(report: ComparisonReport) -> str:
    counted = report.counts
    excluded = sum(1 for r in report.rows if r.excluded)
    state = f"REGRESSION ({counted[Verdict.REGRESSION]})" if report.has_regression else "no regression"
    parts = [
        f"{counted[Verdict.IMPROVEMENT]} improvement(s)",
        f"{counted[Verdict.NO_CHANGE]} no change",
        f"{counted[Verdict.NOT_COMPARABLE]} not comparable",
    ]
    if excluded:
        parts.append(f"{excluded} excluded (flagged or invalid points)")
    if report.rows and counted[Verdict.NOT_COMPARABLE] == len([r for r in report.rows if not r.excluded]):
        parts.append("NOTHING WAS COMPARED")
    return f"{state}: " + ", ".join(parts)


def _comparable(report: ComparisonReport) -> list[ComparisonRow]:
    return [r for r in report.rows if r.verdict is not Verdict.NOT_COMPARABLE]


def _not_comparable(report: ComparisonReport) -> dict[str, list[ComparisonRow]]:
    by_reason: dict[str, list[ComparisonRow]] = defaultdict(list)
    for row in report.rows:
        if row.verdict is Verdict.NOT_COMPARABLE:
            by_reason[row.reason or "no reason given"].append(row)
    return dict(by_reason)


def _points_of(rows: list[ComparisonRow], limit: int = 4) -> str:
    points = list(dict.fromkeys(r.point_id for r in rows))
    shown = ", ".join(points[:limit])
    return shown + (f" (+{len(points) - limit} more)" if len(points) > limit else "")


def _baseline_labels(report: ComparisonReport) -> list[str]:
    labels = [label for label in dict.fromkeys(r.baseline_label for r in report.rows) if label != NO_MATCH]
    if labels:
        return labels
    return [f"{NO_MATCH} among {len(report.baseline)}: {', '.join(report.baseline)}"]


# --- terminal ---------------------------------------------------------------------------------------


def _sections(rows: list[ComparisonRow]) -> dict[str, list[ComparisonRow]]:
    """Rows per (group, model, provider, metric): the point column then needs only the sweep shape,
    and a section's table fits an 80-column terminal."""
    sections: dict[str, list[ComparisonRow]] = defaultdict(list)
    for row in rows:
        metric = spec(row.metric)
        direction = "higher" if metric.direction is Direction.HIGHER_IS_BETTER else "lower"
        unit = f"{metric.unit}, " if metric.unit else ""
        title = f"{row.model} · {row.provider} · {row.metric} ({unit}{direction} is better)"
        sections[f"{row.group} · {title}" if row.group else title].append(row)
    return dict(sections)


def rich_report(report: ComparisonReport, *, width: int = PIPED_WIDTH) -> Group:
    """The report for a terminal ``width`` columns wide: the per-row notes only where they fit."""
    parts: list = []
    style = "bold red" if report.has_regression else "bold green"
    parts.append(Text(headline(report), style=style))
    parts.append(Text(f"rule: {report.rule}"))
    parts.append(Text(report.coverage.describe(), style="" if report.coverage.complete else "yellow"))
    parts.append(Text(f"candidate: {', '.join(report.candidate)}"))
    for label in _baseline_labels(report):
        parts.append(Text(f"baseline: {label}", style="bold yellow" if label.startswith("derived") else ""))
    for note in report.notes:
        parts.append(Text(f"note: {note}", style="yellow"))
    with_notes = width >= WIDE_ENOUGH_FOR_NOTES
    for title, section in _sections(_comparable(report)).items():
        table = Table(
            title=Text(title),
            title_justify="left",
            title_style="bold",
            header_style="bold",
            box=box.SIMPLE_HEAD,
            show_edge=False,
        )
        for column, justify in (
            ("point", "left"),
            ("baseline", "right"),
            ("candidate", "right"),
            ("change", "right"),
            ("CI", "right"),
            ("verdict", "left"),
        ):
            table.add_column(
                column,
                justify=justify,  # type: ignore[arg-type]
                no_wrap=column != "baseline",
                min_width=len(column),
            )
        if with_notes:  # too wide for a narrow terminal; --markdown and --json always carry them
            table.add_column("note", overflow="fold")
        for row in section:
            verdict = VERDICT_TEXT[row.verdict] + (" (excluded)" if row.excluded else "")
            cells: list[str | Text] = [
                f"p{row.prompt_tokens} b{row.batch_size} o{row.output_tokens}",
                _baseline_cell(row),
                _num(row.candidate_value),
                _pct(row.change_pct),
                _ci(row),
                Text(verdict, style="dim" if row.excluded else VERDICT_STYLE[row.verdict]),
            ]
            table.add_row(*cells, *([Text(row.reason)] if with_notes else []))
        parts.append(table)
    not_comparable = _not_comparable(report)
    if not_comparable:
        lines = [
            f"{len(rows_)} row(s): {reason}\n    points: {_points_of(rows_)}"
            for reason, rows_ in not_comparable.items()
        ]
        parts.append(Panel(Text("\n".join(lines)), title="not comparable", border_style="yellow"))
    if report.mismatches:
        parts.append(Panel(Text("\n".join(report.mismatches)), title="mismatches", border_style="yellow"))
    return Group(*parts)


def print_report(report: ComparisonReport, console: Console | None = None) -> None:
    console = console or report_console()
    console.print(rich_report(report, width=console.width))


def report_console() -> Console:
    """The terminal's width on a terminal; wide when piped (CI logs do not wrap, tables should not)."""
    console = make_console()
    if not console.is_terminal and "COLUMNS" not in os.environ:
        console = make_console(width=PIPED_WIDTH)
    return console


# --- Markdown (pull-request comment) ----------------------------------------------------------------


def to_markdown(report: ComparisonReport, *, title: str = "bench compare") -> str:
    lines = [
        f"### {title}: {headline(report)}",
        "",
        f"**Rule:** {md_text(report.rule)}  ",
        f"**Coverage:** {md_text(report.coverage.describe())}  ",
        f"**Candidate:** {', '.join(f'`{md_text(c)}`' for c in report.candidate)}  ",
    ]
    for label in _baseline_labels(report):
        marker = " ⚠️" if label.startswith("derived") else ""
        lines.append(f"**Baseline:** {md_text(label)}{marker}  ")
    if report.notes:
        lines.append("")
        lines += [f"> {md_text(note)}" for note in report.notes]
    rows = _comparable(report)
    if rows:
        grouped = any(r.group for r in rows)
        head = ["point", "metric", "baseline", "candidate", "change", "CI", "verdict", "note"]
        if grouped:
            head.insert(0, "group")
        lines += [
            "",
            "| " + " | ".join(head) + " |",
            "| "
            + " | ".join("---:" if h in {"baseline", "candidate", "change", "CI"} else "---" for h in head)
            + " |",
        ]
        for row in rows:
            verdict = VERDICT_TEXT[row.verdict]
            verdict = f"**{verdict}**" if row.verdict is Verdict.REGRESSION and not row.excluded else verdict
            if row.excluded:
                verdict += " (excluded)"
            cells = [
                _point(row),
                f"`{row.metric}`",
                _baseline_cell(row),
                _num(row.candidate_value),
                _pct(row.change_pct),
                _ci(row),
                verdict,
                row.reason,
            ]
            if grouped:
                cells.insert(0, row.group or "")
            lines.append("| " + " | ".join(md_cell(c) for c in cells) + " |")
    not_comparable = _not_comparable(report)
    if not_comparable:
        total = sum(len(r) for r in not_comparable.values())
        lines += ["", f"<details><summary>{total} row(s) not comparable</summary>", ""]
        lines += [
            f"- **{len(rows_)}** × {md_text(reason)} — points: {md_text(_points_of(rows_))}"
            for reason, rows_ in not_comparable.items()
        ]
        lines += ["", "</details>"]
    if report.mismatches:
        lines += ["", f"<details><summary>{len(report.mismatches)} mismatch(es)</summary>", ""]
        lines += [f"- {md_text(m)}" for m in report.mismatches]
        lines += ["", "</details>"]
    return "\n".join(lines) + "\n"


# --- JSON -------------------------------------------------------------------------------------------


# The pooled samples stay in memory (the dashboard draws them); the JSON says what was compared and
# what came of it, and the raw samples stay in the result and baseline files.
SAMPLES = {"groups": {"__all__": {"candidate_points", "baseline_points"}}}


def to_json(report: ComparisonReport) -> str:
    return report.model_dump_json(indent=1, exclude=SAMPLES) + "\n"
