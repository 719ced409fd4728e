"""The sweep runner: scenario in, one result document out.

Order of work: validate and expand the scenario, resolve every model (building twins) and check every
provider, all before the first measurement; then per (model, provider) session load once, and per point
run warmups and repetitions through the one timing code path in ``bench.engine.genai``. After every
point the result is checkpointed atomically with ``status: interrupted``, so a crash or kill keeps every
completed point; the last write says ``complete`` (or ``interrupted``/``failed`` with reasons).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Protocol

from bench.engine.genai import (
    NS_PER_S,
    Interrupted,
    LoadedModel,
    RepetitionTiming,
    StopFlag,
    TokenCountMismatch,
    import_genai,
    load_model,
    measure_repetition,
)
from bench.environment import collect_host, collect_providers, collect_software, environment_flags
from bench.errors import BenchError, StoppedBeforeMeasuring
from bench.metrics import spec
from bench.models.identity import ModelIdentity, model_key
from bench.models.refs import ResolvedModel, describe_model, resolve_model
from bench.point_key import PointKey
from bench.prompts import make_prompt
from bench.results.files import new_run_id, result_filename, write_result
from bench.results.schema import (
    Environment,
    Metric,
    Point,
    PointParams,
    ResultDocument,
    ScenarioRecord,
    Session,
)
from bench.scenarios import Expansion, Scenario, SweepPoint, expand
from bench.telemetry.api import PointShape, Probe, Telemetry
from bench.telemetry.session import create_telemetry
from bench.telemetry.summary import repetition_metrics
from bench.validity import assess_point

IN_PROGRESS = "in progress: the run had not finished when this file was written"


class Reporter(Protocol):
    """Where the runner reports progress (a rich progress bar in the CLI, nothing in tests)."""

    def sweep_started(self, *, total: int, notes: Sequence[str]) -> None: ...
    def building(self, model: str) -> Callable[[int, int, str], None] | None:
        """A progress callback for writing a twin (called only when one must be built)."""

    def note(self, text: str) -> None: ...
    def point_started(self, *, index: int, total: int, point: SweepPoint) -> None: ...
    def point_finished(self, *, index: int, total: int, result: Point) -> None: ...
    def sweep_finished(self, *, document: ResultDocument, path: Path) -> None: ...


class SilentReporter:
    def sweep_started(self, *, total: int, notes: Sequence[str]) -> None:
        pass

    def building(self, model: str) -> Callable[[int, int, str], None] | None:
        return None

    def note(self, text: str) -> None:
        pass

    def point_started(self, *, index: int, total: int, point: SweepPoint) -> None:
        pass

    def point_finished(self, *, index: int, total: int, result: Point) -> None:
        pass

    def sweep_finished(self, *, document: ResultDocument, path: Path) -> None:
        pass


TelemetryFactory = Callable[..., Telemetry]


@dataclass
class RunRequest:
    scenario: Scenario
    source: Path | None = None
    file_sha256: str | None = None
    overrides: dict[str, Any] = field(default_factory=dict)
    out_dir: Path = Path("results")
    telemetry: bool = True
    sample_interval_s: float = 0.010


@dataclass(frozen=True)
class RunOutcome:
    document: ResultDocument
    path: Path


def point_id(identity: ModelIdentity, provider: str, params: PointParams) -> str:
    return PointKey.of(model_key(identity), provider, params).id


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


def _metrics_from(timings: Sequence[RepetitionTiming]) -> dict[str, Metric]:
    samples: dict[str, list[float]] = {}
    for timing in timings:
        for name, value in timing.metrics().items():
            bucket = samples.setdefault(name, [])
            if isinstance(value, list):
                bucket.extend(value)
            else:
                bucket.append(value)
    return {name: Metric(unit=spec(name).unit, samples=values) for name, values in samples.items()}


class _Sweep:
    """One run in progress: holds the document and writes checkpoints."""

    def __init__(
        self,
        request: RunRequest,
        *,
        og: Any,
        reporter: Reporter,
        stop: StopFlag,
        telemetry_factory: TelemetryFactory,
        resolver: Callable[..., ResolvedModel],
        command: Sequence[str],
    ) -> None:
        self.request = request
        self.og = og
        self.reporter = reporter
        self.stop = stop
        self.telemetry_factory = telemetry_factory
        self.resolver = resolver
        self.command = list(command)

    # -- set-up, all before the first measurement -------------------------------------------------

    def plan(self) -> Expansion:
        scenario = self.request.scenario
        providers = collect_providers(self.og)
        unavailable = {p.name: p.reason or "unavailable" for p in providers if not p.available}
        return expand(
            scenario,
            context_length=lambda ref: describe_model(ref).context_length,
            unavailable_providers=unavailable,
        )

    def resolve(self, expansion: Expansion) -> dict[tuple[str, str], ResolvedModel]:
        resolved: dict[tuple[str, str], ResolvedModel] = {}
        for point in expansion.points:
            key = (point.model, point.provider)
            if key not in resolved:
                if self.stop.requested:  # building a full-size twin takes a while: honour Ctrl-C between
                    raise StoppedBeforeMeasuring("interrupted while preparing models; nothing was measured")
                resolved[key] = self.resolver(
                    point.model, provider=point.provider, progress=self.reporter.building(point.model)
                )
        seen: dict[tuple[str, str], str] = {}
        for (ref, provider), model in resolved.items():
            same = seen.setdefault((model_key(model.identity), provider), ref)
            if same != ref:
                raise BenchError(
                    f"{same!r} and {ref!r} are the same model ({model_key(model.identity)})",
                    field="models",
                    hint="list it once",
                )
        return resolved

    def new_document(
        self, *, run_id: str, started_at: datetime, notes: list[str], gpus: Any
    ) -> ResultDocument:
        request = self.request
        return ResultDocument(
            run_id=run_id,
            status="interrupted",
            status_reasons=[IN_PROGRESS],
            started_at=started_at,
            command=self.command,
            environment=Environment(
                host=collect_host(),
                software=collect_software(),
                providers=collect_providers(self.og),
                gpus=gpus,
                env_vars=environment_flags(),
            ),
            scenario=ScenarioRecord(
                name=request.scenario.name,
                description=request.scenario.description,
                source=str(request.source) if request.source else None,
                file_sha256=request.file_sha256,
                overrides=request.overrides,
                definition=request.scenario.model_dump(mode="json"),
            ),
            notes=notes,
        )

    # -- measurement ------------------------------------------------------------------------------

    def run(self) -> RunOutcome:
        scenario = self.request.scenario
        expansion = self.plan()
        resolved = self.resolve(expansion)

        started_at = _utcnow()
        run_id = new_run_id(started_at)
        path = self.request.out_dir / result_filename(scenario=scenario.name, run_id=run_id)
        telemetries: dict[str, Telemetry] = {}

        def telemetry_for(provider: str) -> Telemetry:
            if provider not in telemetries:
                options = self._provider_options(provider)
                telemetries[provider] = self.telemetry_factory(
                    provider=provider,
                    device_id=self._device_id(provider),
                    interval_s=self.request.sample_interval_s,
                    enabled=self.request.telemetry,
                    **({"dxgi_luid": options["luid"]} if provider == "dml" and "luid" in options else {}),
                )
            return telemetries[provider]

        inventory = telemetry_for(expansion.points[0].provider).inventory()
        document = self.new_document(
            run_id=run_id, started_at=started_at, notes=list(expansion.skipped), gpus=inventory
        )
        write_result(document, path)
        self.reporter.sweep_started(total=len(expansion.points), notes=expansion.skipped)

        total = len(expansion.points)
        index = 0
        try:
            for (model_ref, provider), resolved_model in resolved.items():
                session_points = [
                    p for p in expansion.points if (p.model, p.provider) == (model_ref, provider)
                ]
                telemetry = telemetry_for(provider)
                if self.stop.requested:  # before a load that can take a minute (the 12B model)
                    raise Interrupted(self.stop.reason or "stop requested")
                session, loaded = self._load(resolved_model, provider, telemetry, len(document.sessions))
                document.sessions.append(session)
                for point in session_points:
                    index += 1
                    if self.stop.requested:
                        raise Interrupted(self.stop.reason or "stop requested")
                    self.reporter.point_started(index=index, total=total, point=point)
                    result = self._measure_point(point, session, loaded, resolved_model, telemetry)
                    document.points.append(result)
                    write_result(document, path)
                    self.reporter.point_finished(index=index, total=total, result=result)
                del loaded
        except Interrupted as exc:
            document.status = "interrupted"
            document.status_reasons = [
                f"interrupted ({exc}) after {len(document.points)} of {total} points; "
                "completed points are kept"
            ]
        except BenchError as exc:
            document.status = "failed"
            document.status_reasons = [exc.one_line()]
            self._finish(document, path, telemetries)
            raise
        except BaseException as exc:  # a bug or a second Ctrl-C: keep what was measured, then re-raise
            document.status = "failed" if not isinstance(exc, KeyboardInterrupt) else "interrupted"
            document.status_reasons = [f"{type(exc).__name__}: {exc}"]
            self._finish(document, path, telemetries)
            raise
        else:
            document.status = "complete"
            document.status_reasons = []
        self._finish(document, path, telemetries)
        self.reporter.sweep_finished(document=document, path=path)
        return RunOutcome(document=document, path=path)

    def _finish(self, document: ResultDocument, path: Path, telemetries: dict[str, Telemetry]) -> None:
        document.finished_at = _utcnow()
        write_result(document, path)
        for telemetry in telemetries.values():
            telemetry.close()

    def _provider_options(self, provider: str) -> dict[str, str]:
        return dict(self.request.scenario.provider_options.get(provider, {}))  # type: ignore[call-overload]

    def _device_id(self, provider: str) -> int:
        return int(self._provider_options(provider).get("device_id", 0))

    def _load(
        self, resolved: ResolvedModel, provider: str, telemetry: Telemetry, ordinal: int
    ) -> tuple[Session, LoadedModel]:
        options = self._provider_options(provider)
        device_id = self._device_id(provider)
        self.reporter.note(f"loading {resolved.identity.label} with provider {provider}")
        with telemetry.track_load() as probe:
            loaded = load_model(self.og, resolved.path, provider=provider, provider_options=options)
        session = Session(
            id=f"s{ordinal}",
            model=resolved.identity,
            provider=provider,
            provider_options=options,
            device_id=device_id if provider != "cpu" else None,
            metrics={"model_load_s": Metric(unit="s", samples=[loaded.load_ns / NS_PER_S])},
            telemetry=probe.sample,
        )
        return session, loaded

    def _measure_point(
        self,
        point: SweepPoint,
        session: Session,
        loaded: LoadedModel,
        resolved: ResolvedModel,
        telemetry: Telemetry,
    ) -> Point:
        scenario = self.request.scenario
        params = PointParams(
            prompt_tokens=point.prompt_tokens, batch_size=point.batch_size, output_tokens=point.output_tokens
        )
        shape = PointShape(point.prompt_tokens, point.batch_size, point.output_tokens)
        prompt = make_prompt(
            source=scenario.prompt.source,
            tokenizer=loaded.tokenizer,
            token_range=resolved.prompt_token_range,
            batch_size=point.batch_size,
            prompt_tokens=point.prompt_tokens,
            seed=scenario.seed,
        )
        started_at = _utcnow()
        timings: list[RepetitionTiming] = []
        setups: list[Any] = []
        generations: list[Any] = []
        error: str | None = None
        token_count_ok = True
        warmups_done = 0

        def once(record: bool) -> None:
            setup_probe: Probe[Any] = Probe()
            generation_probe: Probe[Any] = Probe()

            def setup_phase() -> Any:
                return _keep(telemetry.track_phase("generator_setup", point=shape), setup_probe)

            def generation_phase() -> Any:
                return _keep(telemetry.track_phase("generation", point=shape), generation_probe)

            timing = measure_repetition(
                loaded,
                prompt_ids=prompt.ids,
                prompt_texts=prompt.texts,
                output_tokens=point.output_tokens,
                setup_phase=setup_phase if record else _no_phase,
                generation_phase=generation_phase if record else _no_phase,
                stop=self.stop,
            )
            if record:
                timings.append(timing)
                setups.append(setup_probe.sample)
                generations.append(generation_probe.sample)

        try:
            for _ in range(scenario.warmup):
                once(record=False)
                warmups_done += 1
            measured_ns = 0
            while len(timings) < scenario.repetitions or (
                scenario.min_time_s is not None
                and measured_ns < scenario.min_time_s * NS_PER_S
                and len(timings) < scenario.max_repetitions
            ):
                once(record=True)
                measured_ns += timings[-1].e2e_ns
        except TokenCountMismatch as exc:
            error, token_count_ok = f"token count mismatch: {exc}", False
        except RuntimeError as exc:
            if isinstance(exc, Interrupted):
                raise
            error = f"onnxruntime-genai failed: {exc}"

        metrics = _metrics_from(timings)
        for name, samples in repetition_metrics(
            generations, generated_tokens=point.batch_size * point.output_tokens
        ).items():
            metrics[name] = Metric(unit=spec(name).unit, samples=samples)
        point_telemetry = None
        if timings:
            point_telemetry = telemetry.summarize_point(
                point=shape,
                model=resolved.identity,
                setups=setups,
                generations=generations,
                decode_tokens_per_s=metrics["decode_tokens_per_s"].samples,
                generated_tokens=point.batch_size * point.output_tokens,
            )
        cv = {name: m.summary.cv for name, m in metrics.items() if m.summary is not None}
        validity = assess_point(
            error=error,
            token_count_ok=token_count_ok,
            metric_cv=cv,
            cv_threshold=scenario.cv_threshold,
            telemetry=point_telemetry,
        )
        return Point(
            id=point_id(resolved.identity, point.provider, params),
            session=session.id,
            model=model_key(resolved.identity),
            model_kind=resolved.identity.kind,
            provider=point.provider,
            params=params,
            status=validity.status,
            reasons=validity.reasons,
            error=error,
            warmups=warmups_done,
            repetitions=len(timings),
            started_at=started_at,
            finished_at=_utcnow(),
            metrics=metrics,
            repetition_telemetry=[s for s in generations if s is not None],
            telemetry=point_telemetry,
            output_sha256=[t.output_sha256 for t in timings if t.output_sha256],
        )


class _keep:
    """Enter a telemetry phase and hand its sample to ``probe`` on exit."""

    def __init__(self, manager: Any, probe: Probe[Any]) -> None:
        self.manager = manager
        self.probe = probe

    def __enter__(self) -> None:
        self.inner = self.manager.__enter__()

    def __exit__(self, *exc: object) -> None:
        self.manager.__exit__(*exc)
        self.probe.sample = self.inner.sample


def _no_phase() -> Any:
    from contextlib import nullcontext

    return nullcontext()


def run_scenario(
    request: RunRequest,
    *,
    og: Any = None,
    reporter: Reporter | None = None,
    stop: StopFlag | None = None,
    telemetry_factory: TelemetryFactory = create_telemetry,
    resolver: Callable[..., ResolvedModel] = resolve_model,
    command: Sequence[str] | None = None,
) -> RunOutcome:
    """Run every point of ``request.scenario`` and write one result file into ``request.out_dir``."""
    return _Sweep(
        request,
        og=og if og is not None else import_genai(),
        reporter=reporter or SilentReporter(),
        stop=stop or StopFlag(),
        telemetry_factory=telemetry_factory,
        resolver=resolver,
        command=command if command is not None else sys.argv,
    ).run()
