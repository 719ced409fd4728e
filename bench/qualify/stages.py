"""The measured stages of ``bench qualify``: each runs ordinary sweeps through ``bench.runner`` and judges
them with the pure modules (function, performance, soak). Result files land in ``<out>/runs``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from bench import catalogue
from bench.analysis.regression import Rule
from bench.compare.engine import build_report
from bench.compare.inputs import load_references
from bench.engine.genai import StopFlag
from bench.errors import BenchError, StoppedBeforeMeasuring
from bench.models.refs import ResolvedModel
from bench.qualify.criteria import Criterion, Stage, not_judged
from bench.qualify.function import judge_function, judge_load_failure
from bench.qualify.performance import baseline_only, judge_performance
from bench.qualify.profile import Profile
from bench.qualify.report import QualificationReport
from bench.qualify.soak import judge_soak
from bench.results.schema import ResultDocument, RunStatus
from bench.runner import Reporter, RunRequest, SilentReporter, TelemetryFactory, run_scenario
from bench.scenarios import Scenario, find_scenario, load_scenario, parse_scenario


class Progress(Protocol):
    """Where the stages report (the CLI prints; tests stay silent)."""

    def stage(self, stage: Stage, text: str) -> None: ...
    def runner(self) -> Reporter: ...


class SilentProgress:
    def stage(self, stage: Stage, text: str) -> None:
        pass

    def runner(self) -> Reporter:
        return SilentReporter()


@dataclass(frozen=True)
class StageResult:
    rows: list[Criterion]
    files: list[str]
    interrupted: bool = False


@dataclass(frozen=True)
class _Run:
    document: ResultDocument | None
    files: list[str]
    error: str | None
    interrupted: bool = False


@dataclass
class StageContext:
    profile: Profile
    provider: str
    runs_dir: Path
    og: Any
    stop: StopFlag
    progress: Progress
    telemetry_factory: TelemetryFactory
    baselines: Sequence[Path] | None = None
    scenario_dirs: Sequence[Path] = ()
    resolved: dict[str, ResolvedModel] = field(default_factory=dict)
    documents: list[ResultDocument] = field(default_factory=list)

    def run(self, scenario: Scenario, *, overrides: dict[str, Any] | None = None) -> _Run:
        """One ordinary sweep; a model that fails to load leaves a failed result file behind."""
        before = set(self.runs_dir.glob("*.json")) if self.runs_dir.is_dir() else set()
        reporter = self.progress.runner()
        try:
            outcome = run_scenario(
                RunRequest(scenario=scenario, overrides=overrides or {}, out_dir=self.runs_dir),
                og=self.og,
                reporter=reporter,
                stop=self.stop,
                telemetry_factory=self.telemetry_factory,
                resolver=lambda ref, provider, progress=None: self.resolved[ref],
                command=["bench", "qualify", f"profile={self.profile.name}"],
            )
        except StoppedBeforeMeasuring:
            return _Run(None, [], "interrupted before measuring", interrupted=True)
        except BenchError as exc:
            written = sorted(str(p) for p in set(self.runs_dir.glob("*.json")) - before)
            if not written:  # refused before measuring: the user's input, not the machine
                raise
            return _Run(None, written, exc.one_line())
        finally:
            stop = getattr(reporter, "stop", None)
            if callable(stop):
                stop()
        document = outcome.document
        self.documents.append(document)
        return _Run(document, [str(outcome.path)], None, interrupted=document.status == "interrupted")


def _one_point(name: str, models: list[str], provider: str, prompt: int, batch: int, output: int) -> dict:
    return {
        "name": name,
        "description": f"bench qualify, {name.removeprefix('qualify-')} stage",
        "models": models,
        "providers": [provider],
        "sweep": [{"prompt_tokens": [prompt], "batch_size": [batch], "output_tokens": [output]}],
    }


def run_function(context: StageContext, report: QualificationReport) -> StageResult:
    criteria = context.profile.function
    rows: list[Criterion] = []
    files: list[str] = []
    for model in context.profile.models:  # one run per model: a model that fails to load fails alone
        context.progress.stage("function", f"{model}: load, exact tokens, determinism, memory")
        definition = _one_point(
            "qualify-function",
            [model],
            context.provider,
            criteria.prompt_tokens,
            criteria.batch_size,
            criteria.output_tokens,
        ) | {"warmup": criteria.warmup, "repetitions": criteria.repetitions}
        run = context.run(parse_scenario(definition, origin="profile: function"))
        files.extend(run.files)
        if run.document is None:
            if run.interrupted:
                return StageResult(rows, files, interrupted=True)
            rows.extend(judge_load_failure(model, run.error or "no run"))
            continue
        rows.extend(judge_function(run.document, criteria, model=model, no_gpu=report.facts.no_gpu))
        if run.interrupted:
            return StageResult(rows, files, interrupted=True)
    return StageResult(rows, files)


def run_performance(context: StageContext, report: QualificationReport) -> StageResult:
    criteria = context.profile.performance
    loaded = load_scenario(find_scenario(criteria.scenario, search_dirs=context.scenario_dirs))
    overrides: dict[str, Any] = {"models": list(context.profile.models), "providers": [context.provider]}
    if criteria.repetitions is not None:
        overrides["repetitions"] = criteria.repetitions
    scenario = parse_scenario(
        loaded.scenario.model_dump() | overrides, origin=f"profile: performance ({criteria.scenario})"
    )
    context.progress.stage("performance", f"sweep {scenario.name} against the baseline of this GPU")
    run = context.run(scenario, overrides=overrides)
    document = run.document

    def nothing(reason: str) -> StageResult:
        row = not_judged("performance", "qualification sweep", threshold="measured", reason=reason)
        return StageResult([row], run.files, run.interrupted)

    if document is None:
        return nothing(run.error or "no run")
    if not document.points:
        return nothing(f"no point measured: {'; '.join(document.status_reasons) or document.status}")
    folders = list(context.baselines) if context.baselines is not None else catalogue.baseline_dirs()
    if not folders:
        return nothing("no baseline found (./results/baselines or the baselines shipped with bench)")
    comparison = build_report([document], load_references(folders), rule=Rule(), metrics=criteria.metrics)
    notes = report.stage("performance").notes
    notes.extend([*comparison.notes, comparison.coverage.describe()])
    missing = baseline_only(comparison)
    if missing:
        notes.append(missing)
    rows = judge_performance(comparison, no_gpu=report.facts.no_gpu)
    return StageResult(rows, run.files, run.interrupted)


def run_soak(context: StageContext, report: QualificationReport) -> StageResult:
    criteria = context.profile.soak
    context.progress.stage("soak", f"{criteria.model}: sustained decode for {criteria.duration_s:g} s")
    definition = _one_point(
        "qualify-soak",
        [criteria.model],
        context.provider,
        criteria.prompt_tokens,
        criteria.batch_size,
        criteria.output_tokens,
    ) | {"warmup": 1, "repetitions": 2, "min_time_s": criteria.duration_s, "max_repetitions": 10_000_000}
    run = context.run(parse_scenario(definition, origin="profile: soak"))
    document = run.document
    if document is None:
        status: RunStatus = "interrupted" if run.interrupted else "failed"
        rows, _ = judge_soak(
            None, criteria, run_status=status, run_reasons=[run.error or "no run"], no_gpu=report.facts.no_gpu
        )
        return StageResult(rows, run.files, run.interrupted)
    point = document.points[0] if document.points else None
    rows, result = judge_soak(
        point,
        criteria,
        run_status=document.status,
        run_reasons=document.status_reasons,
        no_gpu=report.facts.no_gpu,
    )
    report.soak = result
    return StageResult(rows, run.files, run.interrupted)
