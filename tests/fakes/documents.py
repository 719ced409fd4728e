"""Result documents built from numbers, for tests of everything downstream of the runner.

Like asv's test tools: fabricate a result from ``{point: samples}`` instead of running anything.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta, timezone

from bench.environment import HostInfo, SoftwareInfo
from bench.metrics import spec
from bench.models.identity import ArchitectureFacts, ModelIdentity, TwinParameters
from bench.results.schema import (
    Environment,
    Metric,
    Point,
    PointParams,
    ResultDocument,
    ScenarioRecord,
    Session,
)
from bench.telemetry.types import GpuInventory

T0 = datetime(2026, 11, 25, 12, 0, tzinfo=timezone.utc)


def twin_identity(family: str = "mistral-nemo-12b", size: str = "tiny") -> ModelIdentity:
    return ModelIdentity(
        ref=f"twin:{family}:{size}",
        kind="twin",
        name=family,
        family=family,
        size=size,
        path=f"/cache/{family}-{size}",
        files={"model.onnx": 1000, "model.onnx.data": 100000, "genai_config.json": 900},
        content_sha256="0" * 64,
        architecture=ArchitectureFacts(
            model_type="mistral",
            num_layers=2,
            hidden_size=256,
            num_attention_heads=4,
            num_kv_heads=2,
            head_dim=64,
            vocab_size=1024,
            context_length=131072,
        ),
        twin=TwinParameters(
            family=family,
            size=size,
            block_size=32,
            symmetric=True,
            io_dtype="float32",
            seed=0,
            writer_version="1",
        ),
    )


def make_document(
    points: Mapping[tuple[int, int, int], Mapping[str, Sequence[float]]],
    *,
    scenario: str = "smoke",
    model: ModelIdentity | None = None,
    provider: str = "cpu",
    status: str = "complete",
    run_id: str = "20261125T120000Z-abc123",
    gpus: GpuInventory | None = None,
    hostname: str = "host-a",
    driver: str | None = None,
) -> ResultDocument:
    """``points`` maps (prompt, batch, output) to metric name -> samples."""
    model = model or twin_identity()
    session = Session(
        id="s0", model=model, provider=provider, metrics={"model_load_s": Metric(unit="s", samples=[0.5])}
    )
    key = f"twin:{model.family}:{model.size}" if model.kind == "twin" else model.name
    built = []
    for (prompt, batch, output), metrics in points.items():
        params = PointParams(prompt_tokens=prompt, batch_size=batch, output_tokens=output)
        built.append(
            Point(
                id=f"{key}|{provider}|p{prompt}|b{batch}|o{output}",
                session="s0",
                model=key,
                model_kind=model.kind,
                provider=provider,
                params=params,
                status="valid",
                warmups=1,
                repetitions=len(next(iter(metrics.values()))),
                started_at=T0,
                finished_at=T0 + timedelta(seconds=1),
                metrics={
                    name: Metric(unit=spec(name).unit, samples=list(values))
                    for name, values in metrics.items()
                },
            )
        )
    return ResultDocument(
        run_id=run_id,
        status=status,  # type: ignore[arg-type]
        started_at=T0,
        finished_at=T0 + timedelta(minutes=1),
        environment=Environment(
            host=HostInfo(
                hostname=hostname,
                os="Linux",
                os_release="6",
                os_version="1",
                machine="x86_64",
                cpu_model="Test CPU",
                cpu_count_logical=2,
                cpu_count_physical=2,
                cpu_freq_max_mhz=None,
                ram_total_bytes=24 << 30,
                python_version="3.11.7",
                python_implementation="CPython",
            ),
            software=SoftwareInfo(
                bench="0.1.0",
                onnxruntime="onnxruntime 1.32.0",
                onnxruntime_genai="0.18.0",
                onnxruntime_genai_build="cpu",
            ),
            providers=[],
            gpus=gpus or GpuInventory(available=False, reason="test: no GPU"),
        ),
        scenario=ScenarioRecord(name=scenario, definition={"name": scenario}),
        sessions=[session],
        points=built,
    )
