"""Bringing both sides of ``bench ab`` up: their workers started (one shared, or one each), checked
to run, their models loaded, and their points checked to pair up, before anything is measured."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from bench.ab.client import SideChannel, Talker
from bench.ab.protocol import point_schema_digest
from bench.ab.sides import Side
from bench.errors import BenchError
from bench.scenarios import Scenario

if TYPE_CHECKING:
    from bench.ab.rounds import AbReporter, AbRequest

WorkerFactory = Callable[..., Talker]


def start_workers(
    request: AbRequest,
    sides: tuple[Side, Side],
    scenarios: list[Scenario],
    workers: list[Talker],
    worker_factory: WorkerFactory,
    reporter: AbReporter,
    *,
    first: int,
) -> list[dict[str, Any]]:
    """Start one worker per side into ``workers`` (baseline, candidate order; ``first`` starts first),
    check each can run, and have each load its side's models: their plans."""
    if request.shares_process:
        side = sides[0]
        reporter.note(f"starting the worker both sides share ({side.python})")
        shared = worker_factory(label=side.role, python=side.python, env=dict(side.env))
        workers.extend(
            [SideChannel(shared, "baseline", owns=True), SideChannel(shared, "candidate", owns=False)]
        )
    else:
        started: dict[int, Talker] = {}
        try:
            for index in (first, 1 - first):
                side = sides[index]
                reporter.note(f"starting the {side.role} worker ({side.python})")
                started[index] = worker_factory(label=side.role, python=side.python, env=dict(side.env))
        finally:
            workers.extend(started[i] for i in sorted(started))  # closed by the caller, whatever happens
    for side, worker in zip(sides, workers, strict=True):
        if worker.hello.get("genai_error"):
            raise BenchError(
                f"onnxruntime-genai is not importable ({worker.hello['genai_error']})",
                field=f"--{side.role}-python {side.python}",
                hint="install onnxruntime-genai (or -cuda / -directml) into that environment",
            )
    return plan_sides(request, sides, scenarios, workers, reporter, first=first)


def plan_sides(
    request: AbRequest,
    sides: tuple[Side, Side],
    scenarios: list[Scenario],
    workers: list[Talker],
    reporter: AbReporter,
    *,
    first: int,
) -> list[dict[str, Any]]:
    """Have each worker load its side's models (``first`` first): their plans, checked readable."""
    plans: dict[int, dict[str, Any]] = {}
    for index in (first, 1 - first):
        side, worker, scenario = sides[index], workers[index], scenarios[index]
        reporter.note(f"loading the {side.role} side's models")
        plans[index] = worker.request(
            {
                "op": "plan",
                "scenario": scenario.model_dump(mode="json"),
                "telemetry": request.telemetry,
                "sample_interval_s": request.sample_interval_s,
            },
            during="loading",
        )
    for index, side in enumerate(sides):
        worker, plan = workers[index], plans[index]
        if plan.get("point_schema") != point_schema_digest():
            raise BenchError(
                f"the {side.role} worker's bench ({worker.hello.get('bench_path')}, "
                f"{worker.hello.get('bench_version')}) writes result points this bench cannot read",
                field=f"--{side.role}-python {side.python}",
                hint="install the same bench version in both environments",
            )
    return [plans[0], plans[1]]


def check_points_match(baseline: Sequence[dict[str, Any]], candidate: Sequence[dict[str, Any]]) -> None:
    """The sides must measure the same shapes in the same order (models may differ, slot by slot)."""

    def shapes(points: Sequence[dict[str, Any]]) -> list[tuple[Any, ...]]:
        slots = list(dict.fromkeys(p["model"] for p in points))
        return [
            (slots.index(p["model"]), p["provider"], p["prompt_tokens"], p["batch_size"], p["output_tokens"])
            for p in points
        ]

    a, b = shapes(baseline), shapes(candidate)
    if a != b:
        only_a = sorted(set(a) - set(b))
        only_b = sorted(set(b) - set(a))
        detail = (
            f"{len(a)} vs {len(b)} points"
            if not (only_a or only_b)
            else f"baseline only: {only_a[:3]}, candidate only: {only_b[:3]} (model slot, provider, p, b, o)"
        )
        raise BenchError(
            f"the sides' points do not match: {detail}",
            field="sides",
            hint="give both sides as many models, in the same order, that hold the same sweep "
            "(a point beyond one model's context is skipped on that side only)",
        )
