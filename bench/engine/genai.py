"""onnxruntime-genai behind a narrow seam.

Everything that touches ``onnxruntime_genai`` lives here and takes the module as an argument, so tests
can pass a scripted fake with the same API subset and check the timing arithmetic on known numbers.
The same functions run for CPU, CUDA and DirectML: only ``og.Config`` differs.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

from bench.errors import BenchError
from bench.telemetry.adapters import resolve_dml_adapter
from bench.telemetry.dxgi import DxgiEnumeration, enumerate_adapters
from bench.telemetry.types import DmlAdapter

Clock = Callable[[], int]
"""Monotonic nanosecond clock. ``time.perf_counter_ns`` is monotonic and the finest clock on Linux
and Windows alike."""

NS_PER_MS = 1_000_000
NS_PER_S = 1_000_000_000


class TokenCountMismatch(RuntimeError):
    """A repetition generated a different number of tokens than forced: an error, never a number."""


class Interrupted(RuntimeError):
    """A stop was requested while a repetition was running; its partial timings are discarded."""


def import_genai() -> ModuleType:
    try:
        import onnxruntime_genai as og
    except ImportError as exc:
        raise BenchError(
            f"onnxruntime-genai is not installed ({exc})",
            field="onnxruntime_genai",
            hint="pip install 'bench[cpu]' (or bench[cuda] / bench[dml]: exactly one)",
        ) from None
    return og


@dataclass
class LoadedModel:
    og: Any
    model: Any
    tokenizer: Any
    provider: str
    load_ns: int
    genai_options: dict[str, str] = field(default_factory=dict)  # the provider options genai was given
    dml_adapter: DmlAdapter | None = None  # provider dml: the adapter those options select


def load_model(
    og: Any,
    path: Path,
    *,
    provider: str,
    provider_options: dict[str, str] | None = None,
    clock: Clock = time.perf_counter_ns,
    dxgi_adapters: Callable[[], DxgiEnumeration] = enumerate_adapters,
) -> LoadedModel:
    """``og.Config`` with exactly the requested provider, then ``og.Model`` and ``og.Tokenizer``.

    Provider dml: the options name an adapter the way bench/telemetry/adapters.py describes, and
    onnxruntime-genai is given its LUID (it reads ``luid`` and ``device_index`` only, never ``device_id``).
    """
    options = dict(provider_options or {})
    adapter = None
    if provider == "dml":
        selection = resolve_dml_adapter(options, enumerate_dxgi=dxgi_adapters)
        options, adapter = selection.genai_options, selection.record()
    start = clock()
    try:
        config = og.Config(str(path))
        config.clear_providers()
        if provider != "cpu":  # no provider appended means the CPU execution provider
            config.append_provider(provider)
            for key, value in options.items():
                config.set_provider_option(provider, key, str(value))
        model = og.Model(config)
        tokenizer = og.Tokenizer(model)
    except RuntimeError as exc:
        raise BenchError(
            f"onnxruntime-genai could not load the model with provider {provider}: {exc}",
            field=str(path),
            hint="check the provider is available (`bench env`) and the folder is a complete model",
        ) from None
    return LoadedModel(
        og=og,
        model=model,
        tokenizer=tokenizer,
        provider=provider,
        load_ns=clock() - start,
        genai_options=options,
        dml_adapter=adapter,
    )


@dataclass
class RepetitionTiming:
    """Raw timings of one request, in nanoseconds, exactly as measured."""

    batch_size: int
    prompt_tokens: int
    output_tokens: int
    tokenize_ns: int
    setup_ns: int
    prefill_ns: int  # append_tokens: the whole prefill
    first_token_ns: int  # append_tokens + first generate_next_token
    step_ns: list[int] = field(default_factory=list)  # every later generate_next_token (+ get_next_tokens)
    # sha256 of every sequence's token ids (prompt + output, int32, in batch order): greedy decoding of
    # the same prompt must give the same digest in every repetition (``bench qualify`` checks it).
    output_sha256: str | None = None

    @property
    def decode_ns(self) -> int:
        return sum(self.step_ns)

    @property
    def e2e_ns(self) -> int:
        return self.tokenize_ns + self.setup_ns + self.first_token_ns + self.decode_ns

    def metrics(self) -> dict[str, float | list[float]]:
        """The stable per-repetition metrics (see bench.metrics)."""
        decoded = self.batch_size * len(self.step_ns)
        return {
            "tokenize_ms": self.tokenize_ns / NS_PER_MS,
            "kv_setup_ms": self.setup_ns / NS_PER_MS,
            "ttft_ms": self.first_token_ns / NS_PER_MS,
            "prefill_tokens_per_s": self.batch_size * self.prompt_tokens * NS_PER_S / max(self.prefill_ns, 1),
            "decode_tokens_per_s": decoded * NS_PER_S / max(self.decode_ns, 1),
            "tpot_ms": self.decode_ns / NS_PER_MS / max(len(self.step_ns), 1),
            "itl_ms": [ns / NS_PER_MS for ns in self.step_ns],
            "e2e_latency_ms": self.e2e_ns / NS_PER_MS,
        }


class StopFlag:
    """Set from a signal handler; read between decode steps (a plain attribute read)."""

    def __init__(self) -> None:
        self.requested = False
        self.reason: str | None = None

    def request(self, reason: str) -> None:
        self.requested = True
        self.reason = reason


# Search options that decide how much work one token costs. A genai_config.json may set any of them
# (beam search, penalties, n-gram blocking); bench overrides every one for every generator so the
# measured work is plain greedy decoding whatever the model folder says. Names and neutral values are
# onnxruntime-genai's own (src/config.h ``Config::Search``; ``set_search_options`` in
# src/python/python.cpp passes each keyword to the same parser as genai_config.json).
PINNED_SEARCH: dict[str, bool | int | float] = {
    "do_sample": False,  # greedy: the top logit, no top-k/top-p/temperature sampling
    "num_beams": 1,  # no beam search (beams multiply the work per token)
    "num_return_sequences": 1,
    "repetition_penalty": 1.0,  # 1.0 = no penalty pass over the logits
    "no_repeat_ngram_size": 0,  # 0 = no n-gram blocking
    "length_penalty": 1.0,  # beam-search only; neutral
    "diversity_penalty": 0.0,
    "early_stopping": False,  # beam-search only; min_length = max_length forces the length anyway
}


def search_options(*, max_length: int, batch_size: int) -> dict[str, bool | int | float]:
    """Every option bench sets on a generator: the pinned search plus the forced length and batch."""
    return {"max_length": max_length, "min_length": max_length, "batch_size": batch_size, **PINNED_SEARCH}


@dataclass(frozen=True)
class SearchCheck:
    """What ``check_search`` found: the pinned options and the model-config values they replaced."""

    pinned: dict[str, bool | int | float]
    replaced: dict[str, bool | int | float]  # the model's genai_config value for each option bench changed
    verified: bool  # False when the build cannot read options back (onnxruntime-genai < 0.13)


def check_search(loaded: LoadedModel) -> SearchCheck:
    """Pin the search options on a throw-away ``GeneratorParams`` and read them back (once per session).

    A build that refuses an option, or reads back a different value, would measure other work than
    greedy decoding: that is a ``BenchError`` before anything is measured, never a quiet number.
    """
    params = loaded.og.GeneratorParams(loaded.model)
    read_back = getattr(params, "get_search_options", None)
    before = dict(read_back()) if read_back is not None else {}
    try:
        params.set_search_options(**PINNED_SEARCH)
    except (RuntimeError, TypeError) as exc:
        raise BenchError(
            f"onnxruntime-genai refused bench's pinned search options ({exc})",
            field="genai_config.json search",
            hint="use onnxruntime-genai >= 0.8, or remove the option from the model's genai_config.json",
        ) from None
    if read_back is None:
        return SearchCheck(pinned=dict(PINNED_SEARCH), replaced={}, verified=False)
    after = dict(read_back())
    wrong = {k: after.get(k) for k, v in PINNED_SEARCH.items() if k in after and not _same(after[k], v)}
    if wrong:
        listed = ", ".join(f"{k}={v!r}" for k, v in wrong.items())
        raise BenchError(
            f"the model's search configuration cannot be overridden ({listed} after setting "
            "greedy decoding): the measured work would not be one greedy token per step",
            field="genai_config.json search",
            hint="set these search options to their neutral values in the model's genai_config.json",
        )
    replaced = {
        k: _as_pinned_type(before[k], v)
        for k, v in PINNED_SEARCH.items()
        if k in before and not _same(before[k], v)
    }
    return SearchCheck(pinned=dict(PINNED_SEARCH), replaced=replaced, verified=True)


def _as_pinned_type(read: Any, pinned: bool | int | float) -> bool | int | float:
    # genai keeps floats as float32: 1.3 reads back as 1.2999999523, recorded as 1.3
    if isinstance(pinned, bool):
        return bool(read)
    return int(read) if isinstance(pinned, int) else round(float(read), 6)


def _same(read: object, pinned: bool | int | float) -> bool:
    # get_search_options returns numbers as floats (GetSearchNumber is double)
    if isinstance(pinned, bool) or isinstance(read, bool):
        return bool(read) == pinned
    return isinstance(read, (int, float)) and abs(float(read) - float(pinned)) < 1e-6


def measure_repetition(
    loaded: LoadedModel,
    *,
    prompt_ids: np.ndarray,
    prompt_texts: Sequence[str],
    output_tokens: int,
    clock: Clock = time.perf_counter_ns,
    setup_phase: Callable[[], AbstractContextManager[Any]] = nullcontext,
    generation_phase: Callable[[], AbstractContextManager[Any]] = nullcontext,
    stop: StopFlag | None = None,
) -> RepetitionTiming:
    """One request: tokenize, create the generator (KV cache), prefill, then decode every token.

    ``prompt_ids`` is int32 [batch, prompt_tokens]; the output length is forced with
    ``min_length = max_length`` and verified, and the search is pinned to greedy decoding
    (``PINNED_SEARCH``), so every repetition does exactly the same work whatever genai_config says.
    Telemetry phases are entered before the clock starts and left after it stops, so their
    start/stop cost stays outside the timings.
    """
    og, model, tokenizer = loaded.og, loaded.model, loaded.tokenizer
    batch_size, prompt_tokens = prompt_ids.shape
    max_length = prompt_tokens + output_tokens

    t0 = clock()
    tokenizer.encode_batch(list(prompt_texts))  # timed for the record; the exact ids are what we feed
    tokenize_ns = clock() - t0

    with setup_phase():
        t0 = clock()
        params = og.GeneratorParams(model)
        params.set_search_options(**search_options(max_length=max_length, batch_size=batch_size))
        generator = og.Generator(model, params)
        setup_ns = clock() - t0

    steps: list[int] = []
    with generation_phase():
        t0 = clock()
        generator.append_tokens(prompt_ids)
        t1 = clock()
        generator.generate_next_token()
        generator.get_next_tokens()
        previous = clock()
        prefill_ns, first_token_ns = t1 - t0, previous - t0
        generated = 1
        # Bounded loop: a build that ignored min_length would stop early, one that ignored max_length
        # would never be done; both are caught below instead of hanging or returning a wrong number.
        while not generator.is_done() and generated <= output_tokens:
            if stop is not None and stop.requested:
                raise Interrupted(stop.reason or "stop requested")
            generator.generate_next_token()
            generator.get_next_tokens()
            now = clock()
            steps.append(now - previous)
            previous = now
            generated += 1
        done = generator.is_done()

    if generated != output_tokens or not done:
        raise TokenCountMismatch(
            f"generated {generated} tokens per sequence{' and not done' if not done else ''}, "
            f"forced {output_tokens} (min_length = max_length = {max_length})"
        )
    digest = hashlib.sha256()
    for index in range(batch_size):
        sequence = np.asarray(generator.get_sequence(index), dtype=np.int32)
        if len(sequence) != max_length:
            raise TokenCountMismatch(f"sequence {index} has {len(sequence)} tokens, expected {max_length}")
        digest.update(sequence.tobytes())
    del generator
    return RepetitionTiming(
        batch_size=batch_size,
        prompt_tokens=prompt_tokens,
        output_tokens=output_tokens,
        tokenize_ns=tokenize_ns,
        setup_ns=setup_ns,
        prefill_ns=prefill_ns,
        first_token_ns=first_token_ns,
        step_ns=steps,
        output_sha256=digest.hexdigest(),
    )
