"""The regression rule's public face: one import for the rule, the tests and the decisions (pure).

The parts live in one module per job: the rule as a value (``rule``), the significance tests on two
sets of samples (``significance``), the decisions, corrections and expectation bands (``decision``),
the verdict and its array coding (``verdict``) and the one threshold parser (``threshold``). Nothing
is defined here.
"""

from __future__ import annotations

from bench.analysis.decision import (
    BaselineKind,
    Decision,
    Expectation,
    adjust_p_values,
    compare_to_expectation,
    decide,
    decide_batch,
)
from bench.analysis.rule import CORRECTIONS, TESTS, Rule
from bench.analysis.significance import (
    Comparison,
    Key,
    Significance,
    compare_samples,
    mwu_min_p,
    mwu_p_values,
    welch_log_p_values,
)
from bench.analysis.verdict import Verdict

__all__ = [
    "CORRECTIONS",
    "TESTS",
    "BaselineKind",
    "Comparison",
    "Decision",
    "Expectation",
    "Key",
    "Rule",
    "Significance",
    "Verdict",
    "adjust_p_values",
    "compare_samples",
    "compare_to_expectation",
    "decide",
    "decide_batch",
    "mwu_min_p",
    "mwu_p_values",
    "welch_log_p_values",
]
