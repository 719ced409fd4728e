"""Loading what ``bench compare`` and ``bench gate`` are given: result files, baseline files, folders, names.

The I/O half of comparing (the engine itself reads nothing). Each file is read and parsed once and told
apart by its ``kind`` (``bench.documents.load_any``); anything else is refused with a one-line
``BenchError`` naming the file.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Protocol, cast

from bench import catalogue
from bench.compare.baselines import BASELINE_DOCUMENT, BaselineDocument
from bench.documents import Problem, load_any, load_many
from bench.errors import BenchError, NothingSelected
from bench.results.schema import RESULT_DOCUMENT, ResultDocument


class RunQueries(Protocol):
    """Runs named by a query instead of a path (``bench.store.sources.StoreQueries``: ``store:...``)."""

    def matches(self, text: str) -> bool: ...

    def documents(self, text: str) -> list[ResultDocument]: ...


def resolve_reference(text: str | Path, *, search_dirs: Sequence[Path] | None = None) -> Path:
    """A path as given when it exists, else a baseline name (``derived-ada-rtx-4090``) in the catalogue."""
    path = Path(text)
    if path.exists():
        return path
    name = path.name.removesuffix(".json")
    if len(path.parts) == 1:
        for folder in search_dirs if search_dirs is not None else catalogue.search_dirs("baselines"):
            candidate = folder / f"{name}.json"
            if candidate.is_file():
                return candidate
    raise BenchError(
        "no such file, folder or baseline name",
        field=str(text),
        hint="see `bench baseline list` for the baselines bench knows",
    )


def load_document(path: Path) -> ResultDocument | BaselineDocument:
    """A result or a baseline file, read and parsed once."""
    return cast(ResultDocument | BaselineDocument, load_any(path, (RESULT_DOCUMENT, BASELINE_DOCUMENT)))


def load_documents(
    paths: Iterable[str | Path],
    *,
    queries: RunQueries | None = None,
    on_problem: Callable[[Problem], None] | None = None,
    allow_empty_query: bool = False,
) -> list[tuple[Path, ResultDocument | BaselineDocument]]:
    """Every file given, every ``*.json`` in every folder given, and every run of every ``store:``
    query given, with where it came from.

    With ``on_problem``, a file inside a folder that cannot be read is handed to it and the rest still
    load (a lab folder is never all-or-nothing); a file named on its own is always an error. With
    ``allow_empty_query`` too (baselines), a ``store:`` query that selects no run is handed to it as well,
    and the list may come back empty: the verdict then has nothing to compare with (INCONCLUSIVE).
    """
    given = list(paths)
    found: list[tuple[Path, ResultDocument | BaselineDocument]] = []
    selected_nothing = False
    for text in given:
        if queries is not None and queries.matches(str(text)):
            try:
                found.extend((Path(str(text)), d) for d in queries.documents(str(text)))
            except NothingSelected as exc:
                if on_problem is None or not allow_empty_query:
                    raise
                on_problem(Problem(Path(str(text)), exc.message))
                selected_nothing = True
            continue
        loaded = load_many([resolve_reference(text)], load_document, lenient=on_problem is not None)
        found.extend(loaded.documents)
        for problem in loaded.problems:
            on_problem(problem)  # type: ignore[misc]  # lenient only when on_problem is given
    if not found and not selected_nothing:
        raise BenchError("no JSON file found", field=", ".join(str(p) for p in given))
    return found


def load_candidates(
    paths: Iterable[str | Path],
    *,
    queries: RunQueries | None = None,
    on_problem: Callable[[Problem], None] | None = None,
) -> list[ResultDocument]:
    documents = []
    for path, document in load_documents(paths, queries=queries, on_problem=on_problem):
        if not isinstance(document, ResultDocument):
            raise BenchError(
                "a baseline cannot be the candidate",
                field=str(path),
                hint="the candidate is a run: bench compare NEW_RESULT BASELINE",
            )
        documents.append(document)
    return documents


def load_references(
    paths: Iterable[str | Path],
    *,
    queries: RunQueries | None = None,
    on_problem: Callable[[Problem], None] | None = None,
) -> list[ResultDocument | BaselineDocument]:
    """The baselines; leniently (``on_problem``), a store query that selects nothing is one more input
    that could not be read, and the list may be empty."""
    loaded = load_documents(paths, queries=queries, on_problem=on_problem, allow_empty_query=True)
    return [document for _, document in loaded]
