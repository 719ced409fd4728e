"""False-alarm and detection rates of the regression rule, simulated from a noise profile.

Each simulated verdict compares two separate runs of ``--points`` points x the gate metrics drawn from
the profile (run-level drift + repetition noise + slow outliers), and applies the rule exactly as
``bench compare`` does. Prints the profile and a Markdown table quoted by docs/STATISTICS.md.

    .venv/bin/python benchmarks/simulate_rule.py                       # the shipped provisional profile
    .venv/bin/python benchmarks/simulate_rule.py --tests mwu welch-log --repetitions 5 10 20
    .venv/bin/python benchmarks/simulate_rule.py --fit results/ci-gate-*.json --write-profile p.json

``--fit`` fits the profile from repeated result files of one scenario (each file one run; only points
present in every run are used) instead of reading ``--profile``.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import time
from collections import defaultdict
from pathlib import Path

import numpy as np
from scipy import stats

from bench.analysis.changepoints import detect_change_points
from bench.analysis.noise import NoiseProfile
from bench.analysis.regression import Rule, mwu_p_values, welch_log_p_values
from bench.analysis.simulation import simulate_rule
from bench.atomic import atomic_write_text
from bench.metrics import GATE_METRICS, spec

DEFAULT_PROFILE = Path(__file__).resolve().parents[1] / "tests" / "analysis" / "data" / "noise_profile.json"


def fit_from_results(
    paths: list[Path], *, metrics: tuple[str, ...], source: str, include_flagged: bool = False
) -> NoiseProfile:
    """Fit from result files, one per run. Flagged run-points are left out by default, as verdicts
    leave them out: the noise that matters is the noise of the points a verdict uses."""
    from bench.results.files import expand_result_paths, load_results

    documents = [d for d in load_results(expand_result_paths(paths)) if d.status == "complete"]
    if len(documents) < 3:
        raise SystemExit(f"need at least 3 complete result files (runs), got {len(documents)}")
    common = set.intersection(*({p.id for p in d.points if p.metrics} for d in documents))
    runs: dict[str, dict[str, list[list[float]]]] = defaultdict(lambda: defaultdict(list))
    flagged = 0
    for document in documents:
        for point in document.points:
            if point.id not in common:
                continue
            left_out = point.status != "valid" and not include_flagged
            flagged += point.status != "valid"
            for metric in metrics:
                runs[metric][point.id].append([] if left_out else list(point.metrics[metric].samples))
    scenario = documents[0].scenario.name
    host = documents[0].environment.host
    notes = [
        f"{len(documents)} runs x {len(common)} points of scenario {scenario}; "
        f"{flagged} flagged run-points {'kept' if include_flagged else 'left out'}"
    ]
    where = f"{scenario} on {host.cpu_model} ({host.cpu_count_logical} logical CPUs, {host.os})"
    return NoiseProfile.fit(runs, source=source or where, notes=notes)


def ci_text(rate: float, n: int) -> str:
    interval = stats.binomtest(round(rate * n), n).proportion_ci(0.95)
    return f"{rate * 100:.2f} % [{interval.low * 100:.2f}, {interval.high * 100:.2f}]"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--profile", type=Path, default=DEFAULT_PROFILE)
    parser.add_argument(
        "--fit", type=Path, nargs="+", help="result files (one per run) to fit the profile from"
    )
    parser.add_argument("--write-profile", type=Path, help="write the fitted profile here (JSON)")
    parser.add_argument(
        "--include-flagged", action="store_true", help="fit flagged run-points too (verdicts leave them out)"
    )
    parser.add_argument(
        "--source", default="", help="where the fitted data came from (stored in the profile)"
    )
    parser.add_argument("--rule", default=Rule().spec(), help="rule spec, e.g. mwu:alpha=0.01:min=5%%")
    parser.add_argument("--tests", nargs="+", default=None, help="override the rule's test, one row each")
    parser.add_argument("--repetitions", type=int, nargs="+", default=[5, 10, 20])
    parser.add_argument("--points", type=int, default=20)
    parser.add_argument("--verdicts", type=int, default=2000)
    parser.add_argument("--slowdown", type=float, default=1.10)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--baseline-runs",
        type=int,
        nargs="+",
        default=[1],
        help="the baseline pools this many separate runs (one row each)",
    )
    parser.add_argument(
        "--drift",
        type=float,
        nargs="+",
        default=None,
        help="replace every metric's between-run sd by these values (a noise-budget sweep)",
    )
    parser.add_argument(
        "--changepoints",
        action="store_true",
        help="also print the change-point detector's rates on synthetic histories",
    )
    parser.add_argument(
        "--calibration",
        action="store_true",
        help="also print each test's per-comparison level and power without run drift",
    )
    args = parser.parse_args()

    if args.fit:
        profile = fit_from_results(
            args.fit, metrics=GATE_METRICS, source=args.source, include_flagged=args.include_flagged
        )
        if args.write_profile:
            atomic_write_text(args.write_profile, json.dumps(profile.to_dict(), indent=2) + "\n")
    else:
        profile = NoiseProfile.from_dict(json.loads(args.profile.read_text(encoding="utf-8")))

    print(f"profile: {profile.source}")
    for note in profile.notes:
        print(f"  {note}")
    print(
        "\n| metric | within-run sd | between-run sd | shared by a run's points | slow repetitions "
        "| slow run-points |"
    )
    print("|---|---|---|---|---|---|")
    for name, m in profile.metrics.items():
        reps = (
            f"{m.outlier_rate * 100:.1f} %: > {m.outlier_threshold * 100:.1f} % "
            f"+ Exp({m.outlier_scale * 100:.1f} %)"
        )
        runs = (
            f"{m.run_outlier_rate * 100:.1f} %: > {m.run_outlier_threshold * 100:.1f} % "
            f"+ Exp({m.run_outlier_scale * 100:.1f} %)"
        )
        print(
            f"| {name} | {m.within_sd * 100:.2f} % | {m.between_sd * 100:.2f} % | "
            f"{m.shared_fraction * 100:.0f} % | {reps} | {runs} |"
        )

    base_rule = Rule.parse(args.rule)
    rules = [dataclasses.replace(base_rule, test=t) for t in args.tests] if args.tests else [base_rule]
    metrics = tuple(m for m in GATE_METRICS if m in profile.metrics)
    k = args.points * len(metrics)
    print(
        f"\n{args.verdicts} simulated verdicts of {args.points} points x {len(metrics)} metrics "
        f"({k} comparisons), "
        f"slowdown x{args.slowdown:g}, seed {args.seed}"
    )
    for rule in rules:
        print(f"rule: {rule.describe(k)}")
    drifts = args.drift if args.drift is not None else [None]
    print(
        "\n| test | reps | baseline runs | between-run sd | false alarm per verdict [95 % CI] | "
        "slowdown everywhere: verdict fails | ... share of comparisons called | "
        "one point+metric slowed: called (worst metric) | not comparable |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for drift in drifts:
        simulated = profile if drift is None else with_drift(profile, drift)
        drift_text = "profile" if drift is None else f"{drift * 100:g} %"
        for rule in rules:
            for reps in args.repetitions:
                for baseline_runs in args.baseline_runs:
                    started = time.perf_counter()
                    r = simulate_rule(
                        simulated,
                        rule,
                        repetitions=reps,
                        n_points=args.points,
                        metrics=metrics,
                        n_verdicts=args.verdicts,
                        slowdown=args.slowdown,
                        seed=args.seed,
                        baseline_runs=baseline_runs,
                    )
                    worst = min(r.detection_rate_single, key=r.detection_rate_single.__getitem__)
                    print(
                        f"| {rule.test} | {reps} | {baseline_runs} | {drift_text} | "
                        f"{ci_text(r.false_alarm_rate, r.n_verdicts)} | "
                        f"{r.detection_rate_all * 100:.1f} % | {r.sensitivity_all * 100:.1f} % | "
                        f"{r.detection_rate_single_min * 100:.1f} % ({worst}) | "
                        f"{r.not_comparable_rate * 100:.0f} % |"
                        f" <!-- {time.perf_counter() - started:.1f} s -->"
                    )
    if args.calibration:
        calibration(profile, metrics, args.repetitions, args.slowdown, args.seed)
    if args.changepoints:
        changepoint_rates(args.seed)


def with_drift(profile: NoiseProfile, between_sd: float) -> NoiseProfile:
    metrics = {name: dataclasses.replace(m, between_sd=between_sd) for name, m in profile.metrics.items()}
    return dataclasses.replace(profile, metrics=metrics)


def bootstrap_p_values(
    base: np.ndarray, cand: np.ndarray, rng: np.random.Generator, resamples: int
) -> np.ndarray:
    """Two-sided percentile-bootstrap p-values of 'ratio of medians = 1', row by row (chunked for memory)."""
    out = np.empty(base.shape[0])
    for start in range(0, base.shape[0], 10):
        b, c = base[start : start + 10], cand[start : start + 10]
        rows = np.arange(b.shape[0])[:, None, None]
        med_b = np.median(b[rows, rng.integers(0, b.shape[1], (b.shape[0], resamples, b.shape[1]))], axis=-1)
        med_c = np.median(c[rows, rng.integers(0, c.shape[1], (c.shape[0], resamples, c.shape[1]))], axis=-1)
        ratio = med_c / med_b
        out[start : start + 10] = np.minimum(1.0, 2 * np.minimum((ratio <= 1).mean(1), (ratio >= 1).mean(1)))
    return out


def calibration(
    profile: NoiseProfile, metrics: tuple[str, ...], repetitions: list[int], slowdown: float, seed: int
) -> None:
    """Per-comparison rejection rates of each test with run drift removed: does it hold its nominal level
    on this (outlier-laden) repetition noise, and what power does it keep against the slowdown at the
    threshold a lone change must pass in a verdict of 100 comparisons (0.01 / 100)?"""
    rng = np.random.default_rng(seed)
    quiet = with_drift(profile, 0.0)
    operating = 1e-4
    print(
        f"\nCalibration without run drift: rejection rate with no change at 0.05, and power against "
        f"x{slowdown:g} at {operating:g} (percentile bootstrap: 20,000 resamples, fewer comparisons)"
    )
    print("\n| metric | reps | test | comparisons | level at 0.05 | power at 1e-4 |")
    print("|---|---|---|---|---|---|")
    for metric in metrics:
        sign = 1.0 if spec(metric).direction.value == "lower" else -1.0
        for reps in repetitions:
            for test in ("mwu", "welch-log", "bootstrap"):
                n = 300 if test == "bootstrap" else 2000
                draw = quiet.simulate(metric, rng=rng, n_runs=3 * n, n_points=1, repetitions=reps)[:, 0, :]
                base, same, slowed = draw[:n], draw[n : 2 * n], draw[2 * n :] * slowdown**sign
                if test == "bootstrap":
                    null = bootstrap_p_values(base, same, rng, 20_000)
                    alt = bootstrap_p_values(base, slowed, rng, 20_000)
                elif test == "mwu":
                    null, alt = mwu_p_values(base, same), mwu_p_values(base, slowed)
                else:
                    null, alt = welch_log_p_values(base, same), welch_log_p_values(base, slowed)
                print(
                    f"| {metric} | {reps} | {test} | {n} | {np.mean(null <= 0.05) * 100:.1f} % | "
                    f"{np.mean(alt <= operating) * 100:.1f} % |"
                )


def changepoint_rates(seed: int, series: int = 300, length: int = 60) -> None:
    """The history detector on synthetic run series: 2 % log-normal noise + 5 % slow outliers (+15 % on
    average), flat, with one 10 % step in the middle, and with two steps (+10 % at 1/3, -15 % at 2/3)."""
    rng = np.random.default_rng(seed)

    def history(steps: dict[int, float]) -> np.ndarray:
        logs = rng.normal(0.0, 0.02, length) + (rng.random(length) < 0.05) * rng.exponential(0.15, length)
        for index, factor in steps.items():
            logs[index:] += np.log(factor)
        return np.exp(logs)

    flat = [len(detect_change_points(history({}))) for _ in range(series)]
    one = [[c.index for c in detect_change_points(history({length // 2: 1.1}))] for _ in range(series)]
    two_at = [length // 3, 2 * length // 3]
    two = [
        [c.index for c in detect_change_points(history({two_at[0]: 1.1, two_at[1]: 0.85}))]
        for _ in range(series)
    ]
    near = sum(len(found) == 1 and abs(found[0] - length // 2) <= 2 for found in one)
    print(
        f"\nChange points ({series} series of {length} runs each, defaults: min 5 %, alpha 0.05, min_size 5)"
    )
    print("\n| history | series with any change point | exactly the true ones | within 2 runs |")
    print("|---|---|---|---|")
    print(f"| flat | {np.mean(np.array(flat) > 0) * 100:.1f} % | - | - |")
    print(
        f"| one +10 % step | {np.mean([len(f) > 0 for f in one]) * 100:.1f} % | "
        f"{np.mean([f == [length // 2] for f in one]) * 100:.1f} % | {near / series * 100:.1f} % |"
    )
    print(
        f"| +10 % then -15 % | {np.mean([len(f) > 0 for f in two]) * 100:.1f} % | "
        f"{np.mean([f == two_at for f in two]) * 100:.1f} % | - |"
    )


if __name__ == "__main__":
    main()
