#!/usr/bin/env bash
# CI: one release wheel, built the way tools/build_wheels.sh builds all of them (zig cc for
# glibc 2.17, auditwheel repair), checked to carry the manylinux2014 tag, and smoke-tested in a
# fresh virtual environment (build_wheels.sh runs tools/smoke_wheel.py on it). One Python only,
# to keep CI short: FASTGRAD_CI_WHEEL_PYTHON chooses it (default: python3).
set -euo pipefail
cd "$(dirname "$0")/../.."

PY="${FASTGRAD_CI_WHEEL_PYTHON:-$(command -v python3)}"
# The interpreter itself, not a virtual environment's link to it: the wheel is built and
# smoke-tested in environments of its own.
PY="$("$PY" -c 'import sys; print(getattr(sys, "_base_executable", sys.executable))')"
OUT="$(mktemp -d "${TMPDIR:-/tmp}/fastgrad-ci-wheel.XXXXXX")"
trap 'rm -rf "$OUT"' EXIT

FASTGRAD_WHEEL_PYTHONS="$PY" tools/build_wheels.sh "$OUT"
wheels=("$OUT"/fastgrad-*manylinux2014_x86_64*.whl)
if [ ! -f "${wheels[0]}" ]; then
  echo "CI: no manylinux2014 wheel in $OUT" >&2
  ls -l "$OUT" >&2
  exit 1
fi
echo "CI: wheel ok: $(basename "${wheels[0]}")"
