"""Python steps of benchmarks/gpu_check.sh (run from the repository root, in the check's venv).

    python benchmarks/gpu_check.py crosscheck --model twin:nemotron-mini-4b:full > crosscheck.json
    python benchmarks/gpu_check.py summary --result RESULT.json --crosscheck crosscheck.json \
        --onoff onoff.md --log timings.txt

``crosscheck`` loads the model on CUDA with telemetry on, then compares the per-process memory bench
read from NVML (in its sampler process) with ``nvidia-smi --query-compute-apps`` while the model is
still loaded. ``summary`` prints one block a person can paste into an issue.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.telemetry.crosscheck import QUERY, compare, parse_compute_apps


def crosscheck(model: str) -> dict[str, Any]:
    import onnxruntime_genai as og

    from bench.engine.genai import load_model
    from bench.models.refs import resolve_model
    from bench.telemetry.session import create_telemetry

    resolved = resolve_model(model, provider="cuda")
    telemetry = create_telemetry(provider="cuda")
    try:
        with telemetry.track_load() as probe:
            loaded = load_model(og, resolved.path, provider="cuda")
        session = probe.sample
        smi_text = subprocess.run(QUERY, check=True, capture_output=True, text=True, timeout=60).stdout
        del loaded
    finally:
        telemetry.close()
    assert session is not None
    nvml_mib = session.gpu.process_used.end_mib if session.gpu is not None else None
    pids = sorted(getattr(telemetry, "pids", {os.getpid()}))
    smi = parse_compute_apps(smi_text)
    pid = next((p for p in pids if p in smi), pids[0])
    check = compare(pid=pid, nvml_mib=nvml_mib, smi=smi)
    return {
        "ok": check.ok,
        "text": check.text,
        "device": session.device.model_dump() if session.device else None,
        "process_seen": session.process_seen,
        "vram_weights_mib": session.vram_weights_mib.text(),
        "notes": session.notes,
    }


def _points(result: dict[str, Any]) -> list[str]:
    lines = []
    for point in result.get("points", []):
        metrics = point.get("metrics", {})

        def median(name: str, metrics: dict[str, Any] = metrics) -> str:
            samples = sorted(metrics.get(name, {}).get("samples") or [])
            return f"{samples[len(samples) // 2]:.1f}" if samples else "n/a"

        telemetry = point.get("telemetry") or {}
        roofline = telemetry.get("roofline") or {}
        efficiency = (roofline.get("efficiency_pct") or {}).get("value")
        lines.append(
            f"  {point['id']}: {point['status']}; TTFT {median('ttft_ms')} ms, decode "
            f"{median('decode_tokens_per_s')} tok/s, roofline "
            f"{f'{efficiency:.0f} %' if efficiency is not None else 'n/a'}, flags "
            f"{', '.join(telemetry.get('flags') or []) or 'none'}"
        )
    return lines


def summary(*, result: dict[str, Any], crosscheck: dict[str, Any], onoff: str, log: str) -> str:
    """One pasteable block: environment, the sweep's points, the memory cross-check, telemetry on/off."""
    environment = result.get("environment", {})
    software = environment.get("software", {})
    gpus = (environment.get("gpus") or {}).get("devices") or []
    gpu = gpus[0] if gpus else {}
    lines = [
        "### bench GPU check",
        f"GPU: {gpu.get('name', 'none')} (driver {gpu.get('driver_version')}, "
        f"CUDA driver {gpu.get('cuda_driver_version')}, {len(gpus)} GPU(s))",
        f"onnxruntime-genai {software.get('onnxruntime_genai')} ({software.get('onnxruntime_genai_build')}), "
        f"onnxruntime {software.get('onnxruntime')}",
        f"sweep: status {result.get('status')}, {len(result.get('points', []))} point(s)",
        *_points(result),
        f"NVML vs nvidia-smi per-process memory: {'OK' if crosscheck.get('ok') else 'FAILED'}: "
        f"{crosscheck.get('text')}",
        "telemetry on vs off:",
        *("  " + line for line in onoff.strip().splitlines()),
        "step timings:",
        *("  " + line for line in log.strip().splitlines()),
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = parser.add_subparsers(dest="command", required=True)
    check = commands.add_parser("crosscheck")
    check.add_argument("--model", default="twin:nemotron-mini-4b:full")
    report = commands.add_parser("summary")
    for name in ("--result", "--crosscheck", "--onoff", "--log"):
        report.add_argument(name, type=Path, required=True)
    args = parser.parse_args()
    if args.command == "crosscheck":
        print(json.dumps(crosscheck(args.model)))
        return
    print(
        summary(
            result=json.loads(args.result.read_text(encoding="utf-8")),
            crosscheck=json.loads(args.crosscheck.read_text(encoding="utf-8")),
            onoff=args.onoff.read_text(encoding="utf-8"),
            log=args.log.read_text(encoding="utf-8"),
        )
    )


if __name__ == "__main__":
    main()
