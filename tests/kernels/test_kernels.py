"""Specification of fastgrad._kernels, the binding to the C kernels.

Every result is checked against an independent NumPy reference computed in float64 (and, in
separate tests that skip cleanly without it, against PyTorch).
"""
import math

import numpy as np
import pytest

from fastgrad import _kernels as K
from reference import ref_act, ref_act_grad

DTYPES = [np.float32, np.float64]
UNIT_ROUNDOFF = {np.float32: 2.0**-24, np.float64: 2.0**-53}
# The active GEMM path's blocking (csrc/gemm_dispatch.c): sizes below probe around KC and NC.
KC = K.gemm_blocking(np.float32)["KC"]
NC = {dt: K.gemm_blocking(dt)["NC"] for dt in (np.float32, np.float64)}
ACTS = list(K.ACTIVATIONS)
# The scalar each activation takes (LeakyReLU slope, ELU alpha, Softplus beta); others ignore it.
PARAM = {"leaky_relu": 0.1, "elu": 1.3, "softplus": 0.7, "celu": 1.3}


def rng(seed=0):
    return np.random.default_rng(seed)


def randn(r, shape, dtype):
    return r.standard_normal(shape).astype(dtype)


def tol(dtype):
    """(rtol, atol) for elementwise results of a few flops."""
    return (2e-5, 2e-6) if dtype == np.float32 else (1e-12, 1e-14)


# ---- GEMM -----------------------------------------------------------------------------------

def check_gemm(A, B, C, alpha=1.0, beta=0.0):
    """Runs K.gemm into C and checks it against float64 NumPy with the standard error bound
    |err| <= 2 (K + 2) u (|alpha| |A| @ |B| + |beta| |C0|) + tiny."""
    dtype = C.dtype.type
    A64, B64 = A.astype(np.float64), B.astype(np.float64)
    C0 = C.astype(np.float64) if beta != 0 else 0.0  # with beta == 0, C may hold garbage
    K.gemm(A, B, C, alpha=alpha, beta=beta)
    ref = alpha * (A64 @ B64) + beta * C0
    scale = abs(alpha) * (np.abs(A64) @ np.abs(B64)) + abs(beta) * np.abs(C0)
    bound = 2 * (A.shape[1] + 2) * UNIT_ROUNDOFF[dtype] * scale + 1e-30
    assert C.shape == ref.shape
    assert np.all(np.abs(C - ref) <= bound), np.max(np.abs(C - ref) - bound)


def gemm_sizes():
    sizes = [(0, 0, 0), (0, 3, 4), (3, 0, 4), (3, 4, 0), (1, 1, 1), (7, 13, 31), (97, 31, 13),
             (13, 7, 97), (31, 97, 7)]
    for dt in DTYPES:
        nc = NC[dt]
        sizes += [(5, nc - 1, KC + 1), (3, nc + 1, KC - 1), (6, nc, KC), (2, 2 * nc + 1, 2 * KC + 3)]
    return sorted(set(sizes))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("M,N,Kd", gemm_sizes())
def test_gemm_sizes(dtype, M, N, Kd):
    r = rng(M * 10007 + N * 101 + Kd)
    check_gemm(randn(r, (M, Kd), dtype), randn(r, (Kd, N), dtype), np.empty((M, N), dtype))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("ta", [False, True])
@pytest.mark.parametrize("tb", [False, True])
def test_gemm_transposed_views(dtype, ta, tb):
    r = rng(1)
    M, N, Kd = 19, 37, KC + 44  # K beyond one KC slice
    A = randn(r, (Kd, M), dtype).T if ta else randn(r, (M, Kd), dtype)
    B = randn(r, (N, Kd), dtype).T if tb else randn(r, (Kd, N), dtype)
    check_gemm(A, B, np.empty((M, N), dtype))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("view", ["A[::-1]", "A[:, ::-1]", "B[::-1, ::-1]", "A[:, ::2]",
                                  "B[::3]", "A[::2, 1::3].T"])
def test_gemm_strided_views(dtype, view):
    r = rng(2)
    A, B = randn(r, (40, 66), dtype), randn(r, (66, 50), dtype)
    name = view[0]
    v = eval(view, {"A": A, "B": B})
    if name == "A":
        A = v
        B = randn(r, (A.shape[1], 23), dtype)
    else:
        B = v
        A = randn(r, (9, B.shape[0]), dtype)
    check_gemm(A, B, np.empty((A.shape[0], B.shape[1]), dtype))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("alpha,beta", [(1.0, 1.0), (-0.5, 2.0), (2.0, 0.0), (0.0, 1.5)])
def test_gemm_alpha_beta(dtype, alpha, beta):
    r = rng(3)
    A, B, C = randn(r, (11, 300), dtype), randn(r, (300, 21), dtype), randn(r, (11, 21), dtype)
    check_gemm(A, B, C, alpha, beta)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("Kd", [0, 5])
def test_gemm_beta_zero_overwrites_nan(dtype, Kd):
    r = rng(4)
    C = np.full((6, 9), np.nan, dtype)
    check_gemm(randn(r, (6, Kd), dtype), randn(r, (Kd, 9), dtype), C, beta=0.0)
    assert not np.isnan(C).any()


@pytest.mark.parametrize("dtype", DTYPES)
def test_gemm_k_zero_scales_c(dtype):
    C = np.full((3, 4), 2.0, dtype)
    K.gemm(np.empty((3, 0), dtype), np.empty((0, 4), dtype), C, beta=3.0)
    np.testing.assert_array_equal(C, 6.0)


@pytest.mark.parametrize("dtype", DTYPES)
def test_gemm_nan_propagates(dtype):
    A, B = np.ones((3, 4), dtype), np.ones((4, 5), dtype)
    A[1, 2] = np.nan
    C = np.empty((3, 5), dtype)
    K.gemm(A, B, C)
    assert np.isnan(C[1]).all() and not np.isnan(C[[0, 2]]).any()


@pytest.mark.parametrize("dtype", DTYPES)
def test_gemm_writes_only_inside_a_padded_view(dtype):
    r = rng(5)
    M, N, Kd = 13, 37, 29
    sentinel = dtype(-12345.0)
    buf = np.full((M + 4, N + 7), sentinel, dtype)
    C = buf[2:2 + M, 3:3 + N]  # rows contiguous, row stride wider than N
    check_gemm(randn(r, (M, Kd), dtype), randn(r, (Kd, N), dtype), C)
    mask = np.ones(buf.shape, bool)
    mask[2:2 + M, 3:3 + N] = False
    assert np.all(buf[mask] == sentinel)


@pytest.mark.parametrize("dtype", DTYPES)
def test_gemm_reversed_output_rows(dtype):
    r = rng(6)
    buf = np.zeros((8, 5), dtype)
    check_gemm(randn(r, (8, 3), dtype), randn(r, (3, 5), dtype), buf[::-1])


def test_gemm_is_deterministic():
    r = rng(7)
    A, B = randn(r, (33, 700), np.float32), randn(r, (700, 45), np.float32)
    C1, C2 = np.empty((33, 45), np.float32), np.empty((33, 45), np.float32)
    K.gemm(A, B, C1)
    K.gemm(A, B, C2)
    np.testing.assert_array_equal(C1, C2)


# ---- activations: float64 NumPy references --------------------------------------------------

