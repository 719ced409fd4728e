"""Validity flags that need no telemetry: one repetition, and the one-line summary of a run's flags."""

from __future__ import annotations

from bench.validity import assess_point, flag_summary


def test_one_repetition_is_flagged_even_though_its_cv_is_zero():
    one = assess_point(
        error=None, token_count_ok=True, metric_cv={"ttft_ms": 0.0}, repetitions=1, telemetry=None
    )
    assert one.status == "flagged" and one.codes == ["no_stability_evidence"]
    assert "no stability evidence" in one.reasons[0]
    two = assess_point(
        error=None, token_count_ok=True, metric_cv={"ttft_ms": 0.0}, repetitions=2, telemetry=None
    )
    assert two.status == "valid"


def test_flags_are_summarised_in_one_line_naming_the_metrics_and_where_to_look():
    flagged = [
        ["high_cv: decode_tokens_per_s varies 14.0% between repetitions (threshold 10%)"],
        [
            "high_cv: decode_tokens_per_s varies 12.0% between repetitions (threshold 10%)",
            "high_cv: ttft_ms varies 30.0% between repetitions (threshold 10%)",
        ],
        ["throttled: 2 of 5 repetitions ran under HW slowdown"],
    ]
    line = flag_summary(flagged, total=8)
    assert line is not None and "\n" not in line
    assert line.startswith(
        "3 of 8 points flagged: high_cv at 2 (decode_tokens_per_s 2, ttft_ms 1); throttled at 1"
    )
    assert "--verbose" in line and "result file" in line
    assert flag_summary([], total=8) is None
