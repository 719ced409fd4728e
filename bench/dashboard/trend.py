"""The trend view's data: every run's median per point and trend metric, in time order, with the change
points confirmed in each series' newest runs."""

from __future__ import annotations

from collections.abc import Sequence

from bench.analysis.changepoints import detect_change_points
from bench.dashboard.history import TREND_METRICS, RunSummary
from bench.dashboard.numbers import r
from bench.metrics import spec
from bench.status import PointStatus

# Change points are searched in the most recent runs of each series only: the search grows faster
# than quadratically with the runs (PELT with the l1 cost: ~10 ms for 50 runs, ~40 ms for 100, per
# point and metric), a page has one series per point and trend metric, and the newest changes are the
# ones to act on. The trend still draws every run.
CHANGEPOINT_WINDOW = 50
CHANGEPOINT_MIN_EFFECT = 0.05
CHANGEPOINT_ALPHA = 0.01


def trend(runs: Sequence[RunSummary]) -> dict:
    """Per (point, GPU): one median per run and trend metric, runs in time order, and change points."""
    index: dict[tuple[str, str], dict] = {}
    for run_index, run in enumerate(runs):
        for point in run.points:
            key = (point.id, point.gpu_key)
            entry = index.get(key)
            if entry is None:
                entry = index[key] = {
                    "id": point.id,
                    "model": point.model,
                    "provider": point.provider,
                    "gpu": point.gpu_label,
                    "prompt": point.prompt_tokens,
                    "batch": point.batch_size,
                    "output": point.output_tokens,
                    "run": [],
                    "status": [],
                    "values": {m: [] for m in TREND_METRICS},
                }
            entry["run"].append(run_index)
            entry["status"].append(point.status.value)
            for name in TREND_METRICS:
                entry["values"][name].append(r(point.medians.get(name)))
    # In shape order, whatever order the runs listed their points in (the store lists them by id).
    series = sorted(
        index.values(),
        key=lambda e: (e["model"], e["provider"], e["gpu"], e["batch"], e["output"], e["prompt"], e["id"]),
    )
    for entry in series:
        entry["changePoints"] = {name: _change_points(entry, name, runs) for name in TREND_METRICS}
    return {"versions": [run.versions for run in runs], "series": series, "window": CHANGEPOINT_WINDOW}


def _change_points(entry: dict, metric: str, runs: Sequence[RunSummary]) -> list[dict]:
    # Invalid points carry no usable number; flagged ones do (the trend shows them marked).
    usable = [
        (run, value)
        for run, value, status in zip(entry["run"], entry["values"][metric], entry["status"], strict=True)
        if value is not None and value > 0 and status != PointStatus.INVALID
    ][-CHANGEPOINT_WINDOW:]
    if len(usable) < 10:
        return []
    found = detect_change_points(
        [value for _, value in usable],
        labels=[runs[run].run_id for run, _ in usable],
        direction=spec(metric).direction,
        min_effect=CHANGEPOINT_MIN_EFFECT,
        alpha=CHANGEPOINT_ALPHA,
    )
    return [
        {
            "run": usable[c.index][0],
            "before": r(c.before_median),
            "after": r(c.after_median),
            "change": r(c.change_pct),
            "p": r(c.p_value),
            "verdict": c.verdict.value,
        }
        for c in found
    ]
