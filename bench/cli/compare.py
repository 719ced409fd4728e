"""``bench compare``: a candidate run (or runs) against a baseline; PASS, FAIL or INCONCLUSIVE.

The rule options and the way a comparison ends (outcome, JUnit, step summary, exit code) are defined
here once and reused by ``bench gate`` and ``bench ab``.
"""

from __future__ import annotations

import shutil
import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Literal

import typer

from bench.analysis import regression
from bench.analysis.threshold import parse_percent
from bench.atomic import check_file_path
from bench.ci import append_step_summary, junit_cases, step_summary
from bench.cli.store_options import SkippedFiles, StoreOption, WhereOption, store_queries
from bench.compare.engine import build_report
from bench.compare.inputs import load_candidates, load_references
from bench.compare.render import print_report, to_json, to_markdown
from bench.compare.report import ComparisonReport
from bench.errors import BenchError
from bench.gating import judge, parse_min_coverage
from bench.metrics import METRICS
from bench.outcome import EXIT_FAIL as EXIT_REGRESSION
from bench.outcome import Outcome
from bench.report.junit import write_junit

AlphaOption = Annotated[
    float | None,
    typer.Option("--alpha", min=1e-9, max=0.5, help="Significance level of each test (after correction)."),
]
MinEffectOption = Annotated[
    list[str] | None,
    typer.Option(
        "--min-effect",
        help="Smallest change that counts (default 5%): '5%' for every metric, or per metric "
        "'decode_tokens_per_s=3%' (repeatable).",
    ),
]
CorrectionOption = Annotated[
    Literal["holm", "bh"] | None,
    typer.Option(
        "--correction",
        help="Multiple-comparison correction: holm (family-wise) or bh (false discovery rate).",
    ),
]
IncludeFlaggedOption = Annotated[
    bool,
    typer.Option(
        "--include-flagged",
        help="Let flagged points (throttling, high variation) count in the verdict; invalid points never do.",
    ),
]
MetricOption = Annotated[
    list[str] | None,
    typer.Option("--metric", help=f"Compare only these metrics (repeatable): {', '.join(METRICS)}."),
]
FailOnNotComparableOption = Annotated[
    bool,
    typer.Option(
        "--fail-on-not-comparable",
        help="Exit 1 instead of 3 when the verdict is inconclusive (too little was compared).",
    ),
]
MinCoverageOption = Annotated[
    str,
    typer.Option(
        "--min-coverage",
        help="Share of the expected (point, metric) comparisons that must be decided to PASS; below it "
        "the verdict is INCONCLUSIVE (exit 3). Default: all of them (every gate metric of every point "
        "both sides measured). E.g. 90%.",
    ),
]
JUnitOption = Annotated[
    Path | None,
    typer.Option(
        "--junit",
        help="Also write JUnit XML here: one test case per point x metric (a regression fails, anything "
        "not decided is skipped with its reason).",
        dir_okay=False,
        show_default=False,
    ),
]
MarkdownOption = Annotated[
    bool, typer.Option("--markdown", help="Print Markdown (a pull-request comment) instead of the table.")
]
JsonReportOption = Annotated[bool, typer.Option("--json", help="Print the comparison report as JSON.")]


def parse_min_effect(values: Sequence[str]) -> tuple[float | None, dict[str, float]]:
    """``["5%", "decode_tokens_per_s=3%"]`` -> ``(0.05, {"decode_tokens_per_s": 0.03})``."""
    default: float | None = None
    per_metric: dict[str, float] = {}
    for value in values:
        name, sep, amount = value.partition("=")
        if not sep:
            default = parse_percent(value, "--min-effect")
            continue
        name = name.strip()
        if name not in METRICS:
            raise BenchError(
                f"unknown metric {name!r}", field="--min-effect", hint=f"choose from {', '.join(METRICS)}"
            )
        per_metric[name] = parse_percent(amount, f"--min-effect {name}")
    return default, per_metric


def make_rule(
    *,
    alpha: float | None,
    min_effect: Sequence[str] | None,
    correction: str | None,
    include_flagged: bool,
) -> regression.Rule:
    """The decision rule from command-line options; unset options keep the statistics module's defaults."""
    default, per_metric = parse_min_effect(min_effect or [])
    options: dict[str, object] = {"include_flagged": include_flagged}
    if alpha is not None:
        options["alpha"] = alpha
    if correction is not None:
        options["correction"] = correction
    if default is not None:
        options["min_effect"] = default
    if per_metric:
        options["min_effect_per_metric"] = per_metric
    return regression.Rule(**options)  # type: ignore[arg-type]


def check_ci_outputs(*, min_coverage: str, junit: Path | None) -> float:
    """Parse ``--min-coverage`` and check the ``--junit`` path before anything is measured."""
    floor = parse_min_coverage(min_coverage)
    if junit is not None:
        check_file_path(junit)
    return floor


