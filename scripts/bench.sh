#!/usr/bin/env bash
# Runs a benchmark from bench/ (not part of the tests): scripts/bench.sh iscsi_target
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh >/dev/null
. scripts/env.sh
exec python "bench/bench_${1:?which benchmark}.py" "${@:2}"
