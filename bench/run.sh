#!/usr/bin/env bash
# dendra against NEST and Brian2 (+ dendrify), side by side; writes bench/RESULTS.md and
# bench/results.json (with --quick: bench/quick/, in under 5 minutes once the peers are installed).
#
# Usage: bash bench/run.sh [--quick] [--only cuba_1_thread,scaling,speedup,...]
#
# The first run makes a virtual environment in bench/.venv with the peers from PyPI (brian2 with
# numpy<2.4, nest-simulator, dendrify; a few minutes); later runs reuse it. Brian2's standalone
# mode needs a C++ compiler (g++).
set -euo pipefail
cd "$(dirname "$0")/.."
venv=bench/.venv
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c "import brian2, nest, dendrify" 2>/dev/null; then
    echo "== making $venv with the peers (brian2, nest-simulator, dendrify)"
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q "brian2==2.9.*" "numpy<2.4" "nest-simulator==3.10.*" "dendrify==2.2.*"
fi
echo "== building dendra (perf profile: release + one codegen unit + thin LTO)"
cargo build --profile perf -q -p dendra-cli -p dendra-bench --bin dendra --bin cuba
echo "== running"
exec "$venv/bin/python" bench/peers/harness.py "$@"
