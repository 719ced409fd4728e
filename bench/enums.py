"""``TextEnum``: an enum whose members are their text (``StrEnum`` for Python 3.10, which bench supports).

Members compare equal to, hash like, print as and are written to JSON as their value, so files and
messages read ``"flagged"``, never ``PointStatus.FLAGGED``.
"""

from __future__ import annotations

from enum import Enum


class TextEnum(str, Enum):
    def __str__(self) -> str:
        return str(self.value)

    def __format__(self, spec: str) -> str:
        return format(str(self.value), spec)
