"""``bench qualify``'s core: read the GPU, run the stages through the ordinary runner, judge, report.

The runs behind the report are ordinary result files (``<out>/runs/``), written by ``bench.runner``,
so ``bench compare`` and the dashboard read them too. The report is rewritten after every stage, so
an interrupted qualification keeps what it completed (and says which stages did not run).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Protocol

from bench.analysis.regression import Rule
from bench.atomic import atomic_write_text
from bench.compare.engine import build_report
from bench.compare.inputs import baseline_dirs, load_references
from bench.engine.genai import StopFlag, import_genai
from bench.environment import collect_host, collect_software
from bench.errors import BenchError
from bench.models.refs import ResolvedModel, resolve_model
from bench.qualify.criteria import STAGES, Criterion, Stage, not_judged
from bench.qualify.facts import GpuFacts, read_gpu_facts
from bench.qualify.function import judge_function, judge_load_failure
from bench.qualify.inventory import judge_inventory, merge_link
from bench.qualify.performance import judge_performance
from bench.qualify.profile import LoadedProfile, Profile
from bench.qualify.report import MachineIdentity, QualificationReport, report_json
from bench.qualify.soak import judge_soak
from bench.results.schema import ResultDocument
from bench.results.store import new_run_id
from bench.runner import Reporter, RunRequest, SilentReporter, TelemetryFactory, run_scenario
from bench.scenarios import Scenario, find_scenario, load_scenario, parse_scenario
from bench.telemetry.session import create_telemetry

RUNS_SUBDIR = "runs"
GIB = 1024**3


class Progress(Protocol):
    """Where the stages report (the CLI prints; tests stay silent)."""

    def stage(self, stage: Stage, text: str) -> None: ...
    def runner(self) -> Reporter: ...
    def done(self) -> None: ...


class SilentProgress:
    def stage(self, stage: Stage, text: str) -> None:
        pass

    def runner(self) -> Reporter:
        return SilentReporter()

    def done(self) -> None:
        pass


@dataclass(frozen=True)
class QualifyOutputs:
    report: QualificationReport
    json_path: Path
    html_path: Path
    junit_path: Path
    interrupted: bool


@dataclass
class _Context:
    profile: Profile
    provider: str
    runs_dir: Path
    og: Any
    stop: StopFlag
    progress: Progress
    telemetry_factory: TelemetryFactory
    resolved: dict[str, ResolvedModel] = field(default_factory=dict)
    documents: list[ResultDocument] = field(default_factory=list)

    def run(
        self, scenario: Scenario, *, overrides: dict[str, Any] | None = None
    ) -> tuple[ResultDocument | None, list[str], str | None]:
        """(document, result files, load error); a load failure leaves a failed result file behind."""
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
        except BenchError as exc:
            written = sorted(str(p) for p in set(self.runs_dir.glob("*.json")) - before)
            if not written:  # refused before measuring: the user's input, not the machine
                raise
            return None, written, exc.one_line()
        finally:
            stop = getattr(reporter, "stop", None)
            if callable(stop):
                stop()
        self.documents.append(outcome.document)
        return outcome.document, [str(outcome.path)], None


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


def qualify(
    *,
    profile: LoadedProfile,
    provider: str | None = None,
    out_dir: Path,
    store: str | None = None,
    og: Any = None,
    nvml_module: Any = None,
    telemetry_factory: TelemetryFactory | None = None,
    resolver: Callable[..., ResolvedModel] = resolve_model,
    progress: Progress | None = None,
    stop: StopFlag | None = None,
    baselines: Sequence[Path] | None = None,
) -> QualifyOutputs:
    """Qualify this machine against ``profile``; writes the report (JSON, HTML, JUnit) into ``out_dir``.

    ``nvml_module``/``og``/``telemetry_factory``/``resolver``: the library seams (tests pass fakes).
    ``baselines``: folders or files to compare the performance run with (default: ./results/baselines and
    the baselines shipped with bench).
    """
    if store is not None:
        _check_store(store)
    chosen = profile.profile
    provider = provider or chosen.provider
    progress = progress or SilentProgress()
    stop = stop or StopFlag()
    og = og if og is not None else import_genai()
    factory = telemetry_factory or (lambda **kw: create_telemetry(nvml=nvml_module, **kw))
    started = _utcnow()
    stamp = new_run_id(started)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {ext: out_dir / f"qualification-{stamp}.{ext}" for ext in ("json", "html", "xml")}

    progress.stage("inventory", f"reading the GPU for provider {provider}")
    facts = read_gpu_facts(provider=provider, nvml_module=nvml_module)
    report = QualificationReport(
        started_at=started,
        identity=_identity(facts, profile, provider),
        facts=facts,
        profile=chosen.model_dump(mode="json"),
    )
    if facts.no_gpu:
        report.notes.append(
            f"{facts.no_gpu}: every GPU criterion is not judged, so the verdict cannot be PASS"
        )
    report.finish_stage("inventory", judge_inventory(facts, chosen.inventory))
    _checkpoint(report, paths["json"])

    context = _Context(
        profile=chosen,
        provider=provider,
        runs_dir=out_dir / RUNS_SUBDIR,
        og=og,
        stop=stop,
        progress=progress,
        telemetry_factory=factory,
    )
    # Every model is found (or its twin built) before the first measurement: a wrong name fails now.
    for ref in dict.fromkeys([*chosen.models, chosen.soak.model]):
        context.resolved[ref] = resolver(ref, provider=provider, progress=progress.runner().building(ref))

    interrupted = False
    stages: tuple[tuple[Stage, Callable[..., tuple[list[Criterion], list[str], bool]]], ...] = (
        ("function", _function),
        ("performance", _performance),
        ("soak", _soak),
    )
    for stage, action in stages:
        if interrupted:
            report.finish_stage(stage, [_not_run(stage)], state="not run")
            continue
        rows, files, stage_interrupted = action(context, report, baselines)
        report.stage(stage).result_files.extend(files)
        report.finish_stage(stage, rows, state="interrupted" if stage_interrupted else "done")
        interrupted = stage_interrupted
        _checkpoint(report, paths["json"])

    # The PCIe link is judged under load: from every phase of every run that loaded the GPU.
    points = [p for d in context.documents for p in d.points if p.telemetry is not None]
    report.finish_stage(
        "inventory",
        judge_inventory(
            facts,
            chosen.inventory,
            pcie_generation=merge_link([p.telemetry.pcie_generation for p in points if p.telemetry], "gen")
            if points
            else None,
            pcie_width=merge_link([p.telemetry.pcie_width for p in points if p.telemetry], "lanes")
            if points
            else None,
        ),
    )
    report.status = "interrupted" if interrupted else "complete"
    report.finished_at = _utcnow()
    _write_all(report, paths)
    progress.done()
    return QualifyOutputs(report, paths["json"], paths["html"], paths["xml"], interrupted)


def _check_store(store: str) -> None:
    try:
        import bench.store  # noqa: F401  (issue 12's results store)
    except ImportError:
        raise BenchError(
            "this bench has no results store yet",
            field=f"--store {store}",
            hint="leave --store out; the result files under --out/runs can be ingested later",
        ) from None
    raise BenchError("ingesting into a store is not wired into qualify yet", field=f"--store {store}")


def _identity(facts: GpuFacts, profile: LoadedProfile, provider: str) -> MachineIdentity:
    host, software = collect_host(), collect_software()
    device = facts.device
    return MachineIdentity(
        hostname=host.hostname,
        os=f"{host.os} {host.os_release}",
        cpu_model=host.cpu_model,
        ram_total_gib=host.ram_total_bytes / GIB,
        gpu_name=device.name if device else None,
        gpu_uuid=device.uuid if device else None,
        gpu_sku=facts.sku,
        gpu_architecture=device.architecture if device else None,
        driver_version=(device.driver_version if device else None)
        or (facts.inventory.driver_version if facts.inventory else None),
        provider=provider,
        onnxruntime_genai=software.onnxruntime_genai,
        onnxruntime_genai_build=software.onnxruntime_genai_build,
        bench=software.bench,
        profile_name=profile.profile.name,
        profile_source=profile.source,
        profile_sha256=profile.sha256,
    )


def _not_run(stage: Stage) -> Criterion:
    return not_judged(stage, f"{stage} stage", threshold="run to the end", reason="not run: interrupted")


def _interrupted(document: ResultDocument | None) -> bool:
    return document is not None and document.status == "interrupted"


def _function(
    context: _Context, report: QualificationReport, _baselines: Any
) -> tuple[list[Criterion], list[str], bool]:
    criteria = context.profile.function
    rows: list[Criterion] = []
    files: list[str] = []
    for model in context.profile.models:
        context.progress.stage("function", f"{model}: load, exact tokens, determinism, memory")
        scenario = parse_scenario(
            {
                "name": "qualify-function",
                "description": "bench qualify, function stage",
                "models": [model],
                "providers": [context.provider],
                "sweep": [
                    {
                        "prompt_tokens": [criteria.prompt_tokens],
                        "batch_size": [criteria.batch_size],
                        "output_tokens": [criteria.output_tokens],
                    }
                ],
                "warmup": criteria.warmup,
                "repetitions": criteria.repetitions,
            },
            origin="profile: function",
        )
        document, written, error = context.run(scenario)
        files.extend(written)
        if error is not None:
            rows.extend(judge_load_failure(model, error))
            continue
        assert document is not None
        rows.extend(judge_function(document, criteria, model=model, no_gpu=report.facts.no_gpu))
        if _interrupted(document):
            return rows, files, True
    return rows, files, False


def _performance(
    context: _Context, report: QualificationReport, baselines: Sequence[Path] | None
) -> tuple[list[Criterion], list[str], bool]:
    criteria = context.profile.performance
    from bench.cli.common import scenario_dirs

    loaded = load_scenario(find_scenario(criteria.scenario, search_dirs=scenario_dirs()))
    overrides: dict[str, Any] = {"models": list(context.profile.models), "providers": [context.provider]}
    if criteria.repetitions is not None:
        overrides["repetitions"] = criteria.repetitions
    scenario = parse_scenario(
        loaded.scenario.model_dump() | overrides, origin=f"profile: performance ({criteria.scenario})"
    )
    context.progress.stage("performance", f"sweep {scenario.name} ({len(scenario.models)} model(s))")
    document, written, error = context.run(scenario, overrides=overrides)
    if document is None:
        return (
            [not_judged("performance", "qualification sweep", threshold="runs", reason=error or "no run")],
            written,
            False,
        )
    if not document.points:
        why = "; ".join(document.status_reasons) or document.status
        return (
            [
                not_judged(
                    "performance", "qualification sweep", threshold="runs", reason=f"no point measured: {why}"
                )
            ],
            written,
            _interrupted(document),
        )
    folders = (
        list(baselines)
        if baselines is not None
        else [f for f in baseline_dirs() if f.is_dir() and any(f.glob("*.json"))]
    )
    if not folders:
        return (
            [
                not_judged(
                    "performance", "baseline", threshold="a baseline for this GPU", reason="no baseline found"
                )
            ],
            written,
            _interrupted(document),
        )
    comparison = build_report([document], load_references(folders), rule=Rule(), metrics=criteria.metrics)
    report.stage("performance").notes.extend([*comparison.notes, *comparison.mismatches[:5]])
    return judge_performance(comparison, no_gpu=report.facts.no_gpu), written, _interrupted(document)


def _soak(
    context: _Context, report: QualificationReport, _baselines: Any
) -> tuple[list[Criterion], list[str], bool]:
    criteria = context.profile.soak
    context.progress.stage("soak", f"{criteria.model}: sustained decode for {criteria.duration_s:g} s")
    scenario = parse_scenario(
        {
            "name": "qualify-soak",
            "description": "bench qualify, soak stage",
            "models": [criteria.model],
            "providers": [context.provider],
            "sweep": [
                {
                    "prompt_tokens": [criteria.prompt_tokens],
                    "batch_size": [criteria.batch_size],
                    "output_tokens": [criteria.output_tokens],
                }
            ],
            "warmup": 1,
            "repetitions": 2,
            "min_time_s": criteria.duration_s,
            "max_repetitions": 10_000_000,
        },
        origin="profile: soak",
    )
    document, written, error = context.run(scenario)
    if document is None:
        rows, _ = judge_soak(
            None, criteria, run_status="failed", run_reasons=[error or "no run"], no_gpu=report.facts.no_gpu
        )
        return rows, written, False
    point = document.points[0] if document.points else None
    rows, result = judge_soak(
        point,
        criteria,
        run_status=document.status,
        run_reasons=document.status_reasons,
        no_gpu=report.facts.no_gpu,
    )
    report.soak = result
    return rows, written, _interrupted(document)


def _checkpoint(report: QualificationReport, path: Path) -> None:
    atomic_write_text(path, report_json(report))


def _write_all(report: QualificationReport, paths: dict[str, Path]) -> None:
    from bench.qualify.render import render_html, write_junit_report

    atomic_write_text(paths["json"], report_json(report))
    atomic_write_text(paths["html"], render_html(report))
    write_junit_report(report, paths["xml"])


__all__ = ["STAGES", "QualifyOutputs", "SilentProgress", "qualify"]
