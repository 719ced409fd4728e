"""The results store: save, load, list and query runs in SQLite or PostgreSQL (SQLAlchemy Core).

One schema for both databases (``bench.store.tables``, migrated by Alembic on open). A run is saved
once: its run id is the primary key and the insert is ``ON CONFLICT DO NOTHING``, so any number of
processes may ingest the same files at once and each run lands exactly once. On SQLite every write
transaction is ``BEGIN IMMEDIATE`` (it takes the write lock before reading anything, so two writers
queue instead of deadlocking) in WAL mode with a busy timeout, and is retried if the lock still could
not be had; on PostgreSQL the conflict is resolved by the unique key inside the transaction.

Every statement is built from SQLAlchemy expressions with bound parameters: a scenario, host or filter
value is data, never SQL.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from enum import Enum
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, Row, create_engine, delete, event, exists, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError, OperationalError

from bench.errors import BenchError
from bench.results.schema import RESULT_DOCUMENT, ResultDocument
from bench.store import tables
from bench.store.migrate import ensure_schema
from bench.store.query import Where, all_of, point_clauses, run_clauses
from bench.store.rows import StoredPoint, StoredRun, document_text, point_rows, run_row
from bench.store.tables import summary_column
from bench.store.url import display_url, scrub, sqlite_path, store_url

SQLITE_BUSY_TIMEOUT_S = 30.0
SQLITE_RETRIES = 5
SAVE_BATCH = 200  # runs per transaction when saving many

T = TypeVar("T")
Rows = tuple[dict[str, Any], list[dict[str, Any]]]  # one run's row and its point rows


class Saved(str, Enum):
    ADDED = "added"
    PRESENT = "present"  # the same document was already stored: nothing to do
    CONFLICT = "conflict"  # another document with this run id is stored; kept as it was
    REPLACED = "replaced"  # another document with this run id was stored; replaced (replace=True)


@dataclass(frozen=True)
class SaveResult:
    run_id: str
    outcome: Saved
    stored_status: str | None = None  # for a conflict: the stored run's status and point count
    stored_points: int | None = None


class Store:
    """An open store. Use ``open_store`` (which migrates it) and close it, or use it as a context."""

    def __init__(self, engine: Engine, url: URL) -> None:
        self.engine = engine
        self.url = url

    @property
    def display(self) -> str:
        return display_url(self.url)

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- writing -----------------------------------------------------------------------------------

    def save(
        self, document: ResultDocument, *, source: str | None = None, replace: bool = False
    ) -> SaveResult:
        return self.save_many([(document, source)], replace=replace)[0]

    def save_many(
        self, items: Iterable[tuple[ResultDocument, str | None]], *, replace: bool = False
    ) -> list[SaveResult]:
        """Save runs, ``SAVE_BATCH`` per transaction; a run id already stored is left alone unless
        ``replace`` and its document differs."""
        results: list[SaveResult] = []
        batch: list[Rows] = []

        def flush() -> None:
            rows = list(batch)
            results.extend(self._write(lambda connection: _save_batch(connection, rows, replace=replace)))
            batch.clear()

        for document, source in items:
            now = datetime.now(timezone.utc)
            text = document_text(document)
            batch.append((run_row(document, text=text, source=source, now=now), point_rows(document)))
            if len(batch) >= SAVE_BATCH:
                flush()
        if batch:
            flush()
        return results

    def delete(self, run_id: str) -> bool:
        return self._write(lambda c: _delete(c, run_id))

    def _write(self, work: Callable[[Connection], T]) -> T:
        """Run ``work`` in one write transaction, retried when SQLite's lock could not be had."""
        attempts = SQLITE_RETRIES if self.engine.dialect.name == "sqlite" else 1
        for attempt in range(attempts):
            try:
                with self._connect(write=True) as connection, connection.begin():
                    return work(connection)
            except OperationalError as exc:
                if attempt + 1 < attempts and "locked" in str(exc.orig).lower():
                    time.sleep(0.1 * 2**attempt)
                    continue
                raise
        raise AssertionError("unreachable")

    @contextmanager
    def _connect(self, *, write: bool = False) -> Iterator[Connection]:
        try:
            connection = self.engine.connect()
        except DBAPIError as exc:
            raise self._error("cannot connect", exc) from None
        try:
            yield connection.execution_options(bench_write=True) if write else connection
        finally:
            connection.close()

    def _error(self, what: str, exc: DBAPIError) -> BenchError:
        detail = scrub(
            str(exc.orig).strip().splitlines()[0] if str(exc.orig).strip() else type(exc.orig).__name__,
            self.url,
        )
        return BenchError(f"{what}: {detail}", field=f"store {self.display}")

    # --- reading -----------------------------------------------------------------------------------

    def load(self, run_id: str) -> ResultDocument:
        with self._connect() as connection:
            text = connection.execute(
                select(tables.runs.c.document).where(tables.runs.c.run_id == run_id)
            ).scalar_one_or_none()
        if text is None:
            raise BenchError("no such run in the store", field=run_id, hint="see `bench runs`")
        return parse_document(text, origin=f"{self.display} run {run_id}")

    def runs(self, where: Where | None = None, *, limit: int | None = None) -> list[StoredRun]:
        """Runs matching ``where``, oldest first (the newest ``limit`` when given)."""
        r = tables.runs
        columns = [c for c in r.c if c.name != "document"]
        statement = select(*columns).where(*_run_filter(where or Where()))
        if limit is not None:
            statement = statement.order_by(r.c.started_at.desc(), r.c.run_id.desc()).limit(limit)
            statement = select(statement.subquery())
            with self._connect() as connection:
                rows = connection.execute(statement).mappings().all()
            return sorted((StoredRun.from_row(row) for row in rows), key=lambda s: (s.started_at, s.run_id))
        statement = statement.order_by(r.c.started_at, r.c.run_id)
        with self._connect() as connection:
            return [StoredRun.from_row(row) for row in connection.execute(statement).mappings()]

    def documents(self, where: Where | None = None) -> list[ResultDocument]:
        """The documents of the runs matching ``where``, oldest first."""
        r = tables.runs
        statement = (
            select(r.c.run_id, r.c.document)
            .where(*_run_filter(where or Where()))
            .order_by(r.c.started_at, r.c.run_id)
        )
        with self._connect() as connection:
            return [
                parse_document(text, origin=f"{self.display} run {run_id}")
                for run_id, text in connection.execute(statement)
            ]

    def points(self, where: Where | None = None) -> list[StoredPoint]:
        """Points matching ``where`` (every key applies to the point itself), in run time order."""
        where = where or Where()
        p, r = tables.points, tables.runs
        clauses = [*run_clauses(where), *point_clauses(where)]
        statement = (
            select(
                *p.c,
                r.c.started_at.label("run_started_at"),
                r.c.scenario,
                r.c.host,
            )
            .join_from(p, r, p.c.run_id == r.c.run_id)
            .where(*clauses)
            .order_by(r.c.started_at, r.c.run_id, p.c.point_id)
        )
        with self._connect() as connection:
            return [StoredPoint.from_row(row) for row in connection.execute(statement).mappings()]

    def point_medians(self, where: Where, metrics: Sequence[str]) -> list[Row[Any]]:
        """Every point of the runs ``where`` selects (as ``runs`` does), only what a history draws:
        (run_id, point_id, model, model_kind, provider, prompt_tokens, batch_size, output_tokens, gpu,
        architecture, driver, genai_version, status, *the median of each of ``metrics``), as plain rows."""
        p = tables.points
        columns = [
            p.c.run_id, p.c.point_id, p.c.model, p.c.model_kind, p.c.provider, p.c.prompt_tokens,
            p.c.batch_size, p.c.output_tokens, p.c.gpu, p.c.architecture, p.c.driver, p.c.genai_version,
            p.c.status, *(p.c[summary_column(metric, "median")] for metric in metrics),
        ]  # fmt: skip
        statement = (
            select(*columns)
            .join_from(p, tables.runs, p.c.run_id == tables.runs.c.run_id)
            .where(*_run_filter(where))
            .order_by(p.c.run_id, p.c.point_id)
        )
        with self._connect() as connection:
            return list(connection.execute(statement).all())

    def count(self) -> int:
        from sqlalchemy import func

        with self._connect() as connection:
            return int(connection.execute(select(func.count()).select_from(tables.runs)).scalar_one())


