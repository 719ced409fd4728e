"""Measuring one point: warmups, then repetitions through the one timing path, built whole into a ``Point``.

Each repetition returns a ``Repetition`` value (timings + the telemetry samples of its two phases);
the loop collects them into an ``Attempt``; ``build_point`` derives metrics, telemetry summary and
validity from that value alone. Nothing is filled in place from callbacks.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from bench.engine.genai import (
    NS_PER_S,
    Interrupted,
    LoadedModel,
    RepetitionTiming,
    StopFlag,
    TokenCountMismatch,
    measure_repetition,
)
from bench.metrics import spec
from bench.models.identity import ModelIdentity, model_key
from bench.models.refs import ResolvedModel
from bench.point_key import PointKey
from bench.prompts import Prompt, make_prompt
from bench.results.schema import Metric, Point, PointParams
from bench.scenarios import Scenario, SweepPoint
from bench.telemetry.api import Phase, PointShape, Telemetry
from bench.telemetry.summary import repetition_metrics
from bench.validity import assess_point


def point_id(identity: ModelIdentity, provider: str, params: PointParams) -> str:
    return PointKey.of(model_key(identity), provider, params).id


@dataclass(frozen=True)
class PointJob:
    """Everything fixed while one point is measured."""

    scenario: Scenario
    point: SweepPoint
    session_id: str
    loaded: LoadedModel
    model: ResolvedModel
    telemetry: Telemetry
    stop: StopFlag

    @property
    def shape(self) -> PointShape:
        return PointShape(self.point.prompt_tokens, self.point.batch_size, self.point.output_tokens)

    @property
    def generated_tokens(self) -> int:
        return self.point.batch_size * self.point.output_tokens


@dataclass(frozen=True)
class Repetition:
    timing: RepetitionTiming
    setup: Any  # RepetitionTelemetry | None: the generator_setup phase's sample
    generation: Any  # RepetitionTelemetry | None: the generation phase's sample


@dataclass(frozen=True)
class Attempt:
    """What the warmup and repetition loop produced; ``error`` ends it early and invalidates the point."""

    repetitions: tuple[Repetition, ...]
    warmups: int
    error: str | None = None
    token_count_ok: bool = True


class _TrackedPhase:
    """A telemetry phase that ``measure_repetition`` enters outside its clock; keeps the sample it took."""

    def __init__(self, telemetry: Telemetry, phase: Phase, shape: PointShape) -> None:
        self._telemetry, self._phase, self._shape = telemetry, phase, shape
        self.sample: Any = None

    @contextmanager
    def track(self) -> Iterator[None]:
        with self._telemetry.track_phase(self._phase, point=self._shape) as probe:
            yield
        self.sample = probe.sample


def run_once(job: PointJob, prompt: Prompt) -> Repetition:
    """One measured repetition with telemetry around its two phases."""
    setup = _TrackedPhase(job.telemetry, "generator_setup", job.shape)
    generation = _TrackedPhase(job.telemetry, "generation", job.shape)
    timing = measure_repetition(
        job.loaded,
        prompt_ids=prompt.ids,
        prompt_texts=prompt.texts,
        output_tokens=job.point.output_tokens,
        setup_phase=setup.track,
        generation_phase=generation.track,
        stop=job.stop,
    )
    return Repetition(timing=timing, setup=setup.sample, generation=generation.sample)


def warm_up(job: PointJob, prompt: Prompt) -> None:
    """One unrecorded repetition (no telemetry)."""
    measure_repetition(
        job.loaded,
        prompt_ids=prompt.ids,
        prompt_texts=prompt.texts,
        output_tokens=job.point.output_tokens,
        stop=job.stop,
    )


def _wants_more(scenario: Scenario, repetitions: Sequence[Repetition]) -> bool:
    if len(repetitions) < scenario.repetitions:
        return True
    if scenario.min_time_s is None or len(repetitions) >= scenario.max_repetitions:
        return False
    return sum(r.timing.e2e_ns for r in repetitions) < scenario.min_time_s * NS_PER_S


def repeat(job: PointJob, prompt: Prompt) -> Attempt:
    """Warmups, then repetitions until the scenario's count (and ``min_time_s``) is met.

    A token-count mismatch or a genai failure ends the point as an ``Attempt`` with its error (the
    point is invalid, the sweep goes on); a stop request propagates as ``Interrupted``.
    """
    repetitions: list[Repetition] = []
    warmups = 0
    try:
        for _ in range(job.scenario.warmup):
            warm_up(job, prompt)
            warmups += 1
        while _wants_more(job.scenario, repetitions):
            repetitions.append(run_once(job, prompt))
    except TokenCountMismatch as exc:
        return Attempt(tuple(repetitions), warmups, f"token count mismatch: {exc}", token_count_ok=False)
    except Interrupted:
        raise
    except RuntimeError as exc:
        return Attempt(tuple(repetitions), warmups, f"onnxruntime-genai failed: {exc}")
    return Attempt(tuple(repetitions), warmups)


def measure_point(job: PointJob) -> Point:
    point = job.point
    prompt = make_prompt(
        source=job.scenario.prompt.source,
        tokenizer=job.loaded.tokenizer,
        token_range=job.model.prompt_token_range,
        batch_size=point.batch_size,
        prompt_tokens=point.prompt_tokens,
        seed=job.scenario.seed,
    )
    started_at = datetime.now(timezone.utc)
    attempt = repeat(job, prompt)
    return build_point(job, attempt, started_at=started_at, finished_at=datetime.now(timezone.utc))


def metrics_from(timings: Sequence[RepetitionTiming]) -> dict[str, Metric]:
    """Per-repetition metrics as raw samples; list-valued ones (``itl_ms``) are concatenated in order."""
    samples: dict[str, list[float]] = {}
    for timing in timings:
        for name, value in timing.metrics().items():
            bucket = samples.setdefault(name, [])
            if isinstance(value, list):
                bucket.extend(value)
            else:
                bucket.append(value)
    return {name: Metric(unit=spec(name).unit, samples=values) for name, values in samples.items()}


def build_point(job: PointJob, attempt: Attempt, *, started_at: datetime, finished_at: datetime) -> Point:
    """Metrics, telemetry summary and validity of one point, from its ``Attempt`` alone."""
    point, identity = job.point, job.model.identity
    setups = [r.setup for r in attempt.repetitions]
    generations = [r.generation for r in attempt.repetitions]
    metrics = metrics_from([r.timing for r in attempt.repetitions])
    for name, samples in repetition_metrics(generations, generated_tokens=job.generated_tokens).items():
        metrics[name] = Metric(unit=spec(name).unit, samples=samples)
    point_telemetry = None
    if attempt.repetitions:
        point_telemetry = job.telemetry.summarize_point(
            point=job.shape,
            model=identity,
            setups=setups,
            generations=generations,
            decode_tokens_per_s=metrics["decode_tokens_per_s"].samples,
            generated_tokens=job.generated_tokens,
            first_token_s=[r.timing.first_token_ns / NS_PER_S for r in attempt.repetitions],
        )
    validity = assess_point(
        error=attempt.error,
        token_count_ok=attempt.token_count_ok,
        metric_cv={name: m.summary.cv for name, m in metrics.items() if m.summary is not None},
        cv_threshold=job.scenario.cv_threshold,
        repetitions=len(attempt.repetitions),
        telemetry=point_telemetry,
    )
    params = PointParams(
        prompt_tokens=point.prompt_tokens, batch_size=point.batch_size, output_tokens=point.output_tokens
    )
    return Point(
        id=point_id(identity, point.provider, params),
        session=job.session_id,
        model=model_key(identity),
        model_kind=identity.kind,
        provider=point.provider,
        params=params,
        status=validity.status,
        reasons=validity.reasons,
        error=attempt.error,
        warmups=attempt.warmups,
        repetitions=len(attempt.repetitions),
        started_at=started_at,
        finished_at=finished_at,
        metrics=metrics,
        repetition_telemetry=[s for s in generations if s is not None],
        telemetry=point_telemetry,
        output_sha256=[r.timing.output_sha256 for r in attempt.repetitions if r.timing.output_sha256],
    )
