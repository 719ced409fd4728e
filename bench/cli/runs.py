"""``bench runs``: list the runs (or their points) a store holds, filtered with ``--where``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from bench.cli.common import JsonOption
from bench.cli.store_options import StoreOption, WhereOption
from bench.results.files import result_filename, write_result
from bench.results.schema import ResultDocument
from bench.store import StoredPoint, StoredRun, open_store, parse_where

POINT_METRICS = ("ttft_ms", "prefill_tokens_per_s", "decode_tokens_per_s")


def runs(
    store: StoreOption = None,
    where: WhereOption = None,
    points: Annotated[
        bool, typer.Option("--points", help="List the matching points with their medians instead of runs.")
    ] = False,
    limit: Annotated[int | None, typer.Option(min=1, help="Only the newest N runs.")] = None,
    export: Annotated[
        Path | None,
        typer.Option(
            "--export",
            help="Also write each matching run back out as a result file into this folder.",
            file_okay=False,
            show_default=False,
        ),
    ] = None,
    json_output: JsonOption = False,
) -> None:
    """List the runs in the store, oldest first: when, scenario, host, GPU, versions, status, points.

    Exit codes: 0 listed (possibly nothing), 2 bad input (bad filter, bad store URL).
    """
    query = parse_where(where)
    with open_store(store) as opened:
        listed = opened.runs(query, limit=limit)
        found = opened.points(query) if points else []
        if points and limit is not None:
            keep = {run.run_id for run in listed}
            found = [p for p in found if p.run_id in keep]
        written = [_export(opened.load(run.run_id), export) for run in listed] if export else []
        display = opened.display
    if json_output:
        body: dict = {"store": display, "where": query.describe()}
        if points:
            body["points"] = [_point_json(p) for p in found]
        else:
            body["runs"] = [run.as_json() for run in listed]
        if export:
            body["exported"] = [str(path) for path in written]
        typer.echo(json.dumps(body, indent=1))
        return
    console = Console()
    if points:
        console.print(_points_table(found))
    else:
        console.print(_runs_table(listed))
    what = f"{len(found)} point(s) of " if points else ""
    console.print(Text(f"{display}: {what}{len(listed)} run(s) where {query.describe()}"))
    for path in written:
        console.print(Text(f"exported {path}"))


def _export(document: ResultDocument, folder: Path) -> Path:
    return write_result(
        document, folder / result_filename(scenario=document.scenario.name, run_id=document.run_id)
    )


def _runs_table(listed: list[StoredRun]) -> Table:
    table = Table(show_lines=False)
    for header in (
        "run",
        "started (UTC)",
        "scenario",
        "host",
        "GPU",
        "driver",
        "onnxruntime-genai",
        "status",
        "points",
    ):
        table.add_column(header, overflow="fold")
    for run in listed:
        counts = (
            f"{run.points}"
            + (f" ({run.flagged} flagged)" if run.flagged else "")
            + (f" ({run.invalid} invalid)" if run.invalid else "")
        )
        # Text cells: a scenario or host name is shown as written, never read as console markup.
        table.add_row(
            *(
                Text(value or "–")
                for value in (
                    run.run_id,
                    run.started_at.strftime("%Y-%m-%d %H:%M"),
                    run.scenario,
                    run.host,
                    run.gpu or "no GPU",
                    run.driver,
                    f"{run.genai_version or '?'} ({run.genai_build or '?'})",
                    run.status,
                    counts,
                )
            )
        )
    return table


def _points_table(found: list[StoredPoint]) -> Table:
    table = Table()
    for header in ("run", "point", "GPU", "driver", "status", "TTFT ms", "prefill tok/s", "decode tok/s"):
        table.add_column(header, overflow="fold")
    for point in found:
        medians = [point.median(name) for name in POINT_METRICS]
        table.add_row(
            Text(point.run_id),
            Text(point.point_id),
            Text(point.gpu or "no GPU"),
            Text(point.driver or "–"),
            Text(point.status),
            *(Text(f"{m:.4g}" if m is not None else "–") for m in medians),
        )
    return table


def _point_json(point: StoredPoint) -> dict:
    data = dict(point.__dict__)
    data["run_started_at"] = point.run_started_at.isoformat()
    return data
