"""The twin cache: where it lives, reuse, listing."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from bench.twins import cache
from bench.twins.spec import TwinSpec, parse_cache_name


def test_cache_root_from_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("BENCH_CACHE_DIR", str(tmp_path / "mine"))

    assert cache.cache_root() == tmp_path / "mine"


def test_cache_root_on_windows(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BENCH_CACHE_DIR")
    monkeypatch.setattr(sys, "platform", "win32")
    monkeypatch.setenv("LOCALAPPDATA", "C:/Users/me/AppData/Local")

    assert cache.cache_root() == Path("C:/Users/me/AppData/Local") / "bench" / "twins"


def test_cache_root_on_linux(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("BENCH_CACHE_DIR")
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))

    assert cache.cache_root() == tmp_path / "bench" / "twins"


def test_key_separates_every_parameter() -> None:
    base = TwinSpec.create("mistral-nemo-12b", "tiny")
    variants = [
        base,
        TwinSpec.create("mistral-nemo-12b", "small"),
        TwinSpec.create("nemotron-mini-4b", "tiny"),
        TwinSpec.create("mistral-nemo-12b", "tiny", provider="cuda"),
        TwinSpec.create("mistral-nemo-12b", "tiny", io_dtype="float16"),
        TwinSpec.create("mistral-nemo-12b", "tiny", symmetric=True),
        TwinSpec.create("mistral-nemo-12b", "tiny", block_size=32),
        TwinSpec.create("mistral-nemo-12b", "tiny", seed=1),
        TwinSpec.create("mistral-nemo-12b", "tiny", ffn=1152),
    ]
    folders = {cache.twin_folder(spec, root=Path("/cache")) for spec in variants}

    assert len(folders) == len(variants)
    assert all(parse_cache_name(spec.family, spec.cache_name) == spec for spec in variants)


def test_cached_twin_is_reused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    spec = TwinSpec.create("nemotron-mini-4b", "tiny", seed=11)
    first = cache.ensure_twin(spec, root=tmp_path)

    def must_not_write(*args, **kwargs):
        raise AssertionError("a cached twin was rebuilt")

    monkeypatch.setattr(cache, "write_twin", must_not_write)

    assert cache.ensure_twin(spec, root=tmp_path) == first


def test_cached_twins_lists_complete_folders_only(tmp_path: Path) -> None:
    spec = TwinSpec.create("nemotron-mini-4b", "tiny", seed=12)
    folder = cache.ensure_twin(spec, root=tmp_path)
    (tmp_path / "nemotron-mini-4b" / "tiny-cpu-float32-asym-b128-s13-v1").mkdir()  # incomplete
    (tmp_path / "nemotron-mini-4b" / "something-else").mkdir()

    listed = cache.cached_twins(root=tmp_path)

    assert [(twin.spec, twin.path) for twin in listed] == [(spec, folder)]
    assert listed[0].bytes_on_disk == sum(path.stat().st_size for path in folder.iterdir())


def test_damaged_cached_twin_is_rebuilt(tmp_path: Path) -> None:
    spec = TwinSpec.create("nemotron-mini-4b", "tiny", seed=14)
    folder = cache.ensure_twin(spec, root=tmp_path)
    (folder / "model.onnx.data").unlink()

    assert cache.ensure_twin(spec, root=tmp_path) == folder
    assert cache.is_complete(folder)
