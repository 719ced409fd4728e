"""The interleaved schedule and the two result files it writes.

Round ``r`` measures every point on both sides, the side that goes first alternating with ``r + point``
(A B, B A, A B, ...: the A B B A order), so drift on the scale of a round hits both sides alike and a
trend within a round cancels over two rounds. Each side's measurements of one point, round after
round, are merged into one ordinary ``Point`` whose ``rounds`` field says which round each repetition
came from; the two side files are ordinary result documents (``bench compare``, the dashboard and the
store read them) and are rewritten atomically after every completed round. A stop request (Ctrl-C) is
honoured between points: the round in progress is dropped and the completed ones kept.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from bench.ab.client import Talker, Worker
from bench.ab.sides import Side
from bench.ab.startup import WorkerFactory, check_points_match, plan_sides, start_workers
from bench.engine.genai import StopFlag
from bench.errors import BenchError
from bench.metrics import GATE_METRICS
from bench.results.files import new_run_id, write_result
from bench.results.schema import (
    AbRecord,
    Environment,
    Metric,
    Point,
    ResultDocument,
    ScenarioRecord,
    Session,
)
from bench.scenarios import Scenario
from bench.validity import HIGH_CV, assess_point

IN_PROGRESS = "in progress: bench ab had not finished when this file was written"


class AbReporter(Protocol):
    def note(self, text: str) -> None: ...
    def round_finished(self, *, completed: int, total: int, seconds: float) -> None: ...


class SilentAbReporter:
    def note(self, text: str) -> None:
        pass

    def round_finished(self, *, completed: int, total: int, seconds: float) -> None:
        pass


@dataclass
class AbRequest:
    scenario: Scenario
    baseline: Side
    candidate: Side
    rounds: int
    repetitions: int  # per side, point and round
    warmup: int  # per side, point and round
    out_dir: Path = Path("results")
    source: Path | None = None
    file_sha256: str | None = None
    telemetry: bool = True
    sample_interval_s: float = 0.010
    command: Sequence[str] = ()
    # Every side's models loaded anew for every round (a new worker process where a side has its own):
    # what fixes a loaded model's speed for its lifetime (where its weights landed in memory) then varies
    # round to round, where the round t counts it as noise, instead of biasing every round of a run
    # alike (docs/STATISTICS.md, "What a process carries").
    reload_each_round: bool = True
    # Sides that share their Python and environment run in one worker process: whatever sets a process's
    # speed then moves both sides alike and cancels in their ratio. False: one process per side always.
    one_process: bool = True

    @property
    def shares_process(self) -> bool:
        a, b = self.baseline, self.candidate
        return self.one_process and Path(a.python) == Path(b.python) and dict(a.env) == dict(b.env)


@dataclass(frozen=True)
class AbRun:
    baseline: ResultDocument
    candidate: ResultDocument
    baseline_path: Path
    candidate_path: Path
    folder: Path
    rounds_completed: int
    interrupted: bool
    wall_s: float


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


def first_side(round_index: int, point_index: int) -> int:
    """0 (baseline first) or 1 (candidate first): alternating by round and by point."""
    return (round_index + point_index) % 2


def run_ab(
    request: AbRequest,
    *,
    stop: StopFlag | None = None,
    reporter: AbReporter | None = None,
    worker_factory: WorkerFactory = Worker,
) -> AbRun:
    """Start both workers, check both sides before measuring anything, then run the rounds."""
    stop = stop or StopFlag()
    reporter = reporter or SilentAbReporter()
    if request.rounds < 1 or request.repetitions < 1 or request.warmup < 0:
        raise BenchError("rounds and repetitions must be >= 1, warmup >= 0", field="--rounds/--repetitions")
    sides = (request.baseline, request.candidate)
    scenarios = [side.scenario(request.scenario) for side in sides]  # bad overrides fail here, first
    workers: list[Talker] = []
    started = time.perf_counter()
    try:
        plans = start_workers(request, sides, scenarios, workers, worker_factory, reporter, first=0)
        check_points_match(plans[0]["points"], plans[1]["points"])

        def reload(round_index: int) -> None:
            """Every side's models loaded anew: planned again in the shared worker, else in a new pair
            of workers; the side that loads first alternates."""
            first = first_side(round_index, 0)
            if request.shares_process:
                fresh = plan_sides(request, sides, scenarios, workers, SilentAbReporter(), first=first)
            else:
                for worker in workers:
                    worker.close()
                workers.clear()
                fresh = start_workers(
                    request, sides, scenarios, workers, worker_factory, SilentAbReporter(), first=first
                )
            for old, new in zip(plans, fresh, strict=True):
                if old["points"] != new["points"]:
                    raise BenchError("a restarted worker planned other points", field="sides")

        return _Rounds(request, sides, scenarios, workers, plans, stop, reporter, started, reload).run()
    finally:
        for worker in workers:
            worker.close()


class _Rounds:
    def __init__(
        self,
        request: AbRequest,
        sides: tuple[Side, Side],
        scenarios: list[Scenario],
        workers: list[Talker],
        plans: list[dict[str, Any]],
        stop: StopFlag,
        reporter: AbReporter,
        started: float,
        reload: Callable[[int], None],
    ) -> None:
        self.request, self.sides, self.workers, self.plans = request, sides, workers, plans
        self.stop, self.reporter, self.started, self.reload = stop, reporter, started, reload
        self.n_points = len(plans[0]["points"])
        started_at = _utcnow()
        run_ids = [new_run_id(started_at), new_run_id(started_at)]
        name = request.scenario.name
        self.folder = request.out_dir / f"{_safe(name)}-ab-{run_ids[0]}"
        self.paths = [self.folder / f"{side.role}.json" for side in sides]
        self.documents = [
            self._document(side, scenario, plan, run_ids[i], run_ids[1 - i], started_at)
            for i, (side, scenario, plan) in enumerate(zip(sides, scenarios, plans, strict=True))
        ]
        # measured[side][point] -> the per-round Points
        self.measured: list[list[list[Point]]] = [[[] for _ in range(self.n_points)] for _ in sides]

    def _document(
        self,
        side: Side,
        scenario: Scenario,
        plan: dict[str, Any],
        run_id: str,
        partner: str,
        started_at: datetime,
    ) -> ResultDocument:
        request = self.request
        worker = self.workers[0 if side.role == "baseline" else 1]
        return ResultDocument(
            run_id=run_id,
            status="interrupted",
            status_reasons=[IN_PROGRESS],
            started_at=started_at,
            command=list(request.command),
            environment=Environment.model_validate(plan["environment"]),
            scenario=ScenarioRecord(
                name=scenario.name,
                description=scenario.description,
                source=str(request.source) if request.source else None,
                file_sha256=request.file_sha256,
                overrides=side.overrides(),
                definition=scenario.model_dump(mode="json"),
            ),
            sessions=[Session.model_validate(s) for s in plan["sessions"]],
            notes=list(plan["skipped"]),
            ab=AbRecord(
                role=side.role,
                partner_run_id=partner,
                rounds_planned=request.rounds,
                rounds_completed=0,
                repetitions_per_round=request.repetitions,
                warmup_per_round=request.warmup,
                python=str(side.python),
                worker=dict(worker.hello),
                env=dict(side.env),
                reloaded_each_round=request.reload_each_round,
                one_process=request.shares_process,
            ),
        )

    def _write(self) -> None:
        for document, path in zip(self.documents, self.paths, strict=True):
            write_result(document, path)

    def run(self) -> AbRun:
        self._write()
        completed = 0
        interrupted = False
        try:
            for round_index in range(self.request.rounds):
                round_started = time.perf_counter()
                if round_index and self.request.reload_each_round:
                    if self.stop.requested:
                        interrupted = True
                        break
                    self.reload(round_index)
                results = self._round(round_index)
                if results is None:
                    interrupted = True
                    break
                for side_index in range(2):
                    for point_index, point in enumerate(results[side_index]):
                        self.measured[side_index][point_index].append(point)
                completed += 1
                self._commit(completed)
                self.reporter.round_finished(
                    completed=completed,
                    total=self.request.rounds,
                    seconds=time.perf_counter() - round_started,
                )
        except BaseException as exc:  # a worker failed mid-run, or a second Ctrl-C: keep what completed
            self._finish(
                completed, "interrupted" if isinstance(exc, KeyboardInterrupt) else "failed", str(exc)
            )
            raise
        self._finish(completed, "interrupted" if interrupted else "complete", self.stop.reason or "")
        return AbRun(
            baseline=self.documents[0],
            candidate=self.documents[1],
            baseline_path=self.paths[0],
            candidate_path=self.paths[1],
            folder=self.folder,
            rounds_completed=completed,
            interrupted=interrupted,
            wall_s=time.perf_counter() - self.started,
        )

    def _round(self, round_index: int) -> list[list[Point]] | None:
        """Every point on both sides, or None when a stop was requested before the round completed."""
        results: list[list[Point]] = [[], []]
        for point_index in range(self.n_points):
            first = first_side(round_index, point_index)
            for side_index in (first, 1 - first):
                if self.stop.requested:
                    return None
                reply = self.workers[side_index].request(
                    {
                        "op": "measure",
                        "index": point_index,
                        "warmup": self.request.warmup,
                        "repetitions": self.request.repetitions,
                    },
                    during=f"round {round_index + 1}",
                )
                results[side_index].append(Point.model_validate(reply["point"]))
        return results

    def _commit(self, completed: int) -> None:
        threshold = self.request.scenario.cv_threshold
        for side_index, document in enumerate(self.documents):
            document.points = [
                merge_rounds(rounds, cv_threshold=threshold) for rounds in self.measured[side_index]
            ]
            assert document.ab is not None
            document.ab.rounds_completed = completed
        self._write()

    def _finish(self, completed: int, status: str, why: str) -> None:
        for document in self.documents:
            document.finished_at = _utcnow()
            if status == "complete":
                document.status, document.status_reasons = "complete", []
            else:
                document.status = "interrupted" if status == "interrupted" else "failed"
                total = self.request.rounds
                document.status_reasons = [
                    f"{status} ({why or 'stop requested'}) after {completed} of {total} rounds; "
                    "completed rounds are kept"
                ]
        self._write()


def _safe(name: str) -> str:
    import re

    return re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-") or "ab"


def merge_rounds(rounds: Sequence[Point], *, cv_threshold: float) -> Point:
    """One point's measurements, round after round, as one ordinary ``Point``.

    Samples are concatenated (``rounds`` says which round each repetition came from); an error in any
    round makes the point invalid; flags raised by telemetry in any round are kept, naming the round.
    The spread check (high_cv) is redone on the spread *within* rounds, which is what the paired test
    sees: a drift between rounds is not noise there. The point telemetry summary is the last round's.
    """
    if not rounds:
        raise ValueError("no rounds to merge")
    first, last = rounds[0], rounds[-1]
    metrics: dict[str, Any] = {}
    round_of: list[int] = []
    for index, point in enumerate(rounds):
        round_of.extend([index] * point.repetitions)
        for name, metric in point.metrics.items():
            merged = metrics.setdefault(name, {"unit": metric.unit, "samples": []})
            merged["samples"].extend(metric.samples)
    error = next((f"round {i + 1}: {p.error}" for i, p in enumerate(rounds) if p.error), None)
    kept: list[str] = []
    for index, point in enumerate(rounds):
        for reason in point.reasons:
            code, _, text = reason.partition(": ")
            if code != HIGH_CV:
                kept.append(f"{code}: round {index + 1}: {text}")
    spread = assess_point(
        error=None,
        token_count_ok=True,
        metric_cv=within_round_cv(metrics, round_of),
        cv_threshold=cv_threshold,
        telemetry=None,
    )
    reasons = list(
        dict.fromkeys(kept + [r.replace(" between repetitions", " within rounds") for r in spread.reasons])
    )
    statuses = [p.status for p in rounds]
    status = "invalid" if "invalid" in statuses else "flagged" if reasons else "valid"
    return first.model_copy(
        update={
            "status": status,
            "reasons": reasons,
            "error": error,
            "warmups": sum(p.warmups for p in rounds),
            "repetitions": len(round_of),
            "finished_at": last.finished_at,
            "metrics": {name: Metric(unit=m["unit"], samples=m["samples"]) for name, m in metrics.items()},
            "repetition_telemetry": [t for p in rounds for t in p.repetition_telemetry],
            "output_sha256": [h for p in rounds for h in p.output_sha256],
            "telemetry": last.telemetry,
            "rounds": round_of,
        }
    )


def within_round_cv(metrics: dict[str, Any], round_of: Sequence[int]) -> dict[str, float]:
    """Per gate metric, the coefficient of variation of each sample relative to its round's median."""
    cv: dict[str, float] = {}
    rounds = np.asarray(round_of)
    for name in GATE_METRICS:
        samples = np.asarray(metrics.get(name, {}).get("samples", []), dtype=float)
        if samples.size != rounds.size or samples.size < 2:
            continue
        relative = np.empty_like(samples)
        for r in np.unique(rounds):
            mask = rounds == r
            median = float(np.median(samples[mask]))
            relative[mask] = samples[mask] / median if median > 0 else np.nan
        if np.isfinite(relative).all():
            cv[name] = float(np.std(relative, ddof=1) / np.mean(relative))
    return cv
