"""Build a full-size twin into the cache and measure it: build time, peak RSS, size, TTFT, decode.

    /usr/bin/time -v .venv/bin/python benchmarks/twins_full_size.py build mistral-nemo-12b
    .venv/bin/python benchmarks/twins_full_size.py measure mistral-nemo-12b --prompt 64 --new 16

``build`` reports wall time and this process's peak RSS (psutil; /usr/bin/time -v agrees) and
the folder's size; ``measure`` loads the twin with onnxruntime-genai on the CPU and times one
greedy generation: TTFT = append_tokens (prefill) + first generate_next_token, then each further
generate_next_token is one decode step. Run the two in separate processes so the build's page
cache and memory do not colour the load.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.models.refs import resolve_model


def _peak_rss_bytes() -> int:
    # ru_maxrss is KiB on Linux (bytes on macOS); this benchmark runs on Linux.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def build(family: str, provider: str) -> dict:
    started = time.perf_counter()
    resolved = resolve_model(f"twin:{family}:full", provider=provider)
    elapsed = time.perf_counter() - started
    return {
        "family": family,
        "provider": provider,
        "path": str(resolved.path),
        "build_seconds": round(elapsed, 1),
        "peak_rss_bytes": _peak_rss_bytes(),
        "bytes_on_disk": sum(resolved.identity.files.values()),
        "files": resolved.identity.files,
    }


def measure(family: str, provider: str, prompt_tokens: int, new_tokens: int) -> dict:
    import onnxruntime_genai as og

    resolved = resolve_model(f"twin:{family}:full", provider=provider, build=False)
    started = time.perf_counter()
    config = og.Config(str(resolved.path))
    config.clear_providers()
    model = og.Model(config)
    load_seconds = time.perf_counter() - started
    low, high = resolved.prompt_token_range
    prompt = np.random.default_rng(0).integers(low, high, size=(1, prompt_tokens)).astype(np.int32)
    params = og.GeneratorParams(model)
    length = prompt_tokens + new_tokens
    params.set_search_options(max_length=length, min_length=length, batch_size=1, do_sample=False)
    generator = og.Generator(model, params)
    started = time.perf_counter()
    generator.append_tokens(prompt)
    generator.generate_next_token()
    ttft = time.perf_counter() - started
    steps = []
    while not generator.is_done():
        started = time.perf_counter()
        generator.generate_next_token()
        steps.append(time.perf_counter() - started)
    return {
        "family": family,
        "prompt_tokens": prompt_tokens,
        "new_tokens": len(steps) + 1,
        "load_seconds": round(load_seconds, 2),
        "ttft_seconds": round(ttft, 3),
        "decode_step_median_ms": round(float(np.median(steps)) * 1000, 1),
        "decode_tokens_per_second": round(1 / float(np.median(steps)), 2),
        "peak_rss_bytes": _peak_rss_bytes(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=["build", "measure"])
    parser.add_argument("family")
    parser.add_argument("--provider", default="cpu")
    parser.add_argument("--prompt", type=int, default=64)
    parser.add_argument("--new", type=int, default=16)
    args = parser.parse_args()
    if args.action == "build":
        report = build(args.family, args.provider)
    else:
        report = measure(args.family, args.provider, args.prompt, args.new)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
