"""Options and helpers shared by several commands (defined once, as tiangolo's CLIs do)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from bench.atomic import check_file_path
from bench.errors import BenchError
from bench.providers import PROVIDERS


def check_output_paths(*, out_dir: Path, dashboard: Path | None) -> None:
    """Refuse unusable output paths before a sweep runs, not after it (the result folder is created)."""
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BenchError(
            f"cannot create the result folder: {exc.strerror or exc}", field=f"--out {out_dir}"
        ) from None
    if dashboard is not None:
        check_file_path(dashboard)


# The scenario overrides `bench run` and `bench gate` share.
ModelsOption = Annotated[
    list[str] | None,
    typer.Option(
        "--model",
        "-m",
        help="Replace the scenario's models (repeatable): a registry name (mistral-nemo-12b, "
        "nemotron-mini-4b), a folder with genai_config.json, or twin:FAMILY:SIZE.",
    ),
]
ProvidersOption = Annotated[
    list[str] | None,
    typer.Option(
        "--provider", "-p", help=f"Replace the scenario's providers (repeatable): {', '.join(PROVIDERS)}."
    ),
]
RepetitionsOption = Annotated[int | None, typer.Option(min=1, help="Override the scenario's repetitions.")]
WarmupOption = Annotated[int | None, typer.Option(min=0, help="Override the scenario's warmup count.")]
TelemetryOption = Annotated[
    bool, typer.Option("--telemetry/--no-telemetry", help="Collect GPU/host telemetry around each phase.")
]

JsonOption = Annotated[
    bool, typer.Option("--json", help="Print one machine-readable JSON document on stdout.")
]
OutDirOption = Annotated[
    Path,
    typer.Option(
        "--out", "-o", help="Folder for the result file.", envvar="BENCH_RESULTS_DIR", file_okay=False
    ),
]
DashboardOption = Annotated[
    Path | None,
    typer.Option(
        "--dashboard",
        help="Also publish the run as one self-contained HTML page here (e.g. dashboards/index.html).",
        dir_okay=False,
        show_default=False,
    ),
]
