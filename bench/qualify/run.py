"""``bench qualify``'s core: read the GPU, run the stages through the ordinary runner, judge, report.

The runs behind the report are ordinary result files (``<out>/runs/``), written by ``bench.runner``,
so ``bench compare`` and the dashboard read them too. The report is rewritten after every stage, so an
interrupted qualification keeps what it completed (and says which stages did not run).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from sqlalchemy.engine import URL

from bench.atomic import atomic_write_text
from bench.engine.genai import StopFlag, import_genai
from bench.environment import collect_host, collect_providers, collect_software
from bench.errors import BenchError
from bench.models.refs import ResolvedModel, resolve_model
from bench.qualify.criteria import Criterion, Stage, not_judged
from bench.qualify.facts import GpuFacts, read_gpu_facts
from bench.qualify.inventory import judge_inventory, merge_link
from bench.qualify.profile import LoadedProfile
from bench.qualify.report import MachineIdentity, QualificationReport, report_json
from bench.qualify.stages import (
    Progress,
    SilentProgress,
    StageContext,
    StageResult,
    run_function,
    run_performance,
    run_soak,
)
from bench.results.files import new_run_id
from bench.runner import TelemetryFactory
from bench.store import open_store
from bench.store.ingest import ingest
from bench.store.url import store_url
from bench.telemetry.factory import create_telemetry

RUNS_SUBDIR = "runs"
GIB = 1024**3
_STAGES: tuple[tuple[Stage, Callable[[StageContext, QualificationReport], StageResult]], ...] = (
    ("function", run_function),
    ("performance", run_performance),
    ("soak", run_soak),
)


@dataclass(frozen=True)
class QualifyOutputs:
    report: QualificationReport
    json_path: Path
    html_path: Path
    junit_path: Path
    interrupted: bool


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
    scenario_dirs: Sequence[Path] = (),
) -> QualifyOutputs:
    """Qualify this machine against ``profile``; writes the report (JSON, HTML, JUnit) into ``out_dir``.

    ``nvml_module``/``og``/``telemetry_factory``/``resolver``: the library seams (tests pass fakes).
    ``baselines``: folders or files the performance run is compared with (default: ./results/baselines
    and the baselines shipped with bench). ``scenario_dirs``: where the performance scenario's bare name
    is looked up (the CLI passes ./scenarios and the scenarios shipped with bench).
    """
    store_at = store_url(store) if store is not None else None  # a bad URL is refused before anything runs
    chosen = profile.profile
    provider = provider or chosen.provider
    progress = progress or SilentProgress()
    stop = stop or StopFlag()
    og = og if og is not None else import_genai()
    factory = telemetry_factory or (lambda **kw: create_telemetry(nvml=nvml_module, **kw))
    _check_provider(og, provider)
    # Every model is found (or its twin built) before anything is written: a wrong name fails now.
    resolved = {
        ref: resolver(ref, provider=provider, progress=progress.runner().building(ref))
        for ref in dict.fromkeys([*chosen.models, chosen.soak.model])
    }
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BenchError(
            f"cannot create the folder: {exc.strerror or exc}", field=f"--out {out_dir}"
        ) from None
    started = _utcnow()
    stem = f"qualification-{new_run_id(started)}"  # one stem for the three files of one report
    paths = {ext: out_dir / f"{stem}.{ext}" for ext in ("json", "html", "xml")}

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

    context = StageContext(
        profile=chosen,
        provider=provider,
        runs_dir=out_dir / RUNS_SUBDIR,
        og=og,
        stop=stop,
        progress=progress,
        telemetry_factory=factory,
        baselines=baselines,
        scenario_dirs=scenario_dirs,
        resolved=resolved,
    )

    interrupted = False
    for stage, action in _STAGES:
        if interrupted or stop.requested:
            interrupted = True
            report.finish_stage(stage, [_not_run(stage)], state="not run")
            continue
        result = action(context, report)
        report.stage(stage).result_files.extend(result.files)
        report.finish_stage(stage, result.rows, state="interrupted" if result.interrupted else "done")
        interrupted = result.interrupted
        _checkpoint(report, paths["json"])

    # The PCIe link is judged under load: from every point of every run that loaded the GPU.
    link = [p.telemetry for d in context.documents for p in d.points if p.telemetry is not None]
    report.finish_stage(
        "inventory",
        judge_inventory(
            facts,
            chosen.inventory,
            pcie_generation=merge_link([t.pcie_generation for t in link], "gen") if link else None,
            pcie_width=merge_link([t.pcie_width for t in link], "lanes") if link else None,
        ),
    )
    report.status = "interrupted" if interrupted else "complete"
    if interrupted:
        report.notes.append(
            "interrupted: the stages completed before the stop are kept; the rest did not run"
        )
    if store_at is not None:
        _store_runs(report, store_at, context.runs_dir)
    report.finished_at = _utcnow()
    _write_all(report, paths)
    return QualifyOutputs(report, paths["json"], paths["html"], paths["xml"], interrupted)


def _store_runs(report: QualificationReport, url: URL, runs_dir: Path) -> None:
    """Ingest the runs behind the report; a store that fails never loses the qualification: it is noted."""
    if not runs_dir.is_dir():
        report.notes.append(f"store: no runs to ingest ({runs_dir} was not written)")
        return
    try:
        with open_store(url) as db:
            done = ingest(db, [runs_dir])
            where = db.display
    except BenchError as exc:
        report.notes.append(
            f"store: not ingested: {exc.one_line()} (`bench ingest {runs_dir}` adds them later)"
        )
        return
    skipped = f", {len(done.skipped)} skipped" if done.skipped else ""
    report.store = f"{where}: {len(done.added)} run(s) added, {len(done.present)} already there{skipped}"


def _check_provider(og: Any, provider: str) -> None:
    info = next((p for p in collect_providers(og) if p.name == provider), None)
    if info is None or not info.available:
        raise BenchError(
            f"provider {provider} is not available: {info.reason if info else 'unknown provider'}",
            field="--provider",
            hint="see `bench env`; choose another provider or install the matching onnxruntime-genai build",
        )


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


def _checkpoint(report: QualificationReport, path: Path) -> None:
    atomic_write_text(path, report_json(report))


def _write_all(report: QualificationReport, paths: dict[str, Path]) -> None:
    from bench.qualify.render import render_html, write_junit_report

    atomic_write_text(paths["json"], report_json(report))
    atomic_write_text(paths["html"], render_html(report))
    write_junit_report(report, paths["xml"])
