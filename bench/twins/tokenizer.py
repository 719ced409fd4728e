"""The twins' tokenizer: a byte-level BPE trained offline on a corpus that ships with bench.

The corpus (``bench/data/corpus.txt``) is the text of Python's ``pydoc_data.topics`` (PSF licence,
see bench/data/README.md); it also feeds the runner's "corpus" prompts (``bench.prompts.corpus_text``
reads it, for both). The trained tokenizer is
committed (``bench/data/tokenizer.json`` and ``tokenizer_config.json``) so twins never retrain;
``python -m bench.twins.tokenizer`` regenerates all three files.

Ids 0..3 are the special tokens ``<pad> <s> </s> <unk>``; every id from 4 up to the vocabulary size
is an ordinary token (``PROMPT_TOKEN_RANGE``). Byte-level BPE covers every byte, so any text
encodes without unknown tokens. Its vocabulary (4096) is no larger than any twin's model
vocabulary, so every id it produces is valid for every twin.
"""

from __future__ import annotations

import json
import shutil
from functools import lru_cache
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json")

VOCAB_SIZE = 4096
SPECIAL_TOKENS = ("<pad>", "<s>", "</s>", "<unk>")
PAD_TOKEN_ID, BOS_TOKEN_ID, EOS_TOKEN_ID, UNK_TOKEN_ID = range(4)
PROMPT_TOKEN_RANGE = (len(SPECIAL_TOKENS), VOCAB_SIZE)  # [low, high): ids safe to draw for prompts


def corpus_text_from_pydoc() -> str:
    """The corpus as regenerated from the running Python's ``pydoc_data.topics`` (sorted by topic)."""
    from pydoc_data.topics import topics

    header = (
        "# Text of the Python documentation topics (pydoc_data.topics), Python Software Foundation "
        "License Version 2.\n"
    )
    return header + "\n\n".join(topics[name].strip() for name in sorted(topics)) + "\n"


def tokenizer_config() -> dict[str, object]:
    """``tokenizer_config.json`` in the form transformers writes for a fast tokenizer."""
    return {
        "add_bos_token": False,
        "add_eos_token": False,
        "bos_token": "<s>",
        "clean_up_tokenization_spaces": False,
        "eos_token": "</s>",
        "model_max_length": 1_000_000,
        "pad_token": "<pad>",
        "tokenizer_class": "PreTrainedTokenizerFast",
        "unk_token": "<unk>",
    }


def train_tokenizer(text: str, *, vocab_size: int = VOCAB_SIZE):  # -> tokenizers.Tokenizer
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    tokenizer = Tokenizer(models.BPE(unk_token="<unk>"))
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=list(SPECIAL_TOKENS),
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tokenizer.train_from_iterator(text.splitlines(keepends=True), trainer=trainer)
    return tokenizer


def regenerate(data_dir: Path = DATA_DIR, *, corpus: str | None = None) -> None:
    """Rewrite corpus.txt (from pydoc unless given), tokenizer.json and tokenizer_config.json."""
    from bench.atomic import atomic_write_text

    text = corpus if corpus is not None else corpus_text_from_pydoc()
    atomic_write_text(data_dir / "corpus.txt", text)
    tokenizer = train_tokenizer(text)
    atomic_write_text(data_dir / "tokenizer.json", tokenizer.to_str(pretty=True) + "\n")
    atomic_write_text(data_dir / "tokenizer_config.json", json.dumps(tokenizer_config(), indent=2) + "\n")


def copy_tokenizer(destination: Path) -> None:
    for name in TOKENIZER_FILES:
        shutil.copyfile(DATA_DIR / name, destination / name)


@lru_cache(maxsize=1)
def shipped_tokenizer():  # -> tokenizers.Tokenizer
    from tokenizers import Tokenizer

    return Tokenizer.from_file(str(DATA_DIR / "tokenizer.json"))


if __name__ == "__main__":
    regenerate()
    print(f"wrote {', '.join(('corpus.txt', *TOKENIZER_FILES))} in {DATA_DIR}")
