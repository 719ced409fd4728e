"""Result files for the dashboard tests: the real smoke runs recorded for the comparison tests
(tests/compare/data/README.md) and a copy of one with a regression injected at a single point."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parents[1] / "compare" / "data"
NORMAL_1 = DATA / "smoke-normal-1.json"
NORMAL_2 = DATA / "smoke-normal-2.json"
SLOW = DATA / "smoke-slow-valgrind.json"

HOSTILE = "<script>alert(1)</script>"
SLOWED_POINT = "twin:nemotron-mini-4b:tiny|cpu|p64|b2|o8"
SPED_UP_POINT = "twin:mistral-nemo-12b:tiny|cpu|p16|b2|o8"
# Times grow by the factor, rates shrink by it.
_TIMES = ("ttft_ms", "tpot_ms", "itl_ms", "e2e_latency_ms", "kv_setup_ms", "tokenize_ms")
_RATES = ("prefill_tokens_per_s", "decode_tokens_per_s")


def inject(
    source: Path,
    target: Path,
    *,
    factors: dict[str, float],
    run_id: str,
    hostname: str | None = None,
    scenario: str | None = None,
) -> Path:
    """Copy a real result file, making the points in ``factors`` that many times slower (1.3) or faster
    (0.75): every time sample multiplied, every rate divided. Nothing else changes but the names given."""
    data = json.loads(source.read_text(encoding="utf-8"))
    data["run_id"] = run_id
    if hostname is not None:
        data["environment"]["host"]["hostname"] = hostname
    if scenario is not None:
        data["scenario"]["name"] = scenario
    found = set()
    for point in data["points"]:
        factor = factors.get(point["id"])
        if factor is None:
            continue
        found.add(point["id"])
        for name, metric in point["metrics"].items():
            metric.pop("stats", None)
            if name in _TIMES:
                metric["samples"] = [v * factor for v in metric["samples"]]
            elif name in _RATES:
                metric["samples"] = [v / factor for v in metric["samples"]]
    assert found == set(factors), f"no such point(s): {set(factors) - found}"
    target.write_text(json.dumps(data), encoding="utf-8")
    return target


@pytest.fixture
def injected(tmp_path: Path) -> Path:
    """smoke-normal-2 with one point 30 % slower and one 25 % faster (baseline: smoke-normal-1)."""
    return inject(
        NORMAL_2,
        tmp_path / "smoke-injected.json",
        factors={SLOWED_POINT: 1.3, SPED_UP_POINT: 0.75},
        run_id="20261125T075100Z-inject",
    )
