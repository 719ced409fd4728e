"""Terminal presentation: the sweep progress bar and the summary table (rich, on stderr/stdout)."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from rich import box
from rich.console import Console, Group
from rich.markup import escape
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from bench.results.schema import Point, ResultDocument
from bench.scenarios import SweepPoint

STATUS_STYLE = {"valid": "green", "flagged": "yellow", "invalid": "red"}


def _fmt(value: float | None, digits: int = 1) -> str:
    if value is None:
        return "–"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.{digits}f}"


class BenchConsole(Console):
    """bench's console: no emoji codes (``twin:FAMILY:SIZE`` must not become an emoji), and a reader that
    goes away (``bench run smoke | head -3``) silences it; rich's default is to exit the process."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(emoji=False, **kwargs)

    def on_broken_pipe(self) -> None:
        self.quiet = True
        # Later writes and the interpreter's final flush go to devnull instead of failing again
        # (https://docs.python.org/3/library/signal.html#note-on-sigpipe).
        with suppress(OSError, ValueError, AttributeError):
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, self.file.fileno())


def make_console(**options: Any) -> Console:
    """Every console bench prints through (``options`` as for ``rich.console.Console``)."""
    return BenchConsole(**options)


@contextmanager
def reader_may_leave() -> Iterator[None]:
    """Around the final output: a reader that closed stdout early (``| head -3``) is not an error.

    The result is already written; what is left unprinted is what the reader chose not to read. Python's
    documented remedy: point stdout at devnull so the interpreter's final flush does not fail again.
    """
    try:
        yield
        sys.stdout.flush()
    except BrokenPipeError:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())


class RichReporter:
    """Progress on stderr so that ``--json`` output on stdout stays machine-readable.

    Flagged points are summarised in one line after the run (``bench.validity.flag_summary``); with
    ``verbose`` each flagged point's reasons are printed as it finishes. Invalid points always are.
    """

    def __init__(self, console: Console | None = None, *, verbose: bool = False) -> None:
        self.console = console or make_console(stderr=True)
        self.verbose = verbose
        self.progress = Progress(
            TextColumn("[bold]point {task.completed}/{task.total}[/]"),
            BarColumn(bar_width=20),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            TextColumn("{task.description}"),
            console=self.console,
        )
        self.task: TaskID | None = None

    def building(self, model: str) -> Callable[[int, int, str], None]:
        """A progress bar for writing a twin; it appears only if the twin is not cached yet."""
        progress: Progress | None = None
        task = TaskID(0)

        def update(done: int, total: int, tensor: str) -> None:
            nonlocal progress, task
            if progress is None:
                progress = Progress(
                    TextColumn(f"building {model}"),
                    BarColumn(bar_width=20),
                    DownloadColumn(),
                    TimeRemainingColumn(),
                    console=self.console,
                    transient=True,
                )
                progress.start()
                task = progress.add_task("", total=total)
            progress.update(task, completed=done)
            if done >= total:
                progress.stop()

        return update

    def sweep_started(self, *, total: int, notes: Sequence[str]) -> None:
        for note in notes:
            self.console.print(f"[yellow]note:[/] {escape(note)}")
        self.progress.start()
        self.task = self.progress.add_task("starting", total=total)

    def note(self, text: str) -> None:
        self.console.print(f"[dim]{escape(text)}[/]")

    def point_started(self, *, index: int, total: int, point: SweepPoint) -> None:
        if self.task is not None:
            self.progress.update(self.task, description=point.label())

    def point_finished(self, *, index: int, total: int, result: Point) -> None:
        if self.task is not None:
            self.progress.update(self.task, advance=1)
        if result.status == "invalid" or (result.status == "flagged" and self.verbose):
            style = STATUS_STYLE[result.status]
            self.progress.console.print(
                f"[{style}]{result.status}[/] {escape(result.id)}: {escape('; '.join(result.reasons))}"
            )

    def sweep_finished(self, *, document: ResultDocument, path: Path) -> None:
        self.stop()

    def stop(self) -> None:
        if self.task is not None:
            self.task = None
            with suppress(OSError):  # stderr closed too (`2>&1 | head`): nothing left to tidy
                self.progress.stop()


def _session_table(document: ResultDocument, session_id: str) -> Table:
    session = document.session(session_id)
    label = session.model.label + (" — TWIN, random weights" if session.model.is_twin else "")
    table = Table(
        title=f"[bold]{escape(label)}[/] · {escape(session.provider)}",
        title_justify="left",
        box=box.SIMPLE_HEAD,
        collapse_padding=True,
        padding=(0, 1),
        pad_edge=False,
    )
    for header in (
        "prompt",
        "batch",
        "output",
        "TTFT\nms",
        "prefill\ntok/s",
        "decode\ntok/s",
        "ITL p50\nms",
        "ITL p99\nms",
        "e2e\nms",
        "status",
    ):
        table.add_column(header, justify="left" if header == "status" else "right", no_wrap=True)
    for point in document.points:
        if point.session != session_id:
            continue
        itl = point.metrics.get("itl_ms")
        itl_summary = itl.summary if itl else None
        table.add_row(
            str(point.params.prompt_tokens),
            str(point.params.batch_size),
            str(point.params.output_tokens),
            _fmt(point.metric_median("ttft_ms"), 2),
            _fmt(point.metric_median("prefill_tokens_per_s")),
            _fmt(point.metric_median("decode_tokens_per_s")),
            _fmt(itl_summary.p50 if itl_summary else None, 3),
            _fmt(itl_summary.p99 if itl_summary else None, 3),
            _fmt(point.metric_median("e2e_latency_ms"), 1),
            f"[{STATUS_STYLE[point.status]}]{point.status}[/]",
        )
    return table


def summary_table(document: ResultDocument) -> Group:
    """Medians per point, one table per (model, provider); reasons for flags are printed separately."""
    title = f"[bold]{document.scenario.name}[/] — {document.status}"
    return Group(title, *(_session_table(document, s.id) for s in document.sessions))
