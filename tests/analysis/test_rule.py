"""The Rule value object: spec strings, the one-line description CLIs print, validation."""

from __future__ import annotations

import pytest

from bench.analysis.regression import Rule
from bench.errors import BenchError


def test_default_rule_describes_itself_in_one_line():
    assert Rule().describe(100) == (
        "regression = Mann-Whitney U two-sided p ≤ 0.01 after Holm over 100 comparisons "
        "AND median change ≥ 5 % in the worse direction"
    )


def test_describe_names_overrides_correction_and_flagged_points():
    rule = Rule(correction="bh", min_effect_per_metric={"ttft_ms": 0.1}, include_flagged=True, alpha=0.05)
    text = rule.describe(7)
    assert "Benjamini-Hochberg over 7 comparisons" in text
    assert "p ≤ 0.05" in text
    assert "(ttft_ms 10 %)" in text
    assert text.endswith("flagged points included (invalid ones never)")
    assert "\n" not in text


def test_parse_reads_every_key():
    rule = Rule.parse("welch-log:alpha=0.05:min=3%:min.ttft_ms=10%:correction=BH:flagged=include")
    assert rule == Rule(
        test="welch-log",
        alpha=0.05,
        min_effect=0.03,
        min_effect_per_metric={"ttft_ms": 0.1},
        correction="bh",
        include_flagged=True,
    )


def test_parse_without_test_name_keeps_the_default_test():
    assert Rule.parse("alpha=0.001").test == "mwu"
    assert Rule.parse("") == Rule()


@pytest.mark.parametrize(
    "rule",
    [
        Rule(),
        Rule(test="welch-log", alpha=0.002, min_effect=0.075, correction="bh"),
        Rule(min_effect_per_metric={"tpot_ms": 0.02, "ttft_ms": 0.15}, include_flagged=True),
    ],
)
def test_spec_round_trips(rule):
    assert Rule.parse(rule.spec()) == rule


@pytest.mark.parametrize(
    ("spec", "field"),
    [
        ("ttest", "rule.test"),
        ("mwu:alpha=1.5", "rule.alpha"),
        ("mwu:alpha=abc", "rule.alpha"),
        ("mwu:min=5", "rule.min"),
        ("mwu:min=0.05", "rule.min"),  # a bare number: 5 % or 0.05 %? the % sign is required
        ("mwu:min=-1%", "rule.min"),
        ("mwu:min.ttft_ms=20", "rule.min.ttft_ms"),
        ("mwu:correction=bonferroni", "rule.correction"),
        ("mwu:flagged=maybe", "rule.flagged"),
        ("mwu:speed=3", "rule"),
        ("mwu:alpha", "rule"),
    ],
)
def test_bad_specs_name_the_field(spec, field):
    with pytest.raises(BenchError) as caught:
        Rule.parse(spec)
    assert caught.value.field == field


def test_per_metric_minimum_effect_falls_back_to_the_default():
    rule = Rule(min_effect=0.05, min_effect_per_metric={"ttft_ms": 0.12})
    assert rule.min_effect_for("ttft_ms") == 0.12
    assert rule.min_effect_for("tpot_ms") == 0.05
    assert rule.min_effect_for(None) == 0.05
