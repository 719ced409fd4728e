"""Loading what ``bench compare`` and ``bench gate`` are given: result files, baseline files, folders, names.

The I/O half of comparing (the engine itself reads nothing). Files are told apart by their ``kind``;
anything else is refused with a one-line ``BenchError`` naming the file.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from bench import catalogue
from bench.compare.baselines import BASELINE_KIND, BaselineDocument, parse_baseline, read_json_document
from bench.errors import BenchError
from bench.results.schema import DOCUMENT_KIND, ResultDocument
from bench.results.store import expand_result_paths, load_result


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
    data = read_json_document(path)
    kind = data.get("kind")
    if kind == DOCUMENT_KIND:
        return load_result(path)
    if kind == BASELINE_KIND:
        return parse_baseline(data, origin=str(path))
    raise BenchError(
        f"neither a bench result nor a baseline (kind {kind!r})",
        field=str(path),
        hint="pass files written by `bench run`, `bench gate` or `bench baseline`",
    )


def load_documents(paths: Iterable[str | Path]) -> list[tuple[Path, ResultDocument | BaselineDocument]]:
    """Every file given, and every ``*.json`` in every folder given, with the path it came from."""
    resolved = [resolve_reference(p) for p in paths]
    files = expand_result_paths(resolved)
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
