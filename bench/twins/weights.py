"""Random weights streamed straight into an external-data file, in chunks.

Each initializer's content is a small description (``Int4Weight``, ``Int4Scales``, ...) that knows its
byte size and yields its bytes in chunks of at most ``CHUNK_BYTES``, so a 12B-parameter model is
written with a few tens of MB of working memory and no tensor ever exists whole, let alone as
float32. Values are deterministic: every logical tensor draws from its own generator seeded with the
twin's seed and the tensor's name, so the bytes do not depend on the order tensors are written in.

Value scales keep activations near unit variance through any depth (random INT4 nibbles with a
per-block scale of 1/(sigma*sqrt(K))), so logits stay finite in float16 as well as float32: speed
does not depend on weight values, but NaNs or infinities could push kernels onto slow paths.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Protocol

import numpy as np

CHUNK_BYTES = 32 << 20

_NUMPY_DTYPES = {"float32": np.float32, "float16": np.float16, "uint8": np.uint8}

# Standard deviation of (q - zero_point) for uniform nibbles q in 0..15 and zero points near 8.
_NIBBLE_STD = math.sqrt(sum((q - 8) ** 2 for q in range(16)) / 16)


def _generator(seed: int, *labels: str) -> np.random.SFC64:
    """A bit generator per (seed, tensor, role); SFC64's raw output is the fastest numpy offers."""
    words = [
        int.from_bytes(hashlib.blake2b(label.encode(), digest_size=8).digest(), "little") for label in labels
    ]
    return np.random.SFC64(np.random.SeedSequence([seed, *words]))


