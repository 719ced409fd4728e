"""Importing result files into a store: files and folders (recursively), every file judged alone.

A file found in a folder that cannot be read as a bench result (corrupt, truncated, another tool's JSON,
a schema this bench does not know) is reported with its path and the loader's reason and skipped; the
rest go in. A file named on its own is an error (``BenchError``) as for every command: the runs before
it are already stored (each run is saved whole), and ingesting again after the fix adds the rest.
Ingesting is idempotent: a run id already stored with the same document is counted as present; with a
different document it is a conflict (reported, the stored one kept) unless ``replace``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.engine import URL

from bench.documents import json_files
from bench.errors import BenchError
from bench.results.files import load_result
from bench.results.schema import ResultDocument
from bench.store.store import SAVE_BATCH, Saved, Store, open_store


@dataclass(frozen=True)
class Skipped:
    path: Path
    reason: str


@dataclass
class IngestReport:
    files: int = 0
    added: list[str] = field(default_factory=list)
    present: list[str] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return not self.skipped

    def as_json(self) -> dict:
        return {
            "files": self.files,
            "added": self.added,
            "present": self.present,
            "replaced": self.replaced,
            "skipped": [{"path": str(s.path), "reason": s.reason} for s in self.skipped],
        }


def _files(paths: Iterable[Path]) -> Iterator[tuple[Path, bool]]:
    """(file, named on the command line) for every file given and every ``*.json`` below every folder
    given (the one loader's recursive search: hidden files and ``baselines`` folders left out)."""
    seen: set[Path] = set()
    for given in paths:
        given = Path(given)
        for file in json_files([given], recursive=True):
            if file not in seen:
                seen.add(file)
                yield file, not given.is_dir()


def ingest(
    store: Store,
    paths: Iterable[Path],
    *,
    replace: bool = False,
    on_skip: Callable[[Skipped], None] | None = None,
) -> IngestReport:
    report = IngestReport()
    files = list(_files(paths))  # every path is checked before anything is stored
    report.files = len(files)
    batch: list[tuple[ResultDocument, str | None]] = []
    sources: dict[str, Path] = {}

    def flush() -> None:
        for result in store.save_many(batch, replace=replace):
            if result.outcome is Saved.ADDED:
                report.added.append(result.run_id)
            elif result.outcome is Saved.PRESENT:
                report.present.append(result.run_id)
            elif result.outcome is Saved.REPLACED:
                report.replaced.append(result.run_id)
            else:
                _skip(
                    report,
                    Skipped(
                        sources[result.run_id],
                        f"run {result.run_id} is already stored with different content (stored: "
                        f"{result.stored_status}, {result.stored_points} points); kept the stored one "
                        "(bench ingest --replace keeps this file's)",
                    ),
                    on_skip,
                )
        batch.clear()
        sources.clear()

    for path, named in files:
        try:
            document = load_result(path)
        except BenchError as exc:
            if named:  # a file named on its own is an error, as for every command (see bench.documents)
                raise
            _skip(report, Skipped(path, _reason(exc)), on_skip)
            continue
        if document.run_id in sources:  # two files of one run in one batch: judge them one after the other
            flush()
        batch.append((document, str(path)))
        sources[document.run_id] = path
        if len(batch) >= SAVE_BATCH:
            flush()
    if batch:
        flush()
    return report


def _reason(exc: BenchError) -> str:
    return f"{exc.message} ({exc.hint})" if exc.hint else exc.message


def _skip(report: IngestReport, skipped: Skipped, on_skip: Callable[[Skipped], None] | None) -> None:
    report.skipped.append(skipped)
    if on_skip is not None:
        on_skip(skipped)


def store_run(url: URL, document: ResultDocument, *, source: Path | None) -> str:
    """Save one run just written by ``bench run``; one line saying where it went and how."""
    try:
        with open_store(url) as store:
            result = store.save(document, source=str(source) if source else None)
            where = store.display
    except BenchError as exc:  # the run is not lost: its file is written, and can be ingested later
        raise BenchError(
            exc.message,
            field=exc.field,
            hint=f"the result file {source} is written; `bench ingest {source}` with the store adds it later",
        ) from None
    if result.outcome is Saved.CONFLICT:
        return (
            f"{where}: run {document.run_id} was already stored with different content; kept the stored "
            f"one (bench ingest {source} --replace keeps this file's)"
        )
    return f"{where}: run {document.run_id} {result.outcome.value}"
