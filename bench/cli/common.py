"""Options and helpers shared by several commands (defined once, as tiangolo's CLIs do)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

import bench
from bench.atomic import check_file_path
from bench.errors import BenchError

REPO_ROOT = Path(bench.__file__).resolve().parent.parent


def scenario_dirs() -> list[Path]:
    """Where bare scenario names are looked up: ./scenarios, then the scenarios shipped with bench."""
    dirs = [Path.cwd() / "scenarios", REPO_ROOT / "scenarios"]
    unique: list[Path] = []
    for folder in dirs:
        if folder.resolve() not in [u.resolve() for u in unique]:
            unique.append(folder)
    return unique


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