def act_inputs(dtype, n=300, seed=8):
    """Normal samples plus the awkward points: zeros, the tails, Softplus' threshold."""
    x = rng(seed).standard_normal(n) * 3
    special = [0.0, -0.0, 1e-6, -1e-6, 15.0, -15.0, 40.0, -40.0, 20 / 0.7 - 1e-3, 20 / 0.7 + 1e-3]
    return np.concatenate([x, special]).astype(dtype)


def run_forward(name, x):
    y = np.empty_like(x)
    K.act_forward(K.ACTIVATIONS[name], PARAM.get(name, 0.0), x, y)
    return y


def run_backward(name, x, y, dy):
    dx = np.empty_like(dy)
    K.act_backward(K.ACTIVATIONS[name], PARAM.get(name, 0.0), x, y, dy, dx)
    return dx


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", ACTS)
def test_act_forward(name, dtype):
    x = act_inputs(dtype)
    rtol, atol = tol(dtype)
    np.testing.assert_allclose(run_forward(name, x), ref_act(name, x, PARAM.get(name)),
                               rtol=rtol, atol=atol)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", ACTS)
def test_act_backward(name, dtype):
    x = act_inputs(dtype)
    dy = randn(rng(9), x.shape, dtype)
    y = run_forward(name, x)
    expected = dy.astype(np.float64) * ref_act_grad(name, x, PARAM.get(name))
    rtol, atol = tol(dtype)
    # From y, 1 - y*y loses absolute precision ~ u near saturation: allow it in atol.
    np.testing.assert_allclose(run_backward(name, x, y, dy), expected, rtol=rtol, atol=atol * 10)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", ACTS)
def test_act_backward_needs_only_what_the_table_says_it_reads(name, dtype):
    reads = K.ACTIVATION_READS[name]
    x = act_inputs(dtype)
    dy = randn(rng(9), x.shape, dtype)
    y = run_forward(name, x)
    expected = dy.astype(np.float64) * ref_act_grad(name, x, PARAM.get(name))
    rtol, atol = tol(dtype)
    given = {"x": (x, None), "y": (None, y), "x or y": (None, y), "nothing": (None, None)}
    np.testing.assert_allclose(run_backward(name, *given[reads], dy), expected, rtol=rtol,
                               atol=atol * 10)
    if reads != "nothing":
        with pytest.raises(ValueError, match=f"{name} backward needs"):
            run_backward(name, None, None, dy)


def test_activation_table_is_complete():
    assert sorted(K.ACTIVATIONS.values()) == list(range(len(K.ACTIVATIONS)))
    assert set(K.ACTIVATION_READS) == set(K.ACTIVATIONS)
    for name in K.ACTIVATIONS:  # a new activation needs its references here too
        ref_act(name, np.zeros(1), 1.0), ref_act_grad(name, np.zeros(1), 1.0)
    assert all(getattr(K, "ACT_" + n.upper()) == c for n, c in K.ACTIVATIONS.items())


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", ACTS)
def test_act_in_place(name, dtype):
    x = act_inputs(dtype)
    y = run_forward(name, x)
    z = x.copy()
    K.act_forward(K.ACTIVATIONS[name], PARAM.get(name, 0.0), z, z)
    np.testing.assert_array_equal(z, y)
    dy = randn(rng(10), x.shape, dtype)
    dx = run_backward(name, x, y, dy)
    K.act_backward(K.ACTIVATIONS[name], PARAM.get(name, 0.0), x, y, dy, dy)
    np.testing.assert_array_equal(dy, dx)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", ACTS)
def test_act_nan_propagates_forward(name, dtype):
    y = run_forward(name, np.array([np.nan, 1.0, np.nan], dtype))
    assert np.isnan(y[[0, 2]]).all() and not np.isnan(y[1])


@pytest.mark.parametrize("dtype", DTYPES)
def test_relu_kinks_and_nan(dtype):
    x = np.array([np.nan, 0.0, -0.0, -1.0, 2.0], dtype)
    y = run_forward("relu", x)
    assert np.isnan(y[0]) and list(y[1:]) == [0, 0, 0, 2]
    dx = run_backward("relu", x, None, np.full(5, 3.0, dtype))
    assert list(dx[1:]) == [0, 0, 0, 3]  # gradient 0 at 0, as torch's threshold_backward
    dx_from_y = run_backward("relu", None, y, np.full(5, 3.0, dtype))
    np.testing.assert_array_equal(dx_from_y[1:], dx[1:])


@pytest.mark.parametrize("dtype", DTYPES)
def test_leaky_relu_gradient_at_zero_is_slope(dtype):
    dx = run_backward("leaky_relu", np.array([0.0, -0.0], dtype), None, np.ones(2, dtype))
    np.testing.assert_allclose(dx, [0.1, 0.1], rtol=1e-6)


@pytest.mark.parametrize("dtype", DTYPES)
def test_sigmoid_is_stable_in_the_tails(dtype):
    y = run_forward("sigmoid", np.array([-200.0, 200.0, -30.0], dtype))
    assert 0 <= float(y[0]) < 1e-80 and y[1] == 1
    assert y[2] == pytest.approx(math.exp(-30), rel=1e-6)  # no 1 - (1 - tiny) cancellation


# ---- dense layer ----------------------------------------------------------------------------

def dense_inputs(dtype, M, N, Kd, seed=12):
    r = rng(seed)
    return randn(r, (M, Kd), dtype), randn(r, (N, Kd), dtype) * 0.5, randn(r, (N,), dtype)


DENSE_SHAPES = [(1, 1, 1), (7, 13, 5), (33, 9, 70)]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", ACTS)
@pytest.mark.parametrize("M,N,Kd", DENSE_SHAPES)
@pytest.mark.parametrize("with_bias,with_z", [(True, True), (False, False)])
def test_dense_forward(name, dtype, M, N, Kd, with_bias, with_z):
    X, W, b = dense_inputs(dtype, M, N, Kd)
    p = PARAM.get(name, 0.0)
    Z = np.full((M, N), np.nan, dtype) if with_z else None
    Y = np.full((M, N), np.nan, dtype)
    K.dense_forward(X, W, b if with_bias else None, K.ACTIVATIONS[name], p, Z, Y)
    z_ref = X.astype(np.float64) @ W.T.astype(np.float64) + (b if with_bias else 0)
    rtol = 1e-4 if dtype == np.float32 else 1e-11
    if with_z:
        np.testing.assert_allclose(Z, z_ref, rtol=rtol, atol=rtol)
    np.testing.assert_allclose(Y, ref_act(name, z_ref, p), rtol=rtol, atol=rtol)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", ACTS)
@pytest.mark.parametrize("M,N,Kd", DENSE_SHAPES)
@pytest.mark.parametrize("accumulate", [False, True])
def test_dense_backward(name, dtype, M, N, Kd, accumulate):
    X, W, b = dense_inputs(dtype, M, N, Kd)
    p, act = PARAM.get(name, 0.0), K.ACTIVATIONS[name]
    Z, Y = np.empty((M, N), dtype), np.empty((M, N), dtype)
    K.dense_forward(X, W, b, act, p, Z, Y)
    dY = randn(rng(13), (M, N), dtype)
    r = rng(14)
    dX = np.full((M, Kd), np.nan, dtype)  # always overwritten
    dW0, db0 = randn(r, (N, Kd), dtype), randn(r, (N,), dtype)
    dW, db = dW0.copy(), db0.copy()

    dZ = dY.astype(np.float64) * ref_act_grad(name, Z, p)
    K.dense_backward(X, W, Z, Y, act, p, dY, dX, dW, db, accumulate)
    rtol = 1e-4 if dtype == np.float32 else 1e-10
    np.testing.assert_allclose(dY, dZ, rtol=rtol, atol=rtol)  # dY now holds dZ
    np.testing.assert_allclose(dX, dZ @ W.astype(np.float64), rtol=rtol, atol=rtol)
    keep = 1.0 if accumulate else 0.0
    np.testing.assert_allclose(dW, keep * dW0 + dZ.T @ X.astype(np.float64), rtol=rtol, atol=rtol)
    np.testing.assert_allclose(db, keep * db0 + dZ.sum(axis=0), rtol=rtol, atol=rtol)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("missing", ["dX", "dW", "db"])
