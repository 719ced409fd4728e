"""Coverage: what a comparison was expected to compare, what it compared, and why not the rest."""

from __future__ import annotations

import pytest

from bench.analysis.regression import Rule
from bench.compare.baseline_files import load_baseline
from bench.compare.engine import build_report, candidate_groups
from bench.compare.pooling import record_baseline
from bench.compare.report import ComparisonReport, Coverage, CoverageReason
from tests.compare.conftest import gpu_inventory
from tests.compare.test_baselines import real_identity
from tests.compare.test_engine import SHIPPED, run, samples
from tests.fakes.documents import make_document


def _reasons(report: ComparisonReport) -> dict[str, int]:
    return {reason.value: count for reason, count in report.coverage.by_reason.items()}


def test_everything_compared_is_full_coverage():
    report = build_report([run(seed=1)], [run(seed=2, run_id="base")], rule=Rule())
    coverage = report.coverage
    assert (coverage.expected, coverage.compared, coverage.fraction) == (10, 10, 1.0)
    assert coverage.complete and coverage.not_compared == () and coverage.by_reason == {}
    assert all(row.compared for row in report.rows)


def test_points_missing_on_either_side_are_gaps_with_their_reason():
    candidate = run(shapes=[(16, 1, 8), (32, 1, 8)])
    baseline = run(seed=2, shapes=[(16, 1, 8), (64, 2, 8)])
    report = build_report([candidate], [baseline], rule=Rule())
    assert _reasons(report) == {"missing_in_baseline": 5, "missing_in_candidate": 5}
    assert report.coverage.expected == 15 and report.coverage.compared == 5
    gap = next(g for g in report.coverage.not_compared if g.reason is CoverageReason.MISSING_IN_CANDIDATE)
    assert gap.point_id.endswith("p64|b2|o8") and "not measured by the candidate" in gap.detail
    assert report.coverage.describe() == (
        "coverage 5/15 (33%); not compared: 5 missing_in_baseline, 5 missing_in_candidate"
    )


def test_flagged_and_invalid_points_are_counted_apart():
    candidate = run(seed=1)
    candidate.points[0].status = "flagged"
    candidate.points[1].status = "invalid"
    report = build_report([candidate], [run(seed=2)], rule=Rule())
    assert _reasons(report) == {"flagged": 5, "invalid": 5}
    included = build_report([candidate], [run(seed=2)], rule=Rule(include_flagged=True))
    assert _reasons(included) == {"invalid": 5} and included.coverage.compared == 5


def test_too_few_repetitions_and_no_matching_baseline_are_their_own_reasons():
    few = make_document({(16, 1, 8): {"decode_tokens_per_s": [100.0, 101.0, 99.0]}})
    base = make_document({(16, 1, 8): {"decode_tokens_per_s": [100.0, 100.5, 99.5]}}, run_id="b")
    assert _reasons(build_report([few], [base], rule=Rule())) == {"too_few_repetitions": 1}
    derived = load_baseline(SHIPPED / "derived-ada-rtx-4090.json")
    unmatched = build_report([run()], [derived], rule=Rule())
    assert _reasons(unmatched) == {"no_matching_baseline": 10} and unmatched.coverage.fraction == 0.0


def test_a_derived_baselines_other_points_are_not_expected_of_the_run():
    derived = load_baseline(SHIPPED / "derived-ada-rtx-4090.json")
    candidate = make_document(
        {(64, 1, 32): {"decode_tokens_per_s": samples(100.0)}},
        model=real_identity(),
        provider="cuda",
        gpus=gpu_inventory("NVIDIA GeForce RTX 4090", "ada"),
    )
    report = build_report([candidate], [derived], rule=Rule())
    # Its four metrics at the one point measured; none of the derived file's hundreds of other points.
    assert report.coverage.expected == 4 and report.coverage.compared == 1
    assert {g.point_id for g in report.coverage.not_compared} == {candidate.points[0].id}
    assert report.mismatches  # the others are still listed, as before


def test_twin_against_real_weights_is_missing_in_baseline():
    real = record_baseline([run(model=real_identity(), run_id="real")], name="real")
    report = build_report([run()], [real], rule=Rule())
    assert set(_reasons(report)) == {"missing_in_baseline", "missing_in_candidate"}
    assert report.coverage.compared == 0


def test_coverage_must_add_up():
    with pytest.raises(ValueError, match="not compared"):
        Coverage(expected=3, compared=1)


def test_groups_without_a_report_are_the_engines_groups():
    candidate = run(seed=1)
    groups = candidate_groups([candidate], [run(seed=2, run_id="base")])
    report = build_report([candidate], [run(seed=2, run_id="base")], rule=Rule())
    assert [g.label for g in groups] == [g.label for g in report.groups]
    assert groups[0].candidate_points == report.groups[0].candidate_points
    assert groups[0].match is not None and groups[0].match.baseline == report.groups[0].match.baseline
    assert groups[0].rows == () and groups[0].coverage.expected == 0
