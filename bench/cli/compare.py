"""``bench compare``: a candidate run (or runs) against a baseline; exit 1 on regression.

The rule options are defined here once and reused by ``bench gate``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Literal

import typer

from bench.analysis import regression
from bench.analysis.threshold import parse_percent
from bench.compare.engine import build_report
from bench.compare.inputs import load_candidates, load_references
from bench.compare.render import print_report, to_json, to_markdown
from bench.compare.report import ComparisonReport
from bench.errors import BenchError
from bench.metrics import METRICS
from bench.outcome import EXIT_FAIL as EXIT_REGRESSION
from bench.outcome import EXIT_OK

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
        help="Exit 1 when any point could not be compared: no baseline point, a baseline point not "
        "measured, a flagged or invalid point.",
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


def exit_code(report: ComparisonReport, *, fail_on_not_comparable: bool = False) -> int:
    if report.has_regression:
        return EXIT_REGRESSION
    # Everything not compared counts: excluded (flagged or invalid) rows, points without a baseline
    # point, baseline points the candidate did not measure. A runner that throttles on every point must
    # not pass a gate that asked for everything to be compared.
    if fail_on_not_comparable and (not report.coverage.complete or report.mismatches):
        return EXIT_REGRESSION
    return EXIT_OK


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
        Path, typer.Argument(help="The new run: a result file, or a folder of result files (rounds).")
    ],
    baseline: Annotated[
        str,
        typer.Argument(
            help="What to compare with: a result file, a folder of runs, a baseline file, a folder of "
            "baselines (e.g. results/baselines), or a baseline name (see `bench baseline list`)."
        ),
    ],
    more_candidates: Annotated[
        list[Path] | None, typer.Option("--candidate", help="More candidate files or folders (repeatable).")
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
    json_output: JsonReportOption = False,
    markdown: MarkdownOption = False,
) -> None:
    """Compare a candidate run with a baseline, point by point and metric by metric.

    Each row says baseline, candidate, change %, its confidence interval and a verdict: regression,
    improvement, no change, or not comparable (with the reason: different GPU, provider, model, twin vs
    real weights, point missing). Several runs per side (a folder) are pooled as rounds; runs that
    differ in driver or onnxruntime-genai version are named in the header and grouped.

    Exit codes: 0 no regression, 1 regression (or, with --fail-on-not-comparable, anything not
    comparable), 2 bad input.
    """
    rule = make_rule(
        alpha=alpha, min_effect=min_effect, correction=correction, include_flagged=include_flagged
    )
    candidates = load_candidates([candidate, *(more_candidates or [])])
    references = load_references([baseline, *(more_baselines or [])])
    report = build_report(candidates, references, rule=rule, metrics=metric or None)
    emit(report, json_output=json_output, markdown=markdown)
    raise typer.Exit(code=exit_code(report, fail_on_not_comparable=fail_on_not_comparable))
