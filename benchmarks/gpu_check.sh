#!/usr/bin/env bash
# One prepared GPU check for bench, on Linux with an NVIDIA GPU and no model weights (< 8 minutes):
#   1. installs bench with the cuda extra into a fresh venv (a wheel install, not editable);
#   2. builds full-size synthetic twins of Mistral-Nemo-12B and Nemotron-Mini-4B (CUDA-shaped graphs);
#   3. runs a short sweep of both on CUDA (bench run);
#   4. cross-checks the per-process GPU memory bench reads from NVML against
#      `nvidia-smi --query-compute-apps=pid,used_memory --format=csv`;
#   5. measures TTFT and decode tokens/s with telemetry on vs --no-telemetry, interleaved;
#   6. prints one summary to paste into an issue (also written to WORK/summary.txt).
#
# Usage: benchmarks/gpu_check.sh [--dry-run] [--work DIR] [--python PYTHON] [--rounds N]
#   --dry-run  check the machine and print every step without running anything that needs a GPU
#   --work     folder for the venv, twins (~12 GB) and results (default: a new temporary folder)
#
# Prerequisites (the cuda extra's onnxruntime-genai-cuda needs them on the machine): an NVIDIA driver,
# CUDA 12 and cuDNN 9 runtime libraries, Python >= 3.10, ~20 GB free disk, network access to PyPI.
# Not yet run on GPU hardware: written and dry-run on a machine without a GPU (see docs/TELEMETRY.md).
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DRY_RUN=0
WORK=""
PYTHON="${PYTHON:-python3}"
ROUNDS=6
START=$SECONDS

die() { echo "gpu_check: error: $*" >&2; exit 2; }
note() { printf '== [%4ds] %s\n' "$((SECONDS - START))" "$*" >&2; }
run() {
  echo "+ $*" >&2
  if [[ $DRY_RUN -eq 0 ]]; then "$@"; fi
}

