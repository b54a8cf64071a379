#!/usr/bin/env bash
# The whole test suite against a copy of fastgrad built with AddressSanitizer and
# UndefinedBehaviorSanitizer (FASTGRAD_SANITIZE=1 in setup.py: -O1 -g, -fsanitize=address,
# undefined, -fno-sanitize-recover). Fails on any sanitizer report.
#
# The build happens in a scratch copy of the source tree, never in the user's install or
# checkout. CPython itself is not instrumented, so the ASan runtime is preloaded, and
# PYTHONMALLOC=malloc routes Python's allocations through it. Leak detection is off: the
# interpreter's interned objects would flood the report (tools/valgrind.sh checks leaks).
#
# Skipped under the sanitizer, and why:
#   tests/system/test_wheel.py  builds and installs a normal wheel in a fresh venv: it exercises
#   tests/system/test_sdist.py  packaging (the sdist: built, unpacked, built again and tested),
#                               not memory safety, and takes minutes.
#   tests/system/test_leaks.py  measures RSS of a normal build; ASan's quarantine and shadow memory
#                               make RSS meaningless (valgrind.sh covers leaks).
# Usage: tools/sanitize.sh [extra pytest args]; needs gcc, numpy, Cython and setuptools.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PY="${PYTHON:-python}"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/fastgrad-sanitize.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
LOG="$WORK/pytest.log"

tar -C "$ROOT" --exclude=.git --exclude=build --exclude='*.so' --exclude='*.egg-info' \
    --exclude=dist --exclude=__pycache__ -cf - . | tar -C "$WORK" -xf -
cd "$WORK"
FASTGRAD_SANITIZE=1 "$PY" setup.py -q build_ext --inplace >"$WORK/build.log" 2>&1 \
    || { cat "$WORK/build.log"; echo "sanitize.sh: build failed" >&2; exit 1; }

export LD_PRELOAD="$(gcc -print-file-name=libasan.so):$(gcc -print-file-name=libubsan.so)"
# Reports go to files as well: pytest captures stderr, and a process that the sanitizer stops
# takes its captured output with it. log_path gets one file per process, forks included.
# allocator_may_return_null: a request for terabytes must fail as plain malloc does (NumPy then
# raises MemoryError, which tests/autograd/test_tensor.py expects), not abort the run.
export ASAN_OPTIONS="detect_leaks=0:allocator_may_return_null=1:halt_on_error=1:abort_on_error=0:exitcode=86:log_path=$WORK/report"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:exitcode=86:log_path=$WORK/report"
export PYTHONMALLOC=malloc
export FASTGRAD_SKIP_WHEEL=1

# The instrumented module, not an installed one, must be what the tests import.
"$PY" -c "import fastgrad, sys; f = fastgrad._kernels.__file__; \
sys.exit(0 if f.startswith('$WORK') else 'sanitize.sh: imported ' + f)"

set +e
"$PY" -m pytest -q -p no:cacheprovider --deselect tests/system/test_wheel.py \
    --deselect tests/system/test_sdist.py \
    --ignore tests/system/test_leaks.py "$@" 2>&1 | tee "$LOG"
status=${PIPESTATUS[0]}
set -e
REPORT_RE="ERROR: AddressSanitizer|runtime error:|SUMMARY: (Address|UndefinedBehavior)Sanitizer"
if compgen -G "$WORK/report*" >/dev/null; then
  cat "$WORK"/report* >&2  # warnings (refused huge allocations) are shown, not failures
  if grep -Eq "$REPORT_RE" "$WORK"/report*; then
    echo "sanitize.sh: sanitizer report above" >&2
    exit 1
  fi
fi
if grep -Eq "$REPORT_RE" "$LOG"; then
  echo "sanitize.sh: sanitizer report above" >&2
  exit 1
fi
if [ "$status" -ne 0 ]; then
  echo "sanitize.sh: pytest exited with $status" >&2
  exit "$status"
fi
echo "sanitize.sh: whole suite clean under ASan + UBSan"
