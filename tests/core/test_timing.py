"""The one timing code path, checked on exactly known numbers through a scripted fake genai module."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest

from bench.engine.genai import (
    Interrupted,
    StopFlag,
    TokenCountMismatch,
    load_model,
    measure_repetition,
)
from bench.errors import BenchError
from tests.fakes.fake_genai import FakeGenai, Script


def _measure(fake: FakeGenai, *, batch: int = 1, prompt: int = 4, output: int = 5, **kwargs):
    loaded = load_model(fake.module, Path("model"), provider="cpu", clock=fake.clock)
    ids = np.ones((batch, prompt), dtype=np.int32)
    return measure_repetition(
        loaded, prompt_ids=ids, prompt_texts=["x"] * batch, output_tokens=output, clock=fake.clock, **kwargs
    )


def test_metrics_follow_the_definitions_on_scripted_durations():
    fake = FakeGenai(
        Script(
            tokenize_ns=2_000_000,
            setup_ns=1_000_000,
            prefill_ns_per_token=500_000,
            first_sample_ns=100_000,
            step_ns=[4_000_000, 6_000_000],
        )
    )
    timing = _measure(fake, batch=2, prompt=8, output=5)
    metrics = timing.metrics()

    prefill_ms = 2 * 8 * 0.5  # 8 ms for 16 tokens
    assert metrics["tokenize_ms"] == pytest.approx(2.0)
    assert metrics["kv_setup_ms"] == pytest.approx(1.0)
    assert metrics["ttft_ms"] == pytest.approx(prefill_ms + 0.1)
    assert metrics["prefill_tokens_per_s"] == pytest.approx(16 / (prefill_ms / 1000))
    # 5 tokens: the first comes with the prefill, then 4 decode steps alternating 4 and 6 ms.
    assert metrics["itl_ms"] == pytest.approx([4.0, 6.0, 4.0, 6.0])
    assert metrics["tpot_ms"] == pytest.approx(5.0)
    # Batch-aware: every step yields a token for each of the 2 sequences.
    assert metrics["decode_tokens_per_s"] == pytest.approx(2 * 4 / 0.020)
    assert metrics["e2e_latency_ms"] == pytest.approx(2.0 + 1.0 + prefill_ms + 0.1 + 20.0)


def test_load_time_is_measured_once_and_provider_is_chosen_through_config():
    fake = FakeGenai(Script(load_ns=2_500_000_000, available=("cpu", "cuda")))
    loaded = load_model(fake.module, Path("m"), provider="cuda", clock=fake.clock)
    assert loaded.load_ns == 2_500_000_000
    assert fake.providers_appended == ["cuda"]
    load_model(fake.module, Path("m"), provider="cpu", clock=fake.clock)
    assert fake.providers_appended == []  # CPU: providers cleared, none appended


def test_unavailable_provider_is_a_user_error():
    fake = FakeGenai(Script(available=("cpu",)))
    with pytest.raises(BenchError, match="provider cuda"):
        load_model(fake.module, Path("m"), provider="cuda")


def test_a_generator_that_stops_early_is_an_error_not_a_number():
    fake = FakeGenai(Script(eos_after=3))
    with pytest.raises(TokenCountMismatch, match="generated 3 tokens per sequence, forced 5"):
        _measure(fake, output=5)


def test_batch_is_fed_as_one_2d_prompt_and_steps_once_per_token():
    fake = FakeGenai()
    timing = _measure(fake, batch=3, prompt=2, output=2)
    assert timing.batch_size == 3 and len(timing.step_ns) == 1


def test_stop_request_interrupts_between_decode_steps():
    fake = FakeGenai()
    stop = StopFlag()
    stop.request("SIGINT")
    with pytest.raises(Interrupted, match="SIGINT"):
        _measure(fake, output=4, stop=stop)


def test_telemetry_phases_wrap_setup_and_generation_outside_the_clock():
    fake = FakeGenai(Script(setup_ns=1_000, step_ns=1_000))
    entered: list[str] = []

    @contextmanager
    def phase(name: str):
        entered.append(f"enter {name}")
        fake.clock.advance(10_000_000)  # a slow probe must not leak into the timings
        yield
        fake.clock.advance(10_000_000)
        entered.append(f"exit {name}")

    timing = _measure(
        fake, output=3, setup_phase=lambda: phase("setup"), generation_phase=lambda: phase("gen")
    )
    assert entered == ["enter setup", "exit setup", "enter gen", "exit gen"]
    assert timing.setup_ns == 1_000
    assert timing.step_ns == [1_000, 1_000]
