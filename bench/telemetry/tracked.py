"""The context manager every ``Telemetry`` window returns: ``with telemetry.track_...() as probe``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar

from bench.telemetry.api import Probe

T = TypeVar("T")


class Tracked(Generic[T]):
    """One window: ``begin()`` on enter; on exit ``end(state, exc)`` becomes the probe's sample."""

    def __init__(self, begin: Callable[[], Any], end: Callable[[Any, BaseException | None], T]) -> None:
        self._begin = begin
        self._end = end
        self.probe: Probe[T] = Probe()

    def __enter__(self) -> Probe[T]:
        self._state = self._begin()
        return self.probe

    def __exit__(self, exc_type: Any, exc: BaseException | None, tb: Any) -> None:
        self.probe.sample = self._end(self._state, exc)
