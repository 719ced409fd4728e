"""Result files on disk: names, atomic writes, and loading through the one document loader.

Writes are atomic (temp file + rename): a crash or a second Ctrl-C leaves either the previous version
of the file or the new one. Reads go through ``bench.documents`` (kind, version, upgrades, one line per
problem). The database store of many runs is ``bench.store``; this module is only files.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path

from bench.atomic import atomic_write_text
from bench.documents import json_files, load_document, load_many
from bench.results.schema import RESULT_DOCUMENT, ResultDocument


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
    """Load and validate one result file (older versions upgraded); a problem is one ``BenchError``."""
    return load_document(Path(path), RESULT_DOCUMENT)


def expand_result_paths(paths: Iterable[Path]) -> list[Path]:
    """Files as given, folders as every ``*.json`` inside them (not recursing into baselines)."""
    return json_files(paths)


def load_results(paths: Iterable[Path]) -> list[ResultDocument]:
    """Every result given; the first unreadable file raises."""
    return [document for _, document in load_many(paths, load_result).documents]
