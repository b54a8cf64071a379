"""The GEMM's dot-product path: up to 4 rows of A against a transposed B (the dense layer at
inference batch sizes), checked against float64 NumPy with the same K-scaled bound as the rest
of the GEMM, at every size around its 16-wide blocking and through the dense epilogue."""
import numpy as np
import pytest

from fastgrad import _kernels as K

U32 = 2.0 ** -24


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("m", [1, 2, 3, 4, 5])
@pytest.mark.parametrize("k", [1, 15, 16, 17, 33, 784])
def test_rows_against_transposed_b(dtype, m, k, rng):
    n = 37
    a = rng.standard_normal((m, k)).astype(dtype)
    w = rng.standard_normal((n, k)).astype(dtype)
    padded = np.full((m, n + 3), -7.0, dtype)  # sentinel columns after C's rows
    c = padded[:, :n]
    c[...] = np.nan  # beta == 0 must overwrite without reading
    K.gemm(a, w.T, c, alpha=1.0, beta=0.0)
    ref = a.astype(np.float64) @ w.T.astype(np.float64)
    u = U32 if dtype == np.float32 else 2.0 ** -53
    bound = 2 * k * u * (np.abs(a).astype(np.float64) @ np.abs(w.T).astype(np.float64))
    assert np.all(np.abs(c - ref) <= bound + 1e-300)
    assert np.all(padded[:, n:] == -7.0)


def test_alpha_and_beta(rng):
    a = rng.standard_normal((2, 40)).astype(np.float32)
    w = rng.standard_normal((9, 40)).astype(np.float32)
    c0 = rng.standard_normal((2, 9)).astype(np.float32)
    c = c0.copy()
    K.gemm(a, w.T, c, alpha=0.5, beta=-2.0)
    ref = 0.5 * (a.astype(np.float64) @ w.T) - 2.0 * c0
    assert np.allclose(c, ref, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("act", sorted(K.ACTIVATIONS))
def test_dense_forward_at_batch_one_matches_batch_eight(act, rng):
    # Batch 1 takes the dot path, batch 8 the micro-kernel: same rows, same values.
    code = K.ACTIVATIONS[act]
    param = 1.0 if act in ("elu", "softplus") else 0.01
    x = rng.standard_normal((8, 70))
    w = rng.standard_normal((19, 70))
    b = rng.standard_normal(19)
    y8 = np.empty((8, 19))
    K.dense_forward(x, w, b, code, param, None, y8)
    for i in range(8):
        y1 = np.empty((1, 19))
        z1 = np.empty((1, 19))
        K.dense_forward(x[i:i + 1], w, b, code, param, z1, y1)
        assert np.allclose(y1[0], y8[i], rtol=1e-12, atol=1e-12)
        assert np.allclose(z1[0], x[i] @ w.T + b, rtol=1e-12, atol=1e-12)


def test_nan_propagates_through_relu_at_batch_one():
    x = np.array([[np.nan, 1.0]], np.float32)
    y = np.empty((1, 3), np.float32)
    K.dense_forward(x, np.ones((3, 2), np.float32), None, K.ACTIVATIONS["relu"], 0.0, None, y)
    assert np.all(np.isnan(y))


@pytest.fixture
def threads():
    before = K.get_num_threads()
    yield
    K.set_num_threads(before)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("m,n", [(1, 517), (3, 160), (4, 1000)])
def test_split_over_threads_gives_the_same_bits(dtype, m, n, rng, threads):
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
    np.testing.assert_allclose(outs[0][0], ref, rtol=1e-4 if dtype == np.float32 else 1e-12,
                               atol=1e-3 if dtype == np.float32 else 1e-10)
