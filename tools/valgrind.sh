#!/usr/bin/env bash
# A short training run under valgrind memcheck; fails on "definitely lost" blocks whose
# allocation stack passes through fastgrad (its compiled module _kernels or csrc/).
#
# CPython leaks some objects on purpose at exit (interned strings, static types) and ships no
# suppression file in a normal install, so its own definite losses are counted, printed and
# not held against fastgrad. PYTHONMALLOC=malloc makes every Python allocation visible to
# valgrind. Also fails on invalid reads/writes or uses of uninitialised memory in fastgrad.
# Usage: tools/valgrind.sh   (uses $PYTHON, else python; fastgrad must be importable)
set -euo pipefail
PY="${PYTHON:-python}"
LOG="$(mktemp "${TMPDIR:-/tmp}/fastgrad-valgrind.XXXXXX")"
trap 'rm -f "$LOG"' EXIT
cd "${TMPDIR:-/tmp}"  # not the checkout: its fastgrad/ may lack the compiled module

PYTHONMALLOC=malloc valgrind --tool=memcheck --leak-check=full --show-leak-kinds=definite \
    --num-callers=40 --log-file="$LOG" "$PY" - <<'PYEOF'
import os, tempfile
import numpy as np
import fastgrad as fg
from fastgrad import nn, optim

fg.manual_seed(0)
rng = np.random.default_rng(0)
X = rng.standard_normal((64, 20)).astype(np.float32)
y = rng.integers(0, 5, 64)
model = nn.Sequential(nn.Linear(20, 32), nn.ReLU(), nn.Linear(32, 16), nn.Tanh(), nn.Linear(16, 5))
for opt in (optim.Adam(model.parameters(), lr=1e-2), optim.SGD(model.parameters(), lr=0.1, momentum=0.9)):
    for step in range(10):
        opt.zero_grad()
        loss = nn.CrossEntropyLoss()(model(X[step % 4 * 16:][:16]), y[step % 4 * 16:][:16])
        loss.backward()
        opt.step()
out = model(X)
mse = nn.MSELoss()(out, np.zeros(out.shape, np.float32))
(fg.tensor(X).T @ fg.tensor(X)).sum()
with tempfile.TemporaryDirectory() as d:
    fg.save(model.state_dict(), os.path.join(d, "m.safetensors"))
    model.load_state_dict(fg.load(os.path.join(d, "m.safetensors")))
print("valgrind run: loss", float(loss.item()), "mse", float(mse.item()))
PYEOF

# Each "definitely lost" record runs from its header line to the next empty log line; count
# those whose stack mentions fastgrad's compiled code.
ours=$(awk '/definitely lost in loss record/ {rec = $0; inrec = 1; next}
            inrec && /^==[0-9]+== *$/ {if (rec ~ /_kernels|csrc\/|fg_[a-z]/) n++; inrec = 0; next}
            inrec {rec = rec "\n" $0}
            END {print n + 0}' "$LOG")
grep -A12 "LEAK SUMMARY" "$LOG" | sed 's/^==[0-9]*== //' | head -8
errors=$(grep -E "Invalid (read|write)|uninitialised|Conditional jump" "$LOG" -A30 | grep -cE "_kernels|csrc/" || true)
if [ "$ours" -ne 0 ] || [ "$errors" -ne 0 ]; then
  echo "valgrind.sh: $ours definite leak(s) and $errors memory error frame(s) in fastgrad; full log:" >&2
  cat "$LOG" >&2
  exit 1
fi
echo "valgrind.sh: no definite leak and no memory error attributable to fastgrad"
