"""``bench ab``: a baseline side and a candidate side measured interleaved on one machine."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Literal

import typer
from rich.console import Console
from rich.markup import escape

from bench import catalogue
from bench.ab.report import build_ab_report
from bench.ab.rounds import AbRequest, run_ab
from bench.ab.sides import Side, check_python, parse_env, parse_provider_options
from bench.atomic import atomic_write_text
from bench.cli.common import (
    DashboardOption,
    OutDirOption,
    ProvidersOption,
    TelemetryOption,
    check_output_paths,
)
from bench.cli.compare import (
    AlphaOption,
    CorrectionOption,
    IncludeFlaggedOption,
    JsonReportOption,
    JUnitOption,
    MarkdownOption,
    MetricOption,
    MinCoverageOption,
    MinEffectOption,
    check_ci_outputs,
    conclude,
    emit,
    make_rule,
)
from bench.compare.render import to_json
from bench.engine.genai import StopFlag
from bench.interrupt import graceful_stop
from bench.outcome import EXIT_INTERRUPTED
from bench.scenarios import find_scenario, load_scenario, parse_scenario
from bench.status import PointStatus


def ab(
    scenario: Annotated[str, typer.Argument(help="Scenario name (e.g. ci-gate) or a .yaml path.")],
    baseline_model: Annotated[
        list[str] | None,
        typer.Option(help="The baseline side's models instead of the scenario's (repeatable, same order)."),
    ] = None,
    candidate_model: Annotated[
        list[str] | None,
        typer.Option(help="The candidate side's models, e.g. a new export (repeatable, same order)."),
    ] = None,
    baseline_python: Annotated[
        Path | None, typer.Option(help="Python of the baseline side's environment (default: this one).")
    ] = None,
    candidate_python: Annotated[
        Path | None,
        typer.Option(help="Python of the candidate side's environment, e.g. another onnxruntime-genai."),
    ] = None,
    baseline_env: Annotated[
        list[str] | None, typer.Option(help="KEY=VALUE set for the baseline side only (repeatable).")
    ] = None,
    candidate_env: Annotated[
        list[str] | None, typer.Option(help="KEY=VALUE set for the candidate side only (repeatable).")
    ] = None,
    baseline_option: Annotated[
        list[str] | None,
        typer.Option(help="PROVIDER.KEY=VALUE provider option for the baseline side (repeatable)."),
    ] = None,
    candidate_option: Annotated[
        list[str] | None,
        typer.Option(help="PROVIDER.KEY=VALUE provider option for the candidate side (repeatable)."),
    ] = None,
    provider: ProvidersOption = None,
    rounds: Annotated[int, typer.Option(min=1, help="Rounds; each measures every point on both sides.")] = 24,
    repetitions: Annotated[
        int, typer.Option(min=1, help="Repetitions per side, point and round (3 vs 3: 20 orders per round).")
    ] = 3,
    warmup: Annotated[int, typer.Option(min=0, help="Warmups per side, point and round.")] = 1,
    reload: Annotated[
        bool,
        typer.Option(
            "--reload/--load-once",
            help="Load every side's models anew for every round (in new worker processes where the sides "
            "have one each), so what fixes a loaded model's speed for its lifetime (where its weights "
            "landed in memory) is round-to-round noise instead of a bias of the whole run. --load-once: "
            "faster where loading is slow; only where A/A runs showed no such offset.",
        ),
    ] = True,
    one_process: Annotated[
        bool,
        typer.Option(
            "--one-process/--process-per-side",
            help="Sides that share their Python and environment variables run in one worker process (both "
            "sides' models loaded in it), so what sets a process's speed is the same for both and cancels "
            "in their ratio. --process-per-side: a process per side (sides with different Pythons or "
            "environments always get one each).",
        ),
    ] = True,
    out: OutDirOption = Path("results"),
    telemetry: TelemetryOption = True,
    alpha: AlphaOption = None,
    min_effect: MinEffectOption = None,
    correction: CorrectionOption = None,
    include_flagged: IncludeFlaggedOption = False,
    metric: MetricOption = None,
    paired_test: Annotated[
        Literal["van-elteren", "round-t"],
        typer.Option(
            help="round-t: Student's t on the per-round log ratios (holds its level whatever moves one "
            "side's half of a round); van-elteren: ranks every repetition within its round (sharper, but "
            "calls drift inside a round evidence; for a runner where that was measured negligible)."
        ),
    ] = "round-t",
    min_coverage: MinCoverageOption = "100%",
    junit: JUnitOption = None,
    json_output: JsonReportOption = False,
    markdown: MarkdownOption = False,
    dashboard: DashboardOption = None,
) -> None:
    """Measure a baseline side and a candidate side interleaved, and gate on their difference.

    Sides that share their Python and environment run in one worker process (else one each, under
    each side's Python), and every side's models are loaded anew for every round (--load-once: once);
    rounds alternate which side goes first (A B, B A, ...), and every round measures every point on both
    sides.
    The decision pairs the sides within each round, so drift that moves a whole round cancels: per point
    and metric, Student's t on the per-round log ratios (or --paired-test van-elteren), the geometric
    mean of the round ratios, the same minimum effect and correction as `bench compare`. Writes the two
    sides as ordinary result files (plus report.json) into a folder under --out. Ctrl-C keeps the
    completed rounds.

    Exit codes: 0 PASS (no regression, and at least --min-coverage of the comparisons decided),
    1 regression or an invalid point, 3 INCONCLUSIVE (too few rounds, flagged points, a change beyond the
    minimum effect not yet significant; the reason and the remedy are printed), 2 bad input (a side
    that does not load, a Python without onnxruntime-genai, sides whose points differ: nothing is
    measured), 130 interrupted (the completed rounds are kept).
    """
    rule = make_rule(
        alpha=alpha, min_effect=min_effect, correction=correction, include_flagged=include_flagged
    )
    floor = check_ci_outputs(min_coverage=min_coverage, junit=junit)
    loaded = load_scenario(find_scenario(scenario, search_dirs=catalogue.search_dirs("scenarios")))
    base = loaded.scenario
    if provider:
        base = parse_scenario(base.model_dump() | {"providers": provider}, origin="command line")
    sides = (
        Side(
            "baseline",
            python=check_python(baseline_python, role="baseline")
            if baseline_python
            else Path(sys.executable),
            models=tuple(baseline_model or ()),
            env=parse_env(baseline_env or [], role="baseline"),
            provider_options=parse_provider_options(baseline_option or [], role="baseline"),
        ),
        Side(
            "candidate",
            python=check_python(candidate_python, role="candidate")
            if candidate_python
            else Path(sys.executable),
            models=tuple(candidate_model or ()),
            env=parse_env(candidate_env or [], role="candidate"),
            provider_options=parse_provider_options(candidate_option or [], role="candidate"),
        ),
    )
    check_output_paths(out_dir=out, dashboard=dashboard)
    console = Console(stderr=True)
    stop = StopFlag()
    with graceful_stop(stop, announce=console.print):
        run = run_ab(
            AbRequest(
                scenario=base,
                baseline=sides[0],
                candidate=sides[1],
                rounds=rounds,
                repetitions=repetitions,
                warmup=warmup,
                out_dir=out,
                source=loaded.source,
                file_sha256=loaded.file_sha256,
                telemetry=telemetry,
                command=sys.argv,
                reload_each_round=reload,
                one_process=one_process,
            ),
            stop=stop,
            reporter=_Reporter(console),
        )
    console.print(
        f"results: [bold]{escape(str(run.folder))}[/] ({run.rounds_completed} rounds, {run.wall_s:.0f} s)"
    )
    if run.rounds_completed == 0:
        console.print("interrupted before the first round completed: nothing to compare")
        raise typer.Exit(code=EXIT_INTERRUPTED)
    report = build_ab_report(run.baseline, run.candidate, rule=rule, metrics=metric or None, test=paired_test)
    atomic_write_text(run.folder / "report.json", to_json(report))
    title = f"bench ab {base.name}"
    if dashboard is not None:
        from bench.dashboard import write_dashboard

        write_dashboard(
            documents=[run.candidate], report=report, baselines=[run.baseline], output=dashboard, rule=rule
        )
        console.print(f"dashboard: {escape(str(dashboard))}")
    emit(report, json_output=json_output, markdown=markdown, title=title)
    invalid = [
        f"{p.id}: {p.error or '; '.join(p.reasons) or 'no reason recorded'}"
        for p in run.candidate.points
        if p.status == PointStatus.INVALID
    ]
    code = conclude(
        report,
        rule=rule,
        min_coverage=floor,
        title=title,
        junit=junit,
        invalid_points=invalid,
        interleaved=True,
    )
    raise typer.Exit(code=EXIT_INTERRUPTED if run.interrupted else code)


class _Reporter:
    def __init__(self, console: Console) -> None:
        self.console = console

    def note(self, text: str) -> None:
        self.console.print(escape(text))

    def round_finished(self, *, completed: int, total: int, seconds: float) -> None:
        self.console.print(f"round {completed}/{total} done ({seconds:.0f} s)")
