"""A point's status: ``valid`` < ``flagged`` < ``invalid``, ordered by how little its numbers can be trusted.

The one definition every layer uses (validity checks, result files, baselines, comparisons, the
dashboard). A ``TextEnum``: written to JSON and compared with plain text as its value; ordered by
trust (``valid < flagged < invalid``), never alphabetically.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated

from pydantic import PlainSerializer

from bench.enums import TextEnum


class PointStatus(TextEnum):
    VALID = "valid"  # measured under the conditions asked for
    FLAGGED = "flagged"  # measured, but under suspect conditions (throttling, high variation, ...)
    INVALID = "invalid"  # the work itself was wrong (a failure, a wrong token count): no usable number

    @property
    def rank(self) -> int:
        return _RANK[self]

    # Ordered by trust, not alphabetically (the str base would compare the text).
    def __lt__(self, other: object) -> bool:
        return self.rank < _rank(other)

    def __le__(self, other: object) -> bool:
        return self.rank <= _rank(other)

    def __gt__(self, other: object) -> bool:
        return self.rank > _rank(other)

    def __ge__(self, other: object) -> bool:
        return self.rank >= _rank(other)

    __hash__ = str.__hash__  # defining comparisons must not make members unhashable

    @classmethod
    def worst(cls, statuses: Iterable[str]) -> PointStatus:
        """The least trustworthy of ``statuses``; ``valid`` for none."""
        return max((cls(s) for s in statuses), default=cls.VALID, key=_rank)


_RANK = {PointStatus.VALID: 0, PointStatus.FLAGGED: 1, PointStatus.INVALID: 2}


def _rank(status: object) -> int:
    if not isinstance(status, str):
        raise TypeError(f"not a point status: {status!r}")
    return _RANK[PointStatus(status)]


# A pydantic field of this type: validated into the enum, written as its text even when a caller assigned
# plain text after validation (``point.status = "flagged"``).
StatusField = Annotated[PointStatus, PlainSerializer(str, return_type=str)]