def test_dense_backward_optional_outputs(dtype, missing):
    M, N, Kd = 6, 5, 4
    X, W, b = dense_inputs(dtype, M, N, Kd)
    dY = randn(rng(15), (M, N), dtype)
    full = {"dX": np.empty((M, Kd), dtype), "dW": np.empty((N, Kd), dtype), "db": np.empty(N, dtype)}
    K.dense_backward(X, W, None, None, K.ACT_NONE, 0.0, dY.copy(), accumulate=False, **full)
    part = {k: (None if k == missing else np.empty_like(v)) for k, v in full.items()}
    K.dense_backward(X, W, None, None, K.ACT_NONE, 0.0, dY.copy(), accumulate=False, **part)
    for k, v in part.items():
        if v is not None:
            np.testing.assert_array_equal(v, full[k])


def stack_inputs(dtype, sizes=(6, 5, 7, 3), M=4, seed=21):
    r = rng(seed)
    X = randn(r, (M, sizes[0]), dtype)
    Ws = [randn(r, (b, a), dtype) * 0.5 for a, b in zip(sizes[:-1], sizes[1:])]
    bs = [randn(r, (b,), dtype) for b in sizes[1:]]
    bs[1] = None  # one layer without bias
    return X, Ws, bs


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("names", [("relu", "tanh", "none"), ("gelu", "sigmoid", "leaky_relu"),
                                   ("silu", "elu", "softplus")])
@pytest.mark.parametrize("need_dx", [True, False])
def test_dense_stack_equals_its_layers_one_by_one(dtype, names, need_dx):
    """The stack calls are the per-layer kernels in a loop: the same bits, forward and back."""
    X, Ws, bs = stack_inputs(dtype)
    acts = [K.ACTIVATIONS[n] for n in names]
    params = [PARAM.get(n, 0.0) for n in names]
    ys, zs = K.dense_stack_forward(X, Ws, bs, acts, params, True)
    h, ref_ys, ref_zs = X, [], []
    for W, b, a, p in zip(Ws, bs, acts, params):
        Z, Y = np.empty((len(X), len(W)), dtype), np.empty((len(X), len(W)), dtype)
        K.dense_forward(h, W, b, a, p, Z, Y)
        ref_ys.append(Y)
        ref_zs.append(Z)
        h = Y
    for l, (a, y, z, ry, rz) in enumerate(zip(acts, ys, zs, ref_ys, ref_zs)):
        np.testing.assert_array_equal(y, ry)
        needs_z = names[l] in ("leaky_relu", "gelu", "elu", "silu", "softplus")
        assert (z is not None) == needs_z  # kept only where the derivative reads it
        if needs_z:
            np.testing.assert_array_equal(z, rz)

    dY = randn(rng(22), ys[-1].shape, dtype)
    r = rng(23)
    dW0 = [randn(r, W.shape, dtype) for W in Ws]
    db0 = [None if b is None else randn(r, b.shape, dtype) for b in bs]
    accumulate = [1, 0, 1]
    dWs, dbs = [w.copy() for w in dW0], [None if b is None else b.copy() for b in db0]
    dX = K.dense_stack_backward(X, ys, zs, Ws, acts, params, dY.copy(), need_dx, dWs, dbs,
                                accumulate)
    dy, ref_dW, ref_db = dY.copy(), [w.copy() for w in dW0], [None if b is None else b.copy()
                                                                for b in db0]
    for l in reversed(range(len(Ws))):
        h = X if l == 0 else ref_ys[l - 1]
        dx = np.empty_like(h) if l > 0 or need_dx else None
        K.dense_backward(h, Ws[l], ref_zs[l], ref_ys[l], acts[l], params[l], dy, dx, ref_dW[l],
                         ref_db[l], accumulate[l])
        dy = dx
    assert (dX is None) == (not need_dx)
    if need_dx:
        np.testing.assert_array_equal(dX, dy)
    for got, want in zip(dWs + dbs, ref_dW + ref_db):
        if want is not None:
            np.testing.assert_array_equal(got, want)


def test_dense_stack_validation():
    X, Ws, bs = stack_inputs(f32)
    acts, params = [K.ACT_RELU] * 3, [0.0] * 3
    with pytest.raises(ValueError, match="equally long"):
        K.dense_stack_forward(X, Ws, bs[:2], acts, params, True)
    bad = [Ws[0], np.ones((7, 4), f32), Ws[2]]  # layer 1 expects 5 input features
    with pytest.raises(ValueError, match=r"\(7, 4\).*\(layer 1\)"):
        K.dense_stack_forward(X, bad, bs, acts, params, True)
    with pytest.raises(TypeError, match=r"float64.*\(layer 2\)"):
        K.dense_stack_forward(X, Ws[:2] + [Ws[2].astype(np.float64)], bs, acts, params, True)
    with pytest.raises(ValueError, match="unknown activation.*layer 0"):
        K.dense_stack_forward(X, Ws, bs, [99, 1, 1], params, True)
    ys, zs = K.dense_stack_forward(X, Ws, bs, acts, params, True)
    dWs = [np.empty_like(W) for W in Ws]
    dbs = [None if b is None else np.empty_like(b) for b in bs]
    dY = np.ones(ys[-1].shape, f32)
    with pytest.raises(ValueError, match="equally long"):
        K.dense_stack_backward(X, ys, zs, Ws, acts, params, dY, True, dWs, dbs, [0, 0])
    with pytest.raises(TypeError, match="ys must be a list or tuple"):
        K.dense_stack_backward(X, np.stack(ys[:1]), zs, Ws, acts, params, dY, True, dWs, dbs,
                               [0, 0, 0])
    with pytest.raises(TypeError, match="Ws must be a list or tuple"):
        K.dense_stack_forward(X, Ws[0], bs, acts, params, True)
    # tuples are as good as lists
    ys_t, _ = K.dense_stack_forward(X, tuple(Ws), tuple(bs), tuple(acts), tuple(params), True)
    np.testing.assert_array_equal(ys_t[-1], ys[-1])
    with pytest.raises(ValueError, match=r"dW overlaps W.*\(layer 2\)"):
        K.dense_stack_backward(X, ys, zs, Ws, acts, params, dY, True, dWs[:2] + [Ws[2]], dbs,
                               [0, 0, 0])
    with pytest.raises(ValueError, match=r"dY has shape.*\(layer 2\)"):
        K.dense_stack_backward(X, ys, zs, Ws, acts, params, np.ones((4, 2), f32), True, dWs,
                               dbs, [0, 0, 0])


@pytest.mark.parametrize("write,other", [("dY", "X"), ("dX", "W"), ("dW", "dX"), ("db", "dY"),
                                         ("dW", "Y"), ("db", "Z")])
