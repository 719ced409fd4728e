"""GPU architecture as a column (runs and points), filled in for the runs already stored, and one
index for driver comparisons (model, GPU, driver).

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02

The first schema could filter "every Ada card" only by listing GPU names. The architecture is read
from each stored document the way ``bench.compare.baselines.run_context`` reads it: the session's GPU
(``device_id``, else the first GPU) for a GPU provider, nothing for the CPU provider; a GPU that did not
record its architecture gets the one bench's SKU table knows for its name.
"""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("runs", sa.Column("architecture", sa.String(64)))
    op.add_column("points", sa.Column("architecture", sa.String(64)))
    op.create_index("ix_runs_architecture", "runs", ["architecture"])
    op.create_index("ix_points_architecture", "points", ["architecture"])
    op.create_index("ix_points_series", "points", ["model", "gpu", "driver"])
    _backfill()


def _backfill() -> None:
    from bench.compare.skus import sku_for

    connection = op.get_bind()
    runs = sa.table("runs", sa.column("run_id"), sa.column("document"), sa.column("architecture"))
    points = sa.table("points", sa.column("run_id"), sa.column("session"), sa.column("architecture"))
    # One document at a time: a lab's store holds more documents than memory.
    run_ids = connection.execute(sa.select(runs.c.run_id)).scalars().all()
    for run_id in run_ids:
        text = connection.execute(sa.select(runs.c.document).where(runs.c.run_id == run_id)).scalar_one()
        document: dict[str, Any] = json.loads(text)
        devices = document.get("environment", {}).get("gpus", {}).get("devices", [])
        found: set[str] = set()
        for session in document.get("sessions", []):
            if session.get("provider") == "cpu" or not devices:
                continue
            index = session.get("device_id") or 0
            device = next((d for d in devices if d.get("index") == index), devices[0])
            sku = sku_for(device.get("name"))
            architecture = device.get("architecture") or (sku.architecture if sku else None)
            if architecture:
                found.add(architecture)
                connection.execute(
                    points.update()
                    .where(points.c.run_id == run_id, points.c.session == session.get("id"))
                    .values(architecture=architecture)
                )
        if found:
            connection.execute(
                runs.update().where(runs.c.run_id == run_id).values(architecture=", ".join(sorted(found)))
            )


def downgrade() -> None:
    op.drop_index("ix_points_series", "points")
    op.drop_index("ix_points_architecture", "points")
    op.drop_index("ix_runs_architecture", "runs")
    op.drop_column("points", "architecture")
    op.drop_column("runs", "architecture")
