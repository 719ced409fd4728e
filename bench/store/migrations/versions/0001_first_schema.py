"""First schema of the results store: runs with their documents, points with summary statistics.

Revision ID: 0001
Revises:
Create Date: 2026-12-02

Frozen: this is the schema as the first store was made; later changes are later revisions.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

METRICS = ("ttft_ms", "prefill_tokens_per_s", "decode_tokens_per_s", "e2e_latency_ms", "itl_ms")
STATS = ("n", "median", "p10", "p90", "p99")


def upgrade() -> None:
    op.create_table(
        "runs",
        sa.Column("run_id", sa.String(64), primary_key=True),
        sa.Column("schema_version", sa.Integer, nullable=False),
        sa.Column("scenario", sa.String(200), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("finished_at", sa.DateTime()),
        sa.Column("host", sa.String(255), nullable=False),
        sa.Column("os", sa.String(64)),
        sa.Column("cpu_model", sa.String(255)),
        sa.Column("gpu", sa.String(255)),
        sa.Column("driver", sa.String(64)),
        sa.Column("genai_version", sa.String(64)),
        sa.Column("genai_build", sa.String(16)),
        sa.Column("bench_version", sa.String(32)),
        sa.Column("point_count", sa.Integer, nullable=False),
        sa.Column("flagged_count", sa.Integer, nullable=False),
        sa.Column("invalid_count", sa.Integer, nullable=False),
        sa.Column("document_sha256", sa.String(64), nullable=False),
        sa.Column("document", sa.Text, nullable=False),
        sa.Column("source", sa.Text),
        sa.Column("ingested_at", sa.DateTime(), nullable=False),
    )
    for column in ("scenario", "started_at", "host", "driver", "genai_version"):
        op.create_index(f"ix_runs_{column}", "runs", [column])
    op.create_table(
        "points",
        sa.Column("run_id", sa.String(64), primary_key=True),
        sa.Column("point_id", sa.String(512), primary_key=True),
        sa.Column("session", sa.String(64), nullable=False),
        sa.Column("model", sa.String(255), nullable=False),
        sa.Column("model_kind", sa.String(8), nullable=False),
        sa.Column("provider", sa.String(32), nullable=False),
        sa.Column("prompt_tokens", sa.Integer, nullable=False),
        sa.Column("batch_size", sa.Integer, nullable=False),
        sa.Column("output_tokens", sa.Integer, nullable=False),
        sa.Column("gpu", sa.String(255)),
        sa.Column("gpu_sku", sa.String(64)),
        sa.Column("driver", sa.String(64)),
        sa.Column("genai_version", sa.String(64)),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("reasons", sa.Text),
        sa.Column("repetitions", sa.Integer, nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        *(
            sa.Column(f"{metric}_{stat}", sa.Integer if stat == "n" else sa.Float)
            for metric in METRICS
            for stat in STATS
        ),
        sa.ForeignKeyConstraint(["run_id"], ["runs.run_id"], ondelete="CASCADE", name="fk_points_run"),
    )
    for column in ("model", "provider", "gpu", "driver"):
        op.create_index(f"ix_points_{column}", "points", [column])


def downgrade() -> None:
    op.drop_table("points")
    op.drop_table("runs")
