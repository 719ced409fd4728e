"""The shipped corpus and tokenizer."""

from __future__ import annotations

import json

from bench.prompts import corpus_text
from bench.twins import tokenizer


def test_corpus_is_large_and_attributed() -> None:
    text = corpus_text()

    assert len(text) >= 200_000
    assert "Python Software Foundation License" in text.splitlines()[0]
    assert "Python Software Foundation" in (tokenizer.DATA_DIR / "README.md").read_text(encoding="utf-8")


def test_shipped_tokenizer_has_the_documented_vocabulary() -> None:
    shipped = tokenizer.shipped_tokenizer()
    specials = {
        token_id: token.content
        for token_id, token in shipped.get_added_tokens_decoder().items()
        if token.special
    }

    assert shipped.get_vocab_size(with_added_tokens=True) == tokenizer.VOCAB_SIZE
    assert specials == dict(enumerate(tokenizer.SPECIAL_TOKENS))
    low, high = tokenizer.PROMPT_TOKEN_RANGE
    assert (low, high) == (len(specials), tokenizer.VOCAB_SIZE)


def test_any_text_encodes_inside_the_prompt_range() -> None:
    ids = tokenizer.shipped_tokenizer().encode("emoji 🧪, tabs\t, ümlauts, 中文").ids
    low, high = tokenizer.PROMPT_TOKEN_RANGE

    assert ids and all(low <= token_id < high for token_id in ids)


def test_config_names_the_special_tokens() -> None:
    config = json.loads((tokenizer.DATA_DIR / "tokenizer_config.json").read_text(encoding="utf-8"))

    assert (config["bos_token"], config["eos_token"], config["pad_token"]) == ("<s>", "</s>", "<pad>")


def test_shipped_tokenizer_is_reproducible_from_the_corpus(tmp_path) -> None:
    tokenizer.regenerate(tmp_path, corpus=corpus_text())

    for name in ("corpus.txt", *tokenizer.TOKENIZER_FILES):
        assert (tmp_path / name).read_bytes() == (tokenizer.DATA_DIR / name).read_bytes(), name
