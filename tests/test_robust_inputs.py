"""Bad input gets a clear exception, and any NumPy layout or dtype gets the right answer.

References: float64 NumPy for values and gradients, PyTorch (where installed) for what an
empty batch gives.
"""
import numpy as np
import pytest

import fastgrad as fg
from fastgrad import nn, optim
from fastgrad.data import DataLoader, TensorDataset
from fastgrad.nn import functional as F

from conftest import torch_or_skip


# ---- sizes: negative or absurd sizes are refused, never attempted ---------------------------
# 10**6 x 10**6 float32 is 4 TB and 10**12 squared overflows the address space: no machine
# can hold either, so a crash or an OOM kill (instead of an exception) would fail the test run.
@pytest.mark.parametrize("make", [
    lambda: nn.Linear(10 ** 12, 10 ** 12),
    lambda: nn.Linear(10 ** 6, 10 ** 6),
    lambda: fg.zeros(-1),
    lambda: fg.zeros(2 ** 62, 4),
    lambda: fg.ones(10 ** 6, 10 ** 6),
    lambda: fg.randn(-3, 2),
    lambda: fg.rand(10 ** 6, 10 ** 6),
    lambda: fg.full((10 ** 6, 10 ** 6), 1.0),
    lambda: fg.arange(10 ** 14),
], ids=["linear-1e12", "linear-1e6", "zeros-neg", "zeros-2^62", "ones-4TB", "randn-neg",
        "rand-4TB", "full-4TB", "arange-1e14"])
def test_impossible_sizes_raise_instead_of_crashing(make):
    with pytest.raises((ValueError, MemoryError)):
        make()


@pytest.mark.parametrize("size", [-1, 2.5, True, "3"])
def test_linear_rejects_sizes_that_are_not_non_negative_ints(size):
    with pytest.raises((ValueError, TypeError), match="in_features"):
        nn.Linear(size, 3)


@pytest.mark.parametrize("batch_size", [0, -1, 2.5])
def test_dataloader_rejects_bad_batch_sizes(batch_size):
    with pytest.raises(ValueError, match="batch_size"):
        DataLoader(TensorDataset(np.ones((4, 2)), np.ones(4)), batch_size=batch_size)


def test_dataset_arrays_of_different_lengths_are_refused():
    with pytest.raises(ValueError, match=r"\[4, 5\]"):
        TensorDataset(np.ones((4, 2)), np.ones(5))


# ---- shapes: both named -----------------------------------------------------------------------
def test_linear_shape_mismatch_names_input_and_weight_shapes():
    with pytest.raises(ValueError, match=r"\(5, 3\).*\(3, 4\)"):
        nn.Linear(4, 3)(fg.randn(5, 3))


def test_matmul_shape_mismatch_names_both_shapes():
    with pytest.raises(ValueError, match=r"\(3, 4\).*\(3, 5\)"):
        fg.randn(3, 4) @ fg.randn(3, 5)


def test_mse_shape_mismatch_names_both_shapes():
    with pytest.raises(ValueError, match=r"\(3, 4\).*\(4, 3\)"):
        F.mse_loss(fg.randn(3, 4), fg.randn(4, 3))


def test_optimizer_refuses_a_gradient_of_the_wrong_shape():
    layer = nn.Linear(4, 3)
    opt = optim.Adam(layer.parameters())
    layer.weight.grad = np.ones(7, np.float32)
    layer.bias.grad = np.ones(3, np.float32)
    before = layer.weight.data.copy()
    with pytest.raises(ValueError, match=r"\(7,\).*\(3, 4\)"):
        opt.step()
    np.testing.assert_array_equal(layer.weight.data, before)


@pytest.mark.parametrize("bad", [np.ones((2, 4), np.complex64), np.array([[None] * 4]),
                                 np.array([["a"] * 4])], ids=["complex", "object", "str"])
def test_linear_refuses_non_real_input(bad):
    with pytest.raises((TypeError, ValueError)):
        nn.Linear(4, 3)(bad)


# ---- class labels -------------------------------------------------------------------------------
@pytest.mark.parametrize("target,error,match", [
    ([0, 1, 4], IndexError, r"target\[2\] = 4.*4 classes"),
    ([0, -2, 1], IndexError, r"target\[1\] = -2"),
    ([0, 1], ValueError, r"\(2,\).*batch of 3"),
    ([0, 1, 2, 3], ValueError, r"\(4,\).*batch of 3"),
    (np.zeros((3, 4), np.int64), ValueError, r"\(3, 4\)"),
    ([0.5, 1, 2], TypeError, "integers"),
    (["a", "b", "c"], TypeError, "integers"),
    # 2**64 - 100 would wrap to -100 == ignore_index and silently drop the row
    (np.array([0, 1, 2 ** 64 - 100], np.uint64), IndexError, "out of range"),
], ids=["too-big", "negative", "too-few", "too-many", "2d", "fractional", "str", "uint64-wrap"])
def test_cross_entropy_rejects_bad_labels(target, error, match):
    with pytest.raises(error, match=match):
        nn.CrossEntropyLoss()(fg.randn(3, 4), np.asarray(target))


