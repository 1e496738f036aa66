#!/usr/bin/env bash
# dendra's rate engine against the machine's sgemm and against numpy, in one run, one thread.
# Usage: bash bench/rate_vs_numpy.sh [ROWS] [REPS]
set -euo pipefail
cd "$(dirname "$0")/.."
rows="${1:-10000}"
reps="${2:-5}"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); $(date -u +%F)"
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
cargo build --profile perf -q -p dendra-bench --bin rate
for round in 1 2; do
    echo "== round $round"
    target/perf/rate --rows "$rows" --reps "$reps"
    python3 bench/peers/numpy_mlp.py "$rows" "$reps"
done