def test_dense_backward_refuses_each_overlapping_pair(write, other):
    """Every written array against every other argument, through the address check in C."""
    M, N, Kd = 3, 4, 5
    buf = np.zeros(1000, f32)
    arrays = {"X": np.ones((M, Kd), f32), "W": np.ones((N, Kd), f32),
              "Z": np.ones((M, N), f32), "Y": np.ones((M, N), f32),
              "dY": np.ones((M, N), f32), "dX": np.empty((M, Kd), f32),
              "dW": np.empty((N, Kd), f32), "db": np.empty(N, f32)}
    # Put both arrays of the pair into one buffer, the second starting inside the first.
    a, b = arrays[write], arrays[other]
    first = buf[:a.size].reshape(a.shape)
    second = buf[1:1 + b.size].reshape(b.shape)
    second[...] = b
    arrays[write], arrays[other] = first, second
    with pytest.raises(ValueError, match=f"{write} overlaps {other}|{other} overlaps {write}"):
        K.dense_backward(arrays["X"], arrays["W"], arrays["Z"], arrays["Y"], K.ACT_GELU, 0.0,
                         arrays["dY"], arrays["dX"], arrays["dW"], arrays["db"], False)


# ---- losses ---------------------------------------------------------------------------------

def ref_cross_entropy(X, target, ignore_index, eps):
    X = X.astype(np.float64)
    M, C = X.shape
    lse = np.log(np.exp(X - X.max(axis=1, keepdims=True)).sum(axis=1)) + X.max(axis=1)
    loss, grad = np.zeros(M), np.zeros((M, C))
    for i in range(M):
        if target[i] == ignore_index:
            continue
        q = np.full(C, eps / C)
        q[target[i]] += 1 - eps
        loss[i] = -(q * (X[i] - lse[i])).sum()
        grad[i] = np.exp(X[i] - lse[i]) - q
    return loss, grad


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("eps", [0.0, 0.1])
@pytest.mark.parametrize("ignore_index", [-100, 2])
# The kernel works in blocks of 1024 // C rows, and a row wider than 1024 in chunks: the
# shapes cross both boundaries.
@pytest.mark.parametrize("M,C", [(1, 1), (9, 10), (17, 300), (250, 5), (205, 5), (3, 1024),
                                 (4, 1025), (3, 2500)])
def test_cross_entropy(dtype, eps, ignore_index, M, C):
    r = rng(16)
    X = (r.standard_normal((M, C)) * 4).astype(dtype)
    target = r.integers(0, C, M).astype(np.int64)
    loss, dX = np.empty(M, dtype), np.empty((M, C), dtype)
    total, counted = K.cross_entropy(X, target, ignore_index, eps, loss, dX)
    ref_loss, ref_grad = ref_cross_entropy(X, target, ignore_index, eps)
    rtol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(loss, ref_loss, rtol=rtol, atol=rtol)
    np.testing.assert_allclose(dX, ref_grad, rtol=rtol, atol=rtol)
    assert isinstance(total, float) and total == K.sum_all(loss)  # the same additions, in double
    assert counted == np.count_nonzero(target != ignore_index)
    loss2 = np.empty(M, dtype)
    assert K.cross_entropy(X, target, ignore_index, eps, loss2, None) == (total, counted)
    np.testing.assert_array_equal(loss2, loss)  # loss only


@pytest.mark.parametrize("dtype", DTYPES)
def test_cross_entropy_is_stable_and_propagates_nan(dtype):
    X = np.array([[1000.0, 0.0, -1000.0], [0.0, np.nan, 1.0]], dtype)
    loss, dX = np.empty(2, dtype), np.empty((2, 3), dtype)
    K.cross_entropy(X, np.array([0, 0], np.int64), -100, 0.0, loss, dX)
    assert loss[0] == 0 and np.isfinite(dX[0]).all()
    assert np.isnan(loss[1]) and np.isnan(dX[1]).all()
    X = np.array([[-np.inf, 0.0, 0.0]], dtype)  # a class that can never occur
    loss, dX = np.empty(1, dtype), np.empty((1, 3), dtype)
    K.cross_entropy(X, np.array([1], np.int64), -100, 0.0, loss, dX)
    np.testing.assert_allclose(loss, [np.log(2)], rtol=1e-6)
    np.testing.assert_allclose(dX, [[0.0, -0.5, 0.5]], rtol=1e-6)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("n", [0, 1, 37 * 11, 100_003])
@pytest.mark.parametrize("outputs", ["none", "sq", "dX", "both"])
def test_mse(dtype, n, outputs):
    r = rng(17)
    pred, target = randn(r, n, dtype), randn(r, n, dtype)
    sq = np.empty_like(pred) if outputs in ("sq", "both") else None
    dX = np.empty_like(pred) if outputs in ("dX", "both") else None
    s = K.mse(pred, target, sq, dX)
    d = pred - target  # NumPy's rounding of each step, which the kernel must repeat exactly
    assert isinstance(s, float)
    assert s == K.sum_all(d * d)  # squares rounded to the dtype, added in sum()'s order
    d64 = pred.astype(np.float64) - target
    assert s == pytest.approx((d64 * d64).sum(), rel=1e-6 if dtype == np.float32 else 1e-13)
    if sq is not None:
        np.testing.assert_array_equal(sq, d * d)
    if dX is not None:
        np.testing.assert_array_equal(dX, 2 * d)


@pytest.mark.parametrize("dtype", DTYPES)
def test_mse_in_place_on_its_inputs(dtype):
    r = rng(18)
    pred, target = randn(r, (5, 7), dtype), randn(r, (5, 7), dtype)
    d = pred - target
    s = K.mse(pred, target, pred, target)  # squares over pred, derivative over target
    np.testing.assert_array_equal(pred, d * d)
    np.testing.assert_array_equal(target, 2 * d)
    assert s == K.sum_all(d * d)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("n", [0, 1, 255, 256, 257, 100_003])
def test_sum(dtype, n):
    x = randn(rng(n), n, dtype)
    s = K.sum_all(x)
    assert isinstance(s, float)
    assert s == pytest.approx(x.astype(np.float64).sum(), rel=1e-12, abs=1e-9)
    assert K.sum_all(x) == s  # deterministic


@pytest.mark.parametrize("dtype", DTYPES)
def test_reductions_propagate_nan(dtype):
    x = np.ones(1000, dtype)
    x[700] = np.nan
    assert math.isnan(K.sum_all(x)) and math.isnan(K.mse(x, np.zeros_like(x), None, None))


# ---- optimizers: NumPy transcriptions of torch/optim/{sgd,adam}.py --------------------------

def ref_sgd(p, g, buf, lr, momentum, dampening, wd, nesterov, first):
    d = g + wd * p
    if momentum != 0:
        buf[...] = d if first else momentum * buf + (1 - dampening) * d
        d = d + momentum * buf if nesterov else buf
    p -= lr * d


def ref_adam(p, g, m, v, vmax, lr, b1, b2, eps, wd, decoupled, step):
    if wd != 0:
        if decoupled:
            p *= 1 - lr * wd
        else:
            g = g + wd * p
    m[...] = b1 * m + (1 - b1) * g
    v[...] = b2 * v + (1 - b2) * g * g
    if vmax is not None:
        np.maximum(vmax, v, out=vmax)
    denom = np.sqrt(vmax if vmax is not None else v) / math.sqrt(1 - b2**step) + eps
    p -= lr / (1 - b1**step) * m / denom


