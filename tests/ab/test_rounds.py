"""The per-round merge into ordinary points, the side order and the point check (no onnxruntime)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import ClassVar

import pytest

from bench.ab.report import build_ab_report
from bench.ab.rounds import check_points_match, first_side, merge_rounds
from bench.analysis.regression import Rule
from bench.errors import BenchError
from bench.results.schema import AbRecord
from tests.fakes.documents import make_document

SHAPE = (16, 1, 8)


def _round(ttft: list[float], *, status: str = "valid", reasons: list[str] | None = None, error=None):
    point = make_document({SHAPE: {"ttft_ms": ttft, "tpot_ms": [1.0] * len(ttft)}}).points[0]
    point.repetitions, point.status, point.reasons, point.error = len(ttft), status, reasons or [], error
    point.output_sha256 = [f"sha-{value}" for value in ttft]  # one per repetition, as the runner writes
    return point


def test_rounds_are_concatenated_with_their_round_index() -> None:
    merged = merge_rounds([_round([10.0, 10.2]), _round([12.0, 12.1, 12.2])], cv_threshold=0.10)
    assert merged.rounds == [0, 0, 1, 1, 1] and merged.repetitions == 5
    assert merged.metrics["ttft_ms"].samples == [10.0, 10.2, 12.0, 12.1, 12.2]
    assert merged.output_sha256 == [f"sha-{v}" for v in (10.0, 10.2, 12.0, 12.1, 12.2)]
    # 20 % between rounds, ~1 % within: a drift between rounds is not noise for the paired test.
    assert merged.status == "valid" and merged.reasons == []


def test_spread_within_rounds_is_flagged_and_telemetry_flags_name_their_round() -> None:
    noisy = merge_rounds(
        [
            _round([10.0, 14.0]),
            _round([10.0, 10.1], reasons=["throttled: 2 of 2 repetitions ran under HwSlowdown"]),
        ],
        cv_threshold=0.10,
    )
    assert noisy.status == "flagged"
    assert "throttled: round 2: 2 of 2 repetitions ran under HwSlowdown" in noisy.reasons
    assert any(r.startswith("high_cv: ttft_ms varies") and "within rounds" in r for r in noisy.reasons)


def test_an_invalid_round_makes_the_point_invalid() -> None:
    bad = _round([10.0], status="invalid", reasons=["failed: out of memory"], error="out of memory")
    merged = merge_rounds([_round([10.0, 10.1]), bad], cv_threshold=0.10)
    assert merged.status == "invalid" and merged.error == "round 2: out of memory"


def test_side_order_alternates_by_round_and_point() -> None:
    assert [first_side(r, 0) for r in range(4)] == [0, 1, 0, 1]  # A B, B A, A B, B A
    assert [first_side(1, p) for p in range(3)] == [1, 0, 1]


def test_points_must_match_slot_by_slot() -> None:
    def plan(model: str, prompts: list[int]) -> list[dict[str, object]]:
        return [
            {"model": model, "provider": "cpu", "prompt_tokens": p, "batch_size": 1, "output_tokens": 8}
            for p in prompts
        ]

    check_points_match(plan("a", [16, 64]), plan("b", [16, 64]))  # other model, same shapes: fine
    with pytest.raises(BenchError, match="do not match"):
        check_points_match(plan("a", [16, 64]), plan("b", [16]))


def test_a_report_needs_the_ab_records_and_reads_the_rounds() -> None:
    base = make_document({SHAPE: {"tpot_ms": [1.0, 1.01, 0.99] * 4}}, run_id="base")
    cand = make_document({SHAPE: {"tpot_ms": [1.2, 1.21, 1.19] * 4}}, run_id="cand")
    with pytest.raises(BenchError, match="not a bench ab pair"):
        build_ab_report(base, cand, rule=Rule())
    for doc, role in ((base, "baseline"), (cand, "candidate")):
        doc.ab = AbRecord(
            role=role, partner_run_id="x", rounds_planned=4, rounds_completed=4, repetitions_per_round=3,
            warmup_per_round=1, python="python",
        )  # fmt: skip
        doc.points[0].rounds = [0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3]
    report = build_ab_report(base, cand, rule=Rule(), metrics=["tpot_ms"])
    (row,) = report.rows
    assert row.verdict == "regression" and row.change_pct == pytest.approx(20, abs=0.5)
    assert report.coverage.expected == report.coverage.compared == 1
    assert "Student's t on the per-round log ratios" in report.rule and "over 1 comparisons" in report.rule


class _FakeWorker:
    """A worker at the protocol boundary: a scripted plan reply, and it records that nothing was measured."""

    measured: ClassVar[list[str]] = []

    def __init__(self, *, label: str, python, env, schema: str, prompts: list[int]) -> None:
        self.label, self.schema, self.prompts = label, schema, prompts
        self.hello = {"ok": True, "protocol": 1, "bench_path": f"/{label}/bench", "bench_version": "9.9"}

    def request(self, message, *, during: str):
        if message["op"] == "measure":
            _FakeWorker.measured.append(self.label)
        points = [
            {"model": "m", "provider": "cpu", "prompt_tokens": p, "batch_size": 1, "output_tokens": 8}
            for p in self.prompts
        ]
        return {"ok": True, "point_schema": self.schema, "points": points}

    def close(self) -> None:
        pass


@pytest.mark.parametrize(
    ("schemas", "prompts", "message"),
    [
        (
            ("ours", "other"),
            ([16], [16]),
            "candidate worker's bench (/candidate/bench, 9.9) writes result points",
        ),
        (("ours", "ours"), ([16, 64], [16]), "the sides' points do not match"),
    ],
)
def test_sides_that_cannot_share_a_run_stop_before_measuring(tmp_path, schemas, prompts, message) -> None:
    from bench.ab.protocol import point_schema_digest
    from bench.ab.rounds import AbRequest, run_ab
    from bench.ab.sides import Side
    from bench.scenarios import load_scenario

    scenario = load_scenario(Path(__file__).parent / "data" / "tiny-ab.yaml").scenario
    digest = {"ours": point_schema_digest(), "other": "0" * 16}

    def factory(*, label, python, env):
        index = 0 if label == "baseline" else 1
        return _FakeWorker(
            label=label, python=python, env=env, schema=digest[schemas[index]], prompts=prompts[index]
        )

    _FakeWorker.measured = []
    request = AbRequest(
        scenario=scenario, baseline=Side("baseline"), candidate=Side("candidate"), rounds=2, repetitions=2,
        warmup=0, out_dir=tmp_path,
    )  # fmt: skip
    with pytest.raises(BenchError, match=re.escape(message)):
        run_ab(request, worker_factory=factory)
    assert _FakeWorker.measured == [] and not any(tmp_path.iterdir())
