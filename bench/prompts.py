"""Prompts of an exact token count, reproducible from the scenario seed.

``random``: token ids drawn uniformly inside the tokenizer's ordinary vocabulary (no special tokens).
``corpus``: the bundled text corpus tokenized with the model's tokenizer and cut to the exact count;
each sequence of a batch starts at a different seeded offset.

The ids are what the generator is fed, so the prompt length is exact. The matching text (the ids
decoded once, up front) is what the timed tokenization step encodes.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

import numpy as np

from bench.errors import BenchError


@dataclass(frozen=True)
class Prompt:
    ids: np.ndarray  # int32 [batch, tokens]
    texts: list[str]


@lru_cache(maxsize=1)
def corpus_text() -> str:
    try:
        return resources.files("bench").joinpath("data/corpus.txt").read_text(encoding="utf-8")
    except FileNotFoundError:
        raise BenchError(
            "the bundled corpus bench/data/corpus.txt is missing", field="prompt.source"
        ) from None


def _corpus_ids(tokenizer: Any) -> np.ndarray:
    ids = np.asarray(tokenizer.encode(corpus_text()), dtype=np.int32)
    if ids.size < 2:
        raise BenchError("the corpus tokenized to fewer than 2 tokens", field="prompt.source")
    return ids


def make_prompt(
    *,
    source: str,
    tokenizer: Any,
    token_range: tuple[int, int],
    batch_size: int,
    prompt_tokens: int,
    seed: int,
) -> Prompt:
    """A [batch, prompt_tokens] int32 prompt; ``token_range`` is [low, high) of ordinary token ids."""
    rng = np.random.default_rng([seed, batch_size, prompt_tokens])
    if source == "random":
        low, high = token_range
        ids = rng.integers(low, high, size=(batch_size, prompt_tokens), dtype=np.int32)
    elif source == "corpus":
        corpus = _corpus_ids(tokenizer)
        repeats = -(-(prompt_tokens + corpus.size) // corpus.size)
        looped = np.tile(corpus, repeats)  # long contexts wrap around the corpus
        offsets = rng.integers(0, corpus.size, size=batch_size)
        ids = np.stack([looped[o : o + prompt_tokens] for o in offsets]).astype(np.int32)
    else:
        raise BenchError(f"unknown prompt source {source!r}", field="prompt.source", hint="random or corpus")
    texts = [tokenizer.decode(row) for row in ids]
    return Prompt(ids=np.ascontiguousarray(ids), texts=texts)
