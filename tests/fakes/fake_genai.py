"""A scripted stand-in for the ``onnxruntime_genai`` module, at the library boundary.

It implements the API subset bench uses and advances a fake nanosecond clock by scripted durations, so
the real timing code path in ``bench.engine.genai`` can be checked on exactly known numbers.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np

# onnxruntime-genai's Config::Search defaults (src/config.h) for the options bench pins.
GENAI_SEARCH_DEFAULTS: dict[str, Any] = {
    "do_sample": False,
    "num_beams": 1,
    "num_return_sequences": 1,
    "repetition_penalty": 1.0,
    "no_repeat_ngram_size": 0,
    "length_penalty": 1.0,
    "diversity_penalty": 0.0,
    "early_stopping": True,
}


@dataclass
class Script:
    tokenize_ns: int = 50_000
    setup_ns: int = 200_000
    prefill_ns_per_token: int = 10_000  # per token of the whole batch
    first_sample_ns: int = 5_000
    step_ns: list[int] | int = 1_000_000  # per decode step; a list is cycled
    load_ns: int = 3_000_000_000
    eos_after: int | None = None  # ignore min_length: stop after this many tokens
    fail_on_append: str | None = None
    available: tuple[str, ...] = ("cpu",)
    # genai_config.json "search" values the fake model starts from (as genai copies Config::Search into
    # every GeneratorParams); beams and penalties make each step cost more, as they do in genai.
    config_search: dict[str, Any] = field(default_factory=dict)
    readable_search: bool = True  # get_search_options exists (onnxruntime-genai >= 0.13)
    refused_search: tuple[str, ...] = ()  # option names set_search_options rejects (an older build)
    sticky_search: tuple[str, ...] = ()  # option names whose set is ignored (cannot be overridden)
    penalty_step_ns: int = 400_000  # added per step while a repetition penalty or n-gram blocking is on


@dataclass
class FakeClock:
    now: int = 1_000

    def __call__(self) -> int:
        return self.now

    def advance(self, ns: int) -> None:
        self.now += ns


@dataclass
class FakeGenai:
    """Build with ``FakeGenai(script)``; pass ``fake.module`` where bench expects the og module."""

    script: Script = field(default_factory=Script)
    clock: FakeClock = field(default_factory=FakeClock)
    steps_taken: int = 0
    providers_appended: list[str] = field(default_factory=list)
    generator_search: list[dict[str, Any]] = field(default_factory=list)  # options of every Generator
    provider_options: dict[str, dict[str, str]] = field(default_factory=dict)

    @property
    def module(self) -> Any:
        fake = self

        class Config:
            def __init__(self, path: str) -> None:
                self.path = path

            def clear_providers(self) -> None:
                fake.providers_appended.clear()

            def append_provider(self, name: str) -> None:
                if name not in fake.script.available:
                    raise RuntimeError(f"{name} interface not available")
                fake.providers_appended.append(name)

            def set_provider_option(self, provider: str, key: str, value: str) -> None:
                fake.provider_options.setdefault(provider, {})[key] = value

        class Model:
            def __init__(self, config: Config) -> None:
                fake.clock.advance(fake.script.load_ns)
                self.search = {**GENAI_SEARCH_DEFAULTS, **fake.script.config_search}
                genai_config = Path(config.path) / "genai_config.json"
                if genai_config.is_file():  # a real folder: its "search" section, as genai reads it
                    self.search.update(json.loads(genai_config.read_text()).get("search", {}))

        class Tokenizer:
            def __init__(self, model: Model) -> None:
                pass

            def encode(self, text: str) -> np.ndarray:
                return np.frombuffer(text.encode("utf-8"), dtype=np.uint8).astype(np.int32) + 3

            def decode(self, ids: Any) -> str:
                return " ".join(str(int(i)) for i in ids)

            def encode_batch(self, texts: list[str]) -> Any:
                fake.clock.advance(fake.script.tokenize_ns)
                return SimpleNamespace(as_numpy=lambda: np.zeros((len(texts), 1), dtype=np.int32))

        class GeneratorParams:
            def __init__(self, model: Model) -> None:
                self.options: dict[str, Any] = dict(model.search)
                if fake.script.readable_search:
                    self.get_search_options = lambda: {
                        k: (v if isinstance(v, bool) else float(v)) for k, v in self.options.items()
                    }

            def set_search_options(self, **options: Any) -> None:
                for name, value in options.items():
                    if name in fake.script.refused_search:
                        raise RuntimeError(f"Unknown value: {name}")
                    if name not in fake.script.sticky_search:
                        self.options[name] = value

        class Generator:
            def __init__(self, model: Model, params: GeneratorParams) -> None:
                fake.clock.advance(fake.script.setup_ns)
                fake.generator_search.append(dict(params.options))
                self.max_length = params.options["max_length"]
                self.min_length = params.options.get("min_length", 0)
                self.batch = params.options.get("batch_size", 1)
                self.beams = int(params.options.get("num_beams", 1))
                self.penalised = (
                    params.options.get("repetition_penalty", 1.0) != 1.0
                    or params.options.get("no_repeat_ngram_size", 0) > 0
                )
                self.length = 0
                self.generated = 0
                self.appended = False

            def append_tokens(self, ids: np.ndarray) -> None:
                if fake.script.fail_on_append:
                    raise RuntimeError(fake.script.fail_on_append)
                ids = np.asarray(ids)
                if ids.ndim != 2 or ids.shape[0] != self.batch:
                    raise RuntimeError(f"expected [batch={self.batch}, S] ids, got {ids.shape}")
                fake.clock.advance(fake.script.prefill_ns_per_token * ids.size)
                self.length = ids.shape[1]
                self.appended = True

            def generate_next_token(self) -> None:
                if self.is_done():
                    raise RuntimeError("generation is done")
                if self.generated == 0:
                    fake.clock.advance(fake.script.first_sample_ns)
                else:
                    steps = fake.script.step_ns
                    step = steps[fake.steps_taken % len(steps)] if isinstance(steps, list) else steps
                    fake.clock.advance(
                        step * self.beams  # every beam decodes
                        + (fake.script.penalty_step_ns if self.penalised else 0)
                    )
                    fake.steps_taken += 1
                self.generated += 1
                self.length += 1

            def get_next_tokens(self) -> np.ndarray:
                return np.zeros(self.batch, dtype=np.int32)

            def is_done(self) -> bool:
                if fake.script.eos_after is not None and self.generated >= fake.script.eos_after:
                    return True
                return self.appended and self.length >= self.max_length

            def get_sequence(self, index: int) -> np.ndarray:
                return np.zeros(self.length, dtype=np.int32)

        return SimpleNamespace(
            Config=Config,
            Model=Model,
            Tokenizer=Tokenizer,
            GeneratorParams=GeneratorParams,
            Generator=Generator,
            is_cuda_available=lambda: "cuda" in fake.script.available,
            is_dml_available=lambda: "dml" in fake.script.available,
        )
