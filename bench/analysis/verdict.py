"""The verdict of one comparison: the one definition every decision, report and page uses."""

from __future__ import annotations

from bench.enums import TextEnum


class Verdict(TextEnum):
    REGRESSION = "regression"
    IMPROVEMENT = "improvement"
    NO_CHANGE = "no_change"
    NOT_COMPARABLE = "not_comparable"


# The array form of the rule (``decide_batch``) codes verdicts as indices into this tuple.
VERDICTS: tuple[Verdict, ...] = tuple(Verdict)
CODE_REGRESSION, CODE_IMPROVEMENT, CODE_NO_CHANGE, CODE_NOT_COMPARABLE = range(len(VERDICTS))