SGD_CASES = [dict(momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False),
             dict(momentum=0.9, dampening=0.0, weight_decay=0.01, nesterov=False),
             dict(momentum=0.9, dampening=0.0, weight_decay=0.0, nesterov=True),
             dict(momentum=0.5, dampening=0.3, weight_decay=0.1, nesterov=False)]
ADAM_CASES = [dict(weight_decay=0.0, decoupled=False, amsgrad=False),
              dict(weight_decay=0.1, decoupled=False, amsgrad=False),
              dict(weight_decay=0.1, decoupled=True, amsgrad=False),
              dict(weight_decay=0.0, decoupled=False, amsgrad=True)]
STEPS = 5


def grads(dtype, shape, seed=18):
    r = rng(seed)
    return [randn(r, shape, dtype) for _ in range(STEPS)]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", SGD_CASES)
def test_sgd_step(dtype, case):
    p = randn(rng(19), (5, 7), dtype)
    buf = np.zeros_like(p) if case["momentum"] else None
    p64, buf64 = p.astype(np.float64), np.zeros(p.shape)
    for i, g in enumerate(grads(dtype, p.shape)):
        K.sgd_step(p, g, buf, 0.1, case["momentum"], case["dampening"], case["weight_decay"],
                   case["nesterov"], i == 0)
        ref_sgd(p64, g.astype(np.float64), buf64, 0.1, case["momentum"], case["dampening"],
                case["weight_decay"], case["nesterov"], i == 0)
    rtol = 1e-5 if dtype == np.float32 else 1e-13
    np.testing.assert_allclose(p, p64, rtol=rtol, atol=rtol)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", ADAM_CASES)
def test_adam_step(dtype, case):
    p = randn(rng(20), (5, 7), dtype)
    m, v = np.zeros_like(p), np.zeros_like(p)
    vmax = np.zeros_like(p) if case["amsgrad"] else None
    p64, m64, v64 = p.astype(np.float64), np.zeros(p.shape), np.zeros(p.shape)
    vmax64 = np.zeros(p.shape) if case["amsgrad"] else None
    for step, g in enumerate(grads(dtype, p.shape), start=1):
        args = (0.01, 0.9, 0.999, 1e-8, case["weight_decay"], case["decoupled"], step)
        K.adam_step(p, g, m, v, vmax, *args)
        ref_adam(p64, g.astype(np.float64), m64, v64, vmax64, *args)
    rtol = 1e-5 if dtype == np.float32 else 1e-12
    for got, want in [(p, p64), (m, m64), (v, v64)]:
        np.testing.assert_allclose(got, want, rtol=rtol, atol=rtol)


# The _many versions: one call over a list of parameters is, bit for bit, one single call per
# parameter in list order, whatever the shapes and dtypes of the entries.

MANY_SHAPES = [(5, 7), (7,), (1,), (0,), (3, 2, 4), (64, 3)]
MANY_COUNTS = [0, 1, 6, 40]  # 40: more entries than the binding keeps on the stack


def many_params(count, dtypes, seed):
    r = rng(seed)
    return [randn(r, MANY_SHAPES[i % len(MANY_SHAPES)], dtypes[i % len(dtypes)])
            for i in range(count)]


def copies(arrays):
    return None if arrays is None else [a.copy() for a in arrays]


def assert_all_equal(actual, expected):
    assert len(actual) == len(expected)  # zip(strict=True) needs Python 3.10
    for i, (a, e) in enumerate(zip(actual, expected)):
        assert a.dtype == e.dtype
        np.testing.assert_array_equal(a, e, err_msg=f"entry {i}")


@pytest.mark.parametrize("count", MANY_COUNTS)
@pytest.mark.parametrize("dtypes", [[np.float32], [np.float64], [np.float32, np.float64]],
                         ids=["f32", "f64", "mixed"])
@pytest.mark.parametrize("case", SGD_CASES)
def test_sgd_step_many_is_single_steps_in_order(case, dtypes, count):
    ps = many_params(count, dtypes, 30)
    bufs = [np.zeros_like(p) for p in ps] if case["momentum"] else None
    ps1, bufs1 = copies(ps), copies(bufs)
    r = rng(31)
    hyper = (0.1, case["momentum"], case["dampening"], case["weight_decay"], case["nesterov"])
    for step in range(STEPS):
        gs = [randn(r, p.shape, p.dtype) for p in ps]
        # Per entry (buffers started at different steps, as after load_state_dict), then one flag.
        first = [step == i % 2 for i in range(count)] if step < 2 else False
        K.sgd_step_many(ps, gs, bufs, *hyper, first)
        for i, (p, g) in enumerate(zip(ps1, gs)):
            K.sgd_step(p, g, None if bufs1 is None else bufs1[i], *hyper,
                       first[i] if isinstance(first, list) else first)
    assert_all_equal(ps, ps1)
    if bufs is not None:
        assert_all_equal(bufs, bufs1)


@pytest.mark.parametrize("count", MANY_COUNTS)
@pytest.mark.parametrize("dtypes", [[np.float32], [np.float64], [np.float32, np.float64]],
                         ids=["f32", "f64", "mixed"])
@pytest.mark.parametrize("case", ADAM_CASES)
def test_adam_step_many_is_single_steps_in_order(case, dtypes, count):
    ps = many_params(count, dtypes, 32)
    ms, vs = [np.zeros_like(p) for p in ps], [np.zeros_like(p) for p in ps]
    vmaxs = [np.zeros_like(p) for p in ps] if case["amsgrad"] else None
    ps1, ms1, vs1, vmaxs1 = copies(ps), copies(ms), copies(vs), copies(vmaxs)
    r = rng(33)
    hyper = (0.01, 0.9, 0.999, 1e-8, case["weight_decay"], case["decoupled"])
    for t in range(1, STEPS + 1):
        gs = [randn(r, p.shape, p.dtype) for p in ps]
        steps = [t + i % 3 for i in range(count)]  # step counts differ between parameters
        K.adam_step_many(ps, gs, ms, vs, vmaxs, *hyper, steps)
        for i, (p, g, m, v) in enumerate(zip(ps1, gs, ms1, vs1)):
            K.adam_step(p, g, m, v, None if vmaxs1 is None else vmaxs1[i], *hyper, steps[i])
    for got, want in [(ps, ps1), (ms, ms1), (vs, vs1)] + ([(vmaxs, vmaxs1)] if vmaxs else []):
        assert_all_equal(got, want)


def test_step_many_entries_sharing_memory_apply_in_order():
    # Documented: entries run in order, so arrays shared between entries see the earlier update.
    p, g = randn(rng(34), (6,), np.float64), randn(rng(35), (6,), np.float64)
    p1 = p.copy()
    K.sgd_step_many([p, p], [g, g], None, 0.1, 0.0, 0.0, 0.01, False, True)
    K.sgd_step(p1, g, None, 0.1, 0.0, 0.0, 0.01, False, True)
    K.sgd_step(p1, g, None, 0.1, 0.0, 0.0, 0.01, False, True)
    np.testing.assert_array_equal(p, p1)
    m, v = np.zeros(6), np.zeros(6)
    m1, v1 = m.copy(), v.copy()
    K.adam_step_many([p, p], [g, g], [m, m], [v, v], None, 0.1, 0.9, 0.999, 1e-8, 0, False, [1, 2])
    K.adam_step(p1, g, m1, v1, None, 0.1, 0.9, 0.999, 1e-8, 0, False, 1)
    K.adam_step(p1, g, m1, v1, None, 0.1, 0.9, 0.999, 1e-8, 0, False, 2)
    for a, b in [(p, p1), (m, m1), (v, v1)]:
        np.testing.assert_array_equal(a, b)


