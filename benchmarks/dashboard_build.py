"""How long `bench dashboard` takes, and how big its page is, as the history grows.

Histories of synthetic GPU result files shaped like real ones (raw samples and per-repetition
telemetry, see tests/dashboard/synthetic.py): the newest run is the candidate, the oldest the
baseline, the rest history (the runs table and the trend view), with a driver update that slows one
model down two thirds of the way through, so the trend has a change point to find. For each size the
script writes the files, then times what the command does: load them, compare, build the payload
(of which: the trend and its change points), render the HTML, write it. With --browser it opens the
page in headless Chromium and reports when it was drawn and how long a filter change takes.

    PYTHONPATH=. .venv/bin/python benchmarks/dashboard_build.py [--sizes 10,1000,10000] [--browser]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bench.analysis.regression import Rule
from bench.atomic import atomic_write_text
from bench.compare.engine import build_report
from bench.dashboard import data
from bench.dashboard.build import render_html
from bench.results.files import load_result
from tests.dashboard.synthetic import History, write_files

# points -> history: (runs, prompts, batches, outputs); 2 models per run.
SHAPES = {
    10: History(runs=1, prompts=(128, 512, 1024, 2048, 4096), batches=(1,), outputs=(128,)),
    1_000: History(runs=10),
    10_000: History(runs=100),
    # The same number of points as a long history of a small sweep: 1,000 runs of 10 points.
    -10_000: History(runs=1_000, prompts=(128, 512, 1024, 2048, 4096), batches=(1,), outputs=(128,)),
}


def shaped(history: History) -> History:
    step = max(1, history.runs * 2 // 3)
    return History(
        runs=history.runs,
        prompts=history.prompts,
        batches=history.batches,
        outputs=history.outputs,
        drivers=((0, "565.90"), (step, "570.12")) if history.runs > 1 else ((0, "565.90"),),
        slowdown={"mistral-nemo-12b": 1.12},
        slowdown_from=step if history.runs > 1 else None,
    )


class Stopwatch:
    """Named laps: ``with watch("load"): ...``."""

    def __init__(self) -> None:
        self.laps: dict[str, float] = {}

    @contextmanager
    def __call__(self, name: str) -> Iterator[None]:
        start = time.perf_counter()
        yield
        self.laps[name] = time.perf_counter() - start


def measure(size: int, folder: Path, browser: bool, rounds: int) -> dict:
    history = shaped(SHAPES[size])
    paths = write_files(history, folder)
    input_mb = sum(p.stat().st_size for p in paths) / 1e6
    out = folder.parent / f"dashboard-{abs(size)}.html"
    builds = []
    for _ in range(rounds):
        watch = Stopwatch()
        with watch("load"):
            runs = sorted((load_result(p) for p in paths), key=lambda d: d.started_at)
        candidate, baseline, rest = runs[-1:], runs[:1] if len(runs) > 1 else [], runs[1:-1]
        with watch("compare"):
            report = build_report(candidate, baseline, rule=Rule()) if baseline else None
        with watch("trend"):
            data._trend(runs)
        with watch("payload"):
            payload = data.build_payload(documents=candidate, report=report, baselines=baseline, history=rest)
        with watch("render"):
            html = render_html(payload)
        with watch("write"):
            atomic_write_text(out, html)
        builds.append(watch.laps)
    row: dict = {key: statistics.median(b[key] for b in builds) for key in builds[0]}
    row.update(
        points=sum(len(r.points) for r in runs),
        runs=len(runs),
        input_mb=input_mb,
        html_mb=len(html.encode("utf-8")) / 1e6,
        payload_mb=len(json.dumps(payload, separators=(",", ":")).encode("utf-8")) / 1e6,
        path=out,
    )
    if browser:
        row.update(page_timings(out))
    return row


def page_timings(path: Path) -> dict:
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=args)
        page = browser.new_page(viewport={"width": 1440, "height": 1000})
        page.goto(path.resolve().as_uri())
        page.wait_for_selector("html[data-ready='1']", timeout=120_000)
        ready_ms = page.evaluate("window.benchReadyAt")
        charts = page.locator(".js-plotly-plot").count()
        # A filter change redraws every card, the change chart and the point detail, synchronously.
        filter_ms = page.evaluate(
            """() => { const s = document.getElementById('filter-batch'); const t = performance.now();
            s.value = s.options[s.options.length - 1].value; s.dispatchEvent(new Event('change'));
            s.value = ''; s.dispatchEvent(new Event('change')); return (performance.now() - t) / 2; }"""
        )
        heap_mb = page.evaluate("performance.memory ? performance.memory.usedJSHeapSize / 1e6 : null")
        browser.close()
    return {"ready_ms": ready_ms, "filter_ms": filter_ms, "charts": charts, "heap_mb": heap_mb}


def main() -> None:
    formatter = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=formatter)
    parser.add_argument(
        "--sizes",
        default="10,1000,10000,-10000",
        help="points per history; -10000: 1,000 runs of 10 points instead of 100 of 100",
    )
    parser.add_argument("--rounds", type=int, default=3, help="builds per size (medians reported)")
    parser.add_argument("--browser", action="store_true", help="also time the page in headless Chromium")
    parser.add_argument("--keep", type=Path, help="keep the result files and pages in this folder")
    args = parser.parse_args()
    root = args.keep or Path(tempfile.mkdtemp(prefix="bench-dashboard-"))
    rows = []
    try:
        for size in (int(s) for s in args.sizes.split(",")):
            row = measure(size, root / f"results-{size}", args.browser, args.rounds)
            rows.append(row)
            build = row["payload"] + row["render"] + row["write"]
            print(
                f"{row['points']:>6} points ({row['runs']} runs): load {row['load']:.2f} s, "
                f"build {build:.2f} s, page {row['html_mb']:.2f} MB",
                flush=True,
            )
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
    print()
    print(
        "| points (runs × points) | result files | load | compare | payload (of which trend) "
        "| render + write | **build** | page (data) |"
        + (" drawn in Chromium | filter change |" if args.browser else "")
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|" + ("---:|---:|" if args.browser else ""))
    for row in rows:
        build = row["payload"] + row["render"] + row["write"]
        line = (
            f"| {row['points']:,} ({row['runs']} × {row['points'] // row['runs']}) "
            f"| {row['input_mb']:.1f} MB "
            f"| {row['load']:.2f} s | {row['compare']:.2f} s | {row['payload']:.2f} s ({row['trend']:.2f} s) "
            f"| {row['render'] + row['write']:.2f} s | **{build:.2f} s** | {row['html_mb']:.2f} MB "
            f"({row['payload_mb']:.2f} MB) |"
        )
        if args.browser:
            line += f" {row['ready_ms'] / 1000:.2f} s ({row['charts']} charts) | {row['filter_ms']:.0f} ms |"
        print(line)


if __name__ == "__main__":
    main()
