"""Reading and writing result files.

Writes are atomic (temp file + rename): a crash or a second Ctrl-C leaves either the previous version
of the file or the new one. Reads refuse anything that is not a bench result of a known schema version.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path

from pydantic import ValidationError

from bench.atomic import atomic_write_text
from bench.errors import BenchError
from bench.results.schema import DOCUMENT_KIND, SCHEMA_VERSION, SUPPORTED_SCHEMA_VERSIONS, ResultDocument


def result_filename(*, scenario: str, run_id: str) -> str:
    safe = re.sub(r"[^A-Za-z0-9._-]+", "-", scenario).strip("-") or "run"
    return f"{safe}-{run_id}.json"


def new_run_id(now: datetime) -> str:
    import secrets

    return f"{now.strftime('%Y%m%dT%H%M%SZ')}-{secrets.token_hex(3)}"


def write_result(document: ResultDocument, path: Path) -> Path:
    # exclude_none: an unavailable figure keeps its reason and drops its empty value; loading restores it.
    atomic_write_text(path, document.model_dump_json(indent=1, exclude_none=True) + "\n")
    return path


def load_result(path: Path) -> ResultDocument:
    """Load and validate one result file; every failure is a one-line ``BenchError`` naming the file."""
    path = Path(path)
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise BenchError("no such result file", field=str(path)) from None
    except UnicodeDecodeError:
        raise BenchError(
            "corrupt result file: not UTF-8 text", field=str(path), hint="bench writes results as UTF-8 JSON"
        ) from None
    except OSError as exc:
        raise BenchError(f"cannot read result file: {exc.strerror or exc}", field=str(path)) from None
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise BenchError(
            f"corrupt result file: not valid JSON (line {exc.lineno}, column {exc.colno})",
            field=str(path),
            hint="re-run the scenario; bench writes results atomically, so bench did not write this file",
        ) from None
    if not isinstance(data, dict) or data.get("kind") != DOCUMENT_KIND:
        raise BenchError(
            'not a bench result file (no "kind": "bench.result")',
            field=str(path),
            hint="pass a file written by `bench run` or `bench gate`",
        )
    version = data.get("schema_version")
    if version not in SUPPORTED_SCHEMA_VERSIONS:
        raise BenchError(
            f"foreign result schema: schema_version {version!r}; this bench reads "
            f"{', '.join(str(v) for v in sorted(SUPPORTED_SCHEMA_VERSIONS))}",
            field=str(path),
            hint="use the bench version that wrote it"
            if isinstance(version, int) and version > SCHEMA_VERSION
            else "the file is damaged or from another tool",
        )
    try:
        return ResultDocument.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        more = f" (and {exc.error_count() - 1} more problems)" if exc.error_count() > 1 else ""
        raise BenchError(f"invalid result file at {where}: {first['msg']}{more}", field=str(path)) from None


def expand_result_paths(paths: Iterable[Path]) -> list[Path]:
    """Files as given, folders as every ``*.json`` result inside them (not recursing into baselines)."""
    found: list[Path] = []
    for path in paths:
        path = Path(path)
        if path.is_dir():
            found.extend(sorted(p for p in path.glob("*.json") if not p.name.startswith(".")))
        elif path.exists():
            found.append(path)
        else:
            raise BenchError("no such file or folder", field=str(path))
    return found


def load_results(paths: Iterable[Path]) -> list[ResultDocument]:
    return [load_result(path) for path in expand_result_paths(paths)]