# ---- against PyTorch, when it is installed ----------------------------------------------------

# PyTorch's float64 derivatives of these use a float32 constant (hardsigmoid_backward's 1/6,
# celu's 1/alpha.toFloat() in derivatives.yaml): they differ from the exact derivative, which
# the kernels compute and test_act_backward checks, by ~3e-8 relative (celu: times |x / alpha|).
TORCH_FLOAT_CONSTANT_GRADS = {"celu", "hardsigmoid"}


def torch_act(torch, name, t):
    F = torch.nn.functional
    p = PARAM.get(name)
    return {"none": lambda: t * 1, "relu": lambda: F.relu(t), "tanh": lambda: torch.tanh(t),
            "sigmoid": lambda: torch.sigmoid(t), "leaky_relu": lambda: F.leaky_relu(t, p),
            "gelu": lambda: F.gelu(t), "gelu_tanh": lambda: F.gelu(t, approximate="tanh"),
            "elu": lambda: F.elu(t, p), "silu": lambda: F.silu(t),
            "softplus": lambda: F.softplus(t, beta=p, threshold=20),
            "relu6": lambda: F.relu6(t), "selu": lambda: F.selu(t),
            "celu": lambda: F.celu(t, p), "mish": lambda: F.mish(t),
            "softsign": lambda: F.softsign(t), "hardsigmoid": lambda: F.hardsigmoid(t),
            "hardswish": lambda: F.hardswish(t), "logsigmoid": lambda: F.logsigmoid(t),
            "tanhshrink": lambda: F.tanhshrink(t)}[name]()


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", ACTS)
def test_act_matches_torch(name, dtype):
    torch = pytest.importorskip("torch")
    x = act_inputs(dtype)
    dy = randn(rng(21), x.shape, dtype)
    t = torch.tensor(x, requires_grad=True)
    yt = torch_act(torch, name, t)
    yt.backward(torch.tensor(dy))
    y = run_forward(name, x)
    rtol, atol = (1e-5, 1e-6) if dtype == np.float32 else (1e-12, 1e-14)
    np.testing.assert_allclose(y, yt.detach().numpy(), rtol=rtol, atol=atol)
    if name in TORCH_FLOAT_CONSTANT_GRADS:
        rtol = max(rtol, 2e-6)  # celu: |x / alpha| (up to 30 here) times that error
    np.testing.assert_allclose(run_backward(name, x, y, dy), t.grad.numpy(), rtol=rtol,
                               atol=atol * 10)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("eps", [0.0, 0.2])
def test_cross_entropy_matches_torch(dtype, eps):
    torch = pytest.importorskip("torch")
    r = rng(22)
    X = (r.standard_normal((12, 7)) * 3).astype(dtype)
    target = r.integers(0, 7, 12).astype(np.int64)
    target[3] = -100
    loss, dX = np.empty(12, dtype), np.empty((12, 7), dtype)
    K.cross_entropy(X, target, -100, eps, loss, dX)
    t = torch.tensor(X, requires_grad=True)
    lt = torch.nn.functional.cross_entropy(t, torch.tensor(target), reduction="none",
                                           label_smoothing=eps)
    lt.sum().backward()
    rtol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(loss, lt.detach().numpy(), rtol=rtol, atol=rtol)
    np.testing.assert_allclose(dX, t.grad.numpy(), rtol=rtol, atol=rtol)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", SGD_CASES)
