"""``bench export``: a result file as CSV, a Markdown table, or pytest-benchmark JSON."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import typer

from bench.atomic import atomic_write_text
from bench.compare.pytest_benchmark import to_pytest_benchmark_json
from bench.results.export import to_csv, to_markdown
from bench.results.files import load_result

FORMATS = {"csv": to_csv, "markdown": to_markdown, "pytest-benchmark": to_pytest_benchmark_json}


def export(
    result: Annotated[Path, typer.Argument(help="A result file written by `bench run`.")],
    fmt: Annotated[
        Literal["csv", "markdown", "pytest-benchmark"],
        typer.Option(
            "--format",
            "-f",
            help="csv: a row per point; markdown: llama-bench-style table; pytest-benchmark: JSON for "
            "`pytest-benchmark compare` (save it as .benchmarks/<machine>/0001_<name>.json).",
        ),
    ] = "csv",
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write here instead of stdout.")
    ] = None,
) -> None:
    """Export a result file for spreadsheets or pull-request comments."""
    text = FORMATS[fmt](load_result(result))
    if output is None:
        typer.echo(text, nl=False)
    else:
        atomic_write_text(output, text)
        typer.echo(f"wrote {output}", err=True)
