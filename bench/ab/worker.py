"""A worker of ``bench ab``: a process that loads a side's models and measures them on request (one
side, or both when they share a Python and environment); a second ``plan`` loads them anew.

Run as ``python -m bench.ab.worker`` under the side's Python (see ``bench.ab.client``). It measures with
the runner's own per-point code (``bench.runner``), so a point measured here is the same ``Point`` that
``bench run`` writes. stdout carries only protocol messages: everything else the process prints
(onnxruntime's own logging included) is sent to stderr. Ctrl-C is ignored here: the driver decides
when to stop, between points, so a round is never half-measured on one side only.
"""

from __future__ import annotations

import gc
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
    """The models and points of one side, after ``plan``: every session loaded once, as ``bench run``
    loads it (``bench.runner``), and each point measured by ``bench.sweep.measure.measure_point``."""

    def __init__(self, definition: dict[str, Any], *, telemetry: bool, sample_interval_s: float) -> None:
        # Imported here, after the handshake: a Python without bench's dependencies still says hello.
        from bench.engine.genai import StopFlag, import_genai
        from bench.models.refs import resolve_model
        from bench.runner import RunRequest, SilentReporter, _Sweep, _Telemetries
        from bench.scenarios import parse_scenario
        from bench.sweep.plan import plan_sweep
        from bench.telemetry.factory import create_telemetry

        scenario = parse_scenario(definition, origin="bench ab side")
        self.og = import_genai()
        self.stop = StopFlag()  # never set: the driver stops between points
        self.request = RunRequest(scenario=scenario, telemetry=telemetry, sample_interval_s=sample_interval_s)
        self.plan = plan_sweep(
            scenario, og=self.og, resolver=resolve_model, building=lambda _ref: None, stop=self.stop
        )
        self.telemetries = _Telemetries(self.request, create_telemetry)
        sweep = _Sweep(
            self.request, og=self.og, reporter=SilentReporter(), stop=self.stop, telemetries=self.telemetries
        )
        self.sessions: list[Any] = []
        self.points: list[tuple[Any, Any, Any, Any]] = []  # (point, session plan, session, loaded model)
        for ordinal, planned in enumerate(self.plan.sessions):
            session, loaded = sweep._load(planned, self.telemetries.for_provider(planned.provider), ordinal)
            self.sessions.append(session)
            self.points.extend((point, planned, session, loaded) for point in planned.points)

    def plan_reply(self) -> dict[str, Any]:
        from bench.environment import collect_host, collect_providers, collect_software, environment_flags

        first = self.points[0][0].provider
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
                for p, *_ in self.points
            ],
            "skipped": list(self.plan.skipped),
            "sessions": [s.model_dump(mode="json") for s in self.sessions],
            "environment": {
                "host": collect_host().model_dump(mode="json"),
                "software": collect_software().model_dump(mode="json"),
                "providers": [p.model_dump(mode="json") for p in collect_providers(self.og)],
                "gpus": self.telemetries.for_provider(first).inventory().model_dump(mode="json"),
                "env_vars": environment_flags(),
            },
        }

    def measure(self, index: int, *, warmup: int, repetitions: int) -> dict[str, Any]:
        from bench.sweep.measure import PointJob, measure_point

        point, planned, session, loaded = self.points[index]
        # The per-round counts replace the scenario's; the rest of the scenario (seed, prompt, cv
        # threshold) is what `bench run` would use.
        scenario = self.request.scenario.model_copy(
            update={"warmup": warmup, "repetitions": repetitions, "min_time_s": None}
        )
        job = PointJob(
            scenario=scenario,
            point=point,
            session_id=session.id,
            loaded=loaded,
            model=planned.model,
            telemetry=self.telemetries.for_provider(point.provider),
            stop=self.stop,
        )
        return {"ok": True, "point": measure_point(job).model_dump(mode="json")}

    def close(self) -> None:
        self.telemetries.close()


def _error(exc: BaseException) -> dict[str, Any]:
    if isinstance(exc, BenchError):
        return {"ok": False, "error": exc.message, "field": exc.field, "hint": exc.hint}
    return {"ok": False, "error": f"{type(exc).__name__}: {exc}", "field": None, "hint": None}


def serve(inbox: IO[str], outbox: IO[str]) -> int:
    """Answer requests until ``quit`` or the end of input.

    One process may hold both sides (``plan`` and ``measure`` carry the side's key): what sets a
    process's speed for its lifetime is then the same for both, and cancels in their ratio. A second
    ``plan`` for a side loads its models anew (``bench ab`` does it every round)."""
    hello = _hello()
    send(outbox, hello)
    sides: dict[str, _Side] = {}
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
                    key = str(request.get("side", ""))
                    old = sides.pop(key, None)
                    if old is not None:  # a reload: free the old models before loading them anew
                        old.close()
                        del old
                        gc.collect()
                    side = sides[key] = _Side(
                        request["scenario"],
                        telemetry=bool(request.get("telemetry", True)),
                        sample_interval_s=float(request.get("sample_interval_s", 0.010)),
                    )
                    send(outbox, side.plan_reply())
                elif op == "measure":
                    measured = sides.get(str(request.get("side", "")))
                    if measured is None:
                        raise BenchError("measure before plan", field="protocol")
                    send(
                        outbox,
                        measured.measure(
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
        for side in sides.values():
            side.close()


def main() -> None:
    _ignore_interrupts()
    outbox = _protocol_stream()
    try:
        code = serve(sys.stdin, outbox)
    except BrokenPipeError:  # the driver went away (killed): nothing left to answer, nowhere to say it
        os._exit(1)
    sys.exit(code)


if __name__ == "__main__":
    main()
