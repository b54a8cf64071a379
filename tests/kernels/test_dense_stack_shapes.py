"""dense_stack_forward / dense_stack_backward at the edges of their shapes, against a float64
NumPy reference: one row, one output, one input feature, an empty batch, and more layers than
the binding keeps on its stack (its heap path). Also the wording of an overlap that the calls'
one check across all layers finds, whether it lies within one layer or across two."""
import numpy as np
import pytest

from fastgrad import _kernels as K
from reference import ref_act, ref_act_grad

DTYPES = [np.float32, np.float64]
PARAM = {"leaky_relu": 0.1, "elu": 1.3, "softplus": 0.7}


def reference(X, Ws, bs, names, dY):
    """Forward outputs and (dX, dWs, dbs) of the stack, in float64."""
    hs, zs = [X.astype(np.float64)], []
    for W, b, n in zip(Ws, bs, names):
        z = hs[-1] @ W.astype(np.float64).T + (0 if b is None else b.astype(np.float64))
        zs.append(z)
        hs.append(ref_act(n, z, PARAM.get(n, 0.0)))
    dy, dWs, dbs = dY.astype(np.float64), [None] * len(Ws), [None] * len(Ws)
    for l in reversed(range(len(Ws))):
        dz = dy * ref_act_grad(names[l], zs[l], PARAM.get(names[l], 0.0))
        dWs[l] = dz.T @ hs[l]
        dbs[l] = dz.sum(axis=0)
        dy = dz @ Ws[l].astype(np.float64)
    return hs[1:], dy, dWs, dbs


def close(got, want, dtype, scale=1.0):
    rtol, atol = (2e-4, 2e-5) if dtype == np.float32 else (1e-10, 1e-12)
    np.testing.assert_allclose(got, want, rtol=rtol, atol=atol * scale)


