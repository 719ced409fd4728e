"""Fixtures for `bench ab` end to end: tiny twins, two model folders, a second Python environment."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
import yaml

from bench.models.refs import resolve_model

REPO = Path(__file__).resolve().parents[2]
TINY = "twin:nemotron-mini-4b:tiny"
TINY_WIDER = "twin:nemotron-mini-4b:tiny:ffn=1024"


def bench(
    *args: str, env: dict[str, str] | None = None, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bench", *args],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=timeout,
        env={**os.environ, "COLUMNS": "200", **(env or {})},
    )


@pytest.fixture
def scenario_file(tmp_path: Path) -> Path:
    """One tiny model, two points, a few repetitions: a round takes about a second."""
    path = tmp_path / "tiny-ab.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "name": "tiny-ab",
                "models": [TINY],
                "providers": ["cpu"],
                "sweep": {"prompt_tokens": [16], "batch_size": [1, 2], "output_tokens": [8]},
                "warmup": 1,
                "repetitions": 3,
            }
        )
    )
    return path


@pytest.fixture(scope="session")
def model_folders(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Two model folders given by path: the tiny twin and a wider-MLP variant of it."""
    root = tmp_path_factory.mktemp("models")
    folders = []
    for name, ref in (("old-export", TINY), ("new-export", TINY_WIDER)):
        folders.append(Path(shutil.copytree(resolve_model(ref).path, root / name)))
    return folders[0], folders[1]


def _make_venv(root: Path, *, pth_lines: list[str]) -> Path:
    """A second environment: ``python -m venv`` (no pip), seeing this environment's packages through a
    .pth file (as --system-site-packages would for a system install)."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(root)], check=True, timeout=120)
    python = root / ("Scripts/python.exe" if sys.platform == "win32" else "bin/python")
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    (Path(purelib) / "bench_ab_test.pth").write_text("\n".join(pth_lines) + "\n")
    return python


@pytest.fixture(scope="session")
def second_python(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Another venv with onnxruntime-genai and bench's dependencies, but no bench installed: the worker
    runs bench from its source folder there."""
    return _make_venv(tmp_path_factory.mktemp("venv-b"), pth_lines=[sysconfig.get_paths()["purelib"]])


@pytest.fixture(scope="session")
def python_without_genai(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A venv where onnxruntime-genai cannot be imported (everything else can)."""
    return _make_venv(
        tmp_path_factory.mktemp("venv-nogenai"),
        pth_lines=[sysconfig.get_paths()["purelib"], "import sys; sys.modules['onnxruntime_genai'] = None"],
    )
