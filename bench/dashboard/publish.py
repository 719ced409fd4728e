"""Publish step: result documents (and baselines, history) -> the dashboard file.

The one function other commands call (``bench dashboard``, ``bench run --dashboard``,
``bench gate --dashboard``). The comparison itself is the engine's (``bench.compare.engine``); this
module only decides what is compared when the caller did not: the candidates against the baselines
given, or, with no baseline and candidates that span several driver / onnxruntime-genai versions on
the same GPU, each newer version against the oldest one (a version comparison).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from bench.analysis.regression import Rule
from bench.atomic import atomic_write_text
from bench.compare.baselines import BaselineDocument
from bench.compare.engine import build_report
from bench.compare.grouping import split_by_context
from bench.compare.report import ComparisonReport
from bench.dashboard.build import render_html
from bench.dashboard.data import build_payload
from bench.dashboard.history import RunSummary
from bench.errors import BenchError
from bench.results.schema import ResultDocument


def write_dashboard(
    *,
    documents: Sequence[ResultDocument],
    report: ComparisonReport | None = None,
    baselines: Sequence[ResultDocument | BaselineDocument] | None = None,
    output: Path,
    title: str | None = None,
    history: Sequence[ResultDocument | RunSummary] | None = None,
    rule: Rule | None = None,
    generated_at: datetime | None = None,
) -> Path:
    """Write the dashboard for ``documents`` (the candidate runs) to ``output``; returns the path.

    ``report``: the comparison already made (``bench gate`` passes its own); when None and
    ``baselines`` are given it is built here with ``rule`` (default rule when None). ``history``: more
    runs for the runs table and the trend view only.
    """
    if not documents:
        raise BenchError("no result files", hint="pass result files or folders written by `bench run`")
    candidates = list(documents)
    references: list[ResultDocument | BaselineDocument] = list(baselines or [])
    if report is None:
        if references:
            report = build_report(candidates, references, rule=rule or Rule())
        else:
            split = version_split(candidates)
            if split is not None:
                reference_runs, candidates = split
                references = list(reference_runs)
                report = build_report(candidates, references, rule=rule or Rule()).with_notes_first(
                    [
                        "VERSION COMPARISON: no baseline given; the runs of the oldest version "
                        f"({_versions(reference_runs)}) are the reference for the others"
                    ]
                )
    payload = build_payload(
        documents=candidates,
        report=report,
        baselines=references,
        history=history or (),
        title=title,
        generated_at=generated_at,
    )
    output = Path(output)
    if output.exists() and output.is_dir():
        raise BenchError(
            "is a folder; give the HTML file to write",
            field=str(output),
            hint="e.g. -o dashboards/index.html",
        )
    atomic_write_text(output, render_html(payload))
    return output


def version_split(
    documents: Sequence[ResultDocument],
) -> tuple[list[ResultDocument], list[ResultDocument]] | None:
    """(reference, candidates) when the runs are one GPU (or the CPU) under several driver /
    onnxruntime-genai versions: the reference is the version seen first. None otherwise."""
    groups = split_by_context(documents)
    if len(groups) < 2 or len({(g.key[0]) for g in groups}) != 1:
        return None
    groups.sort(key=lambda g: min(d.started_at for d in g.documents))
    reference_ids = {d.run_id for d in groups[0].documents}
    reference = [d for d in documents if d.run_id in reference_ids]
    others = [d for d in documents if d.run_id not in reference_ids]
    return (reference, others) if others else None


def _versions(documents: Sequence[ResultDocument]) -> str:
    groups = split_by_context(documents)
    return "; ".join(g.context.versions for g in groups)
