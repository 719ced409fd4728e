"""Atomic file writes: a reader sees the old file or the new one, never half of either."""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from bench.errors import BenchError

REPLACE_ATTEMPTS = 10
REPLACE_RETRY_S = 0.05


@contextlib.contextmanager
def atomic_writer(path: Path, *, mode: str = "w", encoding: str | None = "utf-8") -> Iterator[IO]:
    """Open a temp file next to ``path``; on success fsync it and rename it over ``path``.

    On any exception (including KeyboardInterrupt) the temp file is removed and ``path`` is untouched.
    ``os.replace`` is atomic on POSIX and on Windows (same volume), which is why the temp file lives in
    the destination folder.
    """
    path = Path(path)
    check_file_path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise _cannot_write(path, exc) from None
    tmp = Path(tmp_name)
    try:
        # Own the descriptor first, so nothing below can leak it (Windows cannot delete an open file).
        with open(fd, mode, encoding=encoding if "b" not in mode else None) as handle:
            # mkstemp creates 0600; give the file the mode a plain open() would (or the old file's mode).
            os.chmod(tmp, path.stat().st_mode & 0o7777 if path.exists() else 0o666 & ~_umask())
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        _replace(tmp, path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        if isinstance(exc, OSError):  # disk full, permissions changed mid-write: the user's to fix
            raise _cannot_write(path, exc) from None
        raise


def check_file_path(path: Path) -> None:
    """Refuse a path that cannot become a file: it is a folder, or one of its parents is a file."""
    if path.is_dir():
        raise _cannot_write(path, IsADirectoryError(21, "is a folder, not a file"))
    blocking = next((p for p in path.parents if p.exists()), None)
    if blocking is not None and not blocking.is_dir():
        raise _cannot_write(path, NotADirectoryError(20, f"{blocking} is a file, not a folder"))


def _replace(tmp: Path, path: Path) -> None:
    """``os.replace``, retried briefly on Windows, where a reader (an editor, a virus scanner) holding
    ``path`` open makes it fail with a PermissionError for a moment."""
    attempts = REPLACE_ATTEMPTS if sys.platform == "win32" else 1
    for attempt in range(attempts):
        try:
            os.replace(tmp, path)
            return
        except PermissionError as exc:
            if attempt == attempts - 1:
                raise _cannot_write(path, exc) from None
            time.sleep(REPLACE_RETRY_S)
        except OSError as exc:
            raise _cannot_write(path, exc) from None


def _cannot_write(path: Path, exc: OSError) -> BenchError:
    return BenchError(
        f"cannot write: {exc.strerror or exc}",
        field=str(path),
        hint="choose a writable file path; missing folders are created",
    )


def _umask() -> int:
    current = os.umask(0o022)  # the only portable way to read it is to set it and put it back
    os.umask(current)
    return current


def atomic_write_text(path: Path, text: str) -> None:
    with atomic_writer(path) as handle:
        handle.write(text)
