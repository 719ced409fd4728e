"""The ``--store`` and ``--where`` options, defined once for every command that reads or writes a store."""

from __future__ import annotations

from typing import Annotated

import typer

from bench.documents import Problem
from bench.store.query import KEYS_HELP
from bench.store.sources import StoreQueries

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
        help=f"Select runs of the store: KEY=VALUE (repeatable, ANDed; VALUE may list alternatives a,b and "
        f"use * as a wildcard). Keys: {KEYS_HELP}. Where a command takes result files, 'store:KEY=VALUE&...' "
        "names the store's runs instead, and --where is ANDed into each.",
        show_default=False,
    ),
]


class SkippedFiles:
    """Files of a folder that could not be read: each printed at once (path and reason) and counted."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def __call__(self, problem: Problem) -> None:
        self.problems.append(problem)
        typer.echo(f"skipped {problem.path}: {problem.reason}", err=True)

    def lines(self) -> list[str]:
        """``path: reason`` per skipped file, for the outcome (``bench.gating.judge(unread=...)``): a
        verdict that left files out is INCONCLUSIVE at best."""
        return [f"{problem.path}: {problem.reason}" for problem in self.problems]


def store_queries(store: str | None, where: list[str] | None) -> StoreQueries:
    return StoreQueries(url=store, where=tuple(where or ()))
