"""``bench dashboard``: publish result files as one self-contained HTML page."""

from __future__ import annotations

import os
import webbrowser
from collections.abc import Callable
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
from bench.cli.store_options import SkippedFiles, StoreOption, WhereOption, store_queries
from bench.compare.engine import build_report
from bench.compare.inputs import load_references
from bench.dashboard.history import RunSummary
from bench.dashboard.publish import write_dashboard
from bench.documents import Problem, load_many
from bench.errors import BenchError
from bench.results.files import load_result
from bench.results.schema import ResultDocument
from bench.store.sources import PREFIX as STORE_PREFIX
from bench.store.sources import StoreQueries

DEFAULT_OUTPUT = Path("dashboards") / "index.html"


def dashboard(
    results: Annotated[
        list[Path] | None,
        typer.Argument(
            help="Result files or folders, or the store's runs 'store:KEY=VALUE&...': the runs the page is "
            "about (rounds of one configuration are pooled, as in `bench compare`). Default: the newest run "
            "in ./results (with --store or --where: in the store), with the others as --history.",
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
    store: StoreOption = None,
    where: WhereOption = None,
) -> None:
    """Write a static dashboard: verdict, runs, sweep charts with the baseline, change per point, trend.

    One HTML file with plotly.js and the data inside: it works offline and can be attached to a CI run.

    A file inside a folder that cannot be read is reported (path and reason) and left out; the page is
    built from the rest. A file named on its own must be readable.

    The verdict uses the rule of `bench compare` (same options). Exit codes: 0 written, 2 bad input.
    """
    queries = store_queries(store, where)
    skipped = SkippedFiles()
    try:
        candidates, more_history = load_runs(results or [], queries=queries, on_problem=skipped)
        runs_history = [*more_history, *_load_history(history or [], queries=queries, on_problem=skipped)]
        references = load_references(baseline, queries=queries, on_problem=skipped) if baseline else []
        queries.check_used()
    finally:
        queries.close()
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
        f"{len(runs_history)} in history"
        + (f"; {len(skipped.problems)} unreadable file(s) left out" if skipped.problems else "")
        + ")"
    )
    if open_page:
        webbrowser.open(path.resolve().as_uri())


def load_runs(
    paths: list[Path],
    *,
    queries: StoreQueries | None = None,
    on_problem: Callable[[Problem], None] | None = None,
) -> tuple[list[ResultDocument], list[ResultDocument | RunSummary]]:
    """(candidates, history): the runs given; with none given, the newest run of ./results (of the store,
    with --store or --where: its summary rows for the history) and the rest."""
    if not paths and queries is not None and (queries.url or queries.where):
        newest, rest = queries.newest_and_history(STORE_PREFIX)
        return [newest], list(rest)
    if paths:
        documents = _load(paths, queries=queries, on_problem=on_problem)
        if not documents:
            raise BenchError(
                "no result files",
                field=", ".join(str(p) for p in paths),
                hint="pass result files or folders written by `bench run`",
            )
        return documents, []
    folder = Path(os.environ.get("BENCH_RESULTS_DIR") or "results")
    documents = _load([folder], queries=queries, on_problem=on_problem) if folder.is_dir() else []
    if not documents:
        raise BenchError(
            "no result files",
            field=str(folder),
            hint="run `bench run smoke` first, or pass result files or folders",
        )
    documents.sort(key=lambda d: d.started_at)
    return documents[-1:], list(documents[:-1])


def _load(
    paths: list[Path],
    *,
    queries: StoreQueries | None = None,
    on_problem: Callable[[Problem], None] | None = None,
) -> list[ResultDocument]:
    """Files, folders (leniently when ``on_problem`` is given) and ``store:`` queries, in the order given."""
    documents: list[ResultDocument] = []
    for path in paths:
        if queries is not None and queries.matches(str(path)):
            documents.extend(queries.documents(str(path)))
            continue
        loaded = load_many([path], load_result, lenient=on_problem is not None)
        documents.extend(document for _, document in loaded.documents)
        for problem in loaded.problems:
            on_problem(problem)  # type: ignore[misc]  # lenient only when on_problem is given
    return documents


def _load_history(
    paths: list[Path], *, queries: StoreQueries, on_problem: Callable[[Problem], None]
) -> list[ResultDocument | RunSummary]:
    """--history: files and folders as documents, ``store:`` queries as the store's summary rows."""
    runs: list[ResultDocument | RunSummary] = []
    for path in paths:
        if queries.matches(str(path)):
            runs.extend(queries.history(str(path)))
        else:
            runs.extend(_load([path], on_problem=on_problem))
    return runs
