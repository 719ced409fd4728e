"""Store queries given where a command takes result files: ``store:KEY=VALUE&KEY=VALUE``.

``bench compare 'store:driver=572.16' 'store:driver=566.14' --store URL --where arch=ada`` compares the
lab's runs on one driver with those on another: each ``store:`` argument is a query (the ``--where``
keys, joined with ``&``; ``store:`` alone is every run), and every ``--where`` of the command is ANDed
into each of them. The runs come back as the same ``ResultDocument`` values files give, so the
comparison, the gate and the dashboard build exactly what they build from files.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from bench.dashboard.history import RunSummary
from bench.errors import BenchError, NothingSelected
from bench.results.schema import ResultDocument
from bench.store.history import stored_history
from bench.store.query import Where, parse_where
from bench.store.store import Store, open_store

PREFIX = "store:"


def is_store_query(text: object) -> bool:
    return str(text).startswith(PREFIX)


@dataclass
class StoreQueries:
    """The ``--store`` and ``--where`` of one command; opens the store at the first query only, so a
    command given only files never needs one."""

    url: str | None = None
    where: Sequence[str] = ()
    used: bool = field(default=False, init=False)
    _store: Store | None = field(default=None, init=False, repr=False)

    def matches(self, text: str) -> bool:
        return is_store_query(text)

    def parse(self, text: str) -> Where:
        conditions = [c for c in str(text).removeprefix(PREFIX).split("&") if c.strip()]
        return parse_where([*self.where, *conditions], option=str(text))

    def documents(self, text: str) -> list[ResultDocument]:
        """The runs a ``store:`` argument selects, oldest first; none is an error naming the query."""
        where = self.parse(text)
        self.used = True
        found = self.store.documents(where)
        if not found:
            raise self._none_found(text, where)
        return found

    def history(self, text: str) -> list[RunSummary]:
        """The runs a ``store:`` argument selects as the dashboard's history: summary rows only."""
        where = self.parse(text)
        self.used = True
        found = stored_history(self.store, where)
        if not found:
            raise self._none_found(text, where)
        return found

    def newest_and_history(self, text: str) -> tuple[ResultDocument, list[RunSummary]]:
        """The newest run a ``store:`` argument selects, whole, and the others as summaries."""
        *older, newest = self.history(text)
        return self.store.load(newest.run_id), older

    def _none_found(self, text: str, where: Where) -> NothingSelected:
        return NothingSelected(
            f"no run in the store where {where.describe()}",
            field=f"{text} ({self.store.display})",
            hint="see `bench runs --where ...` for what the store holds",
        )

    @property
    def store(self) -> Store:
        if self._store is None:
            self._store = open_store(self.url)
        return self._store

    def check_used(self) -> None:
        """``--where`` given, but no ``store:`` argument to apply it to: say so rather than ignore it."""
        if self.where and not self.used:
            raise BenchError(
                "--where selects runs of the store, but no store: argument was given",
                field=f"--where {' '.join(self.where)}",
                hint="name the runs as store:KEY=VALUE (e.g. bench compare 'store:driver=572.16' "
                "'store:driver=566.14' --store URL)",
            )

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None
