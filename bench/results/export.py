"""Exports of a result document: CSV (one row per point) and a llama-bench-style Markdown table."""

from __future__ import annotations

import csv
import io

from bench.report.markdown import md_cell, md_text
from bench.results.schema import ResultDocument

CSV_METRICS = (
    "ttft_ms",
    "prefill_tokens_per_s",
    "decode_tokens_per_s",
    "tpot_ms",
    "itl_ms",
    "e2e_latency_ms",
    "tokenize_ms",
    "kv_setup_ms",
)
CSV_STATS = ("median", "mean", "stdev", "p90", "p99", "cv")


def to_csv(document: ResultDocument) -> str:
    buffer = io.StringIO()
    columns = [
        "run_id",
        "scenario",
        "point",
        "model",
        "model_kind",
        "provider",
        "prompt_tokens",
        "batch_size",
        "output_tokens",
        "status",
        "reasons",
        "repetitions",
    ]
    columns += [f"{metric}_{stat}" for metric in CSV_METRICS for stat in CSV_STATS]
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    for point in document.points:
        row: dict[str, object] = {
            "run_id": document.run_id,
            "scenario": document.scenario.name,
            "point": point.id,
            **point.shape_columns(),
            "status": point.status,
            "reasons": "; ".join(point.reasons),
            "repetitions": point.repetitions,
        }
        for metric in CSV_METRICS:
            summary = point.metrics[metric].summary if metric in point.metrics else None
            for stat in CSV_STATS:
                row[f"{metric}_{stat}"] = getattr(summary, stat) if summary else ""
        writer.writerow(row)
    return buffer.getvalue()


def _mean_sd(document: ResultDocument, point_index: int, metric: str) -> str:
    point = document.points[point_index]
    summary = point.metrics[metric].summary if metric in point.metrics else None
    if summary is None:
        return "–"
    return f"{summary.mean:.2f} ± {summary.stdev:.2f}"


def to_markdown(document: ResultDocument) -> str:
    """A table in the style of llama-bench: mean ± standard deviation over repetitions."""
    # Every string below that comes from the file goes through md_text / md_cell: GitHub renders HTML.
    gpu = document.environment.gpus
    device = ", ".join(d.name for d in gpu.devices) if gpu.available else f"no GPU ({gpu.reason})"
    software = document.environment.software
    genai = f"{software.onnxruntime_genai_distribution or 'onnxruntime-genai'} {software.onnxruntime_genai}"
    lines = [
        f"**{md_text(document.scenario.name)}** · run {md_text(document.run_id)} · {document.status} · "
        f"{md_text(document.environment.host.cpu_model)} · {md_text(device)} · {md_text(genai)}",
        "",
        "| model | kind | provider | batch | prompt | output | TTFT ms | prefill t/s | decode t/s | status |",
        "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for index, point in enumerate(document.points):
        lines.append(
            f"| {md_cell(point.model)} | {point.model_kind} | {md_cell(point.provider)} | "
            f"{point.params.batch_size} | {point.params.prompt_tokens} | {point.params.output_tokens} | "
            f"{_mean_sd(document, index, 'ttft_ms')} | {_mean_sd(document, index, 'prefill_tokens_per_s')} | "
            f"{_mean_sd(document, index, 'decode_tokens_per_s')} | {point.status} |"
        )
    return "\n".join(lines) + "\n"
