"""Which runs and points a store query selects: ``--where KEY=VALUE`` parsed once, applied as SQL.

Every value reaches the database as a bound parameter, never as SQL text. Several ``--where`` are
ANDed; one value may list alternatives separated by commas (``driver=566.14,572.16``) and use ``*``
as a wildcard (``driver=572.*``, ``gpu=*4090*``). Text matches ignore case.

Point-level keys (model, provider, gpu, architecture, driver, genai) describe where a point ran: a run
matches when one of its points matches all of them. Run-level keys (scenario, host, run, since, until)
describe the run.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Any

from sqlalchemy import ColumnElement, and_, false, func, or_

from bench.errors import BenchError
from bench.store import tables
from bench.store.rows import column_text, to_utc_naive

POINT_KEYS = ("model", "provider", "gpu", "architecture", "driver", "genai")
RUN_KEYS = ("scenario", "host", "run")
TIME_KEYS = ("since", "until")
ALIASES = {"arch": "architecture", "onnxruntime-genai": "genai", "run_id": "run"}
KEYS = (*POINT_KEYS, *RUN_KEYS, *TIME_KEYS)
KEYS_HELP = (
    "model, provider, gpu, architecture (arch), driver, genai (onnxruntime-genai version), scenario, "
    "host, run, since, until (ISO date/time, or 7d / 12h ago)"
)
_RELATIVE = re.compile(r"^(\d+)([dh])$")


@dataclass(frozen=True)
class Where:
    """Parsed filters: key -> alternatives (text keys), and a half-open time range [since, until)."""

    text: dict[str, tuple[str, ...]] = field(default_factory=dict)
    since: datetime | None = None
    until: datetime | None = None

    def describe(self) -> str:
        parts = [f"{key}={','.join(values)}" for key, values in self.text.items()]
        if self.since:
            parts.append(f"since={self.since.isoformat()}")
        if self.until:
            parts.append(f"until={self.until.isoformat()}")
        return " and ".join(parts) or "everything"


def parse_where(
    specs: Iterable[str] | None, *, option: str = "--where", now: datetime | None = None
) -> Where:
    text: dict[str, tuple[str, ...]] = {}
    since = until = None
    for spec in specs or ():
        key, sep, value = spec.partition("=")
        key = ALIASES.get(key.strip().lower(), key.strip().lower())
        value = value.strip()
        if not sep or key not in KEYS or not value:
            raise BenchError(
                "expected KEY=VALUE with a known key" if sep else "expected KEY=VALUE",
                field=f"{option} {spec}",
                hint=f"keys: {KEYS_HELP}",
            )
        if key in TIME_KEYS:
            moment = _moment(value, end=key == "until", now=now, field=f"{option} {spec}")
            since, until = (moment, until) if key == "since" else (since, moment)
            continue
        alternatives = tuple(v.strip() for v in value.split(",") if v.strip())
        if key in text:  # ANDed with an earlier --where on the same key: the values both allow
            alternatives = tuple(v for v in text[key] if v in alternatives)
        text[key] = alternatives
    return Where(text=text, since=since, until=until)


def _moment(value: str, *, end: bool, now: datetime | None, field: str) -> datetime:
    relative = _RELATIVE.match(value)
    if relative:
        amount, unit = int(relative.group(1)), relative.group(2)
        delta = timedelta(days=amount) if unit == "d" else timedelta(hours=amount)
        return (now or datetime.now(timezone.utc)) - delta
    try:
        if len(value) == 10:
            day = date.fromisoformat(value)
            start = datetime(day.year, day.month, day.day, tzinfo=timezone.utc)
            return start + timedelta(days=1) if end else start  # "until=2026-11-30" includes that day
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise BenchError(
            "not a date or time", field=field, hint="e.g. 2026-11-30, 2026-11-30T12:00Z, 7d or 12h"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


# --- SQL ------------------------------------------------------------------------------------------


def _match(columns: Sequence[ColumnElement], values: Sequence[str]) -> ColumnElement[bool]:
    if not values:
        return false()
    clauses: list[ColumnElement[bool]] = []
    for value in (column_text(v) for v in values):
        for column in columns:
            lowered = func.lower(column)
            if "*" in value:
                pattern = _like_escape(value.lower()).replace("*", "%")
                clauses.append(lowered.like(pattern, escape="\\"))
            else:
                clauses.append(lowered == value.lower())
    return or_(*clauses)


def _like_escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def point_clauses(where: Where, points: Any = None) -> list[ColumnElement[bool]]:
    """``points``: the points table or an alias of it (default: the table)."""
    p = tables.points if points is None else points
    columns: dict[str, Sequence[ColumnElement]] = {
        "model": [p.c.model],
        "provider": [p.c.provider],
        "gpu": [p.c.gpu, p.c.gpu_sku],
        "architecture": [p.c.architecture],
        "driver": [p.c.driver],
        "genai": [p.c.genai_version],
    }
    return [_match(columns[key], where.text[key]) for key in POINT_KEYS if key in where.text]


def run_clauses(where: Where) -> list[ColumnElement[bool]]:
    r = tables.runs
    columns: dict[str, Sequence[ColumnElement]] = {
        "scenario": [r.c.scenario],
        "host": [r.c.host],
        "run": [r.c.run_id],
    }
    clauses: list[ColumnElement[bool]] = [
        _match(columns[key], where.text[key]) for key in RUN_KEYS if key in where.text
    ]
    if where.since is not None:
        clauses.append(r.c.started_at >= to_utc_naive(where.since))
    if where.until is not None:
        clauses.append(r.c.started_at < to_utc_naive(where.until))
    return clauses


def all_of(clauses: Sequence[ColumnElement[bool]]) -> ColumnElement[bool] | None:
    return and_(*clauses) if clauses else None
