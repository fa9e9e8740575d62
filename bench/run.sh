#!/usr/bin/env bash
# The benchmarks of issue 8 in one command: `bench/run.sh` (or `make bench`). Not part of the test suite.
# Needs PostgreSQL on 127.0.0.1:5432 (user postgres), Redis on 127.0.0.1:6379 and Debian's wrk.
# It only touches databases named rehab_bench_* and Redis db 9. Options: see `bench/run.sh --help`.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-.venv/bin/python}"
exec "$PYTHON" -m bench.run "$@"
