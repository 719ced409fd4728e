"""Baseline files: the compact file text, atomic writes, and loading through the one document loader."""

from __future__ import annotations

import json
from pathlib import Path

from bench.atomic import atomic_write_text
from bench.compare.baselines import BASELINE_DOCUMENT, BaselineDocument
from bench.documents import load_document

_POINT_DEFAULTS = {"status": "valid", "reasons": [], "measured": {}, "expected": {}}


def baseline_json(document: BaselineDocument) -> str:
    """The file text: points leave out fields at their defaults (a derived file holds hundreds of points)."""
    data = document.model_dump(mode="json")
    for point in data["points"].values():
        for key, default in _POINT_DEFAULTS.items():
            if point.get(key) == default:
                del point[key]
    return json.dumps(data, indent=1, ensure_ascii=False) + "\n"


def write_baseline(document: BaselineDocument, path: Path) -> Path:
    atomic_write_text(path, baseline_json(document))
    return path


def load_baseline(path: Path) -> BaselineDocument:
    return load_document(Path(path), BASELINE_DOCUMENT)
