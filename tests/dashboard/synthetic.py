"""Synthetic GPU result histories for the dashboard's tests and its build benchmark.

Shaped like real result files: each run is a copy of a recorded smoke result (tests/compare/data)
with the environment of a GPU machine and generated samples, so loading and building cost what they
cost on real files (raw samples, per-repetition telemetry). The numbers follow a simple model of a
memory-bound INT4 decoder (decode step time grows with batch and context, prefill saturates); what
they are does not matter, only that they look like a sweep. A driver update can slow one model down
from a given run on, to give the trend a change point.
"""

from __future__ import annotations

import copy
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np

from bench.results.schema import ResultDocument

TEMPLATE = Path(__file__).resolve().parents[1] / "compare" / "data" / "smoke-normal-1.json"
START = datetime(2026, 9, 1, 2, 0, tzinfo=timezone.utc)


@dataclass(frozen=True)
class ModelShape:
    family: str
    weights_mib: float
    step_ms: float  # decode step at batch 1, short context
    prefill_rate: float  # prompt tokens/s at saturation
    kv_kib_per_token: float


MODELS = (
    ModelShape("mistral-nemo-12b", 7040.0, 11.5, 9000.0, 160.0),
    ModelShape("nemotron-mini-4b", 2650.0, 4.6, 24000.0, 96.0),
)


@dataclass(frozen=True)
class History:
    runs: int
    prompts: Sequence[int] = (128, 512, 1024, 2048, 4096)
    batches: Sequence[int] = (1, 2, 4, 8, 16)
    outputs: Sequence[int] = (32, 128)
    models: Sequence[ModelShape] = MODELS
    repetitions: int = 10
    gpu: str = "NVIDIA GeForce RTX 4090"
    architecture: str = "ada"
    drivers: Sequence[tuple[int, str]] = ((0, "565.90"),)  # (first run, driver version)
    slowdown: dict[str, float] = field(default_factory=dict)  # model family -> decode slowdown factor
    slowdown_from: int | None = None  # first run of the slowdown
    hostname: str = "qual-4090-01"
    seed: int = 0

    @property
    def points_per_run(self) -> int:
        return len(self.prompts) * len(self.batches) * len(self.outputs) * len(self.models)


def _template() -> dict:
    return json.loads(TEMPLATE.read_text(encoding="utf-8"))


def _figure(value: float | None, unit: str, method: str, scope: str | None = "process") -> dict:
    return {"value": value, "unit": unit, "method": method, "scope": scope}


def run_dicts(history: History) -> list[dict]:
    """The runs as result-file dicts (``ResultDocument.model_validate`` or ``json.dumps`` them)."""
    template = _template()
    base_point = template["points"][0]
    base_session = template["sessions"][0]
    rng = np.random.default_rng(history.seed)
    runs = []
    for index in range(history.runs):
        driver = [d for start, d in history.drivers if start <= index][-1]
        started = START + timedelta(days=index, minutes=int(rng.integers(0, 50)))
        run_id = f"{started.strftime('%Y%m%dT%H%M%SZ')}-{index:06x}"
        drift = math.exp(rng.normal(0.0, 0.01))  # run-to-run variation
        document = copy.deepcopy({k: v for k, v in template.items() if k not in ("points", "sessions")})
        document.update(
            run_id=run_id,
            started_at=started.isoformat(),
            finished_at=(started + timedelta(minutes=20)).isoformat(),
            command=["bench", "run", "qual"],
        )
        environment = document["environment"]
        environment["host"]["hostname"] = history.hostname
        environment["software"]["onnxruntime_genai_build"] = "cuda"
        environment["gpus"] = {
            "available": True,
            "library": f"nvml 12.{driver}, nvidia-ml-py 13.615.71",
            "driver_version": driver,
            "devices": [
                {
                    "index": 0,
                    "name": history.gpu,
                    "architecture": history.architecture,
                    "driver_version": driver,
                    "memory_total_mib": 24564.0,
                    "peak_memory_bandwidth_gb_s": 1008.0,
                }
            ],
        }
        document["scenario"]["name"] = "qualification"
        sessions, points = [], []
        for m, model in enumerate(history.models):
            session = copy.deepcopy(base_session)
            session["id"] = f"s{m}"
            session["provider"] = "cuda"
            session["device_id"] = 0
            session["model"].update(
                ref=f"twin:{model.family}:full", name=model.family, family=model.family, size="full"
            )
            session["model"]["twin"].update(family=model.family, size="full", provider="cuda")
            session.pop("telemetry", None)
            sessions.append(session)
            slow = (
                history.slowdown.get(model.family, 1.0)
                if (history.slowdown_from is not None and index >= history.slowdown_from)
                else 1.0
            )
            for output in history.outputs:
                for batch in history.batches:
                    for prompt in history.prompts:
                        points.append(
                            _point(
                                base_point,
                                model,
                                session["id"],
                                prompt,
                                batch,
                                output,
                                drift * slow,
                                rng,
                                history.repetitions,
                                started,
                            )
                        )
        document["sessions"] = sessions
        document["points"] = points
        runs.append(document)
    return runs