def _run_filter(where: Where) -> list[Any]:
    clauses = list(run_clauses(where))
    # An alias: the clause stays correct inside a query that also reads the points table.
    p = tables.points.alias("matching_point")
    matching_point = all_of(point_clauses(where, p))
    if matching_point is not None:
        clauses.append(exists().where(p.c.run_id == tables.runs.c.run_id, matching_point))
    return clauses


def _insert(connection: Connection, table: Any) -> Any:
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    return dialect.insert(table)


def _save_batch(connection: Connection, batch: Sequence[Rows], *, replace: bool) -> list[SaveResult]:
    results = []
    r = tables.runs
    for run, points in batch:
        inserted = _insert_or_skip(connection, run)
        outcome = Saved.ADDED
        stored = None
        if not inserted:
            stored = connection.execute(
                select(r.c.document_sha256, r.c.status, r.c.point_count).where(r.c.run_id == run["run_id"])
            ).one()
            if stored.document_sha256 == run["document_sha256"]:
                results.append(SaveResult(run["run_id"], Saved.PRESENT))
                continue
            if not replace:
                results.append(SaveResult(run["run_id"], Saved.CONFLICT, stored.status, stored.point_count))
                continue
            _delete(connection, run["run_id"])
            connection.execute(_insert(connection, r).values(**run))
            outcome = Saved.REPLACED
        if points:
            connection.execute(_insert(connection, tables.points), points)
        results.append(SaveResult(run["run_id"], outcome))
    return results


