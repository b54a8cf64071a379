"""Specification of the GEMM core: every instruction-set path, both code paths (direct and
packed), every tile edge, threads, and the dense layer's fused epilogue.

Each ISA the CPU runs is switched on in turn with `_kernels.set_isa` (the others skip), and
every result is checked against a float64 NumPy reference with the standard error bound
|err| <= 2 (K + 2) u (|alpha| |A| @ |B| + |beta| |C0|), u the unit roundoff of the dtype.
Outputs live inside larger buffers filled with a sentinel that must survive untouched.
"""
import multiprocessing
import os
import subprocess
import sys
import threading
import time

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import ISAS, child_python_env
from fastgrad import _kernels as K

DTYPES = [np.float32, np.float64]
UNIT_ROUNDOFF = {np.float32: 2.0**-24, np.float64: 2.0**-53}
SENTINEL = -7.25e3  # exactly representable; no GEMM result here comes near it
L2_BYTES = 1 << 20  # the direct path's limit for K x N of B (csrc/gemm_tiles_impl.h)
DIRECT_MAX_M = 256


def padded(r, M, N, dtype, pad=3, fill=SENTINEL):
    """An (M, N) view with contiguous rows inside a sentinel-filled buffer (pad on every side
    and extra row length), and the buffer itself."""
    buf = np.full((M + 2 * pad, N + 3 * pad), fill, dtype)
    return buf[pad:pad + M, pad:pad + N], buf


def assert_pad_untouched(buf, M, N, pad=3):
    inside = np.zeros(buf.shape, bool)
    inside[pad:pad + M, pad:pad + N] = True
    assert np.all(buf[~inside] == SENTINEL), "GEMM wrote outside C"


def reference(A, B, C0, alpha, beta):
    A64, B64 = A.astype(np.float64), B.astype(np.float64)
    C064 = C0.astype(np.float64) if beta != 0 else 0.0
    ref = alpha * (A64 @ B64) + beta * C064
    scale = abs(alpha) * (np.abs(A64) @ np.abs(B64)) + abs(beta) * np.abs(C064)
    return ref, scale


def check_gemm(A, B, alpha=1.0, beta=0.0, seed=0, c_fill=None):
    """Runs K.gemm into a sentinel-padded C and checks value and padding. With beta == 0, C
    starts as NaN: it must not be read."""
    dtype = A.dtype.type
    M, Kd = A.shape
    N = B.shape[1]
    r = np.random.default_rng(seed)
    C, buf = padded(r, M, N, dtype)
    C[...] = np.nan if beta == 0 else r.standard_normal((M, N))
    C0 = C.copy()
    ref, scale = reference(A, B, C0, alpha, beta)
    K.gemm(A, B, C, alpha=alpha, beta=beta)
    bound = 2 * (Kd + 2) * UNIT_ROUNDOFF[dtype] * scale + 1e-300
    err = np.abs(C.astype(np.float64) - ref)
    assert np.all(err <= bound), f"max excess {np.max(err - bound)} at shape {(M, Kd, N)}"
    assert_pad_untouched(buf, M, N)
    return C


def operand(r, rows, cols, dtype, transposed, step):
    """A (rows, cols) operand: transposed views and strided slices, never a copy."""
    shape = (cols, rows * step) if transposed else (rows, cols * step)
    base = r.standard_normal(shape).astype(dtype)
    return base[:, ::step].T if transposed else base[:, ::step]


# ---- random shapes, strides, transposes, scalars (hypothesis) --------------------------------

@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(M=st.integers(0, 40), N=st.integers(0, 70), Kd=st.integers(0, 50),
       ta=st.booleans(), tb=st.booleans(), sa=st.sampled_from([1, 2]), sb=st.sampled_from([1, 3]),
       alpha=st.sampled_from([1.0, -0.5, 2.0]), beta=st.sampled_from([0.0, 1.0, -1.5]),
       f64=st.booleans(), seed=st.integers(0, 2**16))
