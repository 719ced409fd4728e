from __future__ import annotations

import threading

import pytest

from bench.telemetry.sampler import Sampler


def test_polls_in_the_background_until_the_block_ends():
    ticks: list[int] = []
    polled = threading.Event()

    def poll(tick: int) -> None:
        ticks.append(tick)
        if len(ticks) >= 3:
            polled.set()

    with Sampler(poll, interval_s=0.001) as sampler:
        assert polled.wait(10), "the sampler never polled three times"
    stopped_at = len(ticks)
    assert ticks[:3] == [0, 1, 2]
    assert sampler.ticks == stopped_at  # nothing polls after exit
    assert not any(t.name == "bench-telemetry" for t in threading.enumerate())


def test_a_failing_poll_ends_sampling_and_is_kept():
    failed = threading.Event()

    def poll(tick: int) -> None:
        failed.set()
        raise RuntimeError("broken probe")

    with Sampler(poll, interval_s=0.001) as sampler:
        assert failed.wait(10)
    assert isinstance(sampler.error, RuntimeError)


def test_interval_must_be_positive():
    with pytest.raises(ValueError):
        Sampler(lambda tick: None, interval_s=0)


def test_a_slow_poll_skips_ticks_instead_of_bursting():
    calls = threading.Event()

    def slow_poll(tick: int) -> None:
        threading.Event().wait(0.02)  # 20 × the interval
        if tick >= 2:
            calls.set()

    with Sampler(slow_poll, interval_s=0.001) as sampler:
        assert calls.wait(10)
    assert sampler.skipped > 0 and sampler.ticks >= 3