def test_cross_entropy_with_no_classes_rejects_any_label():
    with pytest.raises(IndexError, match="0 classes"):
        F.cross_entropy(fg.randn(2, 0), np.array([0, 0]))


# ---- any layout, any dtype: the same answer as a contiguous float32 array --------------------
def _layouts(x):
    """x (2-d, float64) in several memory layouts; each view holds the same values as x."""
    big = np.zeros((x.shape[0] * 2, x.shape[1] * 3))
    big[::2, ::3] = x
    rev = np.ascontiguousarray(x[::-1, ::-1])
    return {
        "C": np.ascontiguousarray(x),
        "fortran": np.asfortranarray(x),
        "strided-slice": big[::2, ::3],
        "negative-strides": rev[::-1, ::-1],
        "transposed-view": np.ascontiguousarray(x.T).T,
        "float32": x.astype(np.float32),
        "int64": np.rint(x).astype(np.int64),
        "int32-fortran": np.asfortranarray(np.rint(x).astype(np.int32)),
    }


LAYOUTS = list(_layouts(np.zeros((2, 2))))


def _mlp(dtype=np.float32):
    fg.manual_seed(7)
    return nn.Sequential(nn.Linear(5, 6), nn.Tanh(), nn.Linear(6, 3)).to(dtype)


