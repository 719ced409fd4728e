"""The sweep runner: scenario in, one result document out.

Order of work: plan (``bench.sweep.plan``: expand the scenario, check the environment, resolve every
model, all before the first measurement); then per (model, provider) session load once and pin the
search, and per point measure (``bench.sweep.measure``) through the one timing code path in
``bench.engine.genai``. After every point the result is checkpointed atomically
(``bench.sweep.checkpoint``) with ``status: interrupted``, so a crash or kill keeps every completed
point; the last write says ``complete`` (or ``interrupted``/``failed`` with reasons).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Protocol

from bench.engine.genai import NS_PER_S, Interrupted, StopFlag, check_search, import_genai, load_model
from bench.errors import BenchError
from bench.models.identity import model_key
from bench.models.refs import ResolvedModel, resolve_model
from bench.results.files import new_run_id, result_filename
from bench.results.schema import Metric, Point, ResultDocument, ScenarioRecord, SearchRecord, Session
from bench.scenarios import Scenario, SweepPoint
from bench.sweep.checkpoint import IN_PROGRESS, Checkpoint, new_document
from bench.sweep.measure import PointJob, measure_point, point_id
from bench.sweep.plan import SessionPlan, SweepPlan, plan_sweep
from bench.telemetry.api import Telemetry
from bench.telemetry.session import create_telemetry

__all__ = [
    "IN_PROGRESS",
    "Reporter",
    "RunOutcome",
    "RunRequest",
    "SilentReporter",
    "model_key",
    "point_id",
    "run_scenario",
]


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


class _GuardedReporter:
    """Progress is for people: a reporter that cannot write (``bench run smoke | head -3`` closes the
    pipe) goes quiet instead of failing the sweep. The result file is what the run is for."""

    def __init__(self, inner: Reporter) -> None:
        self._inner = inner
        self.broken: OSError | None = None

    def _call(self, method: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        if self.broken is not None:
            return None
        try:
            return method(*args, **kwargs)
        except OSError as exc:  # BrokenPipeError, or a console on a closed or full device
            self.broken = exc
            return None

    def sweep_started(self, *, total: int, notes: Sequence[str]) -> None:
        self._call(self._inner.sweep_started, total=total, notes=notes)

    def building(self, model: str) -> Callable[[int, int, str], None] | None:
        callback = self._call(self._inner.building, model)
        if callback is None:
            return None
        return lambda done, total, tensor: self._call(callback, done, total, tensor)

    def note(self, text: str) -> None:
        self._call(self._inner.note, text)

    def point_started(self, *, index: int, total: int, point: SweepPoint) -> None:
        self._call(self._inner.point_started, index=index, total=total, point=point)

    def point_finished(self, *, index: int, total: int, result: Point) -> None:
        self._call(self._inner.point_finished, index=index, total=total, result=result)

    def sweep_finished(self, *, document: ResultDocument, path: Path) -> None:
        self._call(self._inner.sweep_finished, document=document, path=path)


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

    def provider_options(self, provider: str) -> dict[str, str]:
        return dict(self.scenario.provider_options.get(provider, {}))  # type: ignore[call-overload]

    def device_id(self, provider: str) -> int:
        return int(self.provider_options(provider).get("device_id", 0))

    def scenario_record(self) -> ScenarioRecord:
        return ScenarioRecord(
            name=self.scenario.name,
            description=self.scenario.description,
            source=str(self.source) if self.source else None,
            file_sha256=self.file_sha256,
            overrides=self.overrides,
            definition=self.scenario.model_dump(mode="json"),
        )


@dataclass(frozen=True)
class RunOutcome:
    document: ResultDocument
    path: Path


class _Telemetries:
    """One telemetry collector per provider, created on first use and closed once at the end."""

    def __init__(self, request: RunRequest, factory: TelemetryFactory) -> None:
        self._request, self._factory = request, factory
        self._by_provider: dict[str, Telemetry] = {}

    def for_provider(self, provider: str) -> Telemetry:
        if provider not in self._by_provider:
            options = self._request.provider_options(provider)
            self._by_provider[provider] = self._factory(
                provider=provider,
                device_id=self._request.device_id(provider),
                interval_s=self._request.sample_interval_s,
                enabled=self._request.telemetry,
                provider_options=options,
            )
        return self._by_provider[provider]

    def close(self) -> None:
        for telemetry in self._by_provider.values():
            telemetry.close()


class _Sweep:
    """One run in progress: loads each session and measures its points into the checkpoint."""

    def __init__(
        self, request: RunRequest, *, og: Any, reporter: Reporter, stop: StopFlag, telemetries: _Telemetries
    ) -> None:
        self.request, self.og, self.reporter, self.stop = request, og, reporter, stop
        self.telemetries = telemetries

    def run(self, plan: SweepPlan, checkpoint: Checkpoint) -> None:
        """Measure every point; raises ``Interrupted`` when a stop is requested between steps."""
        index = 0
        for ordinal, planned in enumerate(plan.sessions):
            telemetry = self.telemetries.for_provider(planned.provider)
            self._check_stop()  # before a load that can take a minute (the 12B model)
            session, loaded = self._load(planned, telemetry, ordinal)
            checkpoint.add_session(session)
            for point in planned.points:
                index += 1
                self._check_stop()
                self.reporter.point_started(index=index, total=plan.total, point=point)
                job = PointJob(
                    scenario=self.request.scenario,
                    point=point,
                    session_id=session.id,
                    loaded=loaded,
                    model=planned.model,
                    telemetry=telemetry,
                    stop=self.stop,
                )
                result = measure_point(job)
                checkpoint.add_point(result)
                self.reporter.point_finished(index=index, total=plan.total, result=result)
            del loaded

    def _check_stop(self) -> None:
        if self.stop.requested:
            raise Interrupted(self.stop.reason or "stop requested")

    def _load(self, planned: SessionPlan, telemetry: Telemetry, ordinal: int) -> tuple[Session, Any]:
        provider, resolved = planned.provider, planned.model
        options = self.request.provider_options(provider)
        self.reporter.note(f"loading {resolved.identity.label} with provider {provider}")
        with telemetry.track_load() as probe:
            loaded = load_model(self.og, resolved.path, provider=provider, provider_options=options)
        search = check_search(loaded)
        session = Session(
            id=f"s{ordinal}",
            model=resolved.identity,
            provider=provider,
            provider_options=options,
            genai_provider_options=loaded.genai_options if provider != "cpu" else None,
            dml_adapter=loaded.dml_adapter,
            device_id=self.request.device_id(provider) if provider != "cpu" else None,
            metrics={"model_load_s": Metric(unit="s", samples=[loaded.load_ns / NS_PER_S])},
            telemetry=probe.sample,
            search=SearchRecord(pinned=search.pinned, replaced=search.replaced, verified=search.verified),
        )
        return session, loaded


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
    og = og if og is not None else import_genai()
    reporter = _GuardedReporter(reporter or SilentReporter())
    stop = stop or StopFlag()
    plan = plan_sweep(request.scenario, og=og, resolver=resolver, building=reporter.building, stop=stop)

    started_at = datetime.now(timezone.utc)
    run_id = new_run_id(started_at)
    path = request.out_dir / result_filename(scenario=request.scenario.name, run_id=run_id)
    telemetries = _Telemetries(request, telemetry_factory)
    checkpoint = Checkpoint(
        new_document(
            run_id=run_id,
            started_at=started_at,
            command=command if command is not None else sys.argv,
            scenario=request.scenario_record(),
            og=og,
            gpus=telemetries.for_provider(plan.first_provider).inventory(),
            notes=plan.skipped,
        ),
        path,
    )
    document = checkpoint.document
    reporter.sweep_started(total=plan.total, notes=plan.skipped)
    sweep = _Sweep(request, og=og, reporter=reporter, stop=stop, telemetries=telemetries)
    try:
        sweep.run(plan, checkpoint)
    except Interrupted as exc:
        checkpoint.finish(
            "interrupted",
            [
                f"interrupted ({exc}) after {len(document.points)} of {plan.total} points; "
                "completed points are kept"
            ],
        )
    except BenchError as exc:
        checkpoint.finish("failed", [exc.one_line()])
        raise
    except BaseException as exc:  # a bug or a second Ctrl-C: keep what was measured, then re-raise
        reason = f"{type(exc).__name__}: {exc}"
        checkpoint.finish("interrupted" if isinstance(exc, KeyboardInterrupt) else "failed", [reason])
        raise
    else:
        checkpoint.finish("complete", [])
    finally:
        telemetries.close()
    reporter.sweep_finished(document=document, path=path)
    return RunOutcome(document=document, path=path)
