"""How threads share a GEMM: tall products (more rows in A than columns in B) split their
rows, the others their columns (csrc/gemm_tiles_impl.h). Either way every thread runs whole
tiles at the same positions, so 1 to 4 threads give the same bits, and each result is checked
against a float64 NumPy reference with the standard bound 2 (K + 2) u |A| @ |B|.

The shapes are odd (no multiple of any tile or block size) and reach each path under both
splits: packed (B beyond L2), direct with B read in place, direct with a transposed B packed
whole or a panel at a time.
"""
import numpy as np
import pytest

from fastgrad import _kernels as K

UNIT_ROUNDOFF = {np.float32: 2.0**-24, np.float64: 2.0**-53}

# (M, K, N, B transposed): the first four are tall (rows split), the last two wide.
SHAPES = [(1031, 1030, 261, False),  # packed: K x N beyond L2
          (799, 130, 517, False),    # direct, B in place
          (1029, 515, 259, True),    # direct, B packed whole (A's rows beyond L2/2)
          (251, 300, 229, True),     # direct, B packed a panel at a time
          (261, 1030, 1031, True),   # packed, columns split
          (130, 517, 799, False)]    # direct, columns split


def check_against_reference(A, B, C):
    ref = A.astype(np.float64) @ B.astype(np.float64)
    scale = np.abs(A.astype(np.float64)) @ np.abs(B.astype(np.float64))
    bound = 2 * (A.shape[1] + 2) * UNIT_ROUNDOFF[A.dtype.type] * scale
    assert np.all(np.abs(C - ref) <= bound)


@pytest.mark.parametrize("M,Kd,N,tb", SHAPES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_split_gives_the_same_bits_for_1_to_4_threads(isa, threads, M, Kd, N, tb, dtype):
    r = np.random.default_rng(M + N)
    A = r.standard_normal((M, Kd)).astype(dtype)
    B = r.standard_normal((N, Kd)).astype(dtype).T if tb else r.standard_normal((Kd, N)).astype(dtype)
    outs = []
    for n in (1, 2, 3, 4):
        K.set_num_threads(n)
        C = np.full((M, N), np.nan, dtype)
        K.gemm(A, B, C)
        outs.append(C.tobytes())
    assert all(o == outs[0] for o in outs[1:])
    check_against_reference(A, B, np.frombuffer(outs[0], dtype).reshape(M, N))


def test_wide_batch_dense_layer_same_bits_for_1_to_4_threads(isa, threads):
    """A layer at a batch wider than itself (inference at batch 1024 is the case): forward
    with bias and ReLU, and backward, whose dW = dZ^T X has K = batch."""
    r = np.random.default_rng(7)
    M, Kd, N = 1027, 785, 263
    X = r.standard_normal((M, Kd)).astype(np.float32)
    W = (r.standard_normal((N, Kd)) * 0.05).astype(np.float32)
    b = r.standard_normal(N).astype(np.float32)
    dY0 = r.standard_normal((M, N)).astype(np.float32)
    res = []
    for n in (1, 2, 3, 4):
        K.set_num_threads(n)
        Z, Y = np.empty((M, N), np.float32), np.empty((M, N), np.float32)
        K.dense_forward(X, W, b, K.ACT_RELU, 0.0, Z, Y)
        dY = dY0.copy()
        dX, dW, db = np.empty_like(X), np.empty_like(W), np.empty_like(b)
        K.dense_backward(X, W, Z, Y, K.ACT_RELU, 0.0, dY, dX, dW, db, False)
        res.append((Z, Y, dX, dW, db))
    for other in res[1:]:
        for a, c in zip(res[0], other):
            assert a.tobytes() == c.tobytes()
    Z, Y, dX, dW, db = res[0]
    # Z = X @ W^T + b, the bias added to the product's sum: one more rounding of |Z|.
    z64 = X.astype(np.float64) @ W.T.astype(np.float64) + b
    scale = np.abs(X.astype(np.float64)) @ np.abs(W.T.astype(np.float64)) + np.abs(b)
    bound = 2 * (Kd + 3) * UNIT_ROUNDOFF[np.float32] * scale
    assert np.all(np.abs(Z - z64) <= bound)
    assert np.all(Y == np.maximum(Z, 0))
    dZ = dY0 * (Z > 0)
    check_against_reference(dZ.T, X, dW)
    check_against_reference(dZ, W, dX)
    assert np.allclose(db, dZ.astype(np.float64).sum(0), rtol=1e-4, atol=1e-3)