def _point(
    base: dict,
    model: ModelShape,
    session: str,
    prompt: int,
    batch: int,
    output: int,
    slow: float,
    rng: np.random.Generator,
    reps: int,
    started: datetime,
) -> dict:
    key = f"twin:{model.family}:full"
    step_ms = model.step_ms * (1 + 0.06 * (batch - 1)) * (1 + (prompt + output / 2) / 16384) * slow
    prefill_s = prompt * batch / (model.prefill_rate * min(1.0, 0.35 + prompt * batch / 3000))

    def noisy(value: float, n: int, cv: float = 0.02) -> list[float]:
        return [float(v) for v in value * np.exp(rng.normal(0.0, cv, n))]

    steps = noisy(step_ms, reps * (output - 1), 0.04)
    decode = [
        batch * (output - 1) / (sum(steps[r * (output - 1) : (r + 1) * (output - 1)]) / 1000)
        for r in range(reps)
    ]
    ttft = noisy(prefill_s * 1000 + step_ms, reps)
    prefill = [prompt * batch / ((t - step_ms) / 1000) for t in ttft]
    kv = model.kv_kib_per_token * (prompt + output) * batch / 1024
    point = {k: copy.deepcopy(v) for k, v in base.items() if k not in ("metrics", "telemetry")}
    point.update(
        id=f"{key}|cuda|p{prompt}|b{batch}|o{output}",
        session=session,
        model=key,
        model_kind="twin",
        provider="cuda",
        params={"prompt_tokens": prompt, "batch_size": batch, "output_tokens": output},
        status="valid",
        reasons=[],
        repetitions=reps,
        started_at=started.isoformat(),
        finished_at=(started + timedelta(seconds=5)).isoformat(),
        repetition_telemetry=base["repetition_telemetry"][: 2 * reps],
    )
    point["metrics"] = {
        "ttft_ms": {"unit": "ms", "samples": ttft},
        "prefill_tokens_per_s": {"unit": "tokens/s", "samples": prefill},
        "decode_tokens_per_s": {"unit": "tokens/s", "samples": decode},
        "itl_ms": {"unit": "ms", "samples": steps},
        "tpot_ms": {"unit": "ms", "samples": [batch * (output - 1) / d * 1000 / batch for d in decode]},
        "e2e_latency_ms": {"unit": "ms", "samples": [t + (output - 1) * step_ms for t in ttft]},
    }
    telemetry = copy.deepcopy(base["telemetry"])
    bound = batch * 1008e9 / ((model.weights_mib + kv) * 1024 * 1024)
    measured = float(np.median(decode))
    telemetry.update(
        provider="cuda",
        vram_weights_mib=_figure(model.weights_mib, "MiB", "nvml: after load - before load"),
        vram_kv_cache_mib=_figure(kv + 64.0, "MiB", "nvml: after Generator creation - after load"),
        vram_peak_mib=_figure(model.weights_mib + kv + 180.0 * batch, "MiB", "nvml-memory-v2 peak"),
    )
    telemetry["roofline"] = {
        "weight_bytes": int(model.weights_mib * 1024 * 1024),
        "kv_bytes_per_step": kv * 1024 * 1024,
        "mean_context_tokens": prompt + output / 2,
        "bytes_per_step": (model.weights_mib + kv) * 1024 * 1024,
        "batch_size": batch,
        "peak_bandwidth_gb_s": _figure(1008.0, "GB/s", "nvml: bus width x max memory clock x 2", "device"),
        "bound_tokens_per_s": _figure(bound, "tokens/s", "batch x bandwidth / bytes per step", None),
        "measured_tokens_per_s": measured,
        "efficiency_pct": _figure(100.0 * measured / bound, "%", "median decode tokens/s / bound", None),
    }
    point["telemetry"] = telemetry
    return point


def documents(history: History) -> list[ResultDocument]:
    return [ResultDocument.model_validate(run) for run in run_dicts(history)]


def write_files(history: History, folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for run in run_dicts(history):
        path = folder / f"qualification-{run['run_id']}.json"
        path.write_text(json.dumps(run), encoding="utf-8")
        paths.append(path)
    return paths
