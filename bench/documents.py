"""One loader for every versioned JSON document bench reads: results, baselines, and those to come.

A document kind says what it is (``kind``), which pydantic model holds it, which ``schema_version`` this
bench writes and how each older version is brought forward: ``upgrades[N]`` turns a version ``N - 1``
dict into a version ``N`` dict (asv's ``update_to_N``). Loading reads and parses each file once, checks
the kind and version, upgrades step by step and validates; every failure is one ``BenchError`` line
naming the file. A folder can be loaded leniently: each unreadable file becomes a ``Problem`` (path and
reason) instead of stopping the rest; a file named on its own is always an error.

This module imports no document model, so any package can register a kind without an import cycle.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ValidationError

from bench.errors import BenchError

M = TypeVar("M", bound=BaseModel)
Upgrade = Callable[[dict[str, Any]], dict[str, Any]]


@dataclass(frozen=True)
class DocumentKind(Generic[M]):
    """How to read one kind of document."""

    kind: str  # the ``kind`` field, e.g. "bench.result"
    what: str  # how messages name it, e.g. "result"
    model: type[M]
    version: int  # the schema_version this bench writes
    upgrades: Mapping[int, Upgrade] = field(default_factory=dict)  # N -> update_to_N (from N - 1)
    hint: str = ""  # where files of this kind come from, e.g. "pass a file written by `bench run`"
    oldest: int = 1

    def __post_init__(self) -> None:
        missing = [n for n in range(self.oldest + 1, self.version + 1) if n not in self.upgrades]
        if missing:
            raise ValueError(f"{self.kind}: no upgrade to version(s) {missing}")
        object.__setattr__(self, "upgrades", MappingProxyType(dict(self.upgrades)))

    @property
    def supported(self) -> frozenset[int]:
        return frozenset(range(self.oldest, self.version + 1))

    def parse(self, data: Any, *, origin: str) -> M:
        """Check kind and version, upgrade to the current version, validate."""
        if not isinstance(data, dict) or data.get("kind") != self.kind:
            raise BenchError(
                f'not a bench {self.what} file (no "kind": "{self.kind}")',
                field=origin,
                hint=self.hint or None,
            )
        version = data.get("schema_version")
        if not isinstance(version, int) or isinstance(version, bool) or version not in self.supported:
            newer = isinstance(version, int) and version > self.version
            raise BenchError(
                f"foreign {self.what} schema: schema_version {version!r}; this bench reads "
                f"{', '.join(str(v) for v in sorted(self.supported))}",
                field=origin,
                hint="use the bench version that wrote it"
                if newer
                else "the file is damaged or from another tool",
            )
        for step in range(version + 1, self.version + 1):
            data = self.upgrades[step](dict(data))
            data["schema_version"] = step
        try:
            return self.model.model_validate(data)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(part) for part in first["loc"]) or "document"
            more = f" (and {exc.error_count() - 1} more problems)" if exc.error_count() > 1 else ""
            raise BenchError(
                f"invalid {self.what} file at {where}: {first['msg']}{more}", field=origin
            ) from None


def read_json(path: Path, *, what: str = "document") -> Any:
    """The parsed JSON of ``path``, read once; every failure is a one-line ``BenchError`` naming the file."""
    path = Path(path)
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise BenchError(f"no such {what} file", field=str(path)) from None
    except IsADirectoryError:
        raise BenchError(f"is a folder, not a {what} file", field=str(path)) from None
    except UnicodeDecodeError:
        raise BenchError(
            f"corrupt {what} file: not UTF-8 text", field=str(path), hint="bench writes UTF-8 JSON"
        ) from None
    except OSError as exc:
        raise BenchError(f"cannot read {what} file: {exc.strerror or exc}", field=str(path)) from None
    try:
        return json.loads(raw)
    except json.JSONDecodeError as exc:
        raise BenchError(
            f"corrupt {what} file: not valid JSON (line {exc.lineno}, column {exc.colno})",
            field=str(path),
            hint="bench writes its files atomically, so bench did not write this one",
        ) from None


def load_document(path: Path, kind: DocumentKind[M]) -> M:
    """One file of one kind."""
    return kind.parse(read_json(path, what=kind.what), origin=str(path))


def load_any(path: Path, kinds: Sequence[DocumentKind[Any]]) -> BaseModel:
    """One file of any of ``kinds``, told apart by its ``kind`` field (read and parsed once)."""
    what = " or ".join(k.what for k in kinds)
    data = read_json(path, what=what)
    found = data.get("kind") if isinstance(data, dict) else None
    for kind in kinds:
        if found == kind.kind:
            return kind.parse(data, origin=str(path))
    names = " nor ".join(f"a bench {k.what}" for k in kinds)
    raise BenchError(
        f"neither {names} (kind {found!r})" if len(kinds) > 1 else f"not {names} file (kind {found!r})",
        field=str(path),
        hint=kinds[0].hint or None if len(kinds) == 1 else "pass files written by bench",
    )


@dataclass(frozen=True)
class Problem:
    """A file of a folder that could not be loaded, and why (the one line a ``BenchError`` says)."""

    path: Path
    reason: str

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"


# Folders of a results tree that hold no runs: a recursive search leaves them out.
NOT_RUNS = frozenset({"baselines"})


def json_files(paths: Iterable[Path], *, recursive: bool = False) -> list[Path]:
    """Files as given, folders as every ``*.json`` inside them (hidden files skipped); ``recursive``: in
    every subfolder too (``results/<host>/...``), except hidden ones and ``baselines`` folders."""
    found: list[Path] = []
    for path in paths:
        path = Path(path)
        if path.is_dir() and recursive:
            found.extend(_walk(path))
        elif path.is_dir():
            found.extend(sorted(p for p in path.glob("*.json") if not p.name.startswith(".")))
        elif path.exists():
            found.append(path)
        else:
            raise BenchError("no such file or folder", field=str(path))
    return found


def _walk(folder: Path) -> list[Path]:
    found = []
    for path in sorted(folder.rglob("*.json")):
        parts = path.relative_to(folder).parts
        if any(p.startswith(".") for p in parts) or any(p in NOT_RUNS for p in parts[:-1]):
            continue
        if path.is_file():
            found.append(path)
    return found


@dataclass(frozen=True)
class Loaded(Generic[M]):
    """What a lenient load found: the documents (with their paths) and the files it could not read."""

    documents: tuple[tuple[Path, M], ...]
    problems: tuple[Problem, ...]


def load_many(
    paths: Iterable[Path], load: Callable[[Path], M], *, lenient: bool = False, recursive: bool = False
) -> Loaded[M]:
    """Load every file given and every ``*.json`` of every folder given.

    Strict (default): the first bad file raises. ``lenient``: a bad file found *inside a folder* becomes a
    ``Problem`` and the others still load; a file named directly still raises.
    """
    documents: list[tuple[Path, M]] = []
    problems: list[Problem] = []
    for given in paths:
        given = Path(given)
        for file in json_files([given], recursive=recursive):
            try:
                documents.append((file, load(file)))
            except BenchError as exc:
                if not (lenient and given.is_dir()):
                    raise
                problems.append(Problem(file, exc.message + (f" ({exc.hint})" if exc.hint else "")))
    return Loaded(tuple(documents), tuple(problems))
