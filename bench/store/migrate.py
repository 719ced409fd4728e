"""Bringing a store's schema up to date with Alembic, in-process, safely under concurrent openers.

The migrations live in ``bench/store/migrations/versions`` and are applied by ``ensure_schema`` every
time a store is opened (a no-op read when it is current). Several processes may open a new or old
store at once: the upgrade runs in one transaction that first takes the store's migration lock
(PostgreSQL: a transaction-scoped advisory lock; SQLite: ``BEGIN IMMEDIATE``, the database write
lock), and Alembic reads the current revision again under that lock, so one process migrates and the
others find the work done. DDL is transactional on both databases, so a failed upgrade leaves the
previous schema.
"""

from __future__ import annotations

import functools

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, text

from bench.errors import BenchError

VERSION_TABLE = "bench_store_version"
SCRIPT_LOCATION = "bench.store:migrations"
# Any constant shared by every bench process: the advisory lock's key ("bench" in ASCII).
POSTGRES_LOCK_KEY = 0x62656E6368


@functools.cache
def _config() -> Config:
    config = Config()
    config.set_main_option("script_location", SCRIPT_LOCATION)
    return config


@functools.cache
def _script() -> ScriptDirectory:
    return ScriptDirectory.from_config(_config())


def head_revision() -> str:
    head = _script().get_current_head()
    assert head is not None  # the package ships its migrations
    return head


def current_revision(connection: Connection) -> str | None:
    context = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE})
    return context.get_current_revision()


def ensure_schema(engine: Engine, *, where: str, revision: str = "head") -> None:
    """Upgrade the store at ``engine`` to ``revision`` (the newest by default); refuse a newer store."""
    with engine.connect() as connection:
        current = current_revision(connection)
    target = head_revision() if revision == "head" else revision
    if current == target:
        return
    if current is not None and _unknown(current):
        raise BenchError(
            f"the store's schema (revision {current}) is newer than this bench knows",
            field=where,
            hint="upgrade bench on this machine (pip install -U bench) to use this store",
        )
    with engine.connect().execution_options(bench_write=True) as connection, connection.begin():
        if engine.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": POSTGRES_LOCK_KEY})
        config = _config()
        config.attributes["connection"] = connection
        try:
            command.upgrade(config, revision)
        finally:
            config.attributes.pop("connection", None)


def _unknown(revision: str) -> bool:
    try:
        return _script().get_revision(revision) is None
    except Exception:  # alembic raises its own errors for revisions it has never seen
        return True
