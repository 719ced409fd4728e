"""A bench result as pytest-benchmark JSON, so its storage, ``compare`` and histograms work on it.

The layout is what pytest-benchmark 5.x writes with ``--benchmark-json``/``--benchmark-autosave``:
``machine_info``, ``commit_info``, ``benchmarks[]`` (``group``, ``name``, ``fullname``, ``params``,
``param``, ``extra_info``, ``options``, ``stats``), ``datetime``, ``version``; times in seconds. One
benchmark per (point, time metric): ``ttft[POINT]``, ``tpot[POINT]``, ``e2e_latency[POINT]``, grouped
per metric, with the raw samples in ``stats.data``. Statistics follow pytest-benchmark's definitions
(quartiles by its methods 2/3, Tukey fences) so its tables show the same numbers it would compute.
"""

from __future__ import annotations

import bisect
import json
import statistics
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.atomic import atomic_write_text
from bench.errors import BenchError
from bench.results.schema import Point, ResultDocument

PYTEST_BENCHMARK_FORMAT_VERSION = "5.1.0"  # the writer version whose layout this matches
TIME_METRICS: tuple[str, ...] = ("e2e_latency_ms", "ttft_ms", "tpot_ms")
_TO_SECONDS = {"ms": 1e-3, "s": 1.0, "us": 1e-6, "ns": 1e-9}
_THROUGHPUT = ("prefill_tokens_per_s", "decode_tokens_per_s")


def benchmark_stats(data: Sequence[float]) -> dict[str, Any]:
    """pytest-benchmark's ``Stats.as_dict()`` for ``data`` (seconds)."""
    if not data:
        raise ValueError("no samples")
    values = sorted(data)
    n = len(values)
    mean = statistics.mean(values)
    stddev = statistics.stdev(values) if n > 1 else 0.0
    q1, q3 = _quartiles(values)
    iqr = q3 - q1
    total = sum(values)
    return {
        "min": values[0],
        "max": values[-1],
        "mean": mean,
        "stddev": stddev,
        "rounds": n,
        "median": statistics.median(values),
        "iqr": iqr,
        "q1": q1,
        "q3": q3,
        "iqr_outliers": sum(1 for v in values if v < q1 - 1.5 * iqr or v > q3 + 1.5 * iqr),
        "stddev_outliers": sum(1 for v in values if v < mean - stddev or v > mean + stddev),
        "outliers": f"{sum(1 for v in values if v < mean - stddev or v > mean + stddev)};"
        f"{sum(1 for v in values if v < q1 - 1.5 * iqr or v > q3 + 1.5 * iqr)}",
        "ld15iqr": values[0] if n == 1 else values[bisect.bisect_left(values, q1 - 1.5 * iqr)],
        "hd15iqr": values[0] if n == 1 else values[bisect.bisect_right(values, q3 + 1.5 * iqr) - 1],
        "ops": n / total if total else 0,
        "total": total,
    }


