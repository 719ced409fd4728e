"""``bench ingest``: import result files and folders into the results store."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from bench.cli.common import JsonOption
from bench.cli.store_options import StoreOption
from bench.outcome import EXIT_FAIL, EXIT_OK
from bench.store import open_store
from bench.store.ingest import Skipped
from bench.store.ingest import ingest as ingest_paths


def ingest(
    paths: Annotated[
        list[Path],
        typer.Argument(
            help="Result files, or folders searched recursively for *.json (baselines/ left out).",
            show_default=False,
        ),
    ],
    store: StoreOption = None,
    replace: Annotated[
        bool,
        typer.Option(
            "--replace",
            help="When a run id is already stored with different content (e.g. a checkpoint of a run "
            "that has since finished), keep the file's version instead of the stored one.",
        ),
    ] = False,
    json_output: JsonOption = False,
) -> None:
    """Import runs into the store. Idempotent: a run already stored is counted, not added again.

    A file that is not a readable bench result (corrupt, truncated, another tool's JSON, an unknown
    schema) is reported with its path and reason and skipped; the others go in.

    Exit codes: 0 every file went in (or was already there), 1 some were skipped, 2 bad input (a path
    that does not exist, a bad store URL, a store that cannot be opened).
    """

    def report_skip(skipped: Skipped) -> None:
        if not json_output:
            typer.echo(f"skipped {skipped.path}: {skipped.reason}", err=True)

    with open_store(store) as opened:
        report = ingest_paths(opened, paths, replace=replace, on_skip=report_skip)
        where = opened.display
    if json_output:
        typer.echo(json.dumps({"store": where, **report.as_json()}, indent=1))
    else:
        replaced = f", {len(report.replaced)} replaced" if report.replaced else ""
        typer.echo(
            f"{where}: {len(report.added)} added, {len(report.present)} already stored{replaced}, "
            f"{len(report.skipped)} skipped (of {report.files} file(s))"
        )
    raise typer.Exit(code=EXIT_OK if report.complete else EXIT_FAIL)
