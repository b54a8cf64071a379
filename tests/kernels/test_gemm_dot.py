"""The GEMM's dot-product path: up to 4 rows of A against a transposed B (the dense layer at
inference batch sizes), on every instruction-set path the CPU runs (`_kernels.set_isa`).

Each result is checked against float64 NumPy with the same K-scaled bound as the rest of the
GEMM, at every K tail around the kernels' 64-byte steps, N around their groups of 4 rows of W,
M = 1..4, strided rows, alpha and beta, and through the dense epilogue. The order of each sum
is fixed per output, so the same bits must come out whatever the thread count, the output's
position among the rows of W, and the arrays' alignment."""
import numpy as np
import pytest

from fastgrad import _kernels as K

UNIT_ROUNDOFF = {np.float32: 2.0 ** -24, np.float64: 2.0 ** -53}
SENTINEL = -7.25e3


def check_dot(a, w, alpha=1.0, beta=0.0, seed=0):
    """C = alpha a @ w.T + beta C through K.gemm, with C inside a sentinel-filled buffer (NaN
    when beta == 0: it must not be read); checked against float64 with the GEMM's bound."""
    dtype = a.dtype.type
    m, k = a.shape
    n = w.shape[0]
    buf = np.full((m, n + 3), SENTINEL, dtype)
    c = buf[:, :n]
    r = np.random.default_rng(seed)
    c[...] = np.nan if beta == 0 else r.standard_normal((m, n))
    c0 = c.astype(np.float64)
    K.gemm(a, w.T, c, alpha=alpha, beta=beta)
    a64, w64 = a.astype(np.float64), w.astype(np.float64)
    ref = alpha * (a64 @ w64.T) + (beta * c0 if beta != 0 else 0.0)
    scale = abs(alpha) * (np.abs(a64) @ np.abs(w64).T) + (abs(beta) * np.abs(c0) if beta else 0)
    bound = 2 * (k + 2) * UNIT_ROUNDOFF[dtype] * scale + 1e-300
    assert np.all(np.abs(c - ref) <= bound), f"shape m={m} k={k} n={n}"
    assert np.all(buf[:, n:] == SENTINEL), "wrote past C's rows"
    return c


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("m", [1, 2, 3, 4, 5])
def test_every_k_tail_and_n_remainder(isa, dtype, m, rng):
    """K from 1 to 2.5 steps of 64 bytes (every tail of the float and double steps) and N
    around the groups of 4 rows of W; m = 5 leaves the dot path (same results, other code)."""
    for k in list(range(1, 41)) + [47, 48, 49, 63, 64, 65, 784]:
        for n in (1, 2, 3, 4, 5, 7, 8, 9, 17):
            a = rng.standard_normal((m, k)).astype(dtype)
            w = rng.standard_normal((n, k)).astype(dtype)
            check_dot(a, w, seed=k * 100 + n)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("m", [1, 2, 3, 4])
