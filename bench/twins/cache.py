"""The twin cache: one folder per (family, size, provider, dtype, quantization, block, seed, writer).

Root: ``BENCH_CACHE_DIR`` if set, else the platform's cache folder (``%LOCALAPPDATA%\\bench\\twins``
on Windows, ``~/Library/Caches/bench/twins`` on macOS, ``$XDG_CACHE_HOME/bench/twins`` or
``~/.cache/bench/twins`` elsewhere). Layout: ``ROOT/FAMILY/SIZE-PROVIDER-DTYPE-QUANT-bBLOCK-sSEED-vWRITER``.
A folder that exists is complete (the writer renames it into place), so a sweep never rebuilds one;
two processes building the same twin both finish and the first rename wins.
"""

from __future__ import annotations

import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

from bench.twins.spec import TwinSpec, parse_cache_name
from bench.twins.writer import MODEL_FILES, Progress, remove_stale_partials, write_twin

CACHE_ENV_VAR = "BENCH_CACHE_DIR"


def cache_root() -> Path:
    configured = os.environ.get(CACHE_ENV_VAR)
    if configured:
        return Path(configured).expanduser()
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Caches"
    else:
        base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "bench" / "twins"


def twin_folder(spec: TwinSpec, *, root: Path | None = None) -> Path:
    return (root or cache_root()) / spec.family / spec.cache_name


def is_complete(folder: Path) -> bool:
    return all((folder / name).is_file() for name in MODEL_FILES)


def ensure_twin(spec: TwinSpec, *, root: Path | None = None, progress: Progress | None = None) -> Path:
    """The cached twin's folder, writing it first if it is not cached yet."""
    folder = twin_folder(spec, root=root)
    if is_complete(folder):
        return folder
    if folder.exists():  # only complete folders are renamed into place: someone removed files since
        shutil.rmtree(folder)
    remove_stale_partials(folder.parent)
    return write_twin(spec, folder, progress=progress)


@dataclass(frozen=True)
class CachedTwin:
    spec: TwinSpec
    path: Path
    bytes_on_disk: int


def cached_twins(*, root: Path | None = None) -> list[CachedTwin]:
    """Complete twins of the current writer version under the cache root, sorted by folder."""
    root = root or cache_root()
    found: list[CachedTwin] = []
    if not root.is_dir():
        return found
    for family_dir in sorted(path for path in root.iterdir() if path.is_dir()):
        for folder in sorted(path for path in family_dir.iterdir() if path.is_dir()):
            spec = parse_cache_name(family_dir.name, folder.name)
            if spec is None or not is_complete(folder):
                continue
            size = sum(entry.stat().st_size for entry in folder.iterdir() if entry.is_file())
            found.append(CachedTwin(spec, folder, size))
    return found
