"""The store's tables as they are at the newest migration (the queries use these; Alembic creates them).

Two tables. ``runs``: one row per result document, with the columns the lab filters on, and the whole
document as JSON text (``document``) so a file can be written back out equivalent to the one ingested.
``points``: one row per measured point, with what it is (model, provider, shape), where it ran (GPU,
architecture, driver, onnxruntime-genai: per session, as the comparison engine reads them) and the
summary statistics the dashboard draws (``<metric>_<stat>`` columns, see ``SUMMARY_METRICS``), so a
history can be drawn without parsing a single document. Raw samples stay in ``runs.document``.

Times are stored as naive UTC (SQLite has no time zone type); ``bench.store.rows`` converts.
A change here needs a new migration in ``bench/store/migrations/versions``; the test
``test_models_match_migrations`` fails when the two disagree.
"""

from __future__ import annotations

from sqlalchemy import (
    Column,
    DateTime,
    Float,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

# Metrics with summary columns, and the statistics kept for each (percentiles interpolate linearly,
# as bench.statistics does; p10/p90 are the dashboard's error bars).
SUMMARY_METRICS = ("ttft_ms", "prefill_tokens_per_s", "decode_tokens_per_s", "e2e_latency_ms", "itl_ms")
SUMMARY_STATS = ("n", "median", "p10", "p90", "p99")
SUMMARY_PERCENTILES = {"p10": 10.0, "median": 50.0, "p90": 90.0, "p99": 99.0}

metadata = MetaData()


def summary_column(metric: str, stat: str) -> str:
    return f"{metric}_{stat}"


runs = Table(
    "runs",
    metadata,
    Column("run_id", String(64), primary_key=True),
    Column("schema_version", Integer, nullable=False),
    Column("scenario", String(200), nullable=False, index=True),
    Column("status", String(16), nullable=False),
    Column("started_at", DateTime(), nullable=False, index=True),
    Column("finished_at", DateTime()),
    Column("host", String(255), nullable=False, index=True),
    Column("os", String(64)),
    Column("cpu_model", String(255)),
    Column("gpu", String(255)),
    Column("architecture", String(64), index=True),
    Column("driver", String(64), index=True),
    Column("genai_version", String(64), index=True),
    Column("genai_build", String(16)),
    Column("bench_version", String(32)),
    Column("point_count", Integer, nullable=False),
    Column("flagged_count", Integer, nullable=False),
    Column("invalid_count", Integer, nullable=False),
    Column("document_sha256", String(64), nullable=False),
    Column("document", Text, nullable=False),
    Column("source", Text),
    Column("ingested_at", DateTime(), nullable=False),
    Column("status_reasons", Text),  # JSON list; None: none
    Column("gpu_reason", Text),  # why no GPU was recorded; None when one was
)

points = Table(
    "points",
    metadata,
    Column("run_id", String(64), primary_key=True),
    Column("point_id", String(512), primary_key=True),
    Column("session", String(64), nullable=False),
    Column("model", String(255), nullable=False, index=True),
    Column("model_kind", String(8), nullable=False),
    Column("provider", String(32), nullable=False, index=True),
    Column("prompt_tokens", Integer, nullable=False),
    Column("batch_size", Integer, nullable=False),
    Column("output_tokens", Integer, nullable=False),
    Column("gpu", String(255), index=True),
    Column("gpu_sku", String(64)),
    Column("architecture", String(64), index=True),
    Column("driver", String(64), index=True),
    Column("genai_version", String(64)),
    Column("status", String(16), nullable=False),
    Column("reasons", Text),
    Column("repetitions", Integer, nullable=False),
    Column("started_at", DateTime(), nullable=False),
    *(
        Column(summary_column(metric, stat), Integer if stat == "n" else Float)
        for metric in SUMMARY_METRICS
        for stat in SUMMARY_STATS
    ),
    ForeignKeyConstraint(["run_id"], ["runs.run_id"], ondelete="CASCADE", name="fk_points_run"),
    Index("ix_points_series", "model", "gpu", "driver"),
)