while [[ $# -gt 0 ]]; do
  case "$1" in
    --dry-run) DRY_RUN=1 ;;
    --work) [[ $# -ge 2 ]] || die "--work needs a folder"; WORK="$2"; shift ;;
    --python) [[ $# -ge 2 ]] || die "--python needs an interpreter"; PYTHON="$2"; shift ;;
    --rounds) [[ $# -ge 2 && "$2" =~ ^[1-9][0-9]*$ ]] || die "--rounds needs a positive integer"; ROUNDS="$2"; shift ;;
    -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
    *) die "unknown argument '$1' (see --help)" ;;
  esac
  shift
done

# -- preflight: everything a GPU-less dry run can still check ------------------------------------
[[ "$(uname -s)" == "Linux" ]] || die "Linux only (this is $(uname -s))"
command -v "$PYTHON" >/dev/null || die "$PYTHON not found (use --python)"
"$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 10))' || die "Python >= 3.10 needed ($PYTHON)"
if command -v nvidia-smi >/dev/null; then
  GPU_NAME="$(nvidia-smi --query-gpu=name,driver_version --format=csv,noheader | head -n 1)"
  note "GPU: $GPU_NAME"
elif [[ $DRY_RUN -eq 1 ]]; then
  note "nvidia-smi not found: fine for --dry-run, required for a real check"
else
  die "nvidia-smi not found: an NVIDIA driver is required"
fi
if [[ -z "$WORK" ]]; then
  WORK="$(mktemp -d "${TMPDIR:-/tmp}/bench-gpu-check.XXXXXX")"
fi
mkdir -p "$WORK"
WORK="$(cd "$WORK" && pwd)"
FREE_GB=$(( $(df -Pk "$WORK" | awk 'NR == 2 {print $4}') / 1024 / 1024 ))
if [[ $FREE_GB -lt 20 && $DRY_RUN -eq 0 ]]; then
  die "$WORK has ${FREE_GB} GB free; the twins need ~12 GB and the venv ~4 GB (use --work)"
fi
note "work folder: $WORK (${FREE_GB} GB free)"

VENV="$WORK/venv"
BENCH="$VENV/bin/bench"
VPY="$VENV/bin/python"
export BENCH_CACHE_DIR="$WORK/twins"
LOG="$WORK/timings.txt"
: > "$LOG"
timed() {  # timed LABEL COMMAND...: run, and record how long it took
  local label="$1" t0=$SECONDS
  shift
  run "$@"
  printf '%-28s %4ds\n' "$label" "$((SECONDS - t0))" >> "$LOG"
}

# -- 1. install ------------------------------------------------------------------------------------
note "1/6 fresh venv with bench[cuda] (not editable)"
timed "venv + pip install" "$PYTHON" -m venv "$VENV"
timed "pip install bench[cuda]" "$VENV/bin/pip" install --quiet "${REPO}[cuda]"
if [[ $DRY_RUN -eq 0 ]]; then
  "$VPY" -c 'import onnxruntime_genai as og, sys; sys.exit(0 if og.is_cuda_available() else 1)' \
    || die "onnxruntime-genai-cuda cannot use CUDA here: check CUDA 12 and cuDNN 9 are installed"
fi

# -- 2. twins -------------------------------------------------------------------------------------
note "2/6 full-size twins (random INT4 weights, CUDA-shaped graphs) into $BENCH_CACHE_DIR"
for family in nemotron-mini-4b mistral-nemo-12b; do
  timed "twin $family full" "$BENCH" models synth "$family" --size full --provider cuda
done

# -- 3. sweep -------------------------------------------------------------------------------------
note "3/6 short sweep on CUDA"
SCENARIO="$WORK/gpu-check.yaml"
cat > "$SCENARIO" <<'YAML'
name: gpu-check
description: benchmarks/gpu_check.sh - full-size twins of both models on CUDA, one short point each.
models:
  - twin:nemotron-mini-4b:full
  - twin:mistral-nemo-12b:full
providers: [cuda]
sweep:
  prompt_tokens: [512]
  batch_size: [1]
  output_tokens: [64]
warmup: 1
repetitions: 5
prompt:
  source: random
seed: 0
YAML
RESULTS="$WORK/results"
mkdir -p "$RESULTS"
# A flagged or inconclusive sweep (exit 1 or 3) still has a result worth summarising.
rc=0
timed "bench run (cuda sweep)" "$BENCH" run "$SCENARIO" --out "$RESULTS" || rc=$?
[[ $rc -eq 0 || $rc -eq 1 || $rc -eq 3 ]] || die "bench run failed (exit $rc): see the output above"
shopt -s nullglob
written=("$RESULTS"/*.json)  # a fresh folder: the one result of this run
RESULT="${written[0]:-}"
[[ $DRY_RUN -eq 1 || -n "$RESULT" ]] || die "bench run wrote no result into $RESULTS"

# -- 4. NVML vs nvidia-smi --------------------------------------------------------------------------
note "4/6 NVML per-process memory vs nvidia-smi --query-compute-apps"
cd "$REPO"
if [[ $DRY_RUN -eq 0 ]]; then
  timed "crosscheck" "$VPY" benchmarks/gpu_check.py crosscheck --model twin:nemotron-mini-4b:full \
    > "$WORK/crosscheck.json"
else
  run "$VPY" benchmarks/gpu_check.py crosscheck --model twin:nemotron-mini-4b:full
fi

# -- 5. telemetry on vs off ---------------------------------------------------------------------------
note "5/6 telemetry on vs --no-telemetry, interleaved ($ROUNDS rounds)"
if [[ $DRY_RUN -eq 0 ]]; then
  timed "telemetry on/off" "$VPY" benchmarks/telemetry_on_off.py --provider cuda --nvml real \
    --model twin:nemotron-mini-4b:full --prompt 512 --output 64 --rounds "$ROUNDS" --reps 5 \
    > "$WORK/onoff.md"
else
  run "$VPY" benchmarks/telemetry_on_off.py --provider cuda --nvml real --model twin:nemotron-mini-4b:full
fi

# -- 6. summary -------------------------------------------------------------------------------------
note "6/6 summary"
printf '%-28s %4ds\n' "total" "$((SECONDS - START))" >> "$LOG"
if [[ $DRY_RUN -eq 0 ]]; then
  "$VPY" benchmarks/gpu_check.py summary --result "$RESULT" --crosscheck "$WORK/crosscheck.json" \
    --onoff "$WORK/onoff.md" --log "$LOG" | tee "$WORK/summary.txt"
else
  run "$VPY" benchmarks/gpu_check.py summary --result RESULT.json --crosscheck crosscheck.json \
    --onoff onoff.md --log "$LOG"
  note "dry run: nothing was installed or measured"
fi
