"""``bench baseline``: record a measured baseline, regenerate the derived ones, list and show them."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from bench import catalogue
from bench.cli.common import JsonOption
from bench.compare.baseline_files import load_baseline, write_baseline
from bench.compare.baselines import BaselineDocument
from bench.compare.derived import write_derived
from bench.compare.inputs import resolve_reference
from bench.compare.pooling import record_baseline
from bench.compare.skus import SKUS, SKUS_BY_ID
from bench.console import make_console
from bench.errors import BenchError
from bench.results.files import expand_result_paths, load_result
from bench.scenarios import find_scenario, load_scenario

app = typer.Typer(
    help="Baselines: measured (recorded from runs) and derived (expected from GPU specs).",
    no_args_is_help=True,
)

DERIVED_SCENARIOS = ("qualification", "ci-gate")


@app.command("record")
def record(
    results: Annotated[
        list[Path], typer.Argument(help="Result files or folders: one run, or several rounds.")
    ],
    name: Annotated[str, typer.Option("--name", "-n", help="Baseline name, e.g. rtx4090-cuda-driver565.")],
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Folder for the baseline file.", file_okay=False)
    ] = catalogue.USER_FOLDERS["baselines"],
    include_flagged: Annotated[
        bool, typer.Option("--include-flagged", help="Keep flagged points (marked flagged in the baseline).")
    ] = False,
    description: Annotated[str, typer.Option(help="Free text stored with the baseline.")] = "",
    force: Annotated[
        bool, typer.Option("--force", help="Overwrite an existing baseline of that name.")
    ] = False,
    json_output: JsonOption = False,
) -> None:
    """Record a measured baseline from complete runs, keeping raw samples and each run's environment.

    Invalid points are never recorded; flagged points only with --include-flagged. Every point left
    out is listed, here and in the file (`excluded`).
    """
    files = expand_result_paths(results)
    documents = [load_result(f) for f in files]
    baseline = record_baseline(
        documents,
        name=name,
        files=[str(f) for f in files],
        include_flagged=include_flagged,
        description=description,
        created_at=datetime.now(timezone.utc),
    )
    path = Path(out) / f"{name}.json"
    if path.exists() and not force:
        raise BenchError(
            "a baseline of that name exists", field=str(path), hint="pick another --name or pass --force"
        )
    write_baseline(baseline, path)
    if json_output:
        typer.echo(
            baseline.model_dump_json(indent=1, include={"name", "provenance", "gpu", "providers", "excluded"})
        )
        return
    console = make_console()
    console.print(
        f"baseline [bold]{escape(name)}[/]: {len(baseline.points)} point(s) from {len(documents)} run(s), "
        f"{escape(baseline.label)}"
    )
    for line in baseline.excluded:
        console.print(f"[yellow]excluded:[/] {escape(line)}")
    console.print(f"wrote {escape(str(path))}")


def _known_baselines(folders: list[Path]) -> list[tuple[Path, BaselineDocument]]:
    found: dict[str, tuple[Path, BaselineDocument]] = {}
    for folder in folders:
        if not folder.is_dir():
            continue
        for path in sorted(folder.glob("*.json")):
            if path.stem not in found:
                found[path.stem] = (path, load_baseline(path))
    return list(found.values())


@app.command("list")
def list_baselines(
    folders: Annotated[
        list[Path] | None,
        typer.Argument(help="Folders to list (default: ./results/baselines and bench's own)."),
    ] = None,
    json_output: JsonOption = False,
) -> None:
    """List baselines: name, provenance (measured or DERIVED), GPU, providers, models, points."""
    entries = _known_baselines(folders or catalogue.search_dirs("baselines"))
    if json_output:
        import json

        typer.echo(
            json.dumps(
                [
                    {
                        "name": b.name,
                        "path": str(p),
                        "provenance": b.provenance,
                        "gpu": b.gpu.model_dump() if b.gpu else None,
                        "providers": b.providers,
                        "models": [m.key for m in b.models],
                        "points": len(b.points),
                        "scenarios": b.scenarios,
                    }
                    for p, b in entries
                ],
                indent=1,
            )
        )
        return
    table = Table(header_style="bold")
    for column in ("name", "provenance", "GPU", "providers", "models", "points", "file"):
        table.add_column(column)
    for path, b in entries:
        provenance = "[bold yellow]DERIVED[/]" if b.provenance == "derived" else "measured"
        table.add_row(
            b.name,
            provenance,
            b.gpu.label if b.gpu else f"no GPU ({b.cpu_model})",
            ", ".join(b.providers),
            ", ".join(m.key for m in b.models),
            str(len(b.points)),
            str(path),
        )
    make_console().print(table)


@app.command("show")
def show(
    baseline: Annotated[str, typer.Argument(help="A baseline name or file.")],
    json_output: JsonOption = False,
) -> None:
    """Show one baseline: provenance, sources or derivation (with the arithmetic), and every point."""
    path = resolve_reference(baseline)
    document = load_baseline(path)
    if json_output:
        typer.echo(document.model_dump_json(indent=1))
        return
    console = make_console()
    console.print(f"[bold]{escape(document.name)}[/] ({escape(str(path))})")
    console.print(escape(document.label))
    if document.description:
        console.print(escape(document.description))
    if document.derivation:
        console.print("[bold]calibration[/]")
        for line in document.derivation.calibration:
            console.print(f"  {escape(line)}")
        console.print("[bold]published figures[/]")
        for figure in document.derivation.figures:
            console.print(
                escape(f"  {figure.what}, {figure.gpu}: {figure.value:g} {figure.unit} ({figure.source})")
            )
        console.print("[bold]assumptions[/]")
        for line in document.derivation.assumptions:
            console.print(f"  {escape(line)}")
        console.print(f"[bold]tolerance[/] (× expected): {document.derivation.tolerance}")
    for source in document.sources:
        console.print(
            f"source run {source.run_id}: {source.scenario}, {source.started_at:%Y-%m-%d %H:%M}, "
            f"{source.gpu or source.cpu_model}, driver {source.driver or '–'}, "
            f"onnxruntime-genai {source.onnxruntime_genai or '–'}"
        )
    for note in document.notes + document.excluded:
        console.print(f"[yellow]note:[/] {escape(note)}")
    table = Table(header_style="bold")
    table.add_column("point")
    metrics = sorted({m for p in document.points.values() for m in (*p.measured, *p.expected)})
    for metric in metrics:
        table.add_column(metric, justify="right")
    for point in document.points.values():
        cells = []
        for metric in metrics:
            if metric in point.expected:
                e = point.expected[metric]
                cells.append(f"{e.expected:g} [{e.low:g}–{e.high:g}]")
            elif metric in point.measured and point.measured[metric].samples:
                samples = sorted(point.measured[metric].samples)
                cells.append(f"{samples[len(samples) // 2]:.4g} (n={len(samples)})")
            else:
                cells.append("–")
        table.add_row(escape(point.id + ("" if point.status == "valid" else f" ({point.status})")), *cells)
    console.print(table)


@app.command("derive")
def derive(
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Folder for the derived files.", file_okay=False)
    ] = catalogue.USER_FOLDERS["baselines"],
    scenario: Annotated[
        list[str] | None,
        typer.Option(
            "--scenario",
            "-s",
            help=f"Scenarios whose points get expectations (default: {', '.join(DERIVED_SCENARIOS)}).",
        ),
    ] = None,
    sku: Annotated[
        list[str] | None, typer.Option("--sku", help=f"Only these SKUs: {', '.join(s.id for s in SKUS)}.")
    ] = None,
) -> None:
    """Regenerate the derived (not measured) baselines from the SKU table and published figures."""
    unknown = [s for s in sku or [] if s not in SKUS_BY_ID]
    if unknown:
        raise BenchError(
            f"unknown SKU {', '.join(unknown)}",
            field="--sku",
            hint=f"choose from {', '.join(s.id for s in SKUS)}",
        )
    scenarios = [
        load_scenario(find_scenario(name, search_dirs=catalogue.search_dirs("scenarios"))).scenario
        for name in scenario or DERIVED_SCENARIOS
    ]
    skus = [SKUS_BY_ID[s] for s in sku] if sku else list(SKUS)
    for path in write_derived(scenarios, out, skus):
        typer.echo(f"wrote {path}")
