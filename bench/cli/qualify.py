"""``bench qualify``: qualify this machine against a profile; one report with a verdict."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from bench import catalogue
from bench.console import RichReporter
from bench.engine.genai import StopFlag
from bench.interrupt import graceful_stop
from bench.outcome import EXIT_INTERRUPTED
from bench.providers import PROVIDERS
from bench.qualify.criteria import Stage, Status
from bench.qualify.profile import load_profile
from bench.qualify.run import qualify as run_qualify
from bench.runner import Reporter


class _ConsoleProgress:
    def __init__(self) -> None:
        self.console = Console(stderr=True)

    def stage(self, stage: Stage, text: str) -> None:
        self.console.print(f"[bold]{stage}[/]: {escape(text)}", highlight=False)

    def runner(self) -> Reporter:
        return RichReporter(self.console)


def qualify(
    profile: Annotated[
        str, typer.Option("--profile", help="A shipped profile (default, smoke) or a profile .yaml file.")
    ] = "default",
    provider: Annotated[
        str | None,
        typer.Option("--provider", "-p", help=f"Override the profile's provider: {', '.join(PROVIDERS)}."),
    ] = None,
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Folder for the report and its runs (runs/).", file_okay=False)
    ] = Path("results/qualify"),
    store: Annotated[
        str | None, typer.Option("--store", help="Also ingest the runs into this results store (URL).")
    ] = None,
) -> None:
    """Qualify this machine: inventory, function, performance and soak stages, one report with a verdict.

    Writes qualification-<id>.json / .html / .xml (JUnit) into --out and the runs behind them into
    --out/runs (ordinary result files). Ctrl-C stops after the current step and keeps every completed
    stage in the report.

    Exit codes: 0 PASS, 1 FAIL, 2 bad input, 3 INCONCLUSIVE (a criterion could not be judged), 130
    interrupted.
    """
    if provider is not None and provider not in PROVIDERS:
        from bench.errors import BenchError

        raise BenchError(
            f"unknown provider {provider!r}", field="--provider", hint=f"choose from {', '.join(PROVIDERS)}"
        )
    loaded = load_profile(profile)
    progress = _ConsoleProgress()
    stop = StopFlag()
    with graceful_stop(stop, announce=progress.console.print):
        outputs = run_qualify(
            profile=loaded,
            provider=provider,
            out_dir=out,
            store=store,
            progress=progress,
            stop=stop,
            scenario_dirs=catalogue.search_dirs("scenarios"),
        )
    report = outputs.report
    console = Console()
    for criterion in report.criteria:
        if criterion.status is Status.FAIL:
            console.print(
                f"  FAIL [{escape(criterion.stage)}] {escape(criterion.label)}: "
                f"{escape(criterion.measured or '-')} (required {escape(criterion.threshold)})",
                highlight=False,
            )
    # Not judged: one line per reason, so forty "no GPU" rows do not bury the failures.
    reasons = Counter(c.reason for c in report.criteria if c.status is Status.NOT_JUDGED)
    for reason, count in reasons.most_common():
        console.print(f"  NOT JUDGED ({count}): {escape(reason)}", highlight=False)
    console.print(f"verdict: [bold]{report.verdict.label}[/] ({escape(report.status)})")
    for path in (outputs.json_path, outputs.html_path, outputs.junit_path):
        console.print(f"report: {escape(str(path))}", highlight=False)
    raise typer.Exit(code=EXIT_INTERRUPTED if outputs.interrupted else report.verdict.exit_code)