def conclude(
    report: ComparisonReport,
    *,
    rule: regression.Rule,
    min_coverage: float,
    title: str,
    junit: Path | None = None,
    invalid_points: Sequence[str] = (),
    unread: Sequence[str] = (),
    fail_on_not_comparable: bool = False,
    interleaved: bool = False,
) -> int:
    """The outcome of ``report`` on stderr (with reason and remedy), in ``--junit`` and the GitHub step
    summary; returns the exit code (0 PASS, 1 FAIL, 3 INCONCLUSIVE)."""
    outcome = judge(
        report,
        rule=rule,
        min_coverage=min_coverage,
        invalid_points=invalid_points,
        unread=unread,
        interleaved=interleaved,
    )
    if junit is not None:
        write_junit(junit, junit_cases(report, rule=rule), suite=title)
    summary = append_step_summary(step_summary(report, outcome, title=title))
    command = title.split()[1] if title.startswith("bench ") and len(title.split()) > 1 else "bench"
    width = shutil.get_terminal_size().columns  # COLUMNS when set: the table and these lines agree
    for line in outcome.lines():
        typer.echo(textwrap.fill(f"{command}: {line}", width=width, subsequent_indent="  "), err=True)
    if summary is not None:
        typer.echo(f"{command}: step summary appended to {summary}", err=True)
    if fail_on_not_comparable and outcome.outcome is Outcome.INCONCLUSIVE:
        return EXIT_REGRESSION
    return outcome.exit_code


def emit(
    report: ComparisonReport, *, json_output: bool, markdown: bool, title: str = "bench compare"
) -> None:
    if json_output and markdown:
        raise BenchError("choose one of --json and --markdown", field="--json/--markdown")
    if json_output:
        typer.echo(to_json(report), nl=False)
    elif markdown:
        typer.echo(to_markdown(report, title=title), nl=False)
    else:
        print_report(report)


def compare(
    candidate: Annotated[
        str,
        typer.Argument(
            help="The new run: a result file, a folder of result files (rounds), or the store's runs "
            "'store:KEY=VALUE&...' (see --where)."
        ),
    ],
    baseline: Annotated[
        str,
        typer.Argument(
            help="What to compare with: a result file, a folder of runs, a baseline file, a folder of "
            "baselines (e.g. results/baselines), a baseline name (see `bench baseline list`), or the "
            "store's runs 'store:KEY=VALUE&...'."
        ),
    ],
    more_candidates: Annotated[
        list[str] | None, typer.Option("--candidate", help="More candidate files or folders (repeatable).")
    ] = None,
    more_baselines: Annotated[
        list[str] | None, typer.Option("--baseline", "-b", help="More baselines (repeatable).")
    ] = None,
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
    store: StoreOption = None,
    where: WhereOption = None,
) -> None:
    """Compare a candidate run with a baseline, point by point and metric by metric.

    Each row says baseline, candidate, change %, its confidence interval and a verdict: regression,
    improvement, no change, or not comparable (with the reason: different GPU, provider, model, twin vs
    real weights, point missing). Several runs per side (a folder) are pooled as rounds; runs that
    differ in driver or onnxruntime-genai version are named in the header and grouped.

    The report states its coverage: which (point, metric) pairs were expected, how many were
    compared, and why each of the others was not. A file inside a folder that cannot be read is
    reported (path and reason) and left out, and the verdict is then INCONCLUSIVE at best; a file named
    on its own must be readable. The Markdown report is appended to $GITHUB_STEP_SUMMARY when set.

    Exit codes: 0 PASS (no regression, and at least --min-coverage of the expected comparisons decided),
    1 regression, 3 INCONCLUSIVE (too little compared: flagged or invalid points, too few repetitions,
    no matching baseline, a change beyond the minimum effect not yet significant, unreadable files; the
    reason and the remedy are printed), 2 bad input.
    """
    rule = make_rule(
        alpha=alpha, min_effect=min_effect, correction=correction, include_flagged=include_flagged
    )
    floor = check_ci_outputs(min_coverage=min_coverage, junit=junit)
    queries = store_queries(store, where)
    skipped = SkippedFiles()
    try:
        candidates = load_candidates(
            [candidate, *(more_candidates or [])], queries=queries, on_problem=skipped
        )
        references = load_references([baseline, *(more_baselines or [])], queries=queries, on_problem=skipped)
        queries.check_used()
    finally:
        queries.close()
    report = build_report(candidates, references, rule=rule, metrics=metric or None)
    emit(report, json_output=json_output, markdown=markdown)
    code = conclude(
        report,
        rule=rule,
        min_coverage=floor,
        title="bench compare",
        junit=junit,
        unread=skipped.lines(),
        fail_on_not_comparable=fail_on_not_comparable,
    )
    raise typer.Exit(code=code)
