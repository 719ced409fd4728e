"""Simulated ``bench ab`` verdicts (bench.analysis.ab_simulation): false alarms and power of the paired rule.

Noise from a fitted profile (default: the shared VM of docs/STATISTICS.md, whose run-level drift made
separate-run gating impossible), drawn per round and shared by both sides; a side-block effect
``--block`` (what pairing cannot cancel: drift faster than a round) on top.

    .venv/bin/python benchmarks/simulate_ab.py --rounds 6 8 --block 0 0.01 0.02 --verdicts 1000
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from bench.analysis.ab_simulation import simulate_ab_tests
from bench.analysis.noise import NoiseProfile
from bench.analysis.paired import PAIRED_TESTS
from bench.analysis.regression import Rule
from bench.metrics import GATE_METRICS

VM_PROFILE = Path(__file__).resolve().parents[1] / "tests/analysis/data/noise_profile_ci_gate_vm.json"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--profile", type=Path, default=VM_PROFILE)
    parser.add_argument("--rounds", type=int, nargs="+", default=[6])
    parser.add_argument("--repetitions", type=int, default=3)
    parser.add_argument("--points", type=int, default=1)
    parser.add_argument("--block", type=float, nargs="+", default=[0.0, 0.01, 0.02])
    parser.add_argument("--verdicts", type=int, default=1000)
    parser.add_argument("--slowdown", type=float, default=1.10)
    args = parser.parse_args()
    profile = NoiseProfile.from_dict(json.loads(args.profile.read_text()))
    k = args.points * len(GATE_METRICS)
    print(
        f"profile {args.profile.name}; {args.points} point(s) x {len(GATE_METRICS)} metrics = {k} comparisons"
    )
    slow_head = f"x{args.slowdown:.2f}: verdict fails"
    print(f"| rounds | block sd | test | A/A false alarm per verdict | {slow_head} | comparisons called |")
    print("|---|---|---|---|---|---|")
    for rounds in args.rounds:
        for block in args.block:
            common = dict(rounds=rounds, repetitions=args.repetitions, n_points=args.points,
                          n_verdicts=args.verdicts, block_sd=block)  # fmt: skip
            aa_all = simulate_ab_tests(profile, Rule(), **common)  # type: ignore[arg-type]
            slow_all = simulate_ab_tests(profile, Rule(), slowdown=args.slowdown, seed=1, **common)  # type: ignore[arg-type]
            for test in PAIRED_TESTS:
                aa, slow = aa_all[test], slow_all[test]
                print(
                    f"| {rounds} | {block:.0%} | {test} | {aa.fail_rate:.2%} | {slow.fail_rate:.1%} "
                    f"| {slow.called_rate:.1%} |",
                    flush=True,
                )


if __name__ == "__main__":
    main()
