#!/usr/bin/env bash
# Builds the documentation site (docs/) with every warning an error, as CI does. The lesson
# scripts in examples/lesson run during the build, so a broken example fails it.
#
#   tools/ci/docs.sh                  a fresh virtual environment with ".[docs]" installed
#                                     (what CI runs); the site lands in docs/_build/html
#   DOCS_PYTHON=/path/to/python tools/ci/docs.sh
#                                     an environment that already has the docs extra: it
#                                     documents this checkout's in-place build when there is
#                                     one (development), else the fastgrad installed there
#
# Graphviz's `dot` renders the drawings; when it is missing the script installs it with the
# system's package manager (apt-get, as root).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$ROOT"

if ! command -v dot >/dev/null 2>&1; then
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "docs: installing Graphviz (dot) with apt-get" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq graphviz >/dev/null
  else
    echo "docs: Graphviz's dot is needed to render the drawings; install it (apt-get install" \
         "graphviz, brew install graphviz) and run again" >&2
    exit 1
  fi
fi

if [ -n "${DOCS_PYTHON:-}" ]; then
  PY="$DOCS_PYTHON"
  if compgen -G "fastgrad/_engine*.so" >/dev/null; then  # built in place: document this checkout
    export PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}"
  fi
else
  VENV="${TMPDIR:-/tmp}/fastgrad-docs-venv"
  rm -rf "$VENV"
  python3 -m venv "$VENV"
  PY="$VENV/bin/python"
  "$PY" -m pip install -q --upgrade pip
  "$PY" -m pip install -q ".[docs]"
fi

# From docs/, so the checkout's uncompiled fastgrad/ folder never shadows an installed one.
cd docs
rm -rf _build lesson _generated
MPLBACKEND=Agg "$PY" -m sphinx -W --keep-going -b html . _build/html
echo "docs: built $ROOT/docs/_build/html/index.html"
