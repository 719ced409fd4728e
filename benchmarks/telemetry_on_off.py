"""Does telemetry change TTFT or decode tokens/s? The same point with telemetry on and off, interleaved.

Each round runs ``--reps`` repetitions per side, the sides in rotating order so drift hits each alike;
each repetition is what ``bench run`` measures (``measure_repetition`` with its generator_setup and
generation phases tracked). Sides:

- off: ``--no-telemetry`` (``DisabledTelemetry``);
- process: the full NVML + host probe set, sampled every ``--interval-ms`` by the sampler process,
  over the scripted fake NVML (tests/telemetry/fake_nvml.py, imported by path in the child): what a
  CUDA run does, on the CPU build; ``--provider cuda --nvml real`` measures the real thing on a GPU
  (benchmarks/gpu_check.sh);
- thread (with ``--with-thread``): the same probe set sampled on a thread in the measuring process, as
  bench did before the sampler process (the fake NVML costs only Python time, the part that holds the GIL);
- off again (with ``--again``): a second "off" side; its ratio to "off" is the noise floor of this machine.

Reported: per side the median TTFT and decode tokens/s over all repetitions, the ratio to "off", and
the spread of the per-round ratios (min-max over rounds). The machine this ran on is shared: repeat it.

    PYTHONPATH=. .venv/bin/python benchmarks/telemetry_on_off.py [--model twin:mistral-nemo-12b:small]
        [--rounds 12] [--reps 5] [--interval-ms 10] [--with-thread] [--again]
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/ holds the fake NVML

from bench.telemetry.api import PointShape
from bench.telemetry.session import DisabledTelemetry, create_telemetry
from bench.telemetry.types import Figure

FAKE = "tests.telemetry.fake_nvml:gpu_of_parent_process"
BANDWIDTH = Figure.of(1.0, "GB/s", "unused")


def sides(interval_s: float, with_thread: bool, real_nvml: bool, again: bool) -> dict[str, Any]:
    made: dict[str, Any] = {"off": DisabledTelemetry("cuda")}
    if again:  # an A/A side: the ratio "off again" / "off" is this machine's noise floor
        made["off again"] = DisabledTelemetry("cuda")
    made["process"] = create_telemetry(
        provider="cuda",
        nvml_factory=None if real_nvml else FAKE,
        interval_s=interval_s,
        host_bandwidth=lambda: BANDWIDTH,
    )
    if with_thread:
        from tests.telemetry.fake_nvml import gpu_of_this_process

        made["thread"] = create_telemetry(
            provider="cuda",
            nvml=gpu_of_this_process(),
            interval_s=interval_s,
            host_bandwidth=lambda: BANDWIDTH,
        )
    for telemetry in made.values():
        with telemetry.track_load():
            pass
    return made


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--model", default="twin:mistral-nemo-12b:small")
    parser.add_argument("--prompt", type=int, default=256)
    parser.add_argument("--output", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=12)
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--interval-ms", type=float, default=10.0)
    parser.add_argument("--with-thread", action="store_true")
    parser.add_argument("--again", action="store_true", help="add a second 'off' side: the noise floor")
    parser.add_argument("--provider", default="cpu", help="where the model runs: cpu (default) or cuda")
    parser.add_argument("--nvml", choices=("fake", "real"), default="fake", help="real: this machine's GPU")
    args = parser.parse_args()

    import onnxruntime_genai as og

    from bench.engine.genai import load_model, measure_repetition
    from bench.models.refs import resolve_model
    from bench.prompts import make_prompt

    shape = PointShape(prompt_tokens=args.prompt, batch_size=1, output_tokens=args.output)
    resolved = resolve_model(args.model, provider=args.provider)
    loaded = load_model(og, resolved.path, provider=args.provider)
    prompt = make_prompt(
        source="random",
        tokenizer=loaded.tokenizer,
        token_range=resolved.prompt_token_range,
        batch_size=1,
        prompt_tokens=shape.prompt_tokens,
        seed=0,
    )
    telemetries = sides(
        args.interval_ms / 1000, args.with_thread and args.nvml == "fake", args.nvml == "real", args.again
    )

    def once(telemetry: Any) -> tuple[float, float]:
        timing = measure_repetition(
            loaded,
            prompt_ids=prompt.ids,
            prompt_texts=prompt.texts,
            output_tokens=shape.output_tokens,
            setup_phase=lambda: telemetry.track_phase("generator_setup", point=shape),
            generation_phase=lambda: telemetry.track_phase("generation", point=shape),
        )
        metrics = timing.metrics()
        return float(metrics["ttft_ms"]), float(metrics["decode_tokens_per_s"])  # type: ignore[arg-type]

    names = list(telemetries)
    for name in names:  # warm-up
        for _ in range(2):
            once(telemetries[name])
    ttft: dict[str, list[list[float]]] = {name: [] for name in names}
    rate: dict[str, list[list[float]]] = {name: [] for name in names}
    for index in range(args.rounds):
        order = names[index % len(names) :] + names[: index % len(names)]
        for name in order:
            results = [once(telemetries[name]) for _ in range(args.reps)]
            ttft[name].append([r[0] for r in results])
            rate[name].append([r[1] for r in results])
    for telemetry in telemetries.values():
        telemetry.close()

    def pooled(rounds: list[list[float]]) -> float:
        return statistics.median(v for values in rounds for v in values)

    def spread(metric: dict[str, list[list[float]]], name: str) -> str:
        ratios = [
            statistics.median(a) / statistics.median(b)
            for a, b in zip(metric[name], metric["off"], strict=True)
        ]
        return f"{min(ratios):.3f}–{max(ratios):.3f}"

    print(
        f"## {args.model} on {args.provider} ({args.nvml} NVML), prompt {args.prompt}, output {args.output}, "
        f"{args.rounds} rounds × {args.reps} repetitions per side, interval {args.interval_ms:g} ms"
    )
    print(
        "| telemetry | TTFT ms (median) | ratio to off | per-round range "
        "| decode tok/s (median) | ratio to off | per-round range |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name in names:
        t, r = pooled(ttft[name]), pooled(rate[name])
        t_ratio, r_ratio = t / pooled(ttft["off"]), r / pooled(rate["off"])
        print(
            f"| {name} | {t:.2f} | {t_ratio:.4f} | {spread(ttft, name)} "
            f"| {r:.1f} | {r_ratio:.4f} | {spread(rate, name)} |"
        )


if __name__ == "__main__":
    main()