SHAPES = {  # name: (layer sizes, batch, activations)
    "one row": ([7, 5, 3], 1, ["tanh", "none"]),
    "one output": ([6, 9, 1], 5, ["relu", "sigmoid"]),
    "one input feature": ([1, 4, 2], 6, ["elu", "none"]),
    "one unit wide": ([3, 1, 1, 2], 4, ["gelu", "softplus", "none"]),
    "empty batch": ([5, 4, 3], 0, ["relu", "tanh"]),
    "thirteen layers": ([4] + [3, 5] * 6 + [2], 3, ["tanh", "leaky_relu"] * 6 + ["none"]),
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", list(SHAPES))
def test_dense_stack_matches_numpy_at_edge_shapes(dtype, case):
    sizes, M, names = SHAPES[case]
    r = np.random.default_rng(len(sizes) * 10 + M)
    X = r.standard_normal((M, sizes[0])).astype(dtype)
    Ws = [(r.standard_normal((b, a)) * 0.7).astype(dtype) for a, b in zip(sizes, sizes[1:])]
    bs = [r.standard_normal(b).astype(dtype) for b in sizes[1:]]
    bs[0] = None
    acts = [K.ACTIVATIONS[n] for n in names]
    params = [PARAM.get(n, 0.0) for n in names]
    ys, zs = K.dense_stack_forward(X, Ws, bs, acts, params, True)
    dY = r.standard_normal(ys[-1].shape).astype(dtype)
    ref_ys, ref_dX, ref_dWs, ref_dbs = reference(X, Ws, bs, names, dY)
    for y, want in zip(ys, ref_ys):
        assert y.dtype == dtype and y.flags.c_contiguous and y.flags.owndata
        close(y, want, dtype)
    dW0 = [r.standard_normal(W.shape).astype(dtype) for W in Ws]
    dWs = [w.copy() for w in dW0]
    dbs = [None if b is None else np.zeros_like(b) for b in bs]
    accumulate = [True] * len(Ws)
    dX = K.dense_stack_backward(X, ys, zs, Ws, acts, params, dY.copy(), True, dWs, dbs,
                                accumulate)
    assert dX.shape == X.shape and dX.dtype == dtype
    close(dX, ref_dX, dtype)
    for l in range(len(Ws)):
        close(dWs[l], dW0[l] + ref_dWs[l], dtype)
        if dbs[l] is not None:
            close(dbs[l], ref_dbs[l], dtype)
    # Without dX, the same gradients (the lowest layer's dX is simply not computed).
    dWs2 = [w.copy() for w in dW0]
    dbs2 = [None if b is None else np.zeros_like(b) for b in bs]
    assert K.dense_stack_backward(X, ys, zs, Ws, acts, params, dY.copy(), False, dWs2, dbs2,
                                  accumulate) is None
    for got, want in zip(dWs2 + dbs2, dWs + dbs):
        if want is not None:
            np.testing.assert_array_equal(got, want)


def stack(dtype=np.float32, L=3):
    r = np.random.default_rng(5)
    X = r.standard_normal((4, 3)).astype(dtype)
    sizes = [3] + [5] * (L - 1) + [2]
    Ws = [r.standard_normal((b, a)).astype(dtype) for a, b in zip(sizes, sizes[1:])]
    bs = [r.standard_normal(b).astype(dtype) for b in sizes[1:]]
    acts, params = [K.ACTIVATIONS["gelu"]] * L, [0.0] * L
    ys, zs = K.dense_stack_forward(X, Ws, bs, acts, params, True)
    dWs = [np.zeros_like(W) for W in Ws]
    dbs = [np.zeros_like(b) for b in bs]
    return X, ys, zs, Ws, acts, params, dWs, dbs


@pytest.mark.parametrize("L", [3, 13])
def test_an_overlap_within_one_layer_is_worded_as_that_layers_own(L):
    X, ys, zs, Ws, acts, params, dWs, dbs = stack(L=L)
    dY = np.ones(ys[-1].shape, np.float32)
    cases = [("dW", 0, Ws[0], r"dW overlaps W in memory.*\(layer 0\)"),
             ("db", 1, ys[1][0], r"db overlaps Y in memory.*\(layer 1\)"),
             ("db", 0, zs[0][2], r"db overlaps Z in memory.*\(layer 0\)"),
             ("dW", L - 1, Ws[L - 1], rf"dW overlaps W in memory.*\(layer {L - 1}\)")]
    for which, layer, view, message in cases:
        W_, b_ = list(dWs), list(dbs)
        (W_ if which == "dW" else b_)[layer] = view
        before = [a.copy() for a in dWs + dbs + ys]
        with pytest.raises(ValueError, match=message):
            K.dense_stack_backward(X, ys, zs, Ws, acts, params, dY.copy(), True, W_, b_,
                                   [False] * L)
        for a, b in zip(dWs + dbs + ys, before):  # refused before anything ran
            np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("L", [3, 13])
def test_an_overlap_across_layers_is_worded_across_layers(L):
    X, ys, zs, Ws, acts, params, dWs, dbs = stack(L=L)
    dY = np.ones(ys[-1].shape, np.float32)
    no = [False] * L
    buf = np.zeros(64, np.float32)
    X2 = buf[:12].reshape(4, 3)  # the stack's input, and the top layer's dW over it
    X2[...] = X
    W_ = list(dWs)
    W_[L - 1] = buf[:10].reshape(2, 5)
    with pytest.raises(ValueError, match=rf"dWs\[{L - 1}\] overlaps X in memory"):
        K.dense_stack_backward(X2, ys, zs, Ws, acts, params, dY.copy(), True, W_, dbs, no)
    with pytest.raises(ValueError, match=r"dY overlaps ys\[0\] in memory"):
        K.dense_stack_backward(X, ys, zs, Ws, acts, params, ys[0].reshape(-1)[:8].reshape(4, 2),
                               True, dWs, dbs, no)
    W_ = list(dWs)  # two layers' dW partly over one another: only one exact buffer may be shared
    W_[0], W_[1] = buf[:15].reshape(5, 3), buf[5:30].reshape(5, 5)
    with pytest.raises(ValueError, match=r"dWs\[0\] overlaps dWs\[1\].*exact same buffer"):
        K.dense_stack_backward(X, ys, zs, Ws, acts, params, dY.copy(), True, W_, dbs, no)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("M", [0, 1, 5, 33])
@pytest.mark.parametrize("accumulate", [False, True])
def test_bias_gradient_is_the_row_ordered_double_sum_at_every_narrow_width(dtype, M, accumulate):
    """db sums each column in double over the rows in order (then rounds once): narrow layers
    take their own loop, wider ones the general one; both must give exactly that sum."""
    r = np.random.default_rng(M)
    for N in list(range(1, 19)) + [31, 300]:
        dY = r.standard_normal((M, N)).astype(dtype)
        db = r.standard_normal(N).astype(dtype)
        want = np.cumsum(dY.astype(np.float64), axis=0)[-1] if M else np.zeros(N)
        want = (db.astype(np.float64) + want if accumulate else want).astype(dtype)
        X, W = np.ones((M, 3), dtype), np.ones((N, 3), dtype)
        K.dense_backward(X, W, None, None, K.ACT_NONE, 0.0, dY, None, None, db, accumulate)
        np.testing.assert_array_equal(db, want)