def _insert_or_skip(connection: Connection, run: dict[str, Any]) -> bool:
    """Insert the run row unless its run id is stored; True when this call inserted it."""
    statement = (
        _insert(connection, tables.runs).values(**run).on_conflict_do_nothing(index_elements=["run_id"])
    )
    if connection.dialect.name == "postgresql":
        # psycopg reports no row count for this statement; RETURNING says whether a row went in.
        return connection.execute(statement.returning(tables.runs.c.run_id)).first() is not None
    return bool(connection.execute(statement).rowcount)


def _delete(connection: Connection, run_id: str) -> bool:
    # Points first: SQLite enforces the cascade only with foreign keys on, and this must not depend on it.
    connection.execute(delete(tables.points).where(tables.points.c.run_id == run_id))
    return bool(connection.execute(delete(tables.runs).where(tables.runs.c.run_id == run_id)).rowcount)


def parse_document(text: str, *, origin: str) -> ResultDocument:
    """A stored document back as a ``ResultDocument``, through the one loader (a document stored by an
    older bench is upgraded like an old file; one this bench cannot read is a one-line error)."""
    return RESULT_DOCUMENT.parse(json.loads(text), origin=origin)


# --- opening ---------------------------------------------------------------------------------------


def open_store(url: str | URL | None = None, *, migrate: bool = True) -> Store:
    """Open (creating and migrating as needed) the store at ``url`` (see ``bench.store.url``)."""
    resolved = url if isinstance(url, URL) else store_url(url)
    where = f"store {display_url(resolved)}"
    path = sqlite_path(resolved)
    if path is not None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise BenchError(
                f"cannot create the store's folder: {exc.strerror or exc}", field=where
            ) from None
    engine = make_engine(resolved)
    store = Store(engine, resolved)
    if migrate:
        try:
            ensure_schema(engine, where=where)
        except DBAPIError as exc:
            engine.dispose()
            raise store._error("cannot open", exc) from None
        except BaseException:
            engine.dispose()
            raise
    return store


def make_engine(url: URL) -> Engine:
    if url.drivername == "sqlite":
        engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_S})
        event.listen(engine, "connect", _sqlite_connect)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    try:
        return create_engine(url, pool_pre_ping=True)
    except ModuleNotFoundError:
        raise BenchError(
            "PostgreSQL needs the psycopg driver",
            field=f"store {display_url(url)}",
            hint="pip install 'bench[postgres]'",
        ) from None


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # bench issues BEGIN itself (below): the sqlite3 module's implicit transactions would start too late.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout = {int(SQLITE_BUSY_TIMEOUT_S * 1000)}")
    cursor.execute("PRAGMA journal_mode = WAL")  # readers never block the writer, nor it them
    cursor.execute("PRAGMA synchronous = NORMAL")  # WAL + NORMAL: a crash of bench loses nothing committed
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.close()


def _sqlite_begin(connection: Connection) -> None:
    immediate = connection.get_execution_options().get("bench_write", False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")
