"""Writing twin folders: determinism, atomicity, failures, concurrent writers."""

from __future__ import annotations

import errno
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import onnx
import pytest

from bench.errors import BenchError
from bench.twins import cache, writer
from bench.twins.spec import TwinSpec
from bench.twins.writer import MODEL_FILES, PARTIAL_PREFIX, write_twin

TINY = TwinSpec.create("nemotron-mini-4b", "tiny")


def _bytes(folder: Path, name: str) -> bytes:
    return (folder / name).read_bytes()


def test_writes_every_file_genai_needs(tmp_path: Path) -> None:
    folder = write_twin(TINY, tmp_path / "twin")

    assert sorted(path.name for path in folder.iterdir()) == sorted(MODEL_FILES)


def test_same_spec_writes_identical_bytes(tmp_path: Path) -> None:
    first = write_twin(TINY, tmp_path / "a")
    second = write_twin(TINY, tmp_path / "b")

    for name in MODEL_FILES:
        assert _bytes(first, name) == _bytes(second, name), name


def test_seed_changes_the_weights_but_not_the_graph(tmp_path: Path) -> None:
    first = write_twin(TINY, tmp_path / "a")
    other = TwinSpec.create("nemotron-mini-4b", "tiny", seed=1)
    second = write_twin(other, tmp_path / "b")

    assert _bytes(first, "model.onnx.data") != _bytes(second, "model.onnx.data")
    graph_a = onnx.load(str(first / "model.onnx"), load_external_data=False)
    graph_b = onnx.load(str(second / "model.onnx"), load_external_data=False)
    assert [node.name for node in graph_a.graph.node] == [node.name for node in graph_b.graph.node]
    assert graph_a.metadata_props != graph_b.metadata_props  # the seed is recorded


def test_external_data_entries_tile_the_data_file(tmp_path: Path) -> None:
    folder = write_twin(TINY, tmp_path / "twin")
    model = onnx.load(str(folder / "model.onnx"), load_external_data=False)

    end = 0
    for tensor in model.graph.initializer:
        entries = {entry.key: entry.value for entry in tensor.external_data}
        assert tensor.data_location == onnx.TensorProto.EXTERNAL
        assert entries["location"] == "model.onnx.data"
        assert int(entries["offset"]) == end
        end += int(entries["length"])
    assert end == (folder / "model.onnx.data").stat().st_size


def test_existing_target_is_refused(tmp_path: Path) -> None:
    target = tmp_path / "twin"
    target.mkdir()

    with pytest.raises(BenchError, match="already exists"):
        write_twin(TINY, target)


def test_disk_full_mid_write_leaves_nothing_behind(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real_stream = writer.stream_content
    calls = {"count": 0}

    def filling_up(content, *, seed, sink, on_bytes=None):
        calls["count"] += 1
        if calls["count"] == 5:  # a few tensors in, the disk is full
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_stream(content, seed=seed, sink=sink, on_bytes=on_bytes)

    monkeypatch.setattr(writer, "stream_content", filling_up)

    with pytest.raises(BenchError, match="disk full"):
        write_twin(TINY, tmp_path / "cache" / "twin")

    assert list((tmp_path / "cache").iterdir()) == []


def test_not_enough_free_space_is_refused_before_writing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(writer.shutil, "disk_usage", lambda path: _Usage(free=1000))

    with pytest.raises(BenchError, match="not enough disk space"):
        write_twin(TINY, tmp_path / "twin")

    assert list(tmp_path.iterdir()) == []


class _Usage:
    def __init__(self, free: int) -> None:
        self.free = free


def test_interrupted_write_removes_its_partial_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(writer, "stream_content", interrupted)

    with pytest.raises(KeyboardInterrupt):
        write_twin(TINY, tmp_path / "twin")

    assert list(tmp_path.iterdir()) == []


def test_losing_a_race_keeps_the_winners_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "twin"
    real_fill = writer._fill_folder

    def fill_then_get_overtaken(spec, folder, progress):
        real_fill(spec, folder, progress)
        monkeypatch.setattr(writer, "_fill_folder", real_fill)
        write_twin(spec, target)  # another writer finishes first

    monkeypatch.setattr(writer, "_fill_folder", fill_then_get_overtaken)

    assert write_twin(TINY, target) == target
    assert cache.is_complete(target)
    assert [path.name for path in tmp_path.iterdir()] == ["twin"]


def test_two_processes_building_the_same_twin(tmp_path: Path) -> None:
    script = (
        "import sys, pathlib; from bench.twins.cache import ensure_twin; "
        "from bench.twins.spec import TwinSpec; "
        "spec = TwinSpec.create('mistral-nemo-12b', 'tiny', seed=5); "
        "print(ensure_twin(spec, root=pathlib.Path(sys.argv[1])))"
    )
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", script, str(tmp_path)], stdout=subprocess.PIPE, text=True, env=env
        )
        for _ in range(2)
    ]
    outputs = [process.communicate(timeout=120)[0].strip() for process in processes]

    assert [process.returncode for process in processes] == [0, 0]
    assert outputs[0] == outputs[1]
    family_dir = tmp_path / "mistral-nemo-12b"
    assert [path.name for path in family_dir.iterdir()] == [Path(outputs[0]).name]
    assert cache.is_complete(Path(outputs[0]))


def test_stale_partial_folders_of_dead_writers_are_removed(tmp_path: Path) -> None:
    family_dir = tmp_path / TINY.family
    stale = family_dir / f"{PARTIAL_PREFIX}{TINY.cache_name}-999999999-abcd1234"
    stale.mkdir(parents=True)
    (stale / "model.onnx.data").write_bytes(b"half")

    folder = cache.ensure_twin(TINY, root=tmp_path)

    assert not stale.exists()
    assert cache.is_complete(folder)


def test_progress_reports_every_byte(tmp_path: Path) -> None:
    seen: list[tuple[int, int]] = []

    folder = write_twin(
        TINY, tmp_path / "twin", progress=lambda done, total, what: seen.append((done, total))
    )

    size = (folder / "model.onnx.data").stat().st_size
    assert seen[-1] == (size, size)
    assert [done for done, _ in seen] == sorted(done for done, _ in seen)


def test_random_int4_weights_have_unit_scale_per_input(tmp_path: Path) -> None:
    """Dequantized weights have std ~ 1/sqrt(K): activations keep unit variance at any depth."""
    folder = write_twin(
        TwinSpec.create("nemotron-mini-4b", "tiny", symmetric=True, block_size=32), tmp_path / "twin"
    )
    model = onnx.load(str(folder / "model.onnx"))  # tiny: loading the weights is fine here
    tensors = {tensor.name: onnx.numpy_helper.to_array(tensor) for tensor in model.graph.initializer}
    packed = tensors["model.layers.0.mlp.down_proj.MatMul.weight_Q4"]  # [N, K/32, 16]
    scales = tensors["model.layers.0.mlp.down_proj.MatMul.weight_scales"]  # [N, K/32]
    nibbles = np.stack([packed & 0x0F, packed >> 4], axis=-1).reshape(packed.shape[0], packed.shape[1], -1)
    dequantized = (nibbles.astype(np.float32) - 8) * scales[:, :, None]
    k = dequantized.shape[1] * dequantized.shape[2]

    assert 0.8 < dequantized.std() * np.sqrt(k) < 1.2
