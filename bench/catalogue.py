"""Where names are looked up: the user's folders first, then what ships inside the package.

One catalogue for every kind of named file. ``bench run smoke``, ``bench gate --baseline NAME`` and the
pytest plugin resolve a bare name here: first in the user's folder under the current directory
(``./scenarios``, ``./results/baselines``, ``./results``), then in the files shipped with bench
(``bench/data/scenarios``, ``bench/data/baselines``, read through ``importlib.resources`` so they are found
the same way from a checkout, an editable install and an installed wheel). A user file of the same name
wins, so a team can pin its own ``ci-gate.yaml``.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Literal

Kind = Literal["scenarios", "baselines", "results"]

USER_FOLDERS: dict[str, Path] = {
    "scenarios": Path("scenarios"),
    "baselines": Path("results") / "baselines",
    "results": Path("results"),
}
SHIPPED_FOLDERS: dict[str, str] = {"scenarios": "scenarios", "baselines": "baselines"}  # under bench/data


def user_dir(kind: Kind, *, cwd: Path | None = None) -> Path:
    """The user's folder for ``kind``, relative to ``cwd`` (default: the current directory)."""
    return (cwd or Path.cwd()) / USER_FOLDERS[kind]


def shipped_dir(kind: Kind) -> Path | None:
    """The folder of ``kind`` shipped inside the package (None for results: bench ships none)."""
    if kind not in SHIPPED_FOLDERS:
        return None
    # pip installs wheels unpacked, so the package data is a real folder (never a zip member).
    return Path(str(resources.files("bench") / "data" / SHIPPED_FOLDERS[kind]))


def search_dirs(kind: Kind, *, cwd: Path | None = None) -> list[Path]:
    """The folders a bare name of ``kind`` is looked up in, in order: the user's, then the shipped one."""
    folders: list[Path] = []
    for folder in (user_dir(kind, cwd=cwd), shipped_dir(kind)):
        if folder is not None and folder.resolve() not in [f.resolve() for f in folders]:
            folders.append(folder)
    return folders


def baseline_dirs(*, cwd: Path | None = None) -> list[Path]:
    """Every baseline folder that holds a ``*.json``: what "compare with every known baseline" reads."""
    return [f for f in search_dirs("baselines", cwd=cwd) if f.is_dir() and any(f.glob("*.json"))]
