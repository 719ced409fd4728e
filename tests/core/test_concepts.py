"""Concepts defined once: the point status order, the point key, the percent parser, the verdict."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.analysis import regression
from bench.analysis.rule import Rule
from bench.analysis.threshold import parse_percent
from bench.analysis.verdict import CODE_NOT_COMPARABLE, CODE_REGRESSION, VERDICTS, Verdict
from bench.catalogue import shipped_dir
from bench.cli.compare import parse_min_effect
from bench.compare.derived import derive_all
from bench.errors import BenchError
from bench.point_key import PointKey
from bench.results.schema import PointParams
from bench.runner import point_id
from bench.scenarios import find_scenario, load_scenario
from bench.status import PointStatus
from tests.compare.test_baselines import real_identity

REPO = Path(__file__).resolve().parents[2]


def test_status_is_ordered_by_trust_not_alphabetically():
    assert PointStatus.VALID < PointStatus.FLAGGED < PointStatus.INVALID
    assert PointStatus.INVALID > "flagged" and PointStatus.FLAGGED >= "flagged"
    assert PointStatus.worst(["valid", "invalid", "flagged"]) is PointStatus.INVALID
    assert PointStatus.worst([]) is PointStatus.VALID
    assert sorted(["invalid", "valid", "flagged"], key=PointStatus) == ["valid", "flagged", "invalid"]
    assert f"point {PointStatus.FLAGGED}" == "point flagged" and PointStatus.VALID == "valid"


def test_point_key_builds_and_reads_the_one_id_format():
    params = PointParams(prompt_tokens=64, batch_size=2, output_tokens=8)
    key = PointKey.of("twin:mistral-nemo-12b:tiny:seed=3", "cpu", params)
    assert key.id == "twin:mistral-nemo-12b:tiny:seed=3|cpu|p64|b2|o8"
    assert PointKey.parse(key.id) == key
    with pytest.raises(BenchError, match="not a point id"):
        PointKey.parse("model|cpu|64|2|8")


def test_derived_baselines_use_the_runners_point_ids():
    scenario = load_scenario(find_scenario("ci-gate", search_dirs=[shipped_dir("scenarios")])).scenario
    baseline = derive_all([scenario])[0]
    for point in baseline.points.values():
        assert point_id(real_identity(point.model), point.provider, point.params) == point.id


@pytest.mark.parametrize("text", ["0.05", "5", "fast", "150%", "-1%"])
def test_one_percent_rule_for_the_cli_and_the_rule_spec(text):
    with pytest.raises(BenchError):
        parse_percent(text, "x")
    with pytest.raises(BenchError):
        parse_min_effect([text])
    with pytest.raises(BenchError):
        Rule.parse(f"min={text}")


def test_percent_values_agree_between_the_cli_and_the_rule_spec():
    assert parse_percent("2.5%", "x") == 0.025
    assert parse_min_effect(["2.5%", "ttft_ms=10%"]) == (0.025, {"ttft_ms": 0.1})
    assert Rule.parse("min=2.5%:min.ttft_ms=10%") == Rule(
        min_effect=0.025, min_effect_per_metric={"ttft_ms": 0.1}
    )


def test_one_verdict_type_and_one_array_coding():
    assert regression.Verdict is Verdict
    assert [VERDICTS[c] for c in (CODE_REGRESSION, CODE_NOT_COMPARABLE)] == [
        Verdict.REGRESSION,
        Verdict.NOT_COMPARABLE,
    ]
