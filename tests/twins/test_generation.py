"""End to end: onnxruntime-genai (CPU) loads tiny twins and generates exactly what was asked."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from bench.models.refs import ResolvedModel, resolve_model

FAMILIES = ("mistral-nemo-12b", "nemotron-mini-4b")


def _load(genai, path: Path):
    config = genai.Config(str(path))
    config.clear_providers()  # CPU, whatever provider the graph was shaped for
    return genai.Model(config)


def _generate(genai, model, prompt: np.ndarray, new_tokens: int) -> tuple[np.ndarray, bool]:
    """Greedy generation forced to ``new_tokens``: the new ids [B, N] and whether all logits were finite."""
    batch, prompt_len = prompt.shape
    params = genai.GeneratorParams(model)
    length = prompt_len + new_tokens
    params.set_search_options(max_length=length, min_length=length, batch_size=batch, do_sample=False)
    generator = genai.Generator(model, params)
    generator.append_tokens(prompt)
    finite = True
    while not generator.is_done():
        # Logits of the step about to be sampled. Read before the step: in genai 0.18, get_logits()
        # after the last step makes is_done() false again.
        finite = finite and bool(np.isfinite(generator.get_logits()).all())
        generator.generate_next_token()
    sequences = np.stack([generator.get_sequence(row) for row in range(batch)])
    assert sequences.shape[1] == length  # every row got the full length, no early stop
    return sequences[:, prompt_len:], finite


def _prompt(resolved: ResolvedModel, batch: int, length: int, seed: int = 0) -> np.ndarray:
    low, high = resolved.prompt_token_range
    return np.random.default_rng(seed).integers(low, high, size=(batch, length)).astype(np.int32)


@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize(("batch", "new_tokens"), [(1, 1), (1, 7), (2, 5)])
def test_generates_exactly_the_requested_number_of_tokens(
    genai, tiny_twins, family, batch, new_tokens
) -> None:
    resolved = tiny_twins[family]
    model = _load(genai, resolved.path)

    new, finite = _generate(genai, model, _prompt(resolved, batch, 12), new_tokens)

    assert new.shape == (batch, new_tokens)
    assert finite
    assert ((new >= 0) & (new < resolved.identity.architecture.vocab_size)).all()


@pytest.mark.parametrize("family", FAMILIES)
def test_exact_length_even_when_eos_is_generated(genai, tiny_twins, family) -> None:
    resolved = tiny_twins[family]
    prompt = _prompt(resolved, 1, 8)
    first, _ = _generate(genai, _load(genai, resolved.path), prompt, 1)
    eos = int(first[0, 0])
    # Declare the first greedy token to be end-of-sequence: the search must still not stop early
    # (min_length keeps the end-of-sequence token from being chosen until the length is reached).
    config = genai.Config(str(resolved.path))
    config.clear_providers()
    config.overlay(json.dumps({"model": {"eos_token_id": eos}}))

    new, _ = _generate(genai, genai.Model(config), prompt, 6)

    assert new.shape == (1, 6)
    assert eos not in new


@pytest.mark.parametrize("family", FAMILIES)
def test_twin_tokenizer_round_trips_text(genai, tiny_twins, family) -> None:
    model = _load(genai, tiny_twins[family].path)
    tokenizer = genai.Tokenizer(model)
    text = "def area(r):\n    return 3.14159 * r ** 2  # naïve"

    ids = tokenizer.encode(text)

    low, high = tiny_twins[family].prompt_token_range
    assert ((ids >= low) & (ids < high)).all()
    assert tokenizer.decode(ids) == text


@pytest.mark.parametrize("family", FAMILIES)
def test_fused_and_separate_rotary_graphs_compute_the_same_tokens(genai, family) -> None:
    """cuda-shaped (packed q/k/v, rotary inside attention) and dml-shaped (separate q/k/v and
    RotaryEmbedding nodes) twins of one seed hold the same weights, so they must agree."""
    cuda_twin = resolve_model(f"twin:{family}:tiny", provider="cuda")
    dml_twin = resolve_model(f"twin:{family}:tiny", provider="dml")
    assert cuda_twin.path != dml_twin.path
    prompt = _prompt(cuda_twin, 2, 10, seed=3)

    cuda_tokens, cuda_finite = _generate(genai, _load(genai, cuda_twin.path), prompt, 6)
    dml_tokens, dml_finite = _generate(genai, _load(genai, dml_twin.path), prompt, 6)

    assert cuda_finite and dml_finite
    np.testing.assert_array_equal(cuda_tokens, dml_tokens)


@pytest.mark.parametrize(
    "options", ["block_size=32,quant=sym", "block_size=64,quant=asym,seed=9", "dtype=float16"]
)
def test_twin_options_load_and_generate(genai, options) -> None:
    resolved = resolve_model(f"twin:nemotron-mini-4b:tiny:{options}")

    new, finite = _generate(genai, _load(genai, resolved.path), _prompt(resolved, 1, 6), 3)

    assert new.shape == (1, 3)
    assert finite
