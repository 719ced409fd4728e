"""Does the telemetry sampler perturb the measurement? CPU cost and GIL interference of the 10 ms sampler.

This measures the in-process sampler *thread* (what a fake NVML module object still gets; what every run
got before the sampler process, bench/telemetry/worker.py). The acceptance check of the sampler process
is benchmarks/telemetry_on_off.py.

Part 1, CPU cost: the process's CPU seconds per wall second while the main thread sleeps inside a
``generation`` phase, for: no phase at all (idle), the host-only probe set (provider cpu), and the full
NVML probe set (provider cuda) over the scripted fake NVML from tests/telemetry/fake_nvml.py. The fake
costs only Python time (no driver), so this is the sampler's Python cost: the part that holds the GIL.

Part 2, GIL interference: a main thread that never releases the GIL (a pure-Python loop, the worst case)
timed with and without the sampler running, rounds alternating.

Part 3, the real thing: decode tokens/s of a tiny synthetic twin on onnxruntime-genai's CPU build, with the
generation phase tracked by the full fake-NVML probe set vs not tracked, rounds alternating.

    PYTHONPATH=. .venv/bin/python benchmarks/telemetry_overhead.py [--seconds 5] [--interval-ms 10]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from contextlib import nullcontext
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/ holds the fake NVML

from bench.telemetry.api import PointShape
from bench.telemetry.session import create_telemetry
from bench.telemetry.types import Figure
from tests.telemetry.fake_nvml import GIB, FakeGpu, FakeNvml

SHAPE = PointShape(prompt_tokens=128, batch_size=1, output_tokens=64)
BANDWIDTH = Figure.of(1.0, "GB/s", "unused")


def telemetry(provider: str, interval_s: float) -> tuple[Any, FakeNvml]:
    """A loaded session on a scripted GPU whose process list holds this process (as on Linux/TCC)."""
    gpu = FakeGpu(compute_processes=[(os.getpid(), 6 * GIB), (4242, GIB)])
    fake = FakeNvml([gpu])
    t = create_telemetry(
        provider=provider, nvml=fake, interval_s=interval_s, host_bandwidth=lambda: BANDWIDTH
    )
    with t.track_load():
        pass
    return t, fake


def cpu_seconds_per_second(manager: Any, seconds: float) -> tuple[float, int]:
    start_cpu, start = time.process_time(), time.perf_counter()
    with manager as probe:
        time.sleep(seconds)
    cpu, wall = time.process_time() - start_cpu, time.perf_counter() - start
    samples = probe.sample.samples if probe is not None and probe.sample is not None else 0
    return cpu / wall, samples


def part1(seconds: float, interval_s: float) -> None:
    print(f"## Part 1: CPU cost, {seconds:g} s phases, interval {interval_s * 1000:g} ms (median of 3)")
    print("| probe set | CPU ms per s | above idle ms per s | readings | µs per reading |")
    print("|---|---:|---:|---:|---:|")
    idle = statistics.median(cpu_seconds_per_second(nullcontext(), seconds)[0] for _ in range(3))
    print(f"| none (idle) | {idle * 1000:.2f} | – | – | – |")
    for provider, label in (
        ("cpu", "host only (provider cpu)"),
        ("cuda", "NVML + host (provider cuda, fake NVML)"),
    ):
        t, _ = telemetry(provider, interval_s)
        runs = [cpu_seconds_per_second(t.track_phase("generation", point=SHAPE), seconds) for _ in range(3)]
        t.close()
        cost = statistics.median(r[0] for r in runs)
        readings = statistics.median(r[1] for r in runs)
        per_reading = (cost - idle) * seconds / readings * 1e6
        above = (cost - idle) * 1000
        print(f"| {label} | {cost * 1000:.2f} | {above:.2f} | {readings:.0f} | {per_reading:.0f} |")


def busy_loop(iterations: int) -> float:
    start = time.perf_counter()
    total = 0
    for i in range(iterations):
        total += i * i
    return time.perf_counter() - start


def part2(rounds: int, interval_s: float) -> None:
    t, _ = telemetry("cuda", interval_s)
    iterations = 3_000_000
    busy_loop(iterations)
    bare, tracked = [], []
    for index in range(rounds):
        for side in ("bare", "tracked") if index % 2 == 0 else ("tracked", "bare"):
            if side == "bare":
                bare.append(busy_loop(iterations))
            else:
                with t.track_phase("generation", point=SHAPE):
                    tracked.append(busy_loop(iterations))
    t.close()
    b, s = statistics.median(bare), statistics.median(tracked)
    print(f"\n## Part 2: GIL interference, pure-Python loop holding the GIL, {rounds} rounds each")
    print("| main thread | median s | slowdown |")
    print("|---|---:|---:|")
    print(f"| alone | {b:.4f} | – |")
    print(f"| with the sampler (NVML + host) | {s:.4f} | {100 * (s / b - 1):+.2f} % |")


def part3(rounds: int, interval_s: float, ref: str) -> None:
    import onnxruntime_genai as og

    from bench.engine.genai import load_model, measure_repetition
    from bench.models.refs import resolve_model
    from bench.prompts import make_prompt

    resolved = resolve_model(ref, provider="cpu")
    loaded = load_model(og, resolved.path, provider="cpu")
    prompt = make_prompt(
        source="random",
        tokenizer=loaded.tokenizer,
        token_range=resolved.prompt_token_range,
        batch_size=SHAPE.batch_size,
        prompt_tokens=SHAPE.prompt_tokens,
        seed=0,
    )
    sides: dict[str, Any] = {
        "not tracked": None,
        "tracked as provider cpu (what a CPU run does)": telemetry("cpu", interval_s)[0],
        "tracked with the NVML + host sampler (fake NVML)": telemetry("cuda", interval_s)[0],
    }

    def once(t: Any) -> float:
        phase = (lambda: t.track_phase("generation", point=SHAPE)) if t is not None else nullcontext
        timing = measure_repetition(
            loaded,
            prompt_ids=prompt.ids,
            prompt_texts=prompt.texts,
            output_tokens=SHAPE.output_tokens,
            generation_phase=phase,
        )
        rate = timing.metrics()["decode_tokens_per_s"]
        assert isinstance(rate, float)
        return rate

    rates: dict[str, list[float]] = {name: [] for name in sides}
    names = list(sides)
    for _ in range(3):
        for t in sides.values():
            once(t)
    for index in range(rounds):
        order = names[index % len(names) :] + names[: index % len(names)]  # rotate: drift hits every side
        for name in order:
            rates[name].append(once(sides[name]))
    for t in sides.values():
        if t is not None:
            t.close()
    base = statistics.median(rates["not tracked"])
    print(
        f"\n## Part 3: {ref} on the CPU build, prompt {SHAPE.prompt_tokens}, output {SHAPE.output_tokens}, "
        f"{rounds} rounds each"
    )
    print("| generation phase | decode tok/s median | ratio |")
    print("|---|---:|---:|")
    for name in names:
        median = statistics.median(rates[name])
        print(f"| {name} | {median:.1f} | {median / base:.4f} |")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--interval-ms", type=float, default=10.0)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--model", default="twin:mistral-nemo-12b:tiny")
    parser.add_argument("--skip-decode", action="store_true")
    args = parser.parse_args()
    interval = args.interval_ms / 1000
    part1(args.seconds, interval)
    part2(args.rounds, interval)
    if not args.skip_decode:
        part3(args.rounds, interval, args.model)


if __name__ == "__main__":
    main()