def _quartiles(values: list[float]) -> tuple[float, float]:
    n = len(values)
    if n == 1:
        return values[0], values[0]
    if n % 2:  # method 3
        k, r = n // 4, n % 4
        if r == 1:
            return 0.25 * values[k - 1] + 0.75 * values[k], 0.75 * values[3 * k] + 0.25 * values[3 * k + 1]
        return 0.75 * values[k] + 0.25 * values[k + 1], 0.25 * values[3 * k + 1] + 0.75 * values[3 * k + 2]
    return statistics.median(values[: n // 2]), statistics.median(values[n // 2 :])  # method 2


def machine_info(document: ResultDocument) -> dict[str, Any]:
    """pytest-benchmark's ``machine_info`` keys, from the run's host, plus the GPUs bench saw."""
    host = document.environment.host
    gpus = document.environment.gpus
    return {
        "node": host.hostname,
        "processor": host.machine,
        "machine": host.machine,
        "python_compiler": "",
        "python_implementation": host.python_implementation,
        "python_implementation_version": host.python_version,
        "python_version": host.python_version,
        "python_build": ["", ""],
        "release": host.os_release,
        "system": host.os,
        "cpu": {"brand_raw": host.cpu_model, "count": host.cpu_count_logical, "arch": host.machine},
        "gpu": [d.name for d in gpus.devices] if gpus.available else None,
        "onnxruntime_genai": document.environment.software.onnxruntime_genai,
    }


def machine_id(document: ResultDocument) -> str:
    """The storage folder pytest-benchmark would use on the run's host, e.g. ``Linux-CPython-3.11-64bit``."""
    host = document.environment.host
    major_minor = ".".join(host.python_version.split(".")[:2])
    bits = "64bit" if any(tag in host.machine.lower() for tag in ("64", "arm64", "aarch64")) else "32bit"
    return f"{host.os}-{host.python_implementation}-{major_minor}-{bits}"


def _benchmark(document: ResultDocument, point: Point, metric: str) -> dict[str, Any] | None:
    recorded = point.metrics.get(metric)
    if recorded is None or not recorded.samples:
        return None
    factor = _TO_SECONDS.get(recorded.unit)
    if factor is None:
        raise BenchError(f"metric {metric} is in {recorded.unit!r}, not a time", field="--metric")
    data = [value * factor for value in recorded.samples]
    short = metric.removesuffix("_ms").removesuffix("_s")
    name = f"{short}[{point.id}]"
    stats = benchmark_stats(data) | {"data": data, "iterations": 1}
    return {
        "group": f"{document.scenario.name}: {short}",
        "name": name,
        "fullname": f"bench/{document.scenario.name}::{name}",
        "params": {"point": point.id},
        "param": point.id,
        "extra_info": {
            "bench_metric": metric,
            "unit": "s",
            "run_id": document.run_id,
            **point.shape_columns(),
            "status": point.status,
            "reasons": point.reasons,
            **{f"{m}_median": point.metric_median(m) for m in _THROUGHPUT if m in point.metrics},
        },
        "options": {
            "disable_gc": False,
            "timer": "perf_counter",
            "min_rounds": point.repetitions,
            "max_time": 0,
            "min_time": 0,
            "warmup": point.warmups > 0,
        },
        "stats": stats,
    }


def to_pytest_benchmark(
    document: ResultDocument,
    *,
    metrics: Sequence[str] = TIME_METRICS,
    include_invalid: bool = False,
) -> dict[str, Any]:
    """The pytest-benchmark document for ``document``; invalid points are left out unless asked."""
    benchmarks = []
    for point in document.points:
        if point.status == "invalid" and not include_invalid:
            continue
        for metric in metrics:
            entry = _benchmark(document, point, metric)
            if entry is not None:
                benchmarks.append(entry)
    return {
        "machine_info": machine_info(document),
        "commit_info": {
            "id": document.run_id,
            "time": document.started_at.isoformat(),
            "author_time": document.started_at.isoformat(),
            "dirty": False,
            "project": "bench",
            "branch": document.scenario.name,
        },
        "benchmarks": benchmarks,
        "datetime": (document.finished_at or document.started_at).isoformat(),
        "version": PYTEST_BENCHMARK_FORMAT_VERSION,
    }


def to_pytest_benchmark_json(document: ResultDocument, **options: Any) -> str:
    return json.dumps(to_pytest_benchmark(document, **options), indent=4) + "\n"


def save_to_storage(document: ResultDocument, storage: Path, **options: Any) -> Path:
    """Write into a pytest-benchmark file storage (``.benchmarks/``) as its next numbered run.

    The file lands in ``STORAGE/<machine id>/NNNN_<run id>.json``, so ``pytest-benchmark compare 0001
    0002`` and ``pytest --benchmark-compare`` find it like one of their own runs.
    """
    folder = Path(storage) / machine_id(document)
    numbers = [int(p.name[:4]) for p in folder.glob("[0-9][0-9][0-9][0-9]_*.json")] if folder.is_dir() else []
    path = folder / f"{max(numbers, default=0) + 1:04d}_{document.run_id}.json"
    atomic_write_text(path, to_pytest_benchmark_json(document, **options))
    return path
