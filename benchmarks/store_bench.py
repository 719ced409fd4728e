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


def bench_backend(name: str, url_for: Callable[[str], str], small: Path, history: Path, rounds: int) -> dict:
    row: dict = {"backend": name}
    with open_store(url_for("ingest")) as store:
        start = time.perf_counter()
        report = ingest(store, [small])
        row["ingest_s"] = time.perf_counter() - start
        row["ingested"] = len(report.added)
        assert not report.skipped, report.skipped[:3]
    with open_store(url_for("history")) as store:
        start = time.perf_counter()
        ingest(store, [history])
        row["ingest_history_s"] = time.perf_counter() - start
        everything = parse_where([])
        newest = store.runs(everything, limit=1)[0].run_id
        row["history_rows"] = timed(lambda: store.points(everything), rounds)
        row["candidate"] = timed(lambda: store.documents(parse_where([f"run={newest}"])), rounds)
        row["all_documents"] = timed(lambda: store.documents(everything), 1)
        row["points"] = len(row["history_rows"][3])  # type: ignore[arg-type]
    return row


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=10_000, help="runs to ingest (one point each)")
    parser.add_argument(
        "--history-runs", type=int, default=100, help="runs of 100 points for the dashboard data"
    )
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="write files and stores here instead of a temporary folder")
    args = parser.parse_args()
    backends = args.backends.split(",")

    with ExitStack() as stack:
        folder = args.keep or Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-store-")))
        start = time.perf_counter()
        small = folder / "small"
        small_paths = write_small_runs(args.runs, small)
        history_paths = write_files(History(runs=args.history_runs), folder / "history")
        small_mb = sum(p.stat().st_size for p in small_paths) / 1e6
        history_mb = sum(p.stat().st_size for p in history_paths) / 1e6
        print(
            f"files: {len(small_paths)} runs x 1 point ({small_mb:.0f} MB), {len(history_paths)} runs x 100 "
            f"points ({history_mb:.0f} MB), written in {time.perf_counter() - start:.0f} s",
            flush=True,
        )
        files = timed(lambda: [load_result(p) for p in history_paths], 1)
        print(
            f"reference: the {len(history_paths)} history files loaded from JSON in {fmt(files)}", flush=True
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
                    )
                )
            else:
                server = stack.enter_context(running_server())
                rows.append(
                    bench_backend(
                        "PostgreSQL 15", server.create_database, small, folder / "history", args.rounds
                    )
                )
            row = rows[-1]
            print(
                f"{row['backend']}: ingest {row['ingested']} runs {row['ingest_s']:.1f} s "
                f"({row['ingested'] / row['ingest_s']:.0f} runs/s); history of {row['points']} points: "
                f"ingest {row['ingest_history_s']:.1f} s, history rows {fmt(row['history_rows'])}, "
                f"candidate document {fmt(row['candidate'])}, all documents {fmt(row['all_documents'])}",
                flush=True,
            )
        print()
        print(
            "| store | ingest 10,000 runs | runs/s | history rows (10,000 points) | candidate document | "
            "dashboard data (rows + candidate) | every document of the history |"
        )
        print("|---|---:|---:|---:|---:|---:|---:|")
        for row in rows:
            data = row["history_rows"][0] + row["candidate"][0]
            print(
                f"| {row['backend']} | {row['ingest_s']:.1f} s | {row['ingested'] / row['ingest_s']:.0f} | "
                f"{fmt(row['history_rows'])} | {fmt(row['candidate'])} | **{data:.2f} s** | "
                f"{fmt(row['all_documents'])} |"
            )
        print(f"| result files (today) | – | – | – | – | – | {fmt(files)} |")


if __name__ == "__main__":
    main()
