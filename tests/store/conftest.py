"""Stores to test against: a SQLite file, and a database on a real PostgreSQL server (never a mock).

The server is started once per test session on loopback in a temporary folder (``pg_server.py``).
Where it cannot start, the PostgreSQL tests skip with the reason, unless ``BENCH_REQUIRE_POSTGRES=1``
(CI sets it), where they fail.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.store.pg_server import Server, ServerUnavailable, running_server

_databases = itertools.count()


def _unavailable(reason: str) -> None:
    if os.environ.get("BENCH_REQUIRE_POSTGRES") == "1":
        pytest.fail(f"BENCH_REQUIRE_POSTGRES=1 but no PostgreSQL server: {reason}")
    pytest.skip(f"no PostgreSQL server: {reason}")


@pytest.fixture(scope="session")
def pg_server() -> Iterator[Server]:
    try:
        import psycopg  # noqa: F401
    except ImportError:
        _unavailable("psycopg is not installed (pip install -e '.[dev]')")
    context = running_server()
    try:
        server = context.__enter__()
    except ServerUnavailable as exc:
        _unavailable(str(exc))
    try:
        yield server
    finally:
        context.__exit__(None, None, None)


@pytest.fixture
def pg_url(pg_server: Server) -> str:
    """A fresh, empty database on the test server (its URL carries the server's password)."""
    return pg_server.create_database(f"bench_test_{os.getpid()}_{next(_databases)}")


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path.as_posix()}"


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The same test against both databases."""
    if request.param == "sqlite":
        return sqlite_url(tmp_path / "store" / "bench.db")
    return request.getfixturevalue("pg_url")
