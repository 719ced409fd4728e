"""Alembic: a store made by the first schema is upgraded for real, and the models match the migrations."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import MetaData, Table, text

from bench.errors import BenchError
from bench.store import open_store, parse_where
from bench.store.migrate import VERSION_TABLE, current_revision, ensure_schema, head_revision
from bench.store.rows import document_text, point_rows, run_row
from bench.store.store import make_engine
from bench.store.tables import metadata
from bench.store.url import store_url as resolve
from tests.fakes.documents import make_document
from tests.store.documents import gpu_runs


def _first_schema_store(url: str, documents) -> None:
    """A store as bench's first schema (revision 0001) made it, holding ``documents``."""
    resolved = resolve(url)
    if resolved.database and resolved.drivername == "sqlite":
        Path(resolved.database).parent.mkdir(parents=True, exist_ok=True)
    engine = make_engine(resolved)
    try:
        ensure_schema(engine, where="test", revision="0001")
        with engine.begin() as connection:
            old = MetaData()
            runs = Table("runs", old, autoload_with=connection)
            points = Table("points", old, autoload_with=connection)
            assert "architecture" not in runs.c and "architecture" not in points.c
            for document in documents:
                row = run_row(document, text=document_text(document), source=None, now=document.started_at)
                connection.execute(runs.insert().values({k: v for k, v in row.items() if k in runs.c}))
                connection.execute(
                    points.insert(),
                    [{k: v for k, v in p.items() if k in points.c} for p in point_rows(document)],
                )
            assert current_revision(connection) == "0001"
    finally:
        engine.dispose()


def test_upgrading_a_store_made_by_the_first_schema(store_url):
    ada = gpu_runs(2, tag="a")
    ampere = gpu_runs(1, gpu="NVIDIA A100-SXM4-80GB", architecture="", tag="c")  # architecture unrecorded
    cpu = make_document({(128, 1, 32): {"ttft_ms": [1.0, 2.0]}}, run_id="20261120T000000Z-cpu000")
    ada[1] = ada[1].model_copy(update={"status": "interrupted", "status_reasons": ["interrupted (Ctrl-C)"]})
    documents = [*ada, *ampere, cpu]
    _first_schema_store(store_url, documents)

    with open_store(store_url) as store:  # opening migrates to the newest revision
        with store.engine.connect() as connection:
            assert current_revision(connection) == head_revision() != "0001"
        # Filled in from the stored documents: recorded, or from the SKU table for the unrecorded A100.
        assert {r.run_id: r.architecture for r in store.runs()} == {
            **{d.run_id: "ada" for d in ada},
            ampere[0].run_id: "ampere",
            cpu.run_id: None,
        }
        # 0003: why a run stopped and why it has no GPU, from the stored documents.
        stored = {r.run_id: r for r in store.runs()}
        assert stored[ada[1].run_id].status_reasons == ["interrupted (Ctrl-C)"]
        assert stored[ada[0].run_id].status_reasons == [] and stored[ada[0].run_id].gpu_reason is None
        assert cpu.environment.gpus.reason and stored[cpu.run_id].gpu_reason == cpu.environment.gpus.reason
        assert len(store.points(parse_where(["architecture=ada"]))) == 2 * 4
        assert len(store.points(parse_where(["arch=ampere"]))) == 4
        assert [p.architecture for p in store.points(parse_where(["provider=cpu"]))] == [None]
        for document in documents:  # nothing lost on the way
            assert store.load(document.run_id) == document
        # and the upgraded store takes new runs like a new one
        assert store.save(gpu_runs(1, tag="n", seed=5)[0]).outcome.value == "added"


def test_the_models_match_the_migrations(store_url):
    with open_store(store_url) as store, store.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE})
        assert compare_metadata(context, metadata) == []


def test_a_store_from_a_newer_bench_is_refused(store_url):
    with open_store(store_url) as store, store.engine.begin() as connection:
        connection.execute(text(f"UPDATE {VERSION_TABLE} SET version_num = :v"), {"v": "9999_future"})
    with pytest.raises(BenchError, match=r"newer than this bench knows.*upgrade bench"):
        open_store(store_url)
