"""Fixtures for the twin tests: tiny twins built once per session into a temporary cache."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bench.models.refs import ResolvedModel, resolve_model

FAMILIES = ("mistral-nemo-12b", "nemotron-mini-4b")


@pytest.fixture(scope="session")
def twin_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The session's twin cache; tests/conftest.py points BENCH_CACHE_DIR at a temporary folder."""
    configured = os.environ.get("BENCH_CACHE_DIR")
    if not configured:  # run on its own, without the project's conftest
        configured = str(tmp_path_factory.mktemp("bench-cache"))
        os.environ["BENCH_CACHE_DIR"] = configured
    return Path(configured)


@pytest.fixture(scope="session")
def tiny_twins(twin_cache: Path) -> dict[str, ResolvedModel]:
    """The default cpu tiny twin of each family (asymmetric, block 128, float32)."""
    return {family: resolve_model(f"twin:{family}:tiny") for family in FAMILIES}


@pytest.fixture(scope="session")
def genai():
    return pytest.importorskip("onnxruntime_genai")
