"""A scripted stand-in for the ``onnxruntime_genai`` module, at the library boundary.

It implements the API subset bench uses and advances a fake nanosecond clock by scripted durations, so
the real timing code path in ``bench.engine.genai`` can be checked on exactly known numbers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import numpy as np


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
                self.options: dict[str, Any] = {}

            def set_search_options(self, **options: Any) -> None:
                self.options.update(options)

        class Generator:
            def __init__(self, model: Model, params: GeneratorParams) -> None:
                fake.clock.advance(fake.script.setup_ns)
                self.max_length = params.options["max_length"]
                self.min_length = params.options.get("min_length", 0)
                self.batch = params.options.get("batch_size", 1)
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
                    fake.clock.advance(
                        steps[fake.steps_taken % len(steps)] if isinstance(steps, list) else steps
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
