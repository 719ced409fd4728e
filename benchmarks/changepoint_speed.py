"""The change-point search: ruptures' Pelt with its CostL1 against bench's own (``pelt`` over
``SegmentCostsL1``, the same search and costs), side by side in one process (the dashboard's trend runs
one search per point and trend metric).

Series shaped like a dashboard trend window: 50 runs, 2 % noise, a 12 % step in half of them. Both
searches get the same series in alternating order; the breakpoints are checked equal.

    PYTHONPATH=. .venv/bin/python benchmarks/changepoint_speed.py [--series 300] [--runs 50]
"""

from __future__ import annotations

import argparse
import math
import statistics
import time

import numpy as np
import ruptures

from bench.analysis.changepoints import PENALTY_FACTOR, SegmentCostsL1, noise_scale, pelt


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--series", type=int, default=300)
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    laps: dict[str, list[float]] = {"ruptures Pelt + CostL1": [], "bench (pelt + costs)": []}
    for index in range(args.series):
        logs = rng.normal(0.0, 0.02, args.runs)
        if index % 2:
            logs[args.runs * 2 // 3 :] += math.log(1.12)
        penalty = PENALTY_FACTOR * noise_scale(logs) * math.log(args.runs)
        found = {}
        order = list(laps) if index % 2 else list(reversed(laps))
        for name in order:
            start = time.perf_counter()
            if name.startswith("ruptures"):
                found[name] = ruptures.Pelt(model="l1", min_size=5, jump=1).fit(logs).predict(pen=penalty)
            else:
                found[name] = pelt(SegmentCostsL1().fit(logs).costs, penalty=penalty, min_size=5)
            laps[name].append(time.perf_counter() - start)
        assert len({tuple(v) for v in found.values()}) == 1, found
    for name, values in laps.items():
        print(
            f"{name:18s}: median {statistics.median(values) * 1e3:.2f} ms per search, "
            f"total {sum(values):.2f} s"
        )
    ratio = statistics.median(laps["ruptures Pelt + CostL1"]) / statistics.median(
        laps["bench (pelt + costs)"]
    )
    print(
        f"speed-up (median per search): x{ratio:.1f}; {args.series} series of {args.runs} runs, "
        "same breakpoints"
    )


if __name__ == "__main__":
    main()
