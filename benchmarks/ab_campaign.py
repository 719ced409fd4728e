"""The real campaign behind docs/STATISTICS.md "Interleaved A/B": data only, analysed by ab_proof.py.

On this machine, small twins, one point: repeated, alternating,
  * ``bench ab`` A/A (the same model on both sides) and A/B (the known-slowdown twin as candidate),
  * separate ``bench run`` processes of the baseline and of the slowed model (for ``bench compare``
    between two runs: A/A = two runs of the baseline, A/B = a baseline run and a candidate run),
and once, first, the real slowdown of the candidate by bare-loop timing (benchmarks/known_slowdown.py).
Every result file is kept under OUT; OUT/log.jsonl has one line per measurement (kind, wall time, load).

    nohup .venv/bin/python benchmarks/ab_campaign.py --out campaign --iterations 20 > campaign/out.txt 2>&1 &
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import yaml

from bench.ab.rounds import AbRequest, run_ab
from bench.ab.sides import Side
from bench.scenarios import parse_scenario

BASELINE = "twin:mistral-nemo-12b:small"
# 4096 -> 5056 wider MLP: about 14 % more INT4 weights per decode step, ~8-10 % slower (measured
# first, bare loop); ffn=5248 (16 % more weights) was the first campaign's candidate.
DEFAULT_FFN = 5056


def scenario(model: str, repetitions: int, warmup: int) -> dict[str, object]:
    return {
        "name": "ab-proof",
        "description": "bench ab proof: one small-twin point",
        "models": [model],
        "providers": ["cpu"],
        "sweep": {"prompt_tokens": [64], "batch_size": [1], "output_tokens": [16]},
        "warmup": warmup,
        "repetitions": repetitions,
        "prompt": {"source": "random"},
        "seed": 0,
    }


def load() -> float:
    return os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")


def log(out: Path, **record: object) -> None:
    with (out / "log.jsonl").open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(record) + "\n")
    print(json.dumps(record), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--out", type=Path, default=Path("campaign"))
    parser.add_argument("--iterations", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=24)
    parser.add_argument("--round-repetitions", type=int, default=3)
    parser.add_argument("--run-repetitions", type=int, default=20)
    parser.add_argument("--slowdown-pairs", type=int, default=60, help="0: skip the bare-loop measurement")
    parser.add_argument("--ffn", type=int, default=DEFAULT_FFN, help="the slowed candidate's MLP width")
    parser.add_argument(
        "--ab-kinds", nargs="+", default=["ab_aa", "ab_ab"], help="which ab verdicts to repeat"
    )
    parser.add_argument("--load-once", action="store_true", help="bench ab --load-once (default: --reload)")
    parser.add_argument(
        "--process-per-side", action="store_true", help="bench ab --process-per-side (default: one process)"
    )
    parser.add_argument(
        "--runs-every", type=int, default=1, help="separate runs every N-th iteration only (0: never)"
    )
    args = parser.parse_args()
    candidate = f"{BASELINE}:ffn={args.ffn}"
    out = args.out
    out.mkdir(parents=True, exist_ok=True)
    here = Path(__file__).resolve().parent

    started = time.time()
    known = (
        None
        if not args.slowdown_pairs
        else subprocess.run(
            [
                sys.executable,
                str(here / "known_slowdown.py"),
                "--pairs",
                str(args.slowdown_pairs),
                "--ffn",
                str(args.ffn),
                "--output",
                "16",
            ],
            capture_output=True,
            text=True,
            check=False,
        )
    )
    if known is not None:
        (out / "known_slowdown.txt").write_text(known.stdout + known.stderr, encoding="utf-8")
        log(out, kind="known_slowdown", wall_s=time.time() - started, load=load(), rc=known.returncode)

    base_yaml = out / "baseline.yaml"
    cand_yaml = out / "candidate.yaml"
    base_yaml.write_text(yaml.safe_dump(scenario(BASELINE, args.run_repetitions, 2)), encoding="utf-8")
    cand_yaml.write_text(yaml.safe_dump(scenario(candidate, args.run_repetitions, 2)), encoding="utf-8")
    ab_scenario = parse_scenario(scenario(BASELINE, args.round_repetitions, 1))
    bench = [sys.executable, "-m", "bench.cli.app"]

    for iteration in range(args.iterations):
        for kind, candidate_models in (("ab_aa", ()), ("ab_ab", (candidate,))):
            if kind not in args.ab_kinds:
                continue
            t0, l0 = time.time(), load()
            try:
                run = run_ab(
                    AbRequest(
                        scenario=ab_scenario,
                        baseline=Side("baseline"),
                        candidate=Side("candidate", models=candidate_models),
                        rounds=args.rounds,
                        repetitions=args.round_repetitions,
                        warmup=1,
                        out_dir=out / kind,
                        reload_each_round=not args.load_once,
                        one_process=not args.process_per_side,
                    )
                )
                log(
                    out,
                    kind=kind,
                    iteration=iteration,
                    folder=str(run.folder),
                    wall_s=time.time() - t0,
                    run_wall_s=run.wall_s,
                    load_start=l0,
                    load_end=load(),
                    at=time.strftime("%H:%M:%S"),
                )
            except Exception as exc:  # keep the campaign going; the log says what failed
                log(out, kind=kind, iteration=iteration, error=str(exc), wall_s=time.time() - t0)
        if not args.runs_every or iteration % args.runs_every:
            continue
        for kind, path in (("run_baseline", base_yaml), ("run_candidate", cand_yaml)):
            t0, l0 = time.time(), load()
            done = subprocess.run(
                [*bench, "run", str(path), "--out", str(out / kind), "--json", "--no-baseline-check"],
                capture_output=True,
                text=True,
                check=False,
            )
            try:
                result = json.loads(done.stdout)["result"]
            except (json.JSONDecodeError, KeyError):
                result = None
            log(
                out,
                kind=kind,
                iteration=iteration,
                result=result,
                rc=done.returncode,
                wall_s=time.time() - t0,
                load_start=l0,
                load_end=load(),
                at=time.strftime("%H:%M:%S"),
                stderr=done.stderr[-300:] if result is None else "",
            )


if __name__ == "__main__":
    main()
