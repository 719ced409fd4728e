"""Loading what ``bench compare`` and ``bench gate`` are given: result files, baseline files, folders, names.

The I/O half of comparing (the engine itself reads nothing). Each file is read and parsed once and told
apart by its ``kind`` (``bench.documents.load_any``); anything else is refused with a one-line
``BenchError`` naming the file.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import cast

from bench import catalogue
from bench.compare.baselines import BASELINE_DOCUMENT, BaselineDocument
from bench.documents import json_files, load_any
from bench.errors import BenchError
from bench.results.schema import RESULT_DOCUMENT, ResultDocument


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


def load_documents(paths: Iterable[str | Path]) -> list[tuple[Path, ResultDocument | BaselineDocument]]:
    """Every file given, and every ``*.json`` in every folder given, with the path it came from."""
    resolved = [resolve_reference(p) for p in paths]
    files = json_files(resolved)
    if not files:
        raise BenchError("no JSON file found", field=", ".join(str(p) for p in resolved))
    return [(file, load_document(file)) for file in files]


def load_candidates(paths: Iterable[str | Path]) -> list[ResultDocument]:
    documents = []
    for path, document in load_documents(paths):
        if not isinstance(document, ResultDocument):
            raise BenchError(
                "a baseline cannot be the candidate",
                field=str(path),
                hint="the candidate is a run: bench compare NEW_RESULT BASELINE",
            )
        documents.append(document)
    return documents


def load_references(paths: Iterable[str | Path]) -> list[ResultDocument | BaselineDocument]:
    return [document for _, document in load_documents(paths)]
