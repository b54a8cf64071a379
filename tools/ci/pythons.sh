#!/usr/bin/env bash
# CI: the test suite on the oldest and the newest CPython fastgrad claims (3.9 and 3.13), each
# in a fresh nox environment with the package built from this tree (noxfile.py, sessions
# tests-3.9 and tests-3.13). PyTorch is not installed there (only a CUDA build would be
# downloaded), so its comparisons skip; they run in CI's main 3.11 run. Needs both
# interpreters on the machine (pyenv's under ~/.pyenv/versions, or python3.9 / python3.13).
set -euo pipefail
cd "$(dirname "$0")/../.."

python -m pip install -q "nox>=2024.4"
python -m nox -f noxfile.py --error-on-missing-interpreters -s "tests-3.9" "tests-3.13" "$@"
