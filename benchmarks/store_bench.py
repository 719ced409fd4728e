"""How fast the results store takes runs in and gives the dashboard its data, on SQLite and PostgreSQL.

1. **ingest**: N result files (default 10,000 runs of one point each, shaped like real GPU results: every
   raw sample and per-repetition telemetry, tests/dashboard/synthetic.py) through the core of
   `bench ingest` (read and validate each file, store its document and its summary rows) into a new
   store, in one process.
2. **dashboard data** for a 10,000-point history (100 runs x 100 points), already stored:
   - ``history rows``: every point's summary columns (``Store.points``): what the trend view and the runs
     table draw (medians, p10/p90, status), without parsing a document;
   - ``candidate``: the newest run's full document (``Store.documents``): what the sweep charts and the
     comparison need (raw samples);
   - for reference, every run's full document from the store, and from the result files (what
     `bench dashboard results/` reads today).

Each timing is the median of --rounds with its min-max. PostgreSQL runs on loopback in a temporary
folder (tests/store/pg_server.py: Debian's binaries; under root it runs as the postgres user).

    PYTHONPATH=. .venv/bin/python benchmarks/store_bench.py [--runs 10000] [--backends sqlite,postgresql]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path

from bench.results.files import load_result
from bench.store import open_store, parse_where
from bench.store.ingest import ingest
from tests.dashboard.synthetic import MODELS, History, run_dicts, write_files
from tests.store.pg_server import running_server


def write_small_runs(count: int, folder: Path) -> list[Path]:
    """``count`` runs of one point each (one model, prompt 128, batch 1, output 128, 10 repetitions)."""
    history = History(runs=count, prompts=(128,), batches=(1,), outputs=(128,), models=MODELS[:1])
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for run in run_dicts(history):
        path = folder / f"gate-{run['run_id']}.json"
        path.write_text(json.dumps(run), encoding="utf-8")
        paths.append(path)
    return paths


def _history(runs: int, points: int) -> History:
    """``runs`` runs of 100 points (the default sweep, both models) or of 10 (5 prompts, both models),
    with a driver update two thirds of the way through after which Mistral decodes 12 % slower: the
    histories of benchmarks/dashboard_build.py, so the trend has change points to find."""
    if points not in (100, 10):
        raise SystemExit("--history-points: 100 or 10")
    small = {"prompts": (128, 512, 1024, 2048, 4096), "batches": (1,), "outputs": (128,)}
    shape = {} if points == 100 else small
    step = max(1, runs * 2 // 3)
    return History(
        runs=runs,
        drivers=((0, "565.90"), (step, "570.12")),
        slowdown={"mistral-nemo-12b": 1.12},
        slowdown_from=step,
        **shape,  # type: ignore[arg-type]
    )


def timed(work: Callable[[], object], rounds: int) -> tuple[float, float, float, object]:
    laps, result = [], None
    for _ in range(rounds):
        start = time.perf_counter()
        result = work()
        laps.append(time.perf_counter() - start)
    return statistics.median(laps), min(laps), max(laps), result


def fmt(lap: tuple[float, float, float, object]) -> str:
    median, low, high, _ = lap
    return f"{median:.2f} s ({low:.2f}-{high:.2f})"


def dashboard_command(url: str, page: Path) -> None:
    """`bench dashboard --store URL -o PAGE` in this process (no interpreter start-up)."""
    from typer.testing import CliRunner

    from bench.cli.app import app

    done = CliRunner().invoke(app, ["dashboard", "--store", url, "-o", str(page)])
    assert done.exit_code == 0, done.output


def bench_backend(
    name: str,
    url_for: Callable[[str], str],
    small: Path | None,
    history: Path,
    rounds: int,
    reference: bool = True,
) -> dict:
    row: dict = {"backend": name}
    if small is not None:
        with open_store(url_for("ingest")) as store:
            start = time.perf_counter()
            report = ingest(store, [small])
            row["ingest_s"] = time.perf_counter() - start
            row["ingested"] = len(report.added)
            assert not report.skipped, report.skipped[:3]
    history_url = url_for("history")
    with open_store(history_url) as store:
        start = time.perf_counter()
        ingest(store, [history])
        row["ingest_history_s"] = time.perf_counter() - start
        everything = parse_where([])
        newest = store.runs(everything, limit=1)[0].run_id
        row["history_rows"] = timed(lambda: store.points(everything), rounds)
        row["candidate"] = timed(lambda: store.documents(parse_where([f"run={newest}"])), rounds)
        row["all_documents"] = timed(lambda: store.documents(everything), 1) if reference else None
        row["points"] = len(row["history_rows"][3])  # type: ignore[arg-type]
    page = history / "page.html"
    row["dashboard"] = timed(lambda: dashboard_command(history_url, page), rounds)
    return row


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--runs", type=int, default=10_000, help="runs to ingest (one point each); 0: skip the ingest"
    )
    parser.add_argument("--history-runs", type=int, default=100, help="runs in the dashboard's history")
    parser.add_argument("--history-points", type=int, default=100, help="points per history run: 100 or 10")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--no-reference",
        dest="reference",
        action="store_false",
        help="skip loading every history document (from the files and from the store) for reference",
    )
    parser.add_argument("--keep", type=Path, help="write files and stores here instead of a temporary folder")
    args = parser.parse_args()
    backends = args.backends.split(",")

    with ExitStack() as stack:
        folder = args.keep or Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-store-")))
        start = time.perf_counter()
        small = folder / "small" if args.runs else None
        small_paths = write_small_runs(args.runs, small) if small is not None else []
        history_paths = write_files(_history(args.history_runs, args.history_points), folder / "history")
        small_mb = sum(p.stat().st_size for p in small_paths) / 1e6
        history_mb = sum(p.stat().st_size for p in history_paths) / 1e6
        print(
            f"files: {len(small_paths)} runs x 1 point ({small_mb:.0f} MB), {len(history_paths)} runs x "
            f"{args.history_points} points ({history_mb:.0f} MB), "
            f"written in {time.perf_counter() - start:.0f} s",
            flush=True,
        )
        files = timed(lambda: [load_result(p) for p in history_paths], 1) if args.reference else None
        if files is not None:
            print(
                f"reference: the {len(history_paths)} history files loaded from JSON in {fmt(files)}",
                flush=True,
            )
        rows = []
        for backend in backends:
            if backend == "sqlite":
                rows.append(
                    bench_backend(
                        "SQLite",
                        lambda db: f"sqlite:///{(folder / f'{db}.db').as_posix()}",
                        small,
                        folder / "history",
                        args.rounds,
                        args.reference,
                    )
                )
            else:
                server = stack.enter_context(running_server())
                rows.append(
                    bench_backend(
                        "PostgreSQL 15",
                        server.create_database,
                        small,
                        folder / "history",
                        args.rounds,
                        args.reference,
                    )
                )
            row = rows[-1]
            ingested = (
                f"ingest {row['ingested']} runs {row['ingest_s']:.1f} s "
                f"({row['ingested'] / row['ingest_s']:.0f} runs/s); "
                if "ingest_s" in row
                else ""
            )
            print(
                f"{row['backend']}: {ingested}history of {row['points']} points: "
                f"ingest {row['ingest_history_s']:.1f} s, history rows {fmt(row['history_rows'])}, "
                f"candidate document {fmt(row['candidate'])}, "
                f"all documents {fmt(row['all_documents']) if row['all_documents'] else '-'}, "
                f"bench dashboard --store {fmt(row['dashboard'])}",
                flush=True,
            )
        print()
        print(
            f"| store | ingest {args.runs:,} runs | runs/s | history rows ({rows[0]['points']:,} points) | "
            "candidate document | **`bench dashboard --store`** | every document of the history |"
        )
        print("|---|---:|---:|---:|---:|---:|---:|")
        for row in rows:
            ingest_s = f"{row['ingest_s']:.1f} s" if "ingest_s" in row else "–"
            rate = f"{row['ingested'] / row['ingest_s']:.0f}" if "ingest_s" in row else "–"
            print(
                f"| {row['backend']} | {ingest_s} | {rate} | {fmt(row['history_rows'])} | "
                f"{fmt(row['candidate'])} | **{fmt(row['dashboard'])}** | "
                f"{fmt(row['all_documents']) if row['all_documents'] else '–'} |"
            )
        if files is not None:
            print(f"| result files | – | – | – | – | – | {fmt(files)} |")


if __name__ == "__main__":
    main()
