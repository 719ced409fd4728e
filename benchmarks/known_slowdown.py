"""How much slower is the known-slowdown twin? Bare-loop timing, both models in one process, interleaved.

The proof of ``bench ab`` (docs/STATISTICS.md, "Interleaved A/B") needs a candidate that is truly slower
by a known amount: the small twin with a wider MLP (``ffn=N``; ``twin:mistral-nemo-12b:small:ffn=5056``
has a 23 % wider MLP than the preset's 4096, about 14 % more INT4 weights per decode step: decode x1.08,
TTFT x1.11 on this CPU, quiet. The step is not linear in the width (cache sizes): ffn=4864 measured
x1.055, ffn=5248 x1.17). This script measures the real slowdown with the bare
onnxruntime-genai loop of ``benchmarks/harness_overhead.py`` (no bench
timing path): both models loaded once, pairs A B / B A alternating, and reports the median of the pair
ratios (candidate / baseline) of decode time per token and TTFT with a 95 % bootstrap interval.

    .venv/bin/python benchmarks/known_slowdown.py [--pairs 200] [--ffn 5056] [--output 16]
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np
import onnxruntime_genai as og

from bench.engine.genai import load_model
from bench.models.refs import resolve_model
from bench.prompts import make_prompt


def bare_loop(model: og.Model, ids: np.ndarray, output_tokens: int) -> tuple[float, float]:
    """TTFT (ms) and decode ms per step of one request, timed the way the onnxruntime-genai examples do."""
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
    return (first - start) / 1e6, (end - first) / 1e6 / (output_tokens - 1)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--family", default="mistral-nemo-12b")
    parser.add_argument("--size", default="small")
    parser.add_argument("--ffn", type=int, default=5056)
    parser.add_argument("--pairs", type=int, default=200)
    parser.add_argument("--prompt", type=int, default=64)
    parser.add_argument("--batch", type=int, default=1)
    parser.add_argument("--output", type=int, default=32)
    args = parser.parse_args()

    refs = (f"twin:{args.family}:{args.size}", f"twin:{args.family}:{args.size}:ffn={args.ffn}")
    models, prompts = [], []
    for ref in refs:
        resolved = resolve_model(ref, provider="cpu")
        loaded = load_model(og, resolved.path, provider="cpu")
        prompt = make_prompt(
            source="random",
            tokenizer=loaded.tokenizer,
            token_range=resolved.prompt_token_range,
            batch_size=args.batch,
            prompt_tokens=args.prompt,
            seed=0,
        )
        models.append(loaded.model)
        prompts.append(prompt.ids)
        if resolved.identity.quantization is not None:
            print(f"{ref}: {resolved.identity.quantization.matmul_weight_bytes / 1e6:.1f} MB of INT4 weights")
    for _ in range(3):
        for model, ids in zip(models, prompts, strict=True):
            bare_loop(model, ids, args.output)
    ttft = np.empty((args.pairs, 2))
    tpot = np.empty((args.pairs, 2))
    start = time.perf_counter()
    for pair in range(args.pairs):
        for side in (0, 1) if pair % 2 == 0 else (1, 0):
            ttft[pair, side], tpot[pair, side] = bare_loop(models[side], prompts[side], args.output)
    wall = time.perf_counter() - start
    rng = np.random.default_rng(0)
    print(
        f"{args.pairs} pairs A B / B A, prompt {args.prompt}, batch {args.batch}, output {args.output}; "
        f"{wall:.0f} s; load average {os.getloadavg()[0]:.2f}"
        if hasattr(os, "getloadavg")
        else ""
    )
    for name, values in (("decode ms/step", tpot), ("ttft_ms", ttft)):
        ratios = values[:, 1] / values[:, 0]
        boot = np.median(rng.choice(ratios, size=(5000, ratios.size)), axis=1)
        low, high = np.percentile(boot, [2.5, 97.5])
        medians = np.median(values, axis=0)
        print(
            f"{name}: baseline median {medians[0]:.3f}, candidate {medians[1]:.3f}; "
            f"median pair ratio {np.median(ratios):.4f} [95 % CI {low:.4f}, {high:.4f}]"
        )


if __name__ == "__main__":
    main()
