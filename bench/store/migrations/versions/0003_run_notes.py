"""Why a run ended as it did and why it has no GPU, as columns of ``runs``, filled in for the runs
already stored.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02

The dashboard draws a lab's history from the summary rows without parsing a document
(``bench.store.history``); its runs table shows a run's status reasons (an interrupted or failed run)
and, for a run without a GPU, the reason none was recorded. Both were only in the document.
"""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("runs", sa.Column("status_reasons", sa.Text))
    op.add_column("runs", sa.Column("gpu_reason", sa.Text))
    _backfill()


def _backfill() -> None:
    connection = op.get_bind()
    runs = sa.table(
        "runs",
        sa.column("run_id"),
        sa.column("document"),
        sa.column("status_reasons"),
        sa.column("gpu_reason"),
    )
    # One document at a time: a lab's store holds more documents than memory.
    run_ids = connection.execute(sa.select(runs.c.run_id)).scalars().all()
    for run_id in run_ids:
        text = connection.execute(sa.select(runs.c.document).where(runs.c.run_id == run_id)).scalar_one()
        document: dict[str, Any] = json.loads(text)
        reasons = document.get("status_reasons") or []
        gpus = document.get("environment", {}).get("gpus", {})
        gpu_reason = None if gpus.get("devices") else gpus.get("reason")
        if reasons or gpu_reason:
            connection.execute(
                runs.update()
                .where(runs.c.run_id == run_id)
                .values(
                    status_reasons=json.dumps(reasons) if reasons else None,
                    gpu_reason=(gpu_reason or None) and gpu_reason.replace("\x00", "\ufffd"),
                )
            )


def downgrade() -> None:
    op.drop_column("runs", "gpu_reason")
    op.drop_column("runs", "status_reasons")