def test_strided_rows_alpha_and_beta(isa, dtype, m, rng):
    """Rows of A and of W further apart than K (slices of wider arrays), alpha != 1 and
    beta != 0 (C read and scaled, not overwritten)."""
    for k, n in ((5, 3), (37, 10), (130, 33)):
        a = rng.standard_normal((m, k + 7)).astype(dtype)[:, 2:2 + k]
        w = rng.standard_normal((n, k + 21)).astype(dtype)[:, 5:5 + k]
        for alpha, beta in ((1.0, 0.0), (0.5, -2.0), (-1.5, 1.0)):
            check_dot(a, w, alpha, beta, seed=k + n)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_same_bits_at_every_alignment(isa, dtype, rng):
    """W placed at every element offset within a cache line, with rows a whole number of
    cache lines apart (the SIMD kernels then start each row's steps early, so as to load W
    aligned, which rotates the lanes) and with rows an odd number of elements apart (unaligned
    loads): the very same bits every time. NaN around the rows: none of it may be used."""
    m, n, k = 3, 11, 75
    item = np.dtype(dtype).itemsize
    per_line = 64 // item
    a = rng.standard_normal((m, k)).astype(dtype)
    w = rng.standard_normal((n, k)).astype(dtype)
    ref = None
    for row in (per_line * -(-k // per_line), k + 1):
        raw = np.full(n * row + 2 * per_line, np.nan, dtype)
        first = (-raw.ctypes.data // item) % per_line  # element index of a 64-byte boundary
        for offset in range(per_line):
            start = first + offset
            view = raw[start:start + n * row].reshape(n, row)[:, :k]
            view[...] = w
            c = np.empty((m, n), dtype)
            K.gemm(a, view.T, c)
            if ref is None:
                ref = check_dot(a, w)
            assert c.tobytes() == ref.tobytes(), f"row stride {row}, offset {offset}"


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_same_bits_in_any_position(isa, dtype, rng):
    """Each output comes out the same whether its row of W is computed alone, with the rest of
    W, or as the short last group of a slice: position never changes the arithmetic."""
    m, n, k = 4, 13, 50
    a = rng.standard_normal((m, k)).astype(dtype)
    w = rng.standard_normal((n, k)).astype(dtype)
    whole = check_dot(a, w)
    for j0 in range(n):
        for j1 in (j0 + 1, min(n, j0 + 3), n):
            part = np.empty((m, j1 - j0), dtype)
            K.gemm(a, w[j0:j1].T, part)
            assert part.tobytes() == whole[:, j0:j1].tobytes(), (j0, j1)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_each_row_of_a_independent_of_batch(isa, dtype, rng):
    """Batch 1..4 of the same rows give the same bits per row (one pass or several)."""
    a = rng.standard_normal((4, 90)).astype(dtype)
    w = rng.standard_normal((21, 90)).astype(dtype)
    four = check_dot(a, w)
    for m in (1, 2, 3):
        for i0 in range(4 - m + 1):
            c = np.empty((m, 21), dtype)
            K.gemm(a[i0:i0 + m], w.T, c)
            assert c.tobytes() == four[i0:i0 + m].tobytes()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_avx2_and_avx512_give_the_same_bits(dtype, rng):
    """Both SIMD kernels sum 64 bytes of lanes with FMA in the same order and reduce them by
    the same tree, so switching between them changes nothing."""
    before = K.isa()
    if not (K.set_isa("avx512") and K.set_isa("avx2")):
        K.set_isa(before)
        pytest.skip("needs both AVX-512 and AVX2")
    outs = []
    try:
        for name in ("avx512", "avx2"):
            K.set_isa(name)
            for k in (1, 9, 16, 33, 200):
                a = np.random.default_rng(k).standard_normal((3, k)).astype(dtype)
                w = np.random.default_rng(k + 1).standard_normal((10, k)).astype(dtype)
                outs.append(check_dot(a, w))
    finally:
        K.set_isa(before)
    half = len(outs) // 2
    for x, y in zip(outs[:half], outs[half:]):
        assert x.tobytes() == y.tobytes()


@pytest.mark.parametrize("act", sorted(K.ACTIVATIONS))
def test_dense_forward_at_batch_one_matches_batch_eight(isa, act, rng):
    # Batch 1 takes the dot path, batch 8 the micro-kernel: same rows, same values.
    param = 1.0 if act in ("elu", "softplus") else 0.01
    x = rng.standard_normal((8, 70))
    w = rng.standard_normal((19, 70))
    b = rng.standard_normal(19)
    y8 = np.empty((8, 19))
    K.dense_forward(x, w, b, K.ACTIVATIONS[act], param, None, y8)
    for i in range(8):
        y1 = np.empty((1, 19))
        z1 = np.empty((1, 19))
        K.dense_forward(x[i:i + 1], w, b, K.ACTIVATIONS[act], param, z1, y1)
        assert np.allclose(y1[0], y8[i], rtol=1e-12, atol=1e-12)
        assert np.allclose(z1[0], x[i] @ w.T + b, rtol=1e-12, atol=1e-12)


def test_nan_propagates_through_relu_at_batch_one(isa):
    x = np.array([[np.nan, 1.0]], np.float32)
    y = np.empty((1, 3), np.float32)
    K.dense_forward(x, np.ones((3, 2), np.float32), None, K.ACTIVATIONS["relu"], 0.0, None, y)
    assert np.all(np.isnan(y))


def test_nan_in_one_row_of_w_stays_in_its_output(isa):
    """A NaN in W reaches exactly its own output, whichever of a group's 4 rows it is in."""
    x = np.ones((2, 40), np.float32)
    for j in range(6):
        w = np.ones((6, 40), np.float32)
        w[j, 37] = np.nan
        y = np.empty((2, 6), np.float32)
        K.dense_forward(x, w, np.zeros(6, np.float32), K.ACTIVATIONS["relu"], 0.0, None, y)
        assert np.all(np.isnan(y[:, j]))
        assert np.all(np.delete(y, j, axis=1) == 40)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("m,n", [(1, 517), (3, 160), (4, 1000)])
def test_split_over_threads_gives_the_same_bits(isa, dtype, m, n, rng, threads):
    """A big enough W is split over threads by output columns (in blocks of 16); each output
    is still one dot product, so every thread count gives the same bits, epilogue included."""
    k = 784  # n * k * itemsize >= 512 KB for every case: at least two parts
    x = rng.standard_normal((m, k)).astype(dtype)
    w = rng.standard_normal((n, k)).astype(dtype)
    b = rng.standard_normal(n).astype(dtype)
    outs = []
    for t in (1, 2, 3):
        K.set_num_threads(t)
        z, y = np.empty((m, n), dtype), np.empty((m, n), dtype)
        K.dense_forward(x, w, b, K.ACTIVATIONS["gelu"], 0.0, z, y)
        outs.append((z, y))
    for z, y in outs[1:]:
        np.testing.assert_array_equal(z, outs[0][0])
        np.testing.assert_array_equal(y, outs[0][1])
    ref = x.astype(np.float64) @ w.T.astype(np.float64) + b
    scale = np.abs(x.astype(np.float64)) @ np.abs(w.T.astype(np.float64)) + np.abs(b)
    assert np.all(np.abs(outs[0][0] - ref) <= 2 * (k + 3) * UNIT_ROUNDOFF[dtype] * scale)
