"""The per-round merge into ordinary points, the side order and the point check (no onnxruntime)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import ClassVar

import pytest

from bench.ab.report import build_ab_report
from bench.ab.rounds import first_side, merge_rounds
from bench.ab.startup import check_points_match
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
        warmup=0, out_dir=tmp_path, one_process=False,  # one worker per side (as different Pythons get)
    )  # fmt: skip
    with pytest.raises(BenchError, match=re.escape(message)):
        run_ab(request, worker_factory=factory)
    assert _FakeWorker.measured == [] and not any(tmp_path.iterdir())


class _CountingWorker:
    """A worker that 'measures' a fixed point; records when it was started, used and closed."""

    log: ClassVar[list[tuple[str, str, int]]] = []
    started = 0

    def __init__(self, *, label: str, python, env) -> None:
        _CountingWorker.started += 1
        self.label, self.number = label, _CountingWorker.started
        self.hello = {"ok": True, "protocol": 1, "bench_path": "/bench", "bench_version": "9.9"}
        self.document = make_document({SHAPE: {"ttft_ms": [10.0, 10.1], "tpot_ms": [1.0, 1.0]}})
        self.log.append(("start", label, self.number))

    def request(self, message, *, during: str):
        from bench.ab.protocol import point_schema_digest

        if message["op"] == "plan":
            self.log.append(("plan", message.get("side") or self.label, self.number))
            point = self.document.points[0]
            return {
                "ok": True,
                "point_schema": point_schema_digest(),
                "points": [{"model": point.model, "provider": "cpu", "prompt_tokens": 16, "batch_size": 1,
                            "output_tokens": 8}],
                "environment": self.document.environment.model_dump(mode="json"),
                "sessions": [s.model_dump(mode="json") for s in self.document.sessions],
                "skipped": [],
            }  # fmt: skip
        self.log.append(("measure", message.get("side") or self.label, self.number))
        return {"ok": True, "point": self.document.points[0].model_dump(mode="json")}

    def close(self) -> None:
        self.log.append(("close", self.label, self.number))


@pytest.mark.parametrize(
    ("one_process", "reload", "starts", "plans"),
    [
        (True, True, 1, 6),  # one process for both sides, their models loaded anew every round
        (True, False, 1, 2),  # ... or once
        (False, True, 6, 6),  # a process per side: a new pair every round
        (False, False, 2, 2),  # ... or one pair for the run
    ],
)
def test_models_loaded_anew_every_round_in_one_process_or_in_new_ones(
    tmp_path, one_process, reload, starts, plans
) -> None:
    from bench.ab.rounds import AbRequest, run_ab
    from bench.ab.sides import Side
    from bench.scenarios import load_scenario

    scenario = load_scenario(Path(__file__).parent / "data" / "tiny-ab.yaml").scenario
    _CountingWorker.log, _CountingWorker.started = [], 0
    request = AbRequest(
        scenario=scenario, baseline=Side("baseline"), candidate=Side("candidate"), rounds=3, repetitions=2,
        warmup=0, out_dir=tmp_path, telemetry=False, reload_each_round=reload, one_process=one_process,
    )  # fmt: skip
    run = run_ab(request, worker_factory=_CountingWorker)
    assert run.rounds_completed == 3 and run.candidate.ab is not None
    assert run.candidate.ab.one_process is one_process and run.candidate.ab.reloaded_each_round is reload
    log = _CountingWorker.log
    started = [(label, n) for kind, label, n in log if kind == "start"]
    assert len(started) == starts and sum(1 for entry in log if entry[0] == "plan") == plans
    assert {n for kind, _, n in log if kind == "close"} == {n for _, n in started}  # all closed
    sides_of: dict[int, set[str]] = {}
    for kind, side, n in log:
        if kind == "measure":
            sides_of.setdefault(n, set()).add(side)
    if one_process:
        # One process measures both sides, by key: whatever sets its speed is the same for both.
        assert all(sides == {"baseline", "candidate"} for sides in sides_of.values())
    else:
        assert all(len(sides) == 1 for sides in sides_of.values())
    if reload:
        # Every round loads both sides before measuring, the side loaded first alternating.
        loads = [side for kind, side, _ in log if kind == "plan"]
        assert loads[2:4] == ["candidate", "baseline"] and loads[4:6] == ["baseline", "candidate"]
    if starts == 6:
        # The old pair is closed before the next one starts: never two pairs loaded at once.
        first_new = log.index(("start", *started[2]))
        assert {("close", label, n) for label, n in started[:2]} <= set(log[:first_new])


def _ab_pair(base_reasons: list[str], status: str = "flagged"):
    base = make_document({SHAPE: {"tpot_ms": [1.0, 1.01, 0.99] * 6}}, run_id="base")
    cand = make_document({SHAPE: {"tpot_ms": [1.0, 1.0, 1.0] * 6}}, run_id="cand")
    for doc, role in ((base, "baseline"), (cand, "candidate")):
        doc.ab = AbRecord(
            role=role, partner_run_id="x", rounds_planned=6, rounds_completed=6, repetitions_per_round=3,
            warmup_per_round=1, python="python",
        )  # fmt: skip
        doc.points[0].rounds = [r for r in range(6) for _ in range(3)]
    base.points[0].status, base.points[0].reasons = status, base_reasons
    return base, cand


def test_a_flag_for_spread_alone_is_compared_other_flags_are_left_out() -> None:
    """ab bounds its noise with the paired interval, so a high_cv flag does not leave a point out; a
    throttled point still is (the conditions, not the noise, were wrong)."""
    spread = _ab_pair(["high_cv: tpot_ms varies 12.0% within rounds (threshold 10%)"])
    (row,) = build_ab_report(*spread, rule=Rule(), metrics=["tpot_ms"]).rows
    assert not row.excluded and row.gap is None and row.candidate_status == "valid"
    throttled = _ab_pair(["throttled: round 2: 1 of 3 repetitions ran under HwSlowdown"])
    (row,) = build_ab_report(*throttled, rule=Rule(), metrics=["tpot_ms"]).rows
    assert row.excluded and row.gap == "flagged" and "throttled" in row.reason


def test_an_inconclusive_ab_verdict_asks_for_rounds_not_for_bench_ab() -> None:
    from bench.gating import judge

    base, cand = _ab_pair([], status="valid")
    swing = [1.25, 0.92] * 3  # ~7 % worse on average, nowhere near significant over 6 rounds
    cand.points[0].metrics["tpot_ms"].samples = [s for s in swing for _ in range(3)]
    report = build_ab_report(base, cand, rule=Rule(), metrics=["tpot_ms"])
    outcome = judge(report, rule=Rule(), interleaved=True)
    assert outcome.outcome.value == "inconclusive" and "--rounds" in outcome.remedy
    assert "`bench ab`" not in outcome.remedy
    assert "`bench ab`" in judge(report, rule=Rule()).remedy  # compare and gate still point to it
