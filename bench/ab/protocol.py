"""The JSON-lines protocol between ``bench ab`` and its workers (one JSON object per line).

The worker speaks first (``hello``: protocol version, versions, where bench was imported from); then the
driver sends ``plan`` (a scenario definition: resolve and load every model, expand the points), any
number of ``measure`` (one point, N repetitions, returns an ordinary ``Point``) and ``quit``. Every reply
is ``{"ok": true, ...}`` or ``{"ok": false, "error": "one line", "field": ..., "hint": ...}``.
Bump ``PROTOCOL_VERSION`` on any change a worker of the previous version would misread.
"""

from __future__ import annotations

import json
from typing import IO, Any

PROTOCOL_VERSION = 1


def point_schema_digest() -> str:
    """A digest of the ``Point`` model this bench writes: two benches whose points differ (a field one of
    them lacks) cannot share a run, and must say so before anything is measured."""
    import hashlib

    from bench.results.schema import Point

    text = json.dumps(Point.model_json_schema(), sort_keys=True)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def send(stream: IO[str], message: dict[str, Any]) -> None:
    stream.write(json.dumps(message, separators=(",", ":")) + "\n")
    stream.flush()


def receive(stream: IO[str]) -> dict[str, Any] | None:
    """The next message, or None at the end of the stream (the other side went away)."""
    line = stream.readline()
    if not line:
        return None
    message = json.loads(line)
    if not isinstance(message, dict):
        raise ValueError(f"not a protocol message: {line[:80]!r}")
    return message
