"""Does bench distort what it measures? bench vs a bare onnxruntime-genai loop, alternating, one process.

Part 1: the same point (default: twin:mistral-nemo-12b:small, prompt 128, batch 1, output 64) measured
alternately through bench's timing path (``bench.engine.genai.measure_repetition`` with the runner's
telemetry phases, exactly as ``bench run`` calls it) and through a bare loop written the way the
onnxruntime-genai examples time generation. Reports medians and the bench/bare ratios of decode tokens/s
and TTFT. Rounds alternate (A B A B ...) so drift hits both sides alike.

Part 2: a whole sweep through ``bench.runner.run_scenario`` (default: ci-gate): wall time against the sum of
the measured generation time (warmups included), i.e. the harness overhead per point.

    .venv/bin/python benchmarks/harness_overhead.py [--rounds 30] [--scenario ci-gate]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import onnxruntime_genai as og

from bench.catalogue import search_dirs
from bench.engine.genai import load_model, measure_repetition
from bench.models.refs import resolve_model
from bench.prompts import make_prompt
from bench.runner import RunRequest, run_scenario
from bench.scenarios import find_scenario, load_scenario
from bench.telemetry.api import PointShape
from bench.telemetry.session import create_telemetry


def bare_loop(model: og.Model, ids: np.ndarray, output_tokens: int) -> tuple[float, float]:
    """The onnxruntime-genai example way: TTFT (ms) and decode tokens/s of one request."""
    batch, prompt = ids.shape
    params = og.GeneratorParams(model)
    params.set_search_options(
        max_length=prompt + output_tokens,
        min_length=prompt + output_tokens,
        batch_size=batch,
        do_sample=False,
    )
    generator = og.Generator(model, params)
    start = time.perf_counter_ns()
    generator.append_tokens(ids)
    generator.generate_next_token()
    first = time.perf_counter_ns()
    while not generator.is_done():
        generator.generate_next_token()
    end = time.perf_counter_ns()
    return (first - start) / 1e6, batch * (output_tokens - 1) / ((end - first) / 1e9)


def part1(*, ref: str, prompt_tokens: int, batch: int, output_tokens: int, rounds: int) -> None:
    resolved = resolve_model(ref, provider="cpu")
    loaded = load_model(og, resolved.path, provider="cpu")
    prompt = make_prompt(
        source="random",
        tokenizer=loaded.tokenizer,
        token_range=resolved.prompt_token_range,
        batch_size=batch,
        prompt_tokens=prompt_tokens,
        seed=0,
    )
    telemetry = create_telemetry(provider="cpu", device_id=0, interval_s=0.010, enabled=True)
    shape = PointShape(prompt_tokens, batch, output_tokens)
    for _ in range(3):  # warm both paths
        bare_loop(loaded.model, prompt.ids, output_tokens)
        measure_repetition(
            loaded, prompt_ids=prompt.ids, prompt_texts=prompt.texts, output_tokens=output_tokens
        )
    bench_ttft, bench_decode, bare_ttft, bare_decode = [], [], [], []
    for index in range(rounds):
        order = ("bench", "bare") if index % 2 == 0 else ("bare", "bench")
        for side in order:
            if side == "bare":
                ttft, decode = bare_loop(loaded.model, prompt.ids, output_tokens)
                bare_ttft.append(ttft)
                bare_decode.append(decode)
            else:
                timing = measure_repetition(
                    loaded,
                    prompt_ids=prompt.ids,
                    prompt_texts=prompt.texts,
                    output_tokens=output_tokens,
                    setup_phase=lambda: telemetry.track_phase("generator_setup", point=shape),
                    generation_phase=lambda: telemetry.track_phase("generation", point=shape),
                )
                metrics = timing.metrics()
                bench_ttft.append(metrics["ttft_ms"])
                bench_decode.append(metrics["decode_tokens_per_s"])
    telemetry.close()
    med = statistics.median
    print(
        f"## Part 1: {ref}, prompt {prompt_tokens}, batch {batch}, output {output_tokens}, "
        f"{rounds} rounds each"
    )
    print("| path | TTFT median ms | decode median tok/s |")
    print("|---|---:|---:|")
    print(f"| bare onnxruntime-genai loop | {med(bare_ttft):.3f} | {med(bare_decode):.1f} |")
    print(f"| bench (timing path + telemetry phases) | {med(bench_ttft):.3f} | {med(bench_decode):.1f} |")
    print(
        f"| ratio bench/bare | {med(bench_ttft) / med(bare_ttft):.4f} | "
        f"{med(bench_decode) / med(bare_decode):.4f} |"
    )


def part2(*, scenario: str) -> None:
    loaded = load_scenario(find_scenario(scenario, search_dirs=search_dirs("scenarios")))
    with tempfile.TemporaryDirectory() as out:
        request = RunRequest(scenario=loaded.scenario, source=loaded.source, out_dir=Path(out))
        # Resolve (build/cache) the twins first so the timed sweep measures the harness, not the builder.
        for model in loaded.scenario.models:
            resolve_model(model, provider="cpu")
        start = time.perf_counter()
        outcome = run_scenario(request, command=["benchmarks/harness_overhead.py"])
        wall = time.perf_counter() - start
    document = outcome.document
    warm, reps = loaded.scenario.warmup, loaded.scenario.repetitions
    measured = sum(
        sum(p.metrics["e2e_latency_ms"].samples) / 1000 * (1 + warm / p.repetitions) for p in document.points
    )
    load = sum(s.metrics["model_load_s"].samples[0] for s in document.sessions)
    points = len(document.points)
    overhead = wall - measured - load
    print(f"\n## Part 2: sweep `{scenario}`: {points} points, {warm} warmups + {reps} repetitions each")
    print(
        "| wall s | generation s (reps + warmups, est.) | model load s | harness overhead s | per point ms |"
    )
    print("|---:|---:|---:|---:|---:|")
    print(f"| {wall:.2f} | {measured:.2f} | {load:.2f} | {overhead:.2f} | {overhead / points * 1000:.0f} |")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--model", default="twin:mistral-nemo-12b:small")
    parser.add_argument("--prompt-tokens", type=int, default=128)
    parser.add_argument("--batch", type=int, default=1)
    parser.add_argument("--output-tokens", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--scenario", default="ci-gate")
    args = parser.parse_args()
    part1(
        ref=args.model,
        prompt_tokens=args.prompt_tokens,
        batch=args.batch,
        output_tokens=args.output_tokens,
        rounds=args.rounds,
    )
    part2(scenario=args.scenario)


if __name__ == "__main__":
    main()