def _random_bytes(bits: np.random.SFC64, count: int) -> np.ndarray:
    words = bits.random_raw((count + 7) // 8)
    return words.view(np.uint8)[:count]


def _rows_per_chunk(row_bytes: int) -> int:
    return max(1, CHUNK_BYTES // max(1, row_bytes))


@dataclass(frozen=True)
class Int4Weight:
    """MatMulNBits weight: uint8 [N, K/block, block/2], two 4-bit values per byte.

    ``streams`` are (projection name, rows) concatenated along N: a packed q/k/v weight holds the
    same bytes as the three separate q, k and v weights of the same seed.
    """

    streams: tuple[tuple[str, int], ...]
    k: int
    block_size: int

    @property
    def row_bytes(self) -> int:
        return math.ceil(self.k / self.block_size) * self.block_size // 2

    def nbytes(self) -> int:
        return sum(rows for _, rows in self.streams) * self.row_bytes

    def chunks(self, seed: int) -> Iterator[np.ndarray]:
        for stream, rows in self.streams:
            bits = _generator(seed, stream, "weight")
            step = _rows_per_chunk(self.row_bytes)
            for start in range(0, rows, step):
                yield _random_bytes(bits, min(step, rows - start) * self.row_bytes)


@dataclass(frozen=True)
class Int4Scales:
    """MatMulNBits scales: io dtype [N, K/block], about 1/(sigma*sqrt(K)) with +-10 % jitter."""

    streams: tuple[tuple[str, int], ...]
    k: int
    block_size: int
    dtype: str

    @property
    def blocks(self) -> int:
        return math.ceil(self.k / self.block_size)

    def nbytes(self) -> int:
        return (
            sum(rows for _, rows in self.streams) * self.blocks * np.dtype(_NUMPY_DTYPES[self.dtype]).itemsize
        )

    def chunks(self, seed: int) -> Iterator[np.ndarray]:
        base = np.float32(1.0 / (_NIBBLE_STD * math.sqrt(self.k)))
        for stream, rows in self.streams:
            bits = _generator(seed, stream, "scales")
            step = _rows_per_chunk(self.blocks * 4)
            for start in range(0, rows, step):
                count = min(step, rows - start) * self.blocks
                jitter = _random_bytes(bits, count).astype(np.float32) * np.float32(0.2 / 255) + np.float32(
                    0.9
                )
                yield (jitter * base).astype(_NUMPY_DTYPES[self.dtype])


@dataclass(frozen=True)
class Int4ZeroPoints:
    """MatMulNBits zero points (asymmetric, AWQ-style): uint8 [N, ceil(K/block/2)], values 7..9."""

    streams: tuple[tuple[str, int], ...]
    k: int
    block_size: int

    @property
    def blocks(self) -> int:
        return math.ceil(self.k / self.block_size)

    @property
    def row_bytes(self) -> int:
        return (self.blocks + 1) // 2

    def nbytes(self) -> int:
        return sum(rows for _, rows in self.streams) * self.row_bytes

    def chunks(self, seed: int) -> Iterator[np.ndarray]:
        for stream, rows in self.streams:
            bits = _generator(seed, stream, "zero_points")
            step = _rows_per_chunk(self.blocks)
            for start in range(0, rows, step):
                count = min(step, rows - start)
                points = (_random_bytes(bits, count * self.blocks) % 3 + 7).reshape(count, self.blocks)
                if self.blocks % 2:  # the last byte of a row holds one value; its high nibble stays 0
                    points = np.concatenate([points, np.zeros((count, 1), np.uint8)], axis=1)
                yield (points[:, 0::2] | (points[:, 1::2] << 4)).astype(np.uint8).reshape(-1)


@dataclass(frozen=True)
class UniformEmbedding:
    """Unquantized embedding table [rows, cols] in the io dtype: uniform values with unit variance."""

    name: str
    rows: int
    cols: int
    dtype: str

    def nbytes(self) -> int:
        return self.rows * self.cols * np.dtype(_NUMPY_DTYPES[self.dtype]).itemsize

    def chunks(self, seed: int) -> Iterator[np.ndarray]:
        bits = _generator(seed, self.name, "embedding")
        scale = np.float32(math.sqrt(3.0) / 32768)
        step = _rows_per_chunk(self.cols * 4)
        for start in range(0, self.rows, step):
            count = min(step, self.rows - start) * self.cols
            values = bits.random_raw((count + 3) // 4).view(np.int16)[:count].astype(np.float32) * scale
            yield values.astype(_NUMPY_DTYPES[self.dtype])


@dataclass(frozen=True)
class Filled:
    """A tensor of one repeated value (norm weights of 1, biases of 0)."""

    count: int
    value: float
    dtype: str

    def nbytes(self) -> int:
        return self.count * np.dtype(_NUMPY_DTYPES[self.dtype]).itemsize

    def chunks(self, seed: int) -> Iterator[np.ndarray]:
        step = _rows_per_chunk(np.dtype(_NUMPY_DTYPES[self.dtype]).itemsize)
        for start in range(0, self.count, step):
            yield np.full(min(step, self.count - start), self.value, dtype=_NUMPY_DTYPES[self.dtype])


@dataclass(frozen=True)
class RotaryCache:
    """cos or sin cache [length, rotary_dim/2], computed as the builder does (float32, then cast)."""

    function: str  # "cos" or "sin"
    length: int
    rotary_dim: int
    theta: float
    dtype: str

    def nbytes(self) -> int:
        return self.length * (self.rotary_dim // 2) * np.dtype(_NUMPY_DTYPES[self.dtype]).itemsize

    def chunks(self, seed: int) -> Iterator[np.ndarray]:
        exponents = np.arange(0, self.rotary_dim, 2, dtype=np.int64).astype(np.float32) / np.float32(
            self.rotary_dim
        )
        inv_freq = (np.float32(1.0) / (np.float32(self.theta) ** exponents)).astype(np.float32)
        apply = np.cos if self.function == "cos" else np.sin
        step = _rows_per_chunk(self.rotary_dim // 2 * 4)
        for start in range(0, self.length, step):
            positions = np.arange(start, min(start + step, self.length), dtype=np.int64).astype(np.float32)
            yield apply(np.outer(positions, inv_freq)).astype(_NUMPY_DTYPES[self.dtype]).reshape(-1)


Content = Int4Weight | Int4Scales | Int4ZeroPoints | UniformEmbedding | Filled | RotaryCache


class BinarySink(Protocol):
    def write(self, data: bytes | bytearray | memoryview, /) -> int: ...


def stream_content(
    content: Content, *, seed: int, sink: BinarySink, on_bytes: Callable[[int], None] | None = None
) -> int:
    """Write ``content`` to ``sink`` chunk by chunk; returns the bytes written (== content.nbytes())."""
    written = 0
    for chunk in content.chunks(seed):
        data = np.ascontiguousarray(chunk).view(np.uint8).reshape(-1)
        sink.write(data.data)  # a memoryview of the chunk: no copy
        written += data.size
        if on_bytes is not None:
            on_bytes(data.size)
    expected = content.nbytes()
    if written != expected:  # a bug in a content class, not a user error
        raise RuntimeError(f"{type(content).__name__} wrote {written} bytes, expected {expected}")
    return written