def _mlp_reference(model, x, y):
    """Forward, mean cross-entropy and every gradient of the MLP, in float64 NumPy."""
    W1, b1, W2, b2 = (p.data.astype(np.float64) for p in model.parameters())
    h = np.tanh(x @ W1.T + b1)
    z = h @ W2.T + b2
    p = np.exp(z - z.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    n = len(y)
    loss = -np.log(p[np.arange(n), y]).mean()
    dz = p.copy()
    dz[np.arange(n), y] -= 1
    dz /= n
    dh = dz @ W2 * (1 - h ** 2)
    return loss, [dh.T @ x, dh.sum(0), dz.T @ h, dz.sum(0)]


@pytest.mark.parametrize("layout", LAYOUTS)
def test_sequential_and_cross_entropy_take_any_layout(layout):
    rng = np.random.default_rng(3)
    x64 = rng.normal(size=(7, 5)) * 2
    x = _layouts(x64)[layout]
    y = rng.integers(0, 3, size=7)
    model = _mlp()
    loss = nn.CrossEntropyLoss()(model(x), y[::-1].copy()[::-1])  # labels through a view, too
    loss.backward()
    ref_loss, ref_grads = _mlp_reference(model, x.astype(np.float64), y)
    assert loss.dtype == np.float32  # a float32 model stays float32 whatever the input
    np.testing.assert_allclose(loss.item(), ref_loss, rtol=1e-5)
    for p, g in zip(model.parameters(), ref_grads):
        np.testing.assert_allclose(p.grad, g, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("layout", LAYOUTS)
def test_mse_takes_any_layout_for_prediction_and_target(layout):
    rng = np.random.default_rng(4)
    pred64, target64 = rng.normal(size=(6, 3)), rng.normal(size=(6, 3)) * 3
    pred = fg.tensor(_layouts(pred64)[layout], dtype=np.float64, requires_grad=True)
    target = _layouts(target64)[layout]
    loss = F.mse_loss(pred, target)
    loss.backward()
    p, t = pred.data, np.asarray(target, np.float64)
    np.testing.assert_allclose(loss.item(), ((p - t) ** 2).mean(), rtol=1e-12)
    np.testing.assert_allclose(pred.grad, 2 * (p - t) / p.size, rtol=1e-12)


# Each case: base shapes of A and B and the views taken of them; every view pair multiplies
# to (6, 4) @ (4, 3). The views work alike on a NumPy array and on a fastgrad Tensor.
MATMUL_VIEWS = {
    "transposed": ((4, 6), lambda t: t.T, (3, 4), lambda t: t.T),
    "negative-strides": ((6, 4), lambda t: t[::-1], (4, 3), lambda t: t[::-1, ::-1]),
    "strided": ((6, 8), lambda t: t[:, ::2], (8, 3), lambda t: t[::2]),
    "reversed-transposed": ((4, 6), lambda t: t[::-1, ::-1].T, (3, 4), lambda t: t.T[::-1]),
}


def _view_adjoint(view, shape, g):
    """Gradient w.r.t. the base array of sum(g * view(base)): each view entry sends its
    gradient back to the base element it reads (found by viewing an array of indices)."""
    where = view(np.arange(int(np.prod(shape))).reshape(shape))
    out = np.zeros(int(np.prod(shape)))
    np.add.at(out, where.ravel(), g.ravel())
    return out.reshape(shape)


@pytest.mark.parametrize("case", list(MATMUL_VIEWS))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_matmul_of_views_forward_and_backward(case, dtype):
    shape_a, view_a, shape_b, view_b = MATMUL_VIEWS[case]
    rng = np.random.default_rng(5)
    A, B = rng.normal(size=shape_a), rng.normal(size=shape_b)
    a = fg.tensor(A, dtype=dtype, requires_grad=True)
    b = fg.tensor(B, dtype=dtype, requires_grad=True)
    out = view_a(a) @ view_b(b)
    g = rng.normal(size=(6, 3))
    (out * fg.tensor(g, dtype=dtype)).sum().backward()

    A, B = a.data.astype(np.float64), b.data.astype(np.float64)  # the values actually used
    tol = 2e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(out.data, view_a(A) @ view_b(B), rtol=tol, atol=tol)
    np.testing.assert_allclose(a.grad, _view_adjoint(view_a, shape_a, g @ view_b(B).T),
                               rtol=tol, atol=tol)
    np.testing.assert_allclose(b.grad, _view_adjoint(view_b, shape_b, view_a(A).T @ g),
                               rtol=tol, atol=tol)


# ---- empty batches: PyTorch's answers -----------------------------------------------------------
def test_empty_batch_through_linear_and_cross_entropy_matches_pytorch():
    torch = torch_or_skip()
    layer = nn.Linear(4, 3)
    loss = F.cross_entropy(layer(np.zeros((0, 4), np.float32)), np.zeros(0, np.int64))
    loss.backward()
    t_layer = torch.nn.Linear(4, 3)
    t_loss = torch.nn.functional.cross_entropy(t_layer(torch.zeros(0, 4)),
                                               torch.zeros(0, dtype=torch.long))
    t_loss.backward()
    assert np.isnan(loss.item()) and torch.isnan(t_loss)
    np.testing.assert_array_equal(layer.weight.grad, t_layer.weight.grad.numpy())
    np.testing.assert_array_equal(layer.bias.grad, t_layer.bias.grad.numpy())


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_empty_batch_mse_matches_pytorch(reduction):
    torch = torch_or_skip()
    layer = nn.Linear(4, 3)
    loss = F.mse_loss(layer(np.zeros((0, 4), np.float32)), np.zeros((0, 3)), reduction=reduction)
    t_layer = torch.nn.Linear(4, 3)
    t_loss = torch.nn.functional.mse_loss(t_layer(torch.zeros(0, 4)), torch.zeros(0, 3),
                                          reduction=reduction)
    np.testing.assert_array_equal(loss.data, t_loss.detach().numpy())
    loss.sum().backward()
    t_loss.sum().backward()
    np.testing.assert_array_equal(layer.weight.grad, t_layer.weight.grad.numpy())


def test_all_rows_ignored_gives_nan_loss_and_zero_gradient_like_pytorch():
    torch = torch_or_skip()
    logits = np.random.default_rng(6).normal(size=(3, 4)).astype(np.float32)
    x = fg.tensor(logits, requires_grad=True)
    loss = F.cross_entropy(x, np.full(3, -100))
    loss.backward()
    tx = torch.tensor(logits, requires_grad=True)
    t_loss = torch.nn.functional.cross_entropy(tx, torch.full((3,), -100))
    t_loss.backward()
    assert np.isnan(loss.item()) and torch.isnan(t_loss)
    np.testing.assert_array_equal(x.grad, tx.grad.numpy())


def test_empty_matmul_gives_zeros_of_the_right_shape():
    a = fg.tensor(np.ones((3, 0)), requires_grad=True)
    b = fg.tensor(np.ones((0, 2)), requires_grad=True)
    out = a @ b
    out.sum().backward()
    np.testing.assert_array_equal(out.data, np.ones((3, 0)) @ np.ones((0, 2)))
    assert a.grad.shape == (3, 0) and b.grad.shape == (0, 2)


def test_empty_dataset_gives_no_batches():
    assert list(DataLoader(TensorDataset(np.ones((0, 2)), np.ones(0)), batch_size=4)) == []
