"""``bench run``: measure a scenario end to end and write one result file."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from bench import catalogue
from bench.cli.common import (
    DashboardOption,
    JsonOption,
    ModelsOption,
    OutDirOption,
    ProvidersOption,
    RepetitionsOption,
    TelemetryOption,
    WarmupOption,
    check_output_paths,
)
from bench.cli.store_options import StoreOption
from bench.console import RichReporter, make_console, reader_may_leave, summary_table
from bench.engine.genai import StopFlag
from bench.errors import BenchError
from bench.interrupt import graceful_stop
from bench.outcome import EXIT_FAIL as EXIT_INVALID_POINTS
from bench.outcome import EXIT_INTERRUPTED
from bench.results.schema import ResultDocument
from bench.runner import RunOutcome, RunRequest, run_scenario
from bench.scenarios import find_scenario, load_scenario, parse_scenario
from bench.store.ingest import store_run
from bench.store.url import redact_command, store_url
from bench.validity import flag_summary


def run(
    scenario: Annotated[
        str,
        typer.Argument(help="Scenario name (smoke, ci-gate, qualification, driver-compare) or a .yaml path."),
    ] = "smoke",
    model: ModelsOption = None,
    provider: ProvidersOption = None,
    repetitions: RepetitionsOption = None,
    warmup: WarmupOption = None,
    out: OutDirOption = Path("results"),
    json_output: JsonOption = False,
    telemetry: TelemetryOption = True,
    sample_interval_ms: Annotated[
        float, typer.Option(min=1.0, help="Background telemetry sampling interval.")
    ] = 10.0,
    baseline_check: Annotated[
        bool,
        typer.Option(
            "--baseline-check/--no-baseline-check",
            help="After the run, say how it stands against the baselines in ./results/baselines and the "
            "derived Ampere/Ada baselines shipped with bench (informational; `bench gate` decides).",
        ),
    ] = True,
    dashboard: DashboardOption = None,
    verbose: Annotated[
        bool,
        typer.Option(
            "--verbose",
            "-v",
            help="Print each flagged point's reasons as it finishes (always in the result).",
        ),
    ] = False,
    store: StoreOption = None,
) -> None:
    """Run every point of a scenario and write one result file (JSON) into --out.

    Each (model, provider) is loaded once; each point runs its warmups, then its repetitions, with the
    output length forced and verified. Ctrl-C stops after the current step and keeps every completed
    point (status: interrupted); a second Ctrl-C aborts at once.

    With --store, the result file is also saved in the results store (see `bench ingest`).

    Exit codes: 0 all points measured, 1 some point invalid, 2 bad input, 130 interrupted.
    """
    check_output_paths(out_dir=out, dashboard=dashboard)
    target = store_url(store) if store else None  # a bad store URL is refused before the sweep
    outcome = execute_run(
        scenario=scenario,
        models=model or [],
        providers=provider or [],
        repetitions=repetitions,
        warmup=warmup,
        out_dir=out,
        telemetry=telemetry,
        sample_interval_s=sample_interval_ms / 1000.0,
        progress=not json_output,
        verbose=verbose,
    )
    document = outcome.document
    stored = store_run(target, document, source=outcome.path) if target else None
    baselines = baseline_check_line(document) if baseline_check and document.points else None
    if dashboard is not None and document.points:
        from bench.dashboard import write_dashboard

        write_dashboard(documents=[document], output=dashboard)
    with reader_may_leave():
        if json_output:
            typer.echo(
                json.dumps(
                    run_summary(outcome)
                    | {"baseline_check": baselines, "dashboard": str(dashboard) if dashboard else None}
                    | {"store": stored},
                    indent=1,
                )
            )
        else:
            console = make_console()
            console.print(summary_table(document))
            for note in _warnings(document):
                console.print(f"[yellow]warning:[/] {escape(note)}")
            if baselines:
                console.print(f"baselines: {escape(baselines)}", highlight=False)
            if dashboard is not None and document.points:
                console.print(f"dashboard: [bold]{escape(str(dashboard))}[/]")
            console.print(f"result: [bold]{escape(str(outcome.path))}[/] ({document.status})")
            if stored:
                console.print(f"store: {escape(stored)}", highlight=False)
    raise typer.Exit(code=exit_code(document))


def baseline_check_line(document: ResultDocument) -> str | None:
    """One line on how the run stands against the known baselines (None when there are none)."""
    from bench.analysis.regression import Rule
    from bench.compare.engine import build_report
    from bench.compare.inputs import load_references
    from bench.compare.render import headline

    folders = catalogue.baseline_dirs()
    if not folders:
        return None
    try:
        report = build_report([document], load_references(folders), rule=Rule())
    except BenchError as exc:  # informational: a bad baseline file must not fail a completed run
        return f"not checked: {exc.one_line()}"
    compared = [row for row in report.rows if row.verdict != "not_comparable"]
    if not compared:
        # Every baseline mismatched for the same reason (e.g. "no GPU in candidate run") -> say it once.
        causes = {line.split("; ")[0] for line in report.mismatches}
        reason = causes.pop() if len(causes) == 1 else "; ".join(report.mismatches[:1])
        return f"not comparable with any of {len(report.baseline)} baselines: {reason}"
    labels = ", ".join(dict.fromkeys(row.baseline_label for row in compared))
    return f"vs {labels}: {headline(report)} (run `bench compare` for the table)"


def execute_run(
    *,
    scenario: str,
    models: list[str],
    providers: list[str],
    repetitions: int | None,
    warmup: int | None,
    out_dir: Path,
    telemetry: bool,
    sample_interval_s: float,
    progress: bool,
    verbose: bool = False,
) -> RunOutcome:
    """Load the scenario, apply command-line overrides, run it with graceful Ctrl-C handling."""
    loaded = load_scenario(find_scenario(scenario, search_dirs=catalogue.search_dirs("scenarios")))
    overrides: dict[str, object] = {}
    if models:
        overrides["models"] = models
    if providers:
        overrides["providers"] = providers
    if repetitions is not None:
        overrides["repetitions"] = repetitions
    if warmup is not None:
        overrides["warmup"] = warmup
    definition = loaded.scenario.model_dump() | overrides
    effective = parse_scenario(definition, origin="command line") if overrides else loaded.scenario
    reporter = RichReporter(verbose=verbose) if progress else None
    stop = StopFlag()
    announce = reporter.console.print if reporter else (lambda text: print(text, file=sys.stderr))
    try:
        with graceful_stop(stop, announce=announce):
            return run_scenario(
                RunRequest(
                    scenario=effective,
                    source=loaded.source,
                    file_sha256=loaded.file_sha256,
                    overrides=overrides,
                    out_dir=out_dir,
                    telemetry=telemetry,
                    sample_interval_s=sample_interval_s,
                ),
                reporter=reporter,
                stop=stop,
                command=redact_command(sys.argv),  # a store URL's password never reaches the file
            )
    finally:
        if reporter:
            reporter.stop()


def exit_code(document: ResultDocument) -> int:
    if document.status == "interrupted":
        return EXIT_INTERRUPTED
    if document.status == "failed" or any(p.status == "invalid" for p in document.points):
        return EXIT_INVALID_POINTS
    return 0


def _warnings(document: ResultDocument) -> list[str]:
    notes = [reason for reason in document.status_reasons]
    flagged = flag_summary(
        [p.reasons for p in document.points if p.status == "flagged"], total=len(document.points)
    )
    if flagged:
        notes.append(flagged)
    if document.has_twins:
        notes.append("measured on synthetic twins (random INT4 weights), not on the real models")
    return notes


def run_summary(outcome: RunOutcome) -> dict[str, object]:
    document = outcome.document
    return {
        "result": str(outcome.path),
        "run_id": document.run_id,
        "status": document.status,
        "status_reasons": document.status_reasons,
        "scenario": document.scenario.name,
        "schema_version": document.schema_version,
        "points": [
            {
                "id": p.id,
                "status": p.status,
                "reasons": p.reasons,
                "model_kind": p.model_kind,
                **{
                    name: p.metric_median(name)
                    for name in ("ttft_ms", "prefill_tokens_per_s", "decode_tokens_per_s", "e2e_latency_ms")
                },
            }
            for p in document.points
        ],
        "notes": document.notes,
    }
