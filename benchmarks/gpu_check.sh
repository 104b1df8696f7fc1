#!/usr/bin/env bash
# Engine check on a CUDA machine with JAX alone (no neural-tangents, no
# TensorFlow, no network). Usage, from anywhere:
#   benchmarks/gpu_check.sh            # full sizes, must finish in 5 minutes
#   benchmarks/gpu_check.sh --tiny     # toy sizes, a CPU smoke run
# Set PYTHON to pick the interpreter (default: python). Prints one JSON object;
# record its numbers, with the card and the date, in benchmarks/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."
# Allocate GPU memory on demand instead of 75% up front, so several tasks can
# share one card (cap each with XLA_PYTHON_CLIENT_MEM_FRACTION if needed).
export XLA_PYTHON_CLIENT_PREALLOCATE=false
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
PY="${PYTHON:-python}"
"$PY" -c 'import jax; print("jax", jax.__version__, jax.devices(), flush=True)' >&2
exec timeout 300 "$PY" -m benchmarks.gpu_check "$@"
