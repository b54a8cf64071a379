"""The dot path visits W's rows in groups of 4, first to last on one call and last to first on
the next call on the same W (a cache hint, gemm_dot.c): every call must give the float64 NumPy
result within the GEMM's bound, and two consecutive calls (one each way) the very same bits, on
odd shapes (a short last group, parts split over threads), through the epilogue, at 1..4
threads."""
import numpy as np
import pytest

from fastgrad import _kernels as K

UNIT_ROUNDOFF = {np.float32: 2.0 ** -24, np.float64: 2.0 ** -53}


def reference(x, w, b):
    """x @ w.T + b in float64, and the bound of a K-long float sum of it."""
    x64, w64, b64 = x.astype(np.float64), w.astype(np.float64), b.astype(np.float64)
    scale = np.abs(x64) @ np.abs(w64).T + np.abs(b64)
    return x64 @ w64.T + b64, 2 * (x.shape[1] + 3) * UNIT_ROUNDOFF[x.dtype.type] * scale


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("m", [1, 2, 4])
@pytest.mark.parametrize("n,k", [(1, 7), (15, 33), (17, 33), (37, 101), (518, 300), (1031, 260)])
@pytest.mark.parametrize("nthreads", [1, 2, 3, 4])
def test_both_directions_match_numpy_and_each_other(isa, dtype, m, n, k, nthreads, rng,
                                                    threads):
    """n around the groups of 4 rows and the threads' parts of 16; the last two shapes are big
    enough to be split over threads (each part then reversed within itself). Z, and tanh's Y (applied block by
    block after the kernel), both checked."""
    K.set_num_threads(nthreads)
    x = rng.standard_normal((m, k)).astype(dtype)
    w = rng.standard_normal((n, k)).astype(dtype)
    b = rng.standard_normal(n).astype(dtype)
    ref, bound = reference(x, w, b)
    outs = []
    for _ in range(2):  # one call each way, whichever comes first
        z, y = np.full((m, n), np.nan, dtype), np.full((m, n), np.nan, dtype)
        K.dense_forward(x, w, b, K.ACTIVATIONS["tanh"], 0.0, z, y)
        assert np.all(np.abs(z - ref) <= bound)
        tol = 1e-6 if dtype == np.float32 else 1e-14
        np.testing.assert_allclose(y, np.tanh(z.astype(np.float64)), rtol=tol, atol=tol)
        outs.append((z, y))
    assert outs[0][0].tobytes() == outs[1][0].tobytes()
    assert outs[0][1].tobytes() == outs[1][1].tobytes()


@pytest.mark.parametrize("nthreads", [1, 2, 3, 4])
def test_stack_forward_repeated_gives_the_same_bits(nthreads, rng, threads):
    """I1's stack at batch 1, run five times (each layer alternating direction): ReLU in the
    kernel, the last layer without activation; the same bits every call, and NumPy's values."""
    K.set_num_threads(nthreads)
    sizes = (784, 512, 256, 10)
    ws = tuple((rng.standard_normal((o, i)) / np.sqrt(i)).astype(np.float32)
               for i, o in zip(sizes[:-1], sizes[1:]))
    bs = tuple(rng.standard_normal(o).astype(np.float32) for o in sizes[1:])
    acts = (K.ACTIVATIONS["relu"], K.ACTIVATIONS["relu"], K.ACTIVATIONS["none"])
    x = rng.standard_normal((1, 784)).astype(np.float32)
    h = x.astype(np.float64)
    for l, (w, b) in enumerate(zip(ws, bs)):
        h = h @ w.T.astype(np.float64) + b
        if l < 2:
            h = np.maximum(h, 0)
    first = None
    for _ in range(5):
        ys, _ = K.dense_stack_forward(x, ws, bs, acts, (0.0,) * 3, False)
        np.testing.assert_allclose(ys[-1], h, rtol=1e-4, atol=1e-4)
        if first is None:
            first = [y.tobytes() for y in ys]
        assert [y.tobytes() for y in ys] == first
