"""One real qualification on the CPU with tiny twins (a shortened smoke profile), shared by the tests
that read its report: the CLI end to end and the HTML page in Chromium."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]


def short_smoke(folder: Path, **soak: object) -> Path:
    """The shipped smoke profile with a 4-second soak in 1-second intervals."""
    text = resources.files("bench.qualify").joinpath("profiles").joinpath("smoke.yaml").read_text()
    data = yaml.safe_load(text)
    data["soak"] |= {"duration_s": 4.0, "interval_s": 1.0} | soak
    path = folder / "short-smoke.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


@dataclass(frozen=True)
class Qualified:
    returncode: int
    stdout: str
    stderr: str
    out: Path

    def report(self, ext: str) -> Path:
        (path,) = self.out.glob(f"qualification-*.{ext}")
        return path


@pytest.fixture(scope="session")
def cpu_qualification(tmp_path_factory: pytest.TempPathFactory) -> Qualified:
    folder = tmp_path_factory.mktemp("qualify")
    out = folder / "out"
    done = subprocess.run(
        [sys.executable, "-m", "bench", "qualify", "--profile", str(short_smoke(folder)), "--out", str(out)],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=600,
        env={**os.environ, "COLUMNS": "200"},
    )
    return Qualified(done.returncode, done.stdout, done.stderr, out)
