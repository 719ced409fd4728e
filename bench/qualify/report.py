"""The qualification report: one value, built stage by stage, rendered to JSON, HTML and JUnit elsewhere.

Document history (bump ``QUALIFICATION_SCHEMA_VERSION`` on any change a reader of the previous version
would misread; the loader refuses versions it does not know):

1 (2026-12-02) first version: verdict, machine identity, GPU facts, criteria, soak intervals, the
  result files of the runs behind it.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from bench.documents import DocumentKind, load_document
from bench.outcome import Outcome
from bench.qualify.criteria import STAGES, Criterion, Stage, verdict
from bench.qualify.facts import GpuFacts
from bench.qualify.soak import SoakResult

QUALIFICATION_KIND: Literal["bench.qualification"] = "bench.qualification"
QUALIFICATION_SCHEMA_VERSION = 1

StageState = Literal["done", "interrupted", "not run"]


class MachineIdentity(BaseModel):
    model_config = ConfigDict(extra="forbid")

    hostname: str
    os: str
    cpu_model: str
    ram_total_gib: float
    gpu_name: str | None = None
    gpu_uuid: str | None = None
    gpu_sku: str | None = None
    gpu_architecture: str | None = None
    driver_version: str | None = None
    provider: str
    onnxruntime_genai: str | None = None
    onnxruntime_genai_build: str | None = None
    bench: str
    profile_name: str
    profile_source: str
    profile_sha256: str


class StageRecord(BaseModel):
    model_config = ConfigDict(extra="forbid")

    stage: Stage
    state: StageState = "not run"
    outcome: Outcome | None = None
    result_files: list[str] = Field(
        default_factory=list, description="result files of its runs (bench run format)"
    )
    notes: list[str] = Field(default_factory=list)


class QualificationReport(BaseModel):
    model_config = ConfigDict(extra="forbid")

    schema_version: int = QUALIFICATION_SCHEMA_VERSION
    kind: Literal["bench.qualification"] = QUALIFICATION_KIND
    status: Literal["complete", "interrupted", "in progress"] = "in progress"
    verdict: Outcome = Outcome.INCONCLUSIVE
    started_at: datetime
    finished_at: datetime | None = None
    identity: MachineIdentity
    facts: GpuFacts
    profile: dict[str, Any] = Field(description="the profile as run")
    stages: list[StageRecord] = Field(default_factory=lambda: [StageRecord(stage=s) for s in STAGES])
    criteria: list[Criterion] = Field(default_factory=list)
    soak: SoakResult | None = None
    notes: list[str] = Field(default_factory=list)
    store: str | None = Field(
        default=None, description="where the runs were also ingested, when a store was given"
    )

    def stage(self, stage: Stage) -> StageRecord:
        return next(s for s in self.stages if s.stage == stage)

    def finish_stage(self, stage: Stage, rows: list[Criterion], *, state: StageState = "done") -> None:
        self.criteria = [c for c in self.criteria if c.stage != stage] + rows
        record = self.stage(stage)
        record.state = state
        record.outcome = verdict(rows) if rows else None
        self.verdict = verdict(self.criteria)

    @property
    def result_files(self) -> list[str]:
        return [f for s in self.stages for f in s.result_files]


def report_json(report: QualificationReport) -> str:
    return report.model_dump_json(indent=1) + "\n"


QUALIFICATION_DOCUMENT = DocumentKind(
    kind=QUALIFICATION_KIND,
    what="qualification report",
    model=QualificationReport,
    version=QUALIFICATION_SCHEMA_VERSION,
    hint="pass a qualification-*.json written by `bench qualify`",
)
SUPPORTED_QUALIFICATION_VERSIONS = QUALIFICATION_DOCUMENT.supported


def load_qualification(path: Path) -> QualificationReport:
    return load_document(path, QUALIFICATION_DOCUMENT)
