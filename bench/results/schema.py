"""The result document: one JSON file per run.

Schema history (bump ``SCHEMA_VERSION`` on any change a reader of the previous version would misread;
loaders refuse versions they do not know):

1 (2026-11-25) first version: run status and reasons, environment (host, software, providers, GPUs),
  scenario as run with its file hash, sessions (model identity + provider + load), points with raw
  samples per metric (``itl_ms`` holds every inter-token latency of every repetition, in order, so
  repetition ``i`` owns ``itl_ms.samples[i*(output_tokens-1):(i+1)*(output_tokens-1)]``), per-repetition
  and per-point telemetry, validity.
2 (2026-12-02) new optional fields only (each listed below and in docs/RESULTS.md); a version-1 file
  loads unchanged in meaning through ``update_to_2``:
  - ``points[].output_sha256`` (one sha256 of the generated token ids per measured repetition, in
    order; ``bench qualify`` checks greedy output is identical across repetitions).
  - ``sessions[].search`` (the search options bench pinned on every generator and the model-config
    values they replaced).
  - ``environment.software.onnxruntime_genai_distribution`` (the installed genai wheel's distribution
    name, e.g. onnxruntime-genai-directml).
  - GPU/telemetry (issue 11): ``sessions[].genai_provider_options`` and ``sessions[].dml_adapter`` (the
    DirectML adapter: name, LUID, vendor id, dedicated memory, how it was chosen);
    ``sessions[].telemetry.device.adapter`` and ``.pci_bus_id``; ``sessions[].telemetry.process_seen``
    and point telemetry ``gpu_process_not_seen`` (+ that flag); point telemetry ``prefill_energy_j`` and
    ``decode_energy_per_token_j``; ``quantization.weights_by_dtype`` / ``.weights_unavailable`` and
    ``roofline.weights_by_dtype`` (the roofline counts every weight initializer by its element type).
  - ``Point.rounds`` (``bench ab``: the round each repetition was measured in, one entry per
    repetition); ``ResultDocument.ab`` (``bench ab``: which side this file is, its partner's run id).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, computed_field, model_validator

from bench.documents import DocumentKind
from bench.environment import HostInfo, ProviderInfo, SoftwareInfo
from bench.models.identity import ModelIdentity
from bench.statistics import Summary, summarize
from bench.status import StatusField
from bench.telemetry.types import (
    DmlAdapter,
    GpuInventory,
    PointTelemetry,
    RepetitionTelemetry,
    SessionTelemetry,
)

SCHEMA_VERSION = 2
DOCUMENT_KIND = "bench.result"

RunStatus = Literal["complete", "interrupted", "failed"]


class Metric(BaseModel):
    """Raw samples with their unit; statistics are derived on the fly and written for other tools."""

    model_config = ConfigDict(extra="forbid")

    unit: str
    samples: list[float]

    @model_validator(mode="before")
    @classmethod
    def _drop_derived(cls, data: Any) -> Any:
        # ``stats`` is written for readers that want it, but always recomputed from the samples.
        if isinstance(data, dict) and "stats" in data:
            data = {k: v for k, v in data.items() if k != "stats"}
        return data

    @computed_field  # type: ignore[prop-decorator]
    @property
    def stats(self) -> dict[str, float | int] | None:
        summary = summarize(self.samples)
        return summary.as_dict() if summary else None

    @property
    def summary(self) -> Summary | None:
        return summarize(self.samples)

    @property
    def median(self) -> float | None:
        summary = self.summary
        return summary.median if summary else None


class Environment(BaseModel):
    model_config = ConfigDict(extra="forbid")

    host: HostInfo
    software: SoftwareInfo
    providers: list[ProviderInfo]
    gpus: GpuInventory
    env_vars: dict[str, str] = Field(default_factory=dict)


class ScenarioRecord(BaseModel):
    """The scenario exactly as run (after command-line overrides) and the file it came from."""

    model_config = ConfigDict(extra="forbid")

    name: str
    description: str = ""
    source: str | None = Field(None, description="path of the scenario file, if any")
    file_sha256: str | None = None
    overrides: dict[str, Any] = Field(default_factory=dict, description="command-line overrides applied")
    definition: dict[str, Any]


class SearchRecord(BaseModel):
    """The search options bench set on every generator of a session (``bench.engine.genai.PINNED_SEARCH``)."""

    model_config = ConfigDict(extra="forbid")

    pinned: dict[str, bool | int | float]
    replaced: dict[str, bool | int | float] = Field(
        default_factory=dict, description="the model's genai_config value of each option bench overrode"
    )
    verified: bool = Field(description="read back from onnxruntime-genai (False on builds before 0.13)")


class Session(BaseModel):
    """One (model, provider) pair: loaded once per sweep and reused by all of its points."""

    model_config = ConfigDict(extra="forbid")

    id: str
    model: ModelIdentity
    provider: str
    provider_options: dict[str, str] = Field(default_factory=dict)
    genai_provider_options: dict[str, str] | None = Field(
        default=None, description="what onnxruntime-genai was given (dml: device_id becomes luid) (v2)"
    )
    dml_adapter: DmlAdapter | None = Field(default=None, description="the DirectML adapter (v2)")
    device_id: int | None = None
    metrics: dict[str, Metric] = Field(default_factory=dict, description="model_load_s")
    telemetry: SessionTelemetry | None = None
    error: str | None = None
    search: SearchRecord | None = Field(None, description="version 2: pinned search options")


class PointParams(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    prompt_tokens: int
    batch_size: int
    output_tokens: int


class Point(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(description="stable key across runs: model key | provider | p/b/o")
    session: str
    model: str = Field(description="model key: registry name, twin:family:size, or folder name")
    model_kind: Literal["real", "twin", "path"]
    provider: str
    params: PointParams
    status: StatusField
    reasons: list[str] = Field(default_factory=list)
    error: str | None = None
    warmups: int
    repetitions: int
    started_at: datetime
    finished_at: datetime
    metrics: dict[str, Metric] = Field(default_factory=dict)
    repetition_telemetry: list[RepetitionTelemetry] = Field(default_factory=list)
    telemetry: PointTelemetry | None = None
    rounds: list[int] | None = Field(
        default=None,
        description="bench ab: the round (0, 1, ...) of each repetition, in sample order; None for bench run",
    )
    output_sha256: list[str] = Field(
        default_factory=list,
        description="sha256 of each measured repetition's token ids (prompt + output, every sequence)",
    )

    def metric_median(self, name: str) -> float | None:
        metric = self.metrics.get(name)
        return metric.median if metric else None

    def shape_columns(self) -> dict[str, str | int]:
        """What the point is, as flat columns: CSV export, store rows, pytest-benchmark extra_info."""
        return {
            "model": self.model,
            "model_kind": self.model_kind,
            "provider": self.provider,
            "prompt_tokens": self.params.prompt_tokens,
            "batch_size": self.params.batch_size,
            "output_tokens": self.params.output_tokens,
        }


class AbRecord(BaseModel):
    """``bench ab``: this file is one side of an interleaved A/B run; its partner is the other side."""

    model_config = ConfigDict(extra="forbid")

    role: Literal["baseline", "candidate"]
    partner_run_id: str
    rounds_planned: int
    rounds_completed: int
    repetitions_per_round: int
    warmup_per_round: int
    python: str = Field(description="the interpreter the side's worker ran under")
    worker: dict[str, Any] = Field(default_factory=dict, description="the worker's handshake (versions)")
    env: dict[str, str] = Field(default_factory=dict, description="environment variables this side set")
    order: str = Field(default="ABBA", description="side order per (round + point): A first when even")
    one_process: bool = Field(
        default=False,
        description="both sides' models in one worker process (sides that share their Python and "
        "environment), so what sets a process's speed is the same for both",
    )
    reloaded_each_round: bool = Field(
        default=False,
        description="every side's models were loaded anew for every round (in new worker processes "
        "where the sides had one each); False: loaded once for the whole run",
    )


class ResultDocument(BaseModel):
    model_config = ConfigDict(extra="forbid")

    schema_version: int = SCHEMA_VERSION
    kind: Literal["bench.result"] = "bench.result"
    run_id: str
    status: RunStatus
    status_reasons: list[str] = Field(default_factory=list)
    started_at: datetime
    finished_at: datetime | None = None
    command: list[str] = Field(default_factory=list)
    environment: Environment
    scenario: ScenarioRecord
    sessions: list[Session] = Field(default_factory=list)
    points: list[Point] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list, description="skipped points and other visible notes")
    ab: AbRecord | None = None

    def session(self, session_id: str) -> Session:
        for session in self.sessions:
            if session.id == session_id:
                return session
        raise KeyError(session_id)

    @property
    def has_twins(self) -> bool:
        return any(s.model.kind == "twin" for s in self.sessions)


# --- reading older versions ---------------------------------------------------------------------


def update_to_2(data: dict[str, Any]) -> dict[str, Any]:
    """Version 1 -> 2: version 2 only added optional fields, so a version-1 document means the same."""
    return data


RESULT_DOCUMENT = DocumentKind(
    kind=DOCUMENT_KIND,
    what="result",
    model=ResultDocument,
    version=SCHEMA_VERSION,
    upgrades={2: update_to_2},
    hint="pass a file written by `bench run` or `bench gate`",
)
SUPPORTED_SCHEMA_VERSIONS = RESULT_DOCUMENT.supported
