"""The pool hands out a job's parts to whichever thread claims them first (csrc/pool.c): the
caller, done with its own part, takes those of workers the OS has not run yet. Whoever runs
a part, the results must be the bits of one thread and within the float64 reference's bound.

The child process here pins itself to one CPU before fastgrad starts its workers, with 2 to 4
threads asked for: the workers then seldom run while the caller does, so the caller claims
most parts and the workers find their jobs over when they wake; many calls back to back also
hit a worker waking for a job that a newer one has replaced.
"""
import hashlib
import os
import subprocess
import sys

import numpy as np
import pytest

from conftest import child_python_env
from fastgrad import _kernels as K

# GEMM shapes (M, K, N) above the one-thread threshold, tall and wide, odd sizes; the last is
# the dot path (a few rows).
SHAPES = [(301, 257, 263), (1027, 131, 259), (97, 515, 777), (3, 1031, 2049)]

CHILD = """
import hashlib, os, sys
os.sched_setaffinity(0, {{min(os.sched_getaffinity(0))}})
import numpy as np
from fastgrad import _kernels as K
h = hashlib.sha256()
for rep in range({reps}):
    for m, k, n in {shapes}:
        r = np.random.default_rng(m + n)
        A = r.standard_normal((m, k)).astype(np.float32)
        B = r.standard_normal((k, n)).astype(np.float32)
        C = np.empty((m, n), np.float32)
        K.gemm(A, B, C)
        h.update(C.tobytes())
print(K.get_num_threads(), h.hexdigest())
"""


def one_thread_digest(reps):
    """The same sequence's hash, computed here on one thread; each result also checked
    against the float64 reference."""
    before = K.get_num_threads()
    K.set_num_threads(1)
    h = hashlib.sha256()
    try:
        for _ in range(reps):
            for m, k, n in SHAPES:
                r = np.random.default_rng(m + n)
                A = r.standard_normal((m, k)).astype(np.float32)
                B = r.standard_normal((k, n)).astype(np.float32)
                C = np.empty((m, n), np.float32)
                K.gemm(A, B, C)
                A64, B64 = A.astype(np.float64), B.astype(np.float64)
                bound = 2 * (k + 2) * 2.0**-24 * (np.abs(A64) @ np.abs(B64))
                assert np.all(np.abs(C - A64 @ B64) <= bound)
                h.update(C.tobytes())
    finally:
        K.set_num_threads(before)
    return h.hexdigest()


@pytest.mark.skipif(not hasattr(os, "sched_setaffinity"), reason="needs sched_setaffinity")
@pytest.mark.parametrize("threads", [2, 3, 4])
def test_parts_claimed_by_any_thread_give_one_threads_bits(threads):
    reps = 20
    expected = one_thread_digest(reps)
    env, cwd = child_python_env(FASTGRAD_NUM_THREADS=str(threads))
    child = CHILD.format(reps=reps, shapes=SHAPES)
    r = subprocess.run([sys.executable, "-c", child], env=env, cwd=cwd, capture_output=True,
                       text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == [str(threads), expected]


def test_many_back_to_back_calls_at_every_thread_count(threads):
    """Unpinned, many calls in a row: parts go to the caller or a worker as timing falls;
    every call equals the one-thread result."""
    r = np.random.default_rng(3)
    A = r.standard_normal((67, 501)).astype(np.float64)
    B = r.standard_normal((501, 257)).astype(np.float64)
    K.set_num_threads(1)
    C1 = np.empty((67, 257))
    K.gemm(A, B, C1)
    assert np.all(np.abs(C1 - A @ B) <= 2 * 503 * 2.0**-53 * (np.abs(A) @ np.abs(B)))
    for n in (2, 3, 4):
        K.set_num_threads(n)
        for _ in range(200):
            C = np.empty((67, 257))
            K.gemm(A, B, C)
            assert C.tobytes() == C1.tobytes()