def test_sgd_matches_torch(dtype, case):
    torch = pytest.importorskip("torch")
    p = randn(rng(23), (4, 6), dtype)
    tp = torch.nn.Parameter(torch.tensor(p))
    opt = torch.optim.SGD([tp], lr=0.1, **case)
    buf = np.zeros_like(p) if case["momentum"] else None
    for i, g in enumerate(grads(dtype, p.shape)):
        K.sgd_step(p, g, buf, 0.1, case["momentum"], case["dampening"], case["weight_decay"],
                   case["nesterov"], i == 0)
        tp.grad = torch.tensor(g)
        opt.step()
    np.testing.assert_allclose(p, tp.detach().numpy(), rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", ADAM_CASES)
def test_adam_matches_torch(dtype, case):
    torch = pytest.importorskip("torch")
    p = randn(rng(24), (4, 6), dtype)
    tp = torch.nn.Parameter(torch.tensor(p))
    cls = torch.optim.AdamW if case["decoupled"] else torch.optim.Adam
    opt = cls([tp], lr=0.01, betas=(0.9, 0.999), eps=1e-8, weight_decay=case["weight_decay"],
              amsgrad=case["amsgrad"], foreach=False)
    m, v = np.zeros_like(p), np.zeros_like(p)
    vmax = np.zeros_like(p) if case["amsgrad"] else None
    for step, g in enumerate(grads(dtype, p.shape), start=1):
        K.adam_step(p, g, m, v, vmax, 0.01, 0.9, 0.999, 1e-8, case["weight_decay"],
                    case["decoupled"], step)
        tp.grad = torch.tensor(g)
        opt.step()
    np.testing.assert_allclose(p, tp.detach().numpy(), rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", SGD_CASES)
def test_sgd_step_many_matches_torch(dtype, case):
    torch = pytest.importorskip("torch")
    ps = many_params(5, [dtype], 25)
    tps = [torch.nn.Parameter(torch.tensor(p)) for p in ps]
    opt = torch.optim.SGD(tps, lr=0.1, **case)
    bufs = [np.zeros_like(p) for p in ps] if case["momentum"] else None
    for step in range(STEPS):
        gs = [randn(rng(step), p.shape, dtype) for p in ps]
        K.sgd_step_many(ps, gs, bufs, 0.1, case["momentum"], case["dampening"],
                        case["weight_decay"], case["nesterov"], step == 0)
        for tp, g in zip(tps, gs):
            tp.grad = torch.tensor(g)
        opt.step()
    for p, tp in zip(ps, tps):
        np.testing.assert_allclose(p, tp.detach().numpy(), rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", ADAM_CASES)
def test_adam_step_many_matches_torch(dtype, case):
    torch = pytest.importorskip("torch")
    ps = many_params(5, [dtype], 26)
    tps = [torch.nn.Parameter(torch.tensor(p)) for p in ps]
    cls = torch.optim.AdamW if case["decoupled"] else torch.optim.Adam
    opt = cls(tps, lr=0.01, betas=(0.9, 0.999), eps=1e-8, weight_decay=case["weight_decay"],
              amsgrad=case["amsgrad"], foreach=False)
    ms, vs = [np.zeros_like(p) for p in ps], [np.zeros_like(p) for p in ps]
    vmaxs = [np.zeros_like(p) for p in ps] if case["amsgrad"] else None
    for step in range(1, STEPS + 1):
        gs = [randn(rng(step), p.shape, dtype) for p in ps]
        K.adam_step_many(ps, gs, ms, vs, vmaxs, 0.01, 0.9, 0.999, 1e-8, case["weight_decay"],
                         case["decoupled"], [step] * len(ps))
        for tp, g in zip(tps, gs):
            tp.grad = torch.tensor(g)
        opt.step()
    for p, tp in zip(ps, tps):
        np.testing.assert_allclose(p, tp.detach().numpy(), rtol=1e-6, atol=1e-7)


# ---- validation -------------------------------------------------------------------------------

f32, f64 = np.float32, np.float64


def test_gemm_rejects_mixed_dtypes():
    with pytest.raises(TypeError, match="float64.*float32"):
        K.gemm(np.ones((2, 3), f32), np.ones((3, 4), f64), np.empty((2, 4), f32))


@pytest.mark.parametrize("bad", [np.ones((2, 3), np.int32), [[1.0, 2.0, 3.0]] * 2,
                                 np.ones((2, 3), np.float16)])
def test_rejects_non_float_arrays(bad):
    with pytest.raises(TypeError, match="float32 or float64|ndarray"):
        K.gemm(bad, np.ones((3, 4), f32), np.empty((2, 4), f32))


def test_gemm_shape_mismatch_names_both_shapes():
    with pytest.raises(ValueError) as e:
        K.gemm(np.ones((2, 3), f32), np.ones((5, 4), f32), np.empty((2, 4), f32))
    assert "(2, 3)" in str(e.value) and "(5, 4)" in str(e.value)
    with pytest.raises(ValueError) as e:
        K.gemm(np.ones((2, 3), f32), np.ones((3, 4), f32), np.empty((4, 2), f32))
    assert "(4, 2)" in str(e.value) and "(2, 3)" in str(e.value)


@pytest.mark.parametrize("make_c", [lambda: np.empty((2, 8), f32)[:, ::2],
                                    lambda: np.empty((4, 2), f32).T])
def test_gemm_requires_contiguous_output_rows(make_c):
    with pytest.raises(ValueError, match="contiguous"):
        K.gemm(np.ones((2, 3), f32), np.ones((3, 4), f32), make_c())


def test_rejects_readonly_output():
    C = np.empty((2, 4), f32)
    C.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        K.gemm(np.ones((2, 3), f32), np.ones((3, 4), f32), C)


def test_gemm_rejects_output_overlapping_input():
    buf = np.ones((4, 4), f32)
    with pytest.raises(ValueError, match="overlaps"):
        K.gemm(buf, np.ones((4, 4), f32), buf)


def test_dense_forward_validation():
    X, W, Y = np.ones((3, 4), f32), np.ones((5, 4), f32), np.empty((3, 5), f32)
    with pytest.raises(ValueError, match="C-contiguous"):
        K.dense_forward(np.ones((4, 3), f32).T, W, None, K.ACT_RELU, 0.0, None, Y)
    with pytest.raises(ValueError) as e:
        K.dense_forward(X, np.ones((5, 6), f32), None, K.ACT_RELU, 0.0, None, Y)
    assert "(5, 6)" in str(e.value) and "(3, 4)" in str(e.value)
    with pytest.raises(ValueError, match=r"b has shape \(4,\)"):
        K.dense_forward(X, W, np.ones(4, f32), K.ACT_RELU, 0.0, None, Y)
    with pytest.raises(ValueError, match="unknown activation"):
        K.dense_forward(X, W, None, 99, 0.0, None, Y)
    with pytest.raises(ValueError, match="overlaps"):
        K.dense_forward(X, W, None, K.ACT_RELU, 0.0, Y, Y)


@pytest.mark.parametrize("name,drop", [("tanh", "y"), ("sigmoid", "y"), ("gelu", "x"),
                                       ("leaky_relu", "x"), ("relu", "both")])
def test_act_backward_requires_the_saved_tensor(name, drop):
    x = np.ones(4, f32)
    args = {"x": None if drop in ("x", "both") else x, "y": None if drop in ("y", "both") else x}
    with pytest.raises(ValueError, match="needs"):
        K.act_backward(K.ACTIVATIONS[name], 0.1, args["x"], args["y"], x, np.empty(4, f32))


def test_dense_backward_requires_the_saved_tensor():
    X, W, dY = np.ones((3, 4), f32), np.ones((5, 4), f32), np.ones((3, 5), f32)
    with pytest.raises(ValueError, match="needs.*Z"):
        K.dense_backward(X, W, None, dY.copy(), K.ACT_GELU, 0.0, dY, None, None, None, False)


def test_elementwise_validation():
    x = np.ones(6, f32)
    with pytest.raises(ValueError, match=r"\(6,\).*\(5,\)"):
        K.act_forward(K.ACT_RELU, 0.0, x, np.empty(5, f32))
    with pytest.raises(ValueError, match="overlaps"):
        K.act_forward(K.ACT_RELU, 0.0, x[:5], x[1:])
    with pytest.raises(ValueError, match="C-contiguous"):
        K.act_forward(K.ACT_RELU, 0.0, np.ones(12, f32)[::2], x)
    with pytest.raises(ValueError, match=r"\(2, 3\).*\(3, 2\)"):
        K.mse(np.ones((2, 3), f32), np.ones((3, 2), f32), None, None)
    out = np.empty(6, f32)
    with pytest.raises(ValueError, match="sq overlaps dX"):
        K.mse(x, np.zeros(6, f32), out, out)
    with pytest.raises(ValueError, match=r"sq has shape \(5,\)"):
        K.mse(x, x, np.empty(5, f32), None)


def test_cross_entropy_validation():
    X, loss = np.ones((3, 4), f32), np.empty(3, f32)
    with pytest.raises(IndexError, match=r"target\[1\] = 4.*4 classes"):
        K.cross_entropy(X, np.array([0, 4, 1], np.int64), -100, 0.0, loss, None)
    with pytest.raises(IndexError, match="-1"):
        K.cross_entropy(X, np.array([0, -1, 1], np.int64), -100, 0.0, loss, None)
    with pytest.raises(ValueError) as e:
        K.cross_entropy(X, np.array([0, 1], np.int64), -100, 0.0, loss, None)
    assert "(2,)" in str(e.value) and "(3, 4)" in str(e.value)
    with pytest.raises(TypeError, match="int64"):
        K.cross_entropy(X, np.array([0, 1, 2], np.int32), -100, 0.0, loss, None)
    with pytest.raises(ValueError, match="label_smoothing"):
        K.cross_entropy(X, np.array([0, 1, 2], np.int64), -100, 1.5, loss, None)


def test_optimizer_validation():
    p, g = np.ones(4, f32), np.ones(4, f32)
    with pytest.raises(ValueError, match="momentum"):
        K.sgd_step(p, g, None, 0.1, 0.9, 0.0, 0.0, False, True)
    with pytest.raises(ValueError, match="step"):
        K.adam_step(p, g, np.zeros(4, f32), np.zeros(4, f32), None, 0.1, 0.9, 0.999, 1e-8,
                    0.0, False, 0)
    with pytest.raises(ValueError, match="overlaps"):
        K.adam_step(p, g, p, np.zeros(4, f32), None, 0.1, 0.9, 0.999, 1e-8, 0.0, False, 1)


def adam_many_args(ps, **change):
    """Valid adam_step_many arguments for the parameters ps, with some replaced."""
    args = dict(params=ps, grads=[np.ones_like(p) for p in ps], ms=[np.zeros_like(p) for p in ps],
                vs=[np.zeros_like(p) for p in ps], vmaxs=None, lr=0.1, beta1=0.9, beta2=0.999,
                eps=1e-8, weight_decay=0.0, decoupled=False, steps=[1] * len(ps))
    args.update(change)
    return args


def sgd_many_args(ps, **change):
    args = dict(params=ps, grads=[np.ones_like(p) for p in ps], bufs=None, lr=0.1, momentum=0.0,
                dampening=0.0, weight_decay=0.0, nesterov=False, first=True)
    args.update(change)
    return args


def readonly(a):
    a.flags.writeable = False
    return a


MANY_BAD = [  # (kernel, change to the valid arguments, exception, pattern of the message)
    ("sgd", dict(grads=[np.ones(4, f32)]), ValueError, r"grads has 1 entries but params has 2"),
    ("sgd", dict(first=[True]), ValueError, r"first has 1 entries but params has 2"),
    ("adam", dict(steps=[1]), ValueError, r"steps has 1 entries but params has 2"),
    ("adam", dict(vmaxs=[np.zeros(4, f32)] * 3), ValueError, "vmaxs has 3 entries"),
    ("sgd", dict(params=np.ones((2, 4), f32)), TypeError, "params must be a list or tuple"),
    ("adam", dict(ms=None), TypeError, "ms must be a list or tuple"),
    ("sgd", dict(grads=[np.ones(4, f32), np.ones(3, f32)]), TypeError,
     r"grads\[1\] has dtype float32 but params\[1\] has dtype float64"),
    ("adam", dict(ms=[np.zeros(4, f32), np.zeros(3, np.int64)]), TypeError,
     r"ms\[1\] has dtype int64"),
    ("sgd", dict(grads=[np.ones(4, f32), [1.0, 2.0, 3.0]]), TypeError,
     r"grads\[1\] must be a numpy.ndarray"),
    ("sgd", dict(grads=[np.ones((2, 2), f32), np.ones(3)]), ValueError,
     r"params\[0\] has shape \(4,\) and grads\[0\] has shape \(2, 2\); .* same shape"),
    ("sgd", dict(grads=[np.ones(4, f32), np.ones(6)[::2]]), ValueError,
     r"grads\[1\] must be C-contiguous"),
    ("sgd", dict(momentum=0.9, bufs=[np.zeros(4, f32), None]), ValueError,
     r"bufs\[1\] \(the momentum buffer\) is required"),
    ("adam", dict(vs=[np.zeros(4, f32), readonly(np.zeros(3))]), ValueError,
     r"vs\[1\] is read-only"),
    ("adam", dict(steps=[1, 0]), ValueError, r"steps\[1\] is 1-based and must be >= 1, got 0"),
    ("adam", dict(steps=[1, "2"]), TypeError, r"steps\[1\] must be an int64 step count"),
]


@pytest.mark.parametrize("kernel,change,exc,pattern", MANY_BAD,
                         ids=[f"{k}-{'-'.join(c)}-{p[:20]}" for k, c, _, p in MANY_BAD])
def test_step_many_validation_names_the_entry_and_writes_nothing(kernel, change, exc, pattern):
    # Entry 0 is valid, so the refusal also shows that no entry is written unless all are valid.
    ps = [np.ones(4, f32), np.ones(3, f64)]
    make, fn = (sgd_many_args, K.sgd_step_many) if kernel == "sgd" else (adam_many_args,
                                                                         K.adam_step_many)
    args = make(ps, **change)
    with pytest.raises(exc, match=pattern):
        fn(**args)
    np.testing.assert_array_equal(ps[0], 1)
    np.testing.assert_array_equal(ps[1], 1)


def test_step_many_refuses_overlap_within_an_entry():
    ps = [np.ones(4, f32), np.ones(3)]
    shared = np.zeros(3)
    with pytest.raises(ValueError, match=r"ms\[1\] overlaps vs\[1\]"):
        K.adam_step_many(**adam_many_args(ps, ms=[np.zeros(4, f32), shared],
                                          vs=[np.zeros(4, f32), shared]))
    with pytest.raises(ValueError, match=r"params\[0\] overlaps grads\[0\]"):
        K.sgd_step_many(**sgd_many_args(ps, grads=[ps[0], np.ones(3)]))
    np.testing.assert_array_equal(ps[1], 1)


def test_num_threads():
    before = K.get_num_threads()
    assert before >= 1
    try:
        K.set_num_threads(3)
        assert K.get_num_threads() == 3
        K.set_num_threads(np.int64(1))
        assert K.get_num_threads() == 1
    finally:
        K.set_num_threads(before)
    for bad, exc in [(0, ValueError), (-2, ValueError), (1.5, TypeError), ("2", TypeError),
                     (True, TypeError)]:
        with pytest.raises(exc):
            K.set_num_threads(bad)


def test_module_constants():
    assert K.ACTIVATIONS == {"none": 0, "relu": 1, "tanh": 2, "sigmoid": 3, "leaky_relu": 4,
                             "gelu": 5, "gelu_tanh": 6, "elu": 7, "silu": 8, "softplus": 9,
                             "relu6": 10, "selu": 11, "celu": 12, "mish": 13, "softsign": 14,
                             "hardsigmoid": 15, "hardswish": 16, "logsigmoid": 17,
                             "tanhshrink": 18}
    assert (K.ACT_NONE, K.ACT_RELU, K.ACT_SOFTPLUS) == (0, 1, 9)
    assert K.isa() in ("generic", "avx2", "avx512")


@pytest.mark.parametrize("many", [False, True], ids=["adam_step", "adam_step_many"])
@pytest.mark.parametrize("amsgrad", [False, True])
def test_adam_split_over_threads_gives_identical_bits(amsgrad, many):
    # 100k elements: above the size at which the update is split over the pool's threads.
    r = np.random.default_rng(11)
    n = 100_003
    g = r.standard_normal(n).astype(np.float32)
    results = []
    before = K.get_num_threads()
    try:
        for threads in (1, 2, 3):
            K.set_num_threads(threads)
            p = np.linspace(-1, 1, n, dtype=np.float32)
            m, v = np.zeros(n, np.float32), np.zeros(n, np.float32)
            vmax = np.zeros(n, np.float32) if amsgrad else None
            for step in (1, 2, 3):
                if many:
                    K.adam_step_many([p], [g * step], [m], [v], None if vmax is None else [vmax],
                                     1e-2, 0.9, 0.999, 1e-8, 0.01, True, [step])
                else:
                    K.adam_step(p, g * step, m, v, vmax, 1e-2, 0.9, 0.999, 1e-8, 0.01, True,
                                step)
            results.append(p.tobytes() + m.tobytes() + v.tobytes())
    finally:
        K.set_num_threads(before)
    assert results[0] == results[1] == results[2]


def test_dense_stack_backward_refused_at_a_lower_layer_writes_nothing():
    X, Ws, bs = stack_inputs(f32)
    acts, params = [K.ACT_TANH] * 3, [0.0] * 3
    ys, zs = K.dense_stack_forward(X, Ws, bs, acts, params, True)
    dY = np.ones(ys[-1].shape, f32)
    dWs = [np.full(W.shape, 7.0, f32) for W in Ws]
    dbs = [None if b is None else np.full(b.shape, 7.0, f32) for b in bs]
    bad = dWs[:]
    bad[0] = np.full((Ws[0].shape[0], Ws[0].shape[1] + 1), 7.0, f32)  # layer 0: wrong shape
    with pytest.raises(ValueError, match=r"dW has shape.*\(layer 0\)"):
        K.dense_stack_backward(X, ys, zs, Ws, acts, params, dY, True, bad, dbs, [1, 1, 1])
    # the top layers run first, yet nothing was written: every layer is checked before any runs
    np.testing.assert_array_equal(dY, np.ones(ys[-1].shape, f32))
    for g in bad + [b for b in dbs if b is not None]:
        np.testing.assert_array_equal(g, np.full(g.shape, 7.0, f32))