def test_random_shapes_strides_transposes(isa, M, N, Kd, ta, tb, sa, sb, alpha, beta, f64, seed):
    dtype = np.float64 if f64 else np.float32
    r = np.random.default_rng(seed)
    A = operand(r, M, Kd, dtype, ta, sa)
    B = operand(r, Kd, N, dtype, tb, sb)
    check_gemm(A, B, alpha, beta, seed)


# ---- every tile and block edge, +-1 ---------------------------------------------------------

def blocking(dtype):
    b = K.gemm_blocking(dtype)
    return b["MR"], b["NR"], b["KC"], b["MC"], b["NC"]


@pytest.mark.parametrize("dtype", DTYPES)
def test_register_tile_edges_direct_path(isa, dtype):
    """Small products take the direct path: every M around its tile height (MR_DIRECT) and N
    around NR and around one vector (NR / 2, where a tile drops its second vector), with and
    without a transposed B (which the direct path packs), beta 0 and 1."""
    MR, NR = K.gemm_blocking(dtype)["MR_DIRECT"], blocking(dtype)[1]
    r = np.random.default_rng(1)
    for M in (1, MR - 1, MR, MR + 1, 2 * MR + 1):
        for N in (1, NR // 2 - 1, NR // 2, NR // 2 + 1, NR - 1, NR, NR + 1, 2 * NR - 1):
            for Kd, tb, beta in ((1, False, 0.0), (17, True, 1.0), (33, False, 1.0)):
                check_gemm(operand(r, M, Kd, dtype, False, 1), operand(r, Kd, N, dtype, tb, 1),
                           1.0, beta, seed=M * 100 + N)


@pytest.mark.parametrize("dtype", DTYPES)
def test_small_products_every_edge(isa, dtype):
    """The direct path's tall tiles on small products (a batch of 32 through 64-128-10 layers
    and their backward): every M = 1..40 against every N = 1..33, K cycling through 1..70,
    each operand row-major, transposed or strided in turn, beta 0 and 1; then every K = 1..70
    on the shapes of that training step (dY^T X has K = 32, dY W has K = 10)."""
    assert K.gemm_blocking(dtype)["MR_DIRECT"] >= K.gemm_blocking(dtype)["MR"]
    r = np.random.default_rng(9)
    ks = (1, 2, 7, 10, 16, 31, 32, 33, 64, 70)
    i = 0
    for M in range(1, 41):
        for N in range(1, 34):
            i += 1
            Kd, ta, tb = ks[i % len(ks)], i % 3 == 1, i % 4 == 2
            check_gemm(operand(r, M, Kd, dtype, ta, 1 + (i % 5 == 0)),
                       operand(r, Kd, N, dtype, tb, 1 + (i % 7 == 0)),
                       1.0 if i % 2 else -0.5, 0.0 if i % 3 else 1.0, seed=i)
    for Kd in range(1, 71):
        for M, N, ta, tb in ((32, 128, False, True), (32, 10, False, True),
                             (10, 128, True, False), (128, 64, True, False), (13, 33, True, True)):
            check_gemm(operand(r, M, Kd, dtype, ta, 1), operand(r, Kd, N, dtype, tb, 1),
                       1.0, 0.0, seed=Kd)


@pytest.mark.parametrize("dtype", DTYPES)
def test_small_dense_layer_tall_tiles(isa, dtype):
    """The fused epilogue (bias, ReLU in registers) on every row of a tall tile: the dense
    layer at M = 1..40 rows, 10 and 33 outputs, against float64 NumPy."""
    r = np.random.default_rng(10)
    for M in range(1, 41):
        for N, Kd in ((10, 128), (33, 17)):
            X = r.standard_normal((M, Kd)).astype(dtype)
            W = r.standard_normal((N, Kd)).astype(dtype)
            b = r.standard_normal(N).astype(dtype)
            z = X.astype(np.float64) @ W.astype(np.float64).T + b
            scale = np.abs(X.astype(np.float64)) @ np.abs(W.astype(np.float64)).T + np.abs(b)
            Z, Y = np.full((M, N), np.nan, dtype), np.full((M, N), np.nan, dtype)
            K.dense_forward(X, W, b, K.ACT_RELU, 0.0, Z, Y)
            bound = 2 * (Kd + 3) * UNIT_ROUNDOFF[dtype] * scale
            assert np.all(np.abs(Z - z) <= bound), (M, N)
            assert np.all(np.abs(Y - np.maximum(z, 0)) <= bound), (M, N)


@pytest.mark.parametrize("dtype", DTYPES)
def test_block_edges_packed_path(isa, dtype):
    """Large products take the packed path (M > 256 and K x N beyond L2): M around MC and its
    multiples, K around KC (so K slices merge through C), N around NC, transposes mixed."""
    MR, NR, KC, MC, NC = blocking(dtype)
    m_big = (DIRECT_MAX_M // MC + 1) * MC  # a multiple of MC beyond the direct path's M
    r = np.random.default_rng(2)
    cases = [(m_big + 1, KC + 1, NC - 1, False, False, 0.0),
             (m_big - 1, KC - 1, NC + 1, True, False, 1.0),
             (m_big + MR + 1, 2 * KC + 1, NR + 1, False, True, 0.0),
             (m_big + 1, KC, NC + NR - 1, True, True, -1.0)]
    for M, Kd, N, ta, tb, beta in cases:
        Kd = max(Kd, L2_BYTES // (N * np.dtype(dtype).itemsize) + 1)  # keep B beyond L2
        check_gemm(operand(r, M, Kd, dtype, ta, 1), operand(r, Kd, N, dtype, tb, 1),
                   0.5, beta, seed=M + N)


def test_empty_and_k_zero(isa):
    """K == 0 gives C = beta * C; M or N == 0 touches nothing."""
    r = np.random.default_rng(3)
    for dtype in DTYPES:
        check_gemm(np.empty((5, 0), dtype), np.empty((0, 7), dtype), 1.0, 0.0)
        check_gemm(np.empty((5, 0), dtype), np.empty((0, 7), dtype), 1.0, 2.0)
        check_gemm(r.standard_normal((0, 4)).astype(dtype), r.standard_normal((4, 3)).astype(dtype))


def test_k_zero_with_transposed_b_in_a_fresh_thread(isa):
    """K == 0 with a transposed B, first call in a thread (no scratch yet): C = beta * C."""
    out = {}

    def work():
        B = np.empty((7, 0), np.float32).T
        C = np.full((5, 7), 3.0, np.float32)
        K.gemm(np.empty((5, 0), np.float32), B, C, beta=2.0)
        out["C"] = C

    t = threading.Thread(target=work)
    t.start()
    t.join()
    assert np.array_equal(out["C"], np.full((5, 7), 6.0, np.float32))


def test_nan_and_inf_propagate(isa):
    for dtype in DTYPES:
        A = np.ones((9, 40), dtype)
        B = np.ones((40, 33), dtype)
        A[2, 5] = np.nan
        B[7, 30] = np.inf
        C = np.zeros((9, 33), dtype)
        K.gemm(A, B, C)
        assert np.all(np.isnan(C[2])) and np.all(np.isinf(C[[0, 1, 3], 30]))
        assert np.all(C[0, :30] == 40)


# ---- threads ----------------------------------------------------------------------------------

@pytest.mark.parametrize("M,Kd,N,ta,tb", [(300, 200, 333, False, False),
                                          (517, 1100, 650, False, True),
                                          (40, 700, 900, False, True),
                                          (1400, 64, 160, False, False),
                                          (700, 600, 500, True, False)])
def test_bit_identical_for_every_thread_count(isa, threads, M, Kd, N, ta, tb):
    """Threads split C's rows or columns, never K: 1, 2 and 3 threads give the same bits.
    Every shape here is above the one-thread threshold (FG_FLOPS_PER_THREAD), so it splits;
    the last takes the packed path with a transposed A (the dense layer's dW), whose slivers
    are packed k by k."""
    r = np.random.default_rng(M)
    for dtype in DTYPES:
        A = operand(r, M, Kd, dtype, ta, 1)
        B = operand(r, Kd, N, dtype, tb, 1)
        outs = []
        for n in (1, 2, 3):
            K.set_num_threads(n)
            C = np.empty((M, N), dtype)
            K.gemm(A, B, C)
            outs.append(C)
        assert outs[0].tobytes() == outs[1].tobytes() == outs[2].tobytes()
        ref, scale = reference(A, B, None, 1.0, 0.0)
        assert np.all(np.abs(outs[0] - ref) <= 2 * (Kd + 2) * UNIT_ROUNDOFF[dtype] * scale)


def test_dense_layer_bit_identical_across_threads(isa, threads):
    r = np.random.default_rng(5)
    M, Kd, N = 200, 300, 260
    X = r.standard_normal((M, Kd)).astype(np.float32)
    W = r.standard_normal((N, Kd)).astype(np.float32)
    b = r.standard_normal(N).astype(np.float32)
    res = []
    for n in (1, 2, 3):
        K.set_num_threads(n)
        Z, Y = np.empty((M, N), np.float32), np.empty((M, N), np.float32)
        K.dense_forward(X, W, b, K.ACT_RELU, 0.0, Z, Y)
        dY = r.standard_normal((M, N)).astype(np.float32) if n == 1 else res[0][2].copy()
        dYn = dY.copy()
        dX, dW, db = np.empty_like(X), np.empty_like(W), np.empty_like(b)
        K.dense_backward(X, W, Z, Y, K.ACT_RELU, 0.0, dYn, dX, dW, db, False)
        res.append((Z, Y, dY, dX, dW, db))
    for other in res[1:]:
        for a, c in zip(res[0], other):
            assert a.tobytes() == c.tobytes()


def test_two_python_threads_at_once(threads):
    """The GIL is released: concurrent callers share the pool safely and get right answers."""
    K.set_num_threads(2)
    r = np.random.default_rng(6)
    A = r.standard_normal((300, 400)).astype(np.float32)
    B = r.standard_normal((400, 300)).astype(np.float32)
    ref, scale = reference(A, B, None, 1.0, 0.0)
    bound = 2 * 402 * UNIT_ROUNDOFF[np.float32] * scale
    errors = []

    def work():
        for _ in range(20):
            C = np.empty((300, 300), np.float32)
            K.gemm(A, B, C)
            if not np.all(np.abs(C - ref) <= bound):
                errors.append("wrong result")

    ts = [threading.Thread(target=work) for _ in range(3)]
    for t in ts:
        t.start()
    for t in ts:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in ts) and not errors


def test_workers_sleep_after_a_call_returns(threads):
    """After a threaded GEMM returns, no worker keeps burning CPU."""
    K.set_num_threads(2)
    A = np.ones((400, 400), np.float32)
    C = np.empty((400, 400), np.float32)
    K.gemm(A, A, C)
    time.sleep(0.05)  # a bounded spin of microseconds has long ended
    cpu0, wall0 = time.process_time(), time.perf_counter()
    time.sleep(0.3)
    assert time.process_time() - cpu0 < 0.1 * (time.perf_counter() - wall0)


def _child_gemm(q):
    A = np.arange(300 * 200, dtype=np.float64).reshape(300, 200) % 7
    B = np.arange(200 * 333, dtype=np.float64).reshape(200, 333) % 5
    C = np.empty((300, 333))
    K.set_num_threads(2)
    K.gemm(A, B, C)
    q.put(bool(np.array_equal(C, A @ B)))  # small integers: exact in float64


@pytest.mark.skipif(sys.platform != "linux", reason="fork start method")
def test_pool_works_in_a_forked_child(threads):
    K.set_num_threads(2)
    A = np.ones((300, 300))
    K.gemm(A, A, np.empty((300, 300)))  # the parent's pool now exists
    ctx = multiprocessing.get_context("fork")
    q = ctx.Queue()
    p = ctx.Process(target=_child_gemm, args=(q,))
    p.start()
    p.join(timeout=60)
    if p.is_alive():
        p.kill()
        pytest.fail("GEMM hung in a forked child")
    assert p.exitcode == 0 and q.get(timeout=5)


# ---- the fused dense epilogue on every path -----------------------------------------------------

@pytest.mark.parametrize("act,M,Kd,N", [
    (act, *shape) for act in ("none", "relu", "gelu", "sigmoid")
    for shape in ([(7, 33, 45)] + ([(260, 300, 1000)] if act != "gelu" else []))])
@pytest.mark.parametrize("dtype", DTYPES)
def test_dense_forward_epilogue(isa, act, dtype, M, Kd, N):
    """Bias and activation applied on the register tile (ReLU) or on the finished tile, on
    the direct path (small) and the packed one (M > 256, W beyond L2)."""
    from math import erf
    r = np.random.default_rng(M + N)
    X = r.standard_normal((M, Kd)).astype(dtype)
    W = r.standard_normal((N, Kd)).astype(dtype)
    b = r.standard_normal(N).astype(dtype)
    z = X.astype(np.float64) @ W.astype(np.float64).T + b
    f = {"none": lambda v: v, "relu": lambda v: np.maximum(v, 0),
         "sigmoid": lambda v: 1 / (1 + np.exp(-v)),
         "gelu": lambda v: v * 0.5 * (1 + np.vectorize(erf)(v / np.sqrt(2)))}[act]
    scale = np.abs(X.astype(np.float64)) @ np.abs(W.astype(np.float64)).T + np.abs(b)
    bound = 2 * (Kd + 3) * UNIT_ROUNDOFF[dtype] * scale
    for with_z in (False, True):
        Z = np.full((M, N), np.nan, dtype) if with_z else None
        Y = np.full((M, N), np.nan, dtype)
        K.dense_forward(X, W, b, K.ACTIVATIONS[act], 0.0, Z, Y)
        if with_z:
            assert np.all(np.abs(Z - z) <= bound)
        # The activations here are 1-Lipschitz up to a constant below 1.2.
        assert np.all(np.abs(Y - f(z)) <= 1.2 * bound + 4 * UNIT_ROUNDOFF[dtype] * np.abs(f(z)))


def test_relu_epilogue_propagates_nan(isa):
    X = np.ones((3, 20), np.float32)
    X[1, 4] = np.nan
    W = np.ones((40, 20), np.float32)
    Y = np.empty((3, 40), np.float32)
    K.dense_forward(X, W, None, K.ACT_RELU, 0.0, None, Y)
    assert np.all(np.isnan(Y[1])) and np.all(Y[[0, 2]] == 20)


# ---- choosing the path ---------------------------------------------------------------------------

def test_set_isa_rejects_bad_names():
    with pytest.raises(ValueError, match="set_isa"):
        K.set_isa("sse9")
    with pytest.raises(TypeError, match="set_isa"):
        K.set_isa(3)
    before = K.isa()
    assert K.set_isa("generic") and K.isa() == "generic"
    assert K.set_isa(before)


def _isa_in_child(value):
    env, cwd = child_python_env(FASTGRAD_ISA=value)
    code = "from fastgrad import _kernels as K; print(K.isa())"
    out = subprocess.run([sys.executable, "-c", code], env=env, cwd=cwd, check=True,
                         capture_output=True, text=True)
    return out.stdout.strip()


def test_fastgrad_isa_environment_variable():
    """FASTGRAD_ISA forces a lower path; an unknown or unsupported request falls back to what
    the CPU runs, and isa() says which."""
    best = _isa_in_child("")
    assert best in ISAS
    assert _isa_in_child("generic") == "generic"
    assert _isa_in_child("nonsense") == best
    supported = [i for i in ISAS if ISAS.index(i) >= ISAS.index(best)]
    forced = _isa_in_child("avx2")
    assert forced == ("avx2" if "avx2" in supported else best)
