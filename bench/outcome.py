"""The one overall outcome of a decision and the process exit code it maps to.

Every command that decides something (``compare``, ``gate``, ``ab``, ``qualify``) ends in one
``Outcome``; the exit codes are defined here and nowhere else:

- 0 ``PASS``: measured, compared and held;
- 1 ``FAIL``: a regression, an invalid point, a failed criterion;
- 2 bad input (``bench.errors.BenchError``, raised before anything is decided);
- 3 ``INCONCLUSIVE``: too little was measured or compared to say PASS, with the reason;
- 130 interrupted (Ctrl-C, SIGTERM, Ctrl-Break).

A failure outranks inconclusive: a regression found in half the points is still a regression.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import Enum

EXIT_OK = 0
EXIT_FAIL = 1
EXIT_USAGE = 2
EXIT_INCONCLUSIVE = 3
EXIT_INTERRUPTED = 130


class Outcome(str, Enum):
    PASS = "pass"
    FAIL = "fail"
    INCONCLUSIVE = "inconclusive"

    @property
    def exit_code(self) -> int:
        return _EXIT_CODES[self]

    @property
    def label(self) -> str:
        return self.value.upper()

    @classmethod
    def worst(cls, outcomes: Iterable[Outcome]) -> Outcome:
        """FAIL over INCONCLUSIVE over PASS; no outcomes at all is INCONCLUSIVE, never a silent PASS."""
        seen = set(outcomes)
        if not seen:
            return cls.INCONCLUSIVE
        for outcome in (cls.FAIL, cls.INCONCLUSIVE):
            if outcome in seen:
                return outcome
        return cls.PASS


_EXIT_CODES = {Outcome.PASS: EXIT_OK, Outcome.FAIL: EXIT_FAIL, Outcome.INCONCLUSIVE: EXIT_INCONCLUSIVE}
