"""One side of ``bench ab``: a long-lived process that keeps its models loaded across rounds.

Run as ``python -m bench.ab.worker`` under the side's Python (see ``bench.ab.client``). It measures with
the runner's own per-point code (``bench.runner``), so a point measured here is the same ``Point`` that
``bench run`` writes. stdout carries only protocol messages: everything else the process prints
(onnxruntime's own logging included) is sent to stderr. Ctrl-C is ignored here: the driver decides
when to stop, between points, so a round is never half-measured on one side only.
"""

from __future__ import annotations

import os
import platform
import signal
import sys
from pathlib import Path
from typing import IO, Any

from bench.ab.protocol import PROTOCOL_VERSION, point_schema_digest, receive, send
from bench.errors import BenchError


def _protocol_stream() -> IO[str]:
    """A private copy of stdout for messages; fd 1 (print, C libraries) now goes to stderr."""
    sys.stdout.flush()
    private = os.dup(1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    return open(private, "w", encoding="utf-8", buffering=1, newline="\n")


def _ignore_interrupts() -> None:
    for name in ("SIGINT", "SIGBREAK"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), signal.SIG_IGN)


def _hello() -> dict[str, Any]:
    import bench

    hello: dict[str, Any] = {
        "ok": True,
        "event": "hello",
        "protocol": PROTOCOL_VERSION,
        "bench_version": getattr(bench, "__version__", None),
        "bench_path": str(Path(bench.__file__).resolve().parent),
        "python": sys.executable,
        "python_version": platform.python_version(),
        "genai_version": None,
        "genai_error": None,
    }
    try:
        import onnxruntime_genai as og

        hello["genai_version"] = getattr(og, "__version__", "unknown")
    except ImportError as exc:
        hello["genai_error"] = str(exc)
    return hello


class _Side:
    """The models and points of one side, after ``plan``."""

    def __init__(self, definition: dict[str, Any], *, telemetry: bool, sample_interval_s: float) -> None:
        # Imported here, after the handshake: a Python without bench's dependencies still says hello.
        from bench.engine.genai import StopFlag, import_genai
        from bench.models.refs import resolve_model
        from bench.runner import RunRequest, SilentReporter, _Sweep
        from bench.scenarios import parse_scenario
        from bench.telemetry.session import create_telemetry

        scenario = parse_scenario(definition, origin="bench ab side")
        self.og = import_genai()
        self.sweep = _Sweep(
            RunRequest(scenario=scenario, telemetry=telemetry, sample_interval_s=sample_interval_s),
            og=self.og,
            reporter=SilentReporter(),
            stop=StopFlag(),  # never set: the driver stops between points
            telemetry_factory=create_telemetry,
            resolver=resolve_model,
            command=[],
        )
        self.expansion = self.sweep.plan()
        self.resolved = self.sweep.resolve(self.expansion)
        self.telemetries: dict[str, Any] = {}
        self.sessions: dict[tuple[str, str], Any] = {}
        self.loaded: dict[tuple[str, str], Any] = {}
        for ordinal, ((ref, provider), model) in enumerate(self.resolved.items()):
            session, loaded = self.sweep._load(model, provider, self._telemetry(provider), ordinal)
            self.sessions[(ref, provider)] = session
            self.loaded[(ref, provider)] = loaded

    def _telemetry(self, provider: str) -> Any:
        if provider not in self.telemetries:
            options = self.sweep._provider_options(provider)
            request = self.sweep.request
            self.telemetries[provider] = self.sweep.telemetry_factory(
                provider=provider,
                device_id=self.sweep._device_id(provider),
                interval_s=request.sample_interval_s,
                enabled=request.telemetry,
                **({"dxgi_luid": options["luid"]} if provider == "dml" and "luid" in options else {}),
            )
        return self.telemetries[provider]

    def plan_reply(self) -> dict[str, Any]:
        from bench.environment import collect_host, collect_providers, collect_software, environment_flags

        first = self.expansion.points[0].provider
        return {
            "ok": True,
            "point_schema": point_schema_digest(),
            "points": [
                {
                    "model": p.model,
                    "provider": p.provider,
                    "prompt_tokens": p.prompt_tokens,
                    "batch_size": p.batch_size,
                    "output_tokens": p.output_tokens,
                }
                for p in self.expansion.points
            ],
            "skipped": list(self.expansion.skipped),
            "sessions": [s.model_dump(mode="json") for s in self.sessions.values()],
            "environment": {
                "host": collect_host().model_dump(mode="json"),
                "software": collect_software().model_dump(mode="json"),
                "providers": [p.model_dump(mode="json") for p in collect_providers(self.og)],
                "gpus": self._telemetry(first).inventory().model_dump(mode="json"),
                "env_vars": environment_flags(),
            },
        }

    def measure(self, index: int, *, warmup: int, repetitions: int) -> dict[str, Any]:
        import dataclasses

        point = self.expansion.points[index]
        key = (point.model, point.provider)
        # The per-round counts replace the scenario's; the rest of the scenario (seed, prompt, cv
        # threshold) is what `bench run` would use.
        scenario = self.sweep.request.scenario.model_copy(
            update={"warmup": warmup, "repetitions": repetitions, "min_time_s": None}
        )
        self.sweep.request = dataclasses.replace(self.sweep.request, scenario=scenario)
        result = self.sweep._measure_point(
            point, self.sessions[key], self.loaded[key], self.resolved[key], self._telemetry(point.provider)
        )
        return {"ok": True, "point": result.model_dump(mode="json")}

    def close(self) -> None:
        for telemetry in self.telemetries.values():
            telemetry.close()


def _error(exc: BaseException) -> dict[str, Any]:
    if isinstance(exc, BenchError):
        return {"ok": False, "error": exc.message, "field": exc.field, "hint": exc.hint}
    return {"ok": False, "error": f"{type(exc).__name__}: {exc}", "field": None, "hint": None}


def serve(inbox: IO[str], outbox: IO[str]) -> int:
    """Answer requests until ``quit`` or the end of input."""
    hello = _hello()
    send(outbox, hello)
    side: _Side | None = None
    try:
        while True:
            request = receive(inbox)
            if request is None or request.get("op") == "quit":
                send(outbox, {"ok": True, "event": "bye"})
                return 0
            try:
                op = request.get("op")
                if op == "plan":
                    if hello["genai_error"]:
                        raise BenchError(
                            f"onnxruntime-genai is not importable here ({hello['genai_error']})",
                            field=f"python {sys.executable}",
                            hint="install onnxruntime-genai (or -cuda / -directml) into that environment",
                        )
                    side = _Side(
                        request["scenario"],
                        telemetry=bool(request.get("telemetry", True)),
                        sample_interval_s=float(request.get("sample_interval_s", 0.010)),
                    )
                    send(outbox, side.plan_reply())
                elif op == "measure":
                    if side is None:
                        raise BenchError("measure before plan", field="protocol")
                    send(
                        outbox,
                        side.measure(
                            int(request["index"]),
                            warmup=int(request["warmup"]),
                            repetitions=int(request["repetitions"]),
                        ),
                    )
                else:
                    raise BenchError(f"unknown request {op!r}", field="protocol")
            except Exception as exc:  # every failure becomes a reply; the driver decides what it means
                send(outbox, _error(exc))
    finally:
        if side is not None:
            side.close()


def main() -> None:
    _ignore_interrupts()
    outbox = _protocol_stream()
    sys.exit(serve(sys.stdin, outbox))


if __name__ == "__main__":
    main()
