"""The ``--store`` and ``--where`` options, defined once for every command that reads or writes a store."""

from __future__ import annotations

from typing import Annotated

import typer

from bench.store.query import KEYS_HELP

StoreOption = Annotated[
    str | None,
    typer.Option(
        "--store",
        help="The results store: sqlite:///PATH (a bare path is a SQLite file) or "
        "postgresql+psycopg://USER:PASSWORD@HOST:PORT/DATABASE. Default: $BENCH_STORE, else "
        "sqlite:///results/bench.db. The password is never printed.",
        show_default=False,
    ),
]
WhereOption = Annotated[
    list[str] | None,
    typer.Option(
        "--where",
        "-w",
        help=f"Select runs: KEY=VALUE (repeatable, ANDed; VALUE may list alternatives a,b and use * as a "
        f"wildcard). Keys: {KEYS_HELP}.",
        show_default=False,
    ),
]
