"""Checkpointing: the result document of a run in progress, written atomically after every change.

The first write says ``status: interrupted`` with an in-progress reason, so a crash or a kill at any
moment leaves a readable file holding every completed point; ``finish`` writes the final status.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from bench.environment import collect_host, collect_providers, collect_software, environment_flags
from bench.results.files import write_result
from bench.results.schema import (
    Environment,
    Point,
    ResultDocument,
    RunStatus,
    ScenarioRecord,
    Session,
)

IN_PROGRESS = "in progress: the run had not finished when this file was written"


def new_document(
    *,
    run_id: str,
    started_at: datetime,
    command: Sequence[str],
    scenario: ScenarioRecord,
    og: Any,
    gpus: Any,
    notes: Sequence[str],
) -> ResultDocument:
    """The document as first written: environment and scenario, no sessions or points yet."""
    return ResultDocument(
        run_id=run_id,
        status="interrupted",
        status_reasons=[IN_PROGRESS],
        started_at=started_at,
        command=list(command),
        environment=Environment(
            host=collect_host(),
            software=collect_software(),
            providers=collect_providers(og),
            gpus=gpus,
            env_vars=environment_flags(),
        ),
        scenario=scenario,
        notes=list(notes),
    )


class Checkpoint:
    """Owns the document and its path; every mutation is followed by an atomic write."""

    def __init__(self, document: ResultDocument, path: Path) -> None:
        self.document = document
        self.path = path
        write_result(document, path)

    def add_session(self, session: Session) -> None:
        self.document.sessions.append(session)

    def add_point(self, point: Point) -> None:
        self.document.points.append(point)
        write_result(self.document, self.path)

    def finish(self, status: RunStatus, reasons: Sequence[str]) -> None:
        self.document.status = status
        self.document.status_reasons = list(reasons)
        self.document.finished_at = datetime.now(timezone.utc)
        write_result(self.document, self.path)
