"""The one user-facing error type.

Anything the user can fix (bad scenario, unknown model, missing file, foreign result schema) is raised
as ``BenchError``; the CLI edge turns it into a one-line message and exit code 2, without a traceback.
Everything else is a bug and keeps its traceback.
"""

from __future__ import annotations


class BenchError(Exception):
    """A problem with the user's input or environment, with the fix in the message.

    ``field`` names what was wrong (a scenario key path, a file, an option) so the message can say
    ``field: problem (fix)``.
    """

    exit_code = 2

    def __init__(self, message: str, *, field: str | None = None, hint: str | None = None) -> None:
        self.message = message
        self.field = field
        self.hint = hint
        super().__init__(self.one_line())

    def one_line(self) -> str:
        text = f"{self.field}: {self.message}" if self.field else self.message
        if self.hint:
            text = f"{text} ({self.hint})"
        return " ".join(text.split())


class StoppedBeforeMeasuring(BenchError):
    """Ctrl-C while models were still being prepared: nothing was measured, no result file written."""

    exit_code = 130


class NothingSelected(BenchError):
    """A well-formed query that selected nothing (``store:driver=999`` in a store without such runs).

    Where a baseline was asked for, the verdict goes on without it and is INCONCLUSIVE at best (a lab's
    first run on a new driver has nothing to compare with yet); where the runs to judge were asked for,
    it is bad input like a missing file."""
