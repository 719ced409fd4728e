"""Which store to open: ``--store``, else ``BENCH_STORE``, else the SQLite file ``results/bench.db``.

Credentials come only from the URL (or the environment variable holding it). A URL is never printed,
logged or written anywhere with its password: every message shows ``display_url(url)``, and text that
comes back from the database driver goes through ``scrub`` before it reaches the user.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import quote

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from bench.errors import BenchError

ENV_VAR = "BENCH_STORE"
DEFAULT_STORE = Path("results") / "bench.db"
POSTGRES_DRIVER = "postgresql+psycopg"
MASK = "***"
_SQLITE = {"sqlite", "sqlite+pysqlite"}
_POSTGRES = {"postgresql", "postgres", "postgresql+psycopg"}
_EXAMPLES = "sqlite:///results/bench.db or postgresql+psycopg://USER@HOST:5432/DATABASE"


def store_url(text: str | None = None) -> URL:
    """The URL to open: ``text`` (``--store``), else ``$BENCH_STORE``, else ``sqlite:///results/bench.db``.

    A bare path (no ``://``) is a SQLite file. ``postgresql://`` means psycopg 3. Anything else is a
    ``BenchError`` that never repeats the text given (it may hold a password).
    """
    given = text if text else os.environ.get(ENV_VAR) or None
    option = "--store" if text else ENV_VAR
    if given is None:
        return URL.create("sqlite", database=str(DEFAULT_STORE))
    if "://" not in given:
        return URL.create("sqlite", database=given)
    try:
        url = make_url(given)
    except (ArgumentError, ValueError):
        raise BenchError("not a database URL", field=option, hint=f"e.g. {_EXAMPLES}") from None
    if url.drivername in _SQLITE:
        if not url.database or url.database == ":memory:":
            raise BenchError(
                "a SQLite store needs a file", field=f"{option} {display_url(url)}", hint="sqlite:///PATH"
            )
        return url.set(drivername="sqlite")
    if url.drivername in _POSTGRES:
        if not url.database:
            raise BenchError(
                "no database name in the URL", field=f"{option} {display_url(url)}", hint=f"e.g. {_EXAMPLES}"
            )
        return url.set(drivername=POSTGRES_DRIVER)
    raise BenchError(
        f"unsupported database {url.drivername!r}",
        field=f"{option} {display_url(url)}",
        hint=f"bench stores results in SQLite or PostgreSQL: {_EXAMPLES}",
    )


def display_url(url: URL) -> str:
    """The URL with its password (in the authority or as a ``password=`` query parameter) masked."""
    query = {key: (MASK if key.lower() == "password" else value) for key, value in url.query.items()}
    return url.set(query=query).render_as_string(hide_password=True)


def secrets_of(url: URL) -> list[str]:
    """Every secret the URL holds, to scrub from driver messages."""
    found = [url.password] if url.password else []
    for key, value in url.query.items():
        if key.lower() == "password":
            found.extend([value] if isinstance(value, str) else list(value))
    # The driver may echo a secret as given or percent-encoded, as it was written in the URL.
    return sorted({form for secret in found if secret for form in (str(secret), quote(str(secret), safe=""))})


def scrub(text: str, url: URL) -> str:
    """``text`` with every secret of ``url`` replaced by ``***`` (for messages from the driver)."""
    for secret in secrets_of(url):
        text = text.replace(secret, MASK)
    return text


def sqlite_path(url: URL) -> Path | None:
    return Path(url.database) if url.drivername == "sqlite" and url.database else None


def redact_command(argv: Sequence[str]) -> list[str]:
    """A command line as a result file records it: every database URL with its password masked."""
    redacted = []
    for argument in argv:
        prefix, sep, value = argument.partition("=") if argument.startswith("--") else ("", "", argument)
        redacted.append(f"{prefix}{sep}{_masked(value)}" if sep else _masked(argument))
    return redacted


def _masked(text: str) -> str:
    if "://" not in text:
        return text
    try:
        url = make_url(text)
    except (ArgumentError, ValueError):
        return text
    return display_url(url) if secrets_of(url) else text
