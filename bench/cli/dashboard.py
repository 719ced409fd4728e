"""``bench dashboard``: publish result files as one self-contained HTML page."""

from __future__ import annotations

import os
import webbrowser
from pathlib import Path
from typing import Annotated

import typer

from bench.cli.compare import (
    AlphaOption,
    CorrectionOption,
    IncludeFlaggedOption,
    MetricOption,
    MinEffectOption,
    make_rule,
)
from bench.compare.engine import build_report
from bench.compare.inputs import load_references
from bench.dashboard.publish import write_dashboard
from bench.errors import BenchError
from bench.results.files import load_results
from bench.results.schema import ResultDocument

DEFAULT_OUTPUT = Path("dashboards") / "index.html"


def dashboard(
    results: Annotated[
        list[Path] | None,
        typer.Argument(
            help="Result files or folders: the runs the page is about (rounds of one configuration are "
            "pooled, as in `bench compare`). Default: the newest run in ./results, with the others as "
            "--history.",
            show_default=False,
        ),
    ] = None,
    baseline: Annotated[
        list[str] | None,
        typer.Option(
            "--baseline",
            "-b",
            help="What the verdict compares with (repeatable): a result file or folder, a baseline file, "
            "or a baseline name (see `bench baseline list`). Without one, runs that span several driver / "
            "onnxruntime-genai versions are compared with the oldest version.",
        ),
    ] = None,
    history: Annotated[
        list[Path] | None,
        typer.Option(
            "--history",
            help="More result files or folders shown only in the runs table and the trend view (repeatable).",
        ),
    ] = None,
    output: Annotated[
        Path, typer.Option("--output", "-o", help="The HTML file to write.", dir_okay=False)
    ] = DEFAULT_OUTPUT,
    title: Annotated[str | None, typer.Option(help="Page title (default: bench: SCENARIO).")] = None,
    open_page: Annotated[bool, typer.Option("--open", help="Open the page in the default browser.")] = False,
    alpha: AlphaOption = None,
    min_effect: MinEffectOption = None,
    correction: CorrectionOption = None,
    include_flagged: IncludeFlaggedOption = False,
    metric: MetricOption = None,
) -> None:
    """Write a static dashboard: verdict, runs, sweep charts with the baseline, change per point, trend.

    One HTML file with plotly.js and the data inside: it works offline and can be attached to a CI run.

    The verdict uses the rule of `bench compare` (same options). Exit codes: 0 written, 2 bad input.
    """
    candidates, more_history = load_runs(results or [])
    runs_history = [*more_history, *_load(history or [])]
    references = load_references(baseline) if baseline else []
    rule = make_rule(
        alpha=alpha, min_effect=min_effect, correction=correction, include_flagged=include_flagged
    )
    report = build_report(candidates, references, rule=rule, metrics=metric or None) if references else None
    path = write_dashboard(
        documents=candidates,
        report=report,
        baselines=references,
        history=runs_history,
        output=output,
        title=title,
        rule=rule,
    )
    size_mb = path.stat().st_size / 1e6
    typer.echo(
        f"dashboard: {path} ({size_mb:.1f} MB, {len(candidates)} candidate run(s), "
        f"{len(runs_history)} in history)"
    )
    if open_page:
        webbrowser.open(path.resolve().as_uri())


def load_runs(paths: list[Path]) -> tuple[list[ResultDocument], list[ResultDocument]]:
    """(candidates, history): the runs given; with none given, the newest run of ./results and the rest."""
    if paths:
        documents = _load(paths)
        if not documents:
            raise BenchError(
                "no result files",
                field=", ".join(str(p) for p in paths),
                hint="pass result files or folders written by `bench run`",
            )
        return documents, []
    folder = Path(os.environ.get("BENCH_RESULTS_DIR") or "results")
    documents = _load([folder]) if folder.is_dir() else []
    if not documents:
        raise BenchError(
            "no result files",
            field=str(folder),
            hint="run `bench run smoke` first, or pass result files or folders",
        )
    documents.sort(key=lambda d: d.started_at)
    return documents[-1:], documents[:-1]


def _load(paths: list[Path]) -> list[ResultDocument]:
    return load_results(paths)
