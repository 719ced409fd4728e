"""Summarise the campaign of benchmarks/ab_campaign.py: the figures of docs/STATISTICS.md "Interleaved A/B".

For every completed ``bench ab`` run (A/A and A/B) the verdict under both paired tests, with flagged
points left out (the default) and let in (``--include-flagged``); for the separate ``bench run``s, the
verdict of ``bench compare`` (the compare engine) on pairs of runs: A/A = consecutive baseline runs,
A/B = the baseline and candidate runs of one iteration. Then the block effect (what pairing does not
cancel) estimated from the A/A runs, and the simulation of the paired rule with the measured run-level
drift of this VM (tests/analysis/data/noise_profile_ci_gate_vm.json) and that block effect.

    .venv/bin/python benchmarks/ab_proof.py campaign [--simulate 1000]
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

import numpy as np

from bench.ab.report import build_ab_report
from bench.analysis.ab_simulation import simulate_ab
from bench.analysis.noise import NoiseProfile
from bench.analysis.paired import PAIRED_TESTS
from bench.analysis.regression import Rule
from bench.gating import judge
from bench.metrics import GATE_METRICS
from bench.results.files import load_result

VM_PROFILE = Path(__file__).resolve().parents[1] / "tests/analysis/data/noise_profile_ci_gate_vm.json"


def _ci(k: int, n: int) -> str:
    """Clopper-Pearson 95 % interval of k/n, in %."""
    from scipy import stats

    if n == 0:
        return "-"
    low = stats.beta.ppf(0.025, k, n - k + 1) if k else 0.0
    high = stats.beta.ppf(0.975, k + 1, n - k) if k < n else 1.0
    return f"{100 * k / n:.0f} % [{100 * low:.0f}, {100 * high:.0f}] ({k}/{n})"


def _log(folder: Path) -> list[dict[str, object]]:
    path = folder / "log.jsonl"
    return (
        [json.loads(line) for line in path.read_text().splitlines() if line.strip()] if path.exists() else []
    )


def _loads(folder: Path) -> dict[str, float]:
    """Run folder name -> load average when it started (from the log)."""
    return {
        Path(str(r["folder"])).name: float(r["load_start"])  # type: ignore[arg-type]
        for r in _log(folder)
        if r.get("folder") and "load_start" in r
    }


def ab_verdicts(folder: Path, kind: str, *, max_load: float = math.inf) -> dict[str, list[str]]:
    """outcome label per (test, flagged policy) for every complete ab run of ``kind`` started below
    ``max_load`` (load average)."""
    outcomes: dict[str, list[str]] = {}
    loads = _loads(folder)
    for run in sorted((folder / kind).glob("*/")):
        if loads.get(run.name, math.inf) >= max_load:
            continue
        try:
            base, cand = load_result(run / "baseline.json"), load_result(run / "candidate.json")
        except Exception:
            continue
        if cand.status != "complete":
            continue
        for flagged in (False, True):
            rule = Rule(include_flagged=flagged)
            for test in PAIRED_TESTS:
                report = build_ab_report(base, cand, rule=rule, test=test)
                label = f"{test}{' +flagged' if flagged else ''}"
                outcomes.setdefault(label, []).append(judge(report, rule=rule).outcome.value)
    return outcomes


def pooled_verdicts(folder: Path, kind: str, runs_per_verdict: int) -> dict[str, list[str]]:
    """Verdicts over ``runs_per_verdict`` consecutive complete runs taken as one run of that many times
    the rounds. Only for runs whose models were loaded anew every round (``ab.reloaded_each_round``):
    each round is then its own pair of loaded models measured back to back, so rounds of consecutive
    runs are rounds of one longer run in all but the wall-clock gap between the runs."""
    complete = []
    for run in sorted((folder / kind).glob("*/")):
        try:
            base, cand = load_result(run / "baseline.json"), load_result(run / "candidate.json")
        except Exception:
            continue
        if cand.status == "complete" and cand.ab is not None and cand.ab.reloaded_each_round:
            complete.append((base, cand))
    outcomes: dict[str, list[str]] = {}
    for start in range(0, len(complete) - runs_per_verdict + 1, runs_per_verdict):
        group = complete[start : start + runs_per_verdict]
        merged = [_concatenate([pair[side] for pair in group]) for side in (0, 1)]
        for flagged in (False, True):
            rule = Rule(include_flagged=flagged)
            report = build_ab_report(merged[0], merged[1], rule=rule)
            label = f"round-t{' +flagged' if flagged else ''}"
            outcomes.setdefault(label, []).append(judge(report, rule=rule).outcome.value)
    return outcomes


def _concatenate(documents: list) -> object:
    """One side of several ab runs as one document: samples appended, round indices offset."""
    first = documents[0]
    points = []
    for index, point in enumerate(first.points):
        metrics, rounds, offset, statuses, reasons = {}, [], 0, [], []
        for document in documents:
            other = document.points[index]
            for name, metric in other.metrics.items():
                metrics.setdefault(name, []).extend(metric.samples)
            rounds.extend(r + offset for r in other.rounds or [])
            offset += document.ab.rounds_completed
            statuses.append(other.status)
            reasons.extend(other.reasons)
        status = "invalid" if "invalid" in statuses else "flagged" if "flagged" in statuses else "valid"
        points.append(
            point.model_copy(
                update={
                    "metrics": {
                        n: point.metrics[n].model_copy(update={"samples": v}) for n, v in metrics.items()
                    },
                    "rounds": rounds,
                    "repetitions": len(rounds),
                    "status": status,
                    "reasons": list(dict.fromkeys(reasons)),
                }
            )
        )
    total = sum(d.ab.rounds_completed for d in documents)
    ab = first.ab.model_copy(update={"rounds_planned": total, "rounds_completed": total})
    return first.model_copy(update={"points": points, "ab": ab})


def block_sd(folder: Path) -> tuple[float, float, int]:
    """(block sd, within sd, rounds) of decode tpot from the A/A runs: what pairing leaves over."""
    logs, within = [], []
    for run in sorted((folder / "ab_aa").glob("*/")):
        try:
            base, cand = load_result(run / "baseline.json"), load_result(run / "candidate.json")
        except Exception:
            continue
        for b, c in zip(base.points, cand.points, strict=True):
            rb, rc = np.array(b.rounds or []), np.array(c.rounds or [])
            xb, xc = np.log(b.metrics["tpot_ms"].samples), np.log(c.metrics["tpot_ms"].samples)
            if rb.size != xb.size or rc.size != xc.size:
                continue
            for r in np.intersect1d(rb, rc):
                sb, sc = xb[rb == r], xc[rc == r]
                logs.append(np.median(sc) - np.median(sb))
                within.extend(list(sb - sb.mean()) + list(sc - sc.mean()))
    if len(logs) < 3:
        return math.nan, math.nan, len(logs)
    diffs = np.asarray(logs)
    n = 3
    within_sd = float(np.std(within, ddof=1) * math.sqrt(n / (n - 1)))
    spread = float(1.4826 * np.median(np.abs(diffs - np.median(diffs))))  # robust sd of round log ratios
    median_var = 0.449 * within_sd**2  # variance of the median of 3 normal values
    return math.sqrt(max(spread**2 / 2 - median_var, 0.0)), within_sd, len(logs)


def pooled_ratios(folder: Path, kind: str) -> dict[str, tuple[float, float, int]]:
    """Per metric, the geometric mean of every round ratio of every ``kind`` run, with its 95 % interval
    (t over rounds): the slowdown as bench ab measured it, all runs together."""
    from scipy import stats

    logs: dict[str, list[float]] = {}
    for run in sorted((folder / kind).glob("*/")):
        try:
            base, cand = load_result(run / "baseline.json"), load_result(run / "candidate.json")
        except Exception:
            continue
        if cand.status != "complete":
            continue
        for b, c in zip(base.points, cand.points, strict=True):
            for metric in ("ttft_ms", "tpot_ms"):
                rb, rc = np.array(b.rounds or []), np.array(c.rounds or [])
                xb, xc = np.array(b.metrics[metric].samples), np.array(c.metrics[metric].samples)
                for r in np.intersect1d(rb, rc):
                    logs.setdefault(metric, []).append(
                        math.log(np.median(xc[rc == r]) / np.median(xb[rb == r]))
                    )
    out = {}
    for metric, values in logs.items():
        arr = np.array(values)
        half = stats.t.ppf(0.975, arr.size - 1) * arr.std(ddof=1) / math.sqrt(arr.size)
        out[metric] = (math.exp(arr.mean() - half), math.exp(arr.mean() + half), arr.size)
        out[metric] = (math.exp(arr.mean()), *out[metric][:2])  # type: ignore[assignment]
    return out


def compare_verdicts(folder: Path) -> dict[str, list[str]]:
    """The compare rule (Mann-Whitney U + Holm + 5 %, bench.analysis.regression) on pairs of separate runs.

    Point by point on the samples, not through ``bench compare``: a candidate that is another model
    (the known-slowdown twin) has other point ids, and ``bench compare`` rightly refuses to match
    different models; this asks the rule the question as if the new export were a drop-in."""
    from bench.analysis.regression import compare_samples, decide

    runs: dict[str, list[Path]] = {"run_baseline": [], "run_candidate": []}
    for record in _log(folder):
        if record.get("kind") in runs and record.get("result"):
            runs[str(record["kind"])].append(Path(str(record["result"])))
    pairs = {
        "A/A": list(zip(runs["run_baseline"][:-1], runs["run_baseline"][1:], strict=True)),
        "A/B": list(zip(runs["run_baseline"], runs["run_candidate"], strict=False)),
    }
    outcomes: dict[str, list[str]] = {}
    for label, items in pairs.items():
        for base_path, cand_path in items:
            base, cand = load_result(base_path), load_result(cand_path)
            for flagged in (False, True):
                rule = Rule(include_flagged=flagged)
                comparisons = [
                    compare_samples(
                        baseline=b.metrics[m].samples,
                        candidate=c.metrics[m].samples,
                        metric=m,
                        key=(c.id, m),
                        baseline_state=b.status,
                        candidate_state=c.status,
                    )
                    for b, c in zip(base.points, cand.points, strict=True)
                    for m in GATE_METRICS
                ]
                decisions = decide(comparisons, rule)
                if any(d.verdict == "regression" for d in decisions):
                    outcome = "fail"
                elif any(
                    d.verdict == "not_comparable"
                    or (d.verdict == "no_change" and d.worse_pct >= rule.min_effect * 100)
                    for d in decisions
                ):
                    outcome = "inconclusive"
                else:
                    outcome = "pass"
                outcomes.setdefault(f"{label}{' +flagged' if flagged else ''}", []).append(outcome)
    return outcomes


def wall_times(folder: Path) -> dict[str, float]:
    times: dict[str, list[float]] = {}
    for record in _log(folder):
        if "wall_s" in record and not record.get("error"):
            times.setdefault(str(record["kind"]), []).append(float(record["wall_s"]))  # type: ignore[arg-type]
    return {kind: float(np.median(values)) for kind, values in times.items()}


def loads(folder: Path) -> str:
    values = [float(r["load_start"]) for r in _log(folder) if "load_start" in r]  # type: ignore[arg-type]
    if not values:
        return ""
    return f"load average: median {np.median(values):.1f}, range {min(values):.1f}-{max(values):.1f}"


def _print_ab(folder: Path, max_load: float) -> None:
    for kind, name in (("ab_aa", "A/A"), ("ab_ab", "A/B (known slowdown)")):
        for label, values in ab_verdicts(folder, kind, max_load=max_load).items():
            n = len(values)
            print(
                f"{name:22s} {label:22s} fail {_ci(values.count('fail'), n)}; "
                f"inconclusive {values.count('inconclusive')}; pass {values.count('pass')}"
            )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("folder", type=Path)
    parser.add_argument("--simulate", type=int, default=0, help="verdicts per simulated row (0: skip)")
    parser.add_argument("--rounds", type=int, nargs="+", default=[8])
    parser.add_argument(
        "--pool", type=int, nargs="*", default=[2, 3], help="also verdicts over K consecutive runs as one"
    )
    parser.add_argument(
        "--blocks", type=float, nargs="*", help="simulated block sds (default: 0, measured, 2 %%)"
    )
    parser.add_argument("--tests", nargs="+", default=list(PAIRED_TESTS), choices=list(PAIRED_TESTS))
    parser.add_argument(
        "--quiet", type=float, default=4.0, help="load average below which a run counts as quiet"
    )
    args = parser.parse_args()
    folder = args.folder
    print(loads(folder))
    for title, max_load in (("all", math.inf), (f"load average < {args.quiet:g} at the start", args.quiet)):
        print(f"\n## bench ab verdicts (real, {title})")
        _print_ab(folder, max_load)
    for k in args.pool:
        print(f"\n## bench ab verdicts over {k} consecutive reloading runs taken as one (real)")
        for kind, name in (("ab_aa", "A/A"), ("ab_ab", "A/B (known slowdown)")):
            for label, values in pooled_verdicts(folder, kind, k).items():
                n = len(values)
                print(
                    f"{name:22s} {label:22s} fail {_ci(values.count('fail'), n)}; "
                    f"inconclusive {values.count('inconclusive')}; pass {values.count('pass')}"
                )
    print("\n## separate bench run + bench compare verdicts (real)")

    for label, values in compare_verdicts(folder).items():
        n = len(values)
        print(f"{label:12s} fail {_ci(values.count('fail'), n)}; inconclusive {values.count('inconclusive')}")
    print("\n## median wall time per verdict (s)")
    for kind, seconds in wall_times(folder).items():
        print(f"{kind}: {seconds:.0f}")
    print("\n## the known slowdown as bench ab measured it (all A/B rounds pooled)")
    for metric, (ratio, low, high) in pooled_ratios(folder, "ab_ab").items():
        print(f"{metric}: x{ratio:.3f} [95 % CI {low:.3f}, {high:.3f}]")
    for metric, (ratio, low, high) in pooled_ratios(folder, "ab_aa").items():
        print(f"A/A {metric}: x{ratio:.3f} [95 % CI {low:.3f}, {high:.3f}]")
    sd, within, n = block_sd(folder)
    print(f"\n## block effect (tpot, A/A): block sd {sd:.4f}, within sd {within:.4f}, from {n} rounds")
    if args.simulate:
        profile = NoiseProfile.from_dict(json.loads(VM_PROFILE.read_text()))
        print(
            f"\n## simulation: drift of {VM_PROFILE.name}, K = {len(GATE_METRICS)}, {args.simulate} verdicts"
        )
        for rounds in args.rounds:
            measured = round(sd, 4) if math.isfinite(sd) else 0.0
            for block in sorted(set(args.blocks) if args.blocks is not None else {0.0, measured, 0.02}):
                for test in args.tests:
                    aa = simulate_ab(profile, Rule(), rounds=rounds, repetitions=3, n_verdicts=args.simulate,
                                     block_sd=block, test=test)  # fmt: skip
                    ab = simulate_ab(profile, Rule(), rounds=rounds, repetitions=3, n_verdicts=args.simulate,
                                     block_sd=block, test=test, slowdown=1.10, seed=1)  # fmt: skip
                    print(
                        f"rounds {rounds} block {block:.4f} {test:12s}: A/A false alarm "
                        f"{_ci(round(aa.fail_rate * aa.n_verdicts), aa.n_verdicts)}; x1.10 verdict fails "
                        f"{100 * ab.fail_rate:.1f} %, comparisons called {100 * ab.called_rate:.1f} %"
                    )


if __name__ == "__main__":
    main()
