"""Alembic environment for the results store, run in-process by ``bench.store.migrate``.

bench never runs Alembic from its command line: ``migrate.upgrade`` hands over a connection whose
transaction already holds the store's migration lock, and every migration runs inside it.
"""

from __future__ import annotations

from alembic import context

from bench.store.migrate import VERSION_TABLE
from bench.store.tables import metadata

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata, version_table=VERSION_TABLE)
with context.begin_transaction():
    context.run_migrations()
