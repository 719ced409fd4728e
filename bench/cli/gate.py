"""``bench gate``: run a scenario, compare it with a baseline: PASS, FAIL or INCONCLUSIVE. The one command
CI needs."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from bench.cli.common import (
    DashboardOption,
    ModelsOption,
    OutDirOption,
    ProvidersOption,
    RepetitionsOption,
    TelemetryOption,
    WarmupOption,
    check_output_paths,
)
from bench.cli.compare import (
    AlphaOption,
    CorrectionOption,
    FailOnNotComparableOption,
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
from bench.cli.run import EXIT_INTERRUPTED, execute_run
from bench.cli.store_options import SkippedFiles, StoreOption, WhereOption, store_queries
from bench.compare.engine import build_report
from bench.compare.inputs import load_references
from bench.errors import BenchError
from bench.status import PointStatus
from bench.store.ingest import store_run
from bench.store.url import store_url


def gate(
    scenario: Annotated[str, typer.Argument(help="Scenario name (e.g. ci-gate) or a .yaml path.")],
    baseline: Annotated[
        list[str],
        typer.Option(
            "--baseline",
            "-b",
            help="Baseline to gate against (repeatable): a baseline name, baseline file, result file or "
            "folder, or the store's runs 'store:KEY=VALUE&...' (with --store).",
        ),
    ],
    model: ModelsOption = None,
    provider: ProvidersOption = None,
    repetitions: RepetitionsOption = None,
    warmup: WarmupOption = None,
    out: OutDirOption = Path("results"),
    telemetry: TelemetryOption = True,
    alpha: AlphaOption = None,
    min_effect: MinEffectOption = None,
    correction: CorrectionOption = None,
    include_flagged: IncludeFlaggedOption = False,
    metric: MetricOption = None,
    fail_on_not_comparable: FailOnNotComparableOption = False,
    min_coverage: MinCoverageOption = "100%",
    junit: JUnitOption = None,
    json_output: JsonReportOption = False,
    markdown: MarkdownOption = False,
    dashboard: DashboardOption = None,
    store: StoreOption = None,
    where: WhereOption = None,
) -> None:
    """Run SCENARIO, compare the result with --baseline: PASS (0), FAIL (1) or INCONCLUSIVE (3).

    The baselines are read before anything runs, so a wrong path fails in a second, not after the
    sweep. The output states the rule (test, alpha, minimum effect, correction) and the coverage, and
    writes the result file into --out like `bench run`. On a runner whose runs drift (a shared cloud
    VM), compare both sides interleaved with `bench ab` instead.

    With --store, --baseline may name the store's runs ('store:KEY=VALUE&...', --where ANDed in) and
    the result is also saved in the store (as `bench run --store`).

    Exit codes: 0 PASS (no regression, and at least --min-coverage of the expected comparisons
    decided), 1 regression or an invalid point (the run failed to measure it), 3 INCONCLUSIVE (too
    little compared, baseline files left out; with the reason and the remedy), 2 bad input,
    130 interrupted.
    """
    rule = make_rule(
        alpha=alpha, min_effect=min_effect, correction=correction, include_flagged=include_flagged
    )
    floor = check_ci_outputs(min_coverage=min_coverage, junit=junit)
    queries = store_queries(store, where)
    skipped = SkippedFiles()
    try:
        references = load_references(baseline, queries=queries, on_problem=skipped)
        queries.check_used()
    finally:
        queries.close()
    target = store_url(store) if store else None
    check_output_paths(out_dir=out, dashboard=dashboard)
    outcome = execute_run(
        scenario=scenario,
        models=model or [],
        providers=provider or [],
        repetitions=repetitions,
        warmup=warmup,
        out_dir=out,
        telemetry=telemetry,
        sample_interval_s=0.010,
        progress=not (json_output or markdown),
    )
    document = outcome.document
    print(f"result: {outcome.path} ({document.status})", file=sys.stderr)
    if target is not None:
        print(f"store: {store_run(target, document, source=outcome.path)}", file=sys.stderr)
    if document.status == "interrupted":
        raise typer.Exit(code=EXIT_INTERRUPTED)
    if not document.points:
        raise BenchError(f"the run measured no point ({document.status})", field=str(outcome.path))
    report = build_report([document], references, rule=rule, metrics=metric or None)
    if dashboard is not None:
        from bench.dashboard import write_dashboard

        write_dashboard(
            documents=[document], report=report, baselines=references, output=dashboard, rule=rule
        )
        print(f"dashboard: {dashboard}", file=sys.stderr)
    title = f"bench gate {document.scenario.name}"
    emit(report, json_output=json_output, markdown=markdown, title=title)
    # A build that fails to generate is worse than a slow one: never a pass.
    points = {pid: point for group in report.groups for pid, point in group.candidate_points.items()}
    invalid = [
        f"{point.id}: {'; '.join(point.reasons) or 'no reason recorded'}"
        for point in points.values()
        if point.status == PointStatus.INVALID
    ]
    code = conclude(
        report,
        rule=rule,
        min_coverage=floor,
        title=title,
        junit=junit,
        invalid_points=invalid,
        unread=skipped.lines(),
        fail_on_not_comparable=fail_on_not_comparable,
    )
    raise typer.Exit(code=code)
