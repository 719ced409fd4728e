"""A scriptable ``VideoMemoryReader``: what DXGI ``QueryVideoMemoryInfo`` would report on Windows."""

from __future__ import annotations

import threading

from bench.telemetry.dxgi import NVIDIA_VENDOR_ID, AdapterInfo, DxgiError, VideoMemoryInfo

MIB = 1024**2


def rtx_4090_adapter(**changes: object) -> AdapterInfo:
    fields: dict[str, object] = dict(
        description="NVIDIA GeForce RTX 4090",
        vendor_id=NVIDIA_VENDOR_ID,
        device_id=0x2684,
        subsys_id=0x16F310DE,
        revision=0xA1,
        luid_high=0,
        luid_low=0x1234,
        dedicated_video_memory=24 * 1024 * MIB,
    )
    fields.update(changes)
    return AdapterInfo(**fields)  # type: ignore[arg-type]


class FakeVideoMemoryReader:
    def __init__(
        self,
        adapter: AdapterInfo | None = None,
        *,
        local: int = 0,
        non_local: int = 0,
        budget: int = 22 * 1024 * MIB,
    ) -> None:
        self._adapter = adapter or rtx_4090_adapter()
        self.local = local
        self.non_local = non_local
        self.budget = budget
        self.error: str | None = None
        self.queries = 0
        self.closed = False
        self._changed = threading.Condition()

    @property
    def adapter(self) -> AdapterInfo:
        return self._adapter

    def query(self) -> tuple[VideoMemoryInfo, VideoMemoryInfo]:
        with self._changed:
            self.queries += 1
            self._changed.notify_all()
        if self.error:
            raise DxgiError(self.error)
        return (
            VideoMemoryInfo(budget=self.budget, current_usage=self.local),
            VideoMemoryInfo(budget=8 * 1024 * MIB, current_usage=self.non_local),
        )

    def wait_for_queries(self, times: int = 1, timeout: float = 10.0) -> None:
        with self._changed:
            target = self.queries + times
            if not self._changed.wait_for(lambda: self.queries >= target, timeout=timeout):
                raise TimeoutError("DXGI was not queried")

    def close(self) -> None:
        self.closed = True
