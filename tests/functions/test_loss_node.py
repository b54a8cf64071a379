"""The engine's loss node (MSE and softmax cross-entropy): values and gradients against PyTorch
for every reduction, float32 and float64, odd shapes and upstream gradients; the backward
bit for bit against NumPy's scaling of the same local derivative; the graph's rules
(retain_graph, no_grad, a target that wants a gradient)."""
import numpy as np
import pytest

import fastgrad as fg
import fastgrad.nn as nn
import fastgrad.nn.functional as F
from conftest import torch_or_skip

TOL = {np.float32: dict(rtol=2e-5, atol=2e-6), np.float64: dict(rtol=1e-11, atol=1e-12)}
REDUCTIONS = ["mean", "sum", "none"]
DTYPES = [np.float32, np.float64]
MSE_SHAPES = [(), (1,), (7,), (3, 5), (2, 3, 4), (0,), (300,)]
CE_SHAPES = [(1, 1), (5, 3), (32, 10), (300, 7), (0, 4)]


def _upstream(shape, dtype, rng):
    return (rng.uniform(0.5, 2.0, shape) * rng.choice([-1, 1], shape)).astype(dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape", MSE_SHAPES)
def test_mse_matches_torch(shape, reduction, dtype):
    torch = torch_or_skip()
    rng = np.random.default_rng(hash((shape, reduction)) % 2 ** 32)
    x, t = (rng.standard_normal(shape).astype(dtype) for _ in range(2))
    xf, tf = fg.tensor(x, requires_grad=True), fg.tensor(t, requires_grad=True)
    out = F.mse_loss(xf, tf, reduction=reduction)
    g = _upstream(out.shape, dtype, rng)
    out.backward(fg.tensor(g))
    xt, tt = torch.tensor(x, requires_grad=True), torch.tensor(t, requires_grad=True)
    want = torch.nn.functional.mse_loss(xt, tt, reduction=reduction)
    want.backward(torch.tensor(g))
    assert out.dtype == xf.dtype and out.shape == tuple(want.shape)
    np.testing.assert_allclose(out.numpy(), want.detach().numpy(), **TOL[dtype])
    np.testing.assert_allclose(xf.grad.numpy(), xt.grad.numpy(), **TOL[dtype])
    np.testing.assert_allclose(tf.grad.numpy(), tt.grad.numpy(), **TOL[dtype])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape", CE_SHAPES)
@pytest.mark.parametrize("ignore_index,smoothing", [(-100, 0.0), (1, 0.0), (0, 0.25)])
def test_cross_entropy_matches_torch(shape, reduction, dtype, ignore_index, smoothing):
    torch = torch_or_skip()
    rng = np.random.default_rng(hash((shape, reduction, ignore_index)) % 2 ** 32)
    x = (3 * rng.standard_normal(shape)).astype(dtype)
    y = rng.integers(0, shape[1], shape[0])
    xf = fg.tensor(x, requires_grad=True)
    out = nn.CrossEntropyLoss(ignore_index=ignore_index, label_smoothing=smoothing,
                              reduction=reduction)(xf, fg.tensor(y))
    g = _upstream(out.shape, dtype, rng)
    out.backward(fg.tensor(g))
    xt = torch.tensor(x, requires_grad=True)
    want = torch.nn.functional.cross_entropy(xt, torch.tensor(y), ignore_index=ignore_index,
                                             label_smoothing=smoothing, reduction=reduction)
    want.backward(torch.tensor(g))
    np.testing.assert_allclose(out.numpy(), want.detach().numpy(), **TOL[dtype])
    np.testing.assert_allclose(xf.grad.numpy(), xt.grad.numpy(), **TOL[dtype])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_mse_backward_is_numpys_scaling_bit_for_bit(dtype, reduction):
    """The C scaling rounds as NumPy's dX * (g / n) does in the loss's dtype: the same bits,
    for sizes whose 'mean' factor is inexact (n = 7, 300, 1001). (The walk hands the node
    its upstream gradient in the loss's dtype, as PyTorch does.)"""
    rng = np.random.default_rng(3)
    for n in (7, 300, 1001):
        x, t = (rng.standard_normal(n).astype(dtype) for _ in range(2))
        xf = fg.tensor(x, requires_grad=True)
        g = np.dtype(dtype).type(0.7)
        F.mse_loss(xf, fg.tensor(t), reduction=reduction).backward(fg.tensor(g))
        d = 2 * (x - t)
        want = d * (g / np.dtype(dtype).type(n) if reduction == "mean" else g)
        assert want.dtype == dtype
        np.testing.assert_array_equal(xf.grad.numpy(), want)


def test_cross_entropy_mean_of_nothing_is_nan_with_zero_gradient():
    torch = torch_or_skip()
    x = np.random.default_rng(0).standard_normal((3, 4)).astype(np.float32)
    y = np.full(3, -100)
    xf = fg.tensor(x, requires_grad=True)
    out = F.cross_entropy(xf, y)
    out.backward()
    xt = torch.tensor(x, requires_grad=True)
    want = torch.nn.functional.cross_entropy(xt, torch.tensor(y))
    want.backward()
    assert np.isnan(out.item()) and np.isnan(want.item())
    np.testing.assert_array_equal(xf.grad.numpy(), xt.grad.numpy())


def test_noncontiguous_input_and_array_target():
    torch = torch_or_skip()
    rng = np.random.default_rng(5)
    x = rng.standard_normal((6, 4)).astype(np.float32)
    t = rng.standard_normal((4, 6)).astype(np.float32).T  # a transposed view
    xf = fg.tensor(x, requires_grad=True)
    out = F.mse_loss(xf.t().t(), t)
    out.backward()
    xt = torch.tensor(x, requires_grad=True)
    torch.nn.functional.mse_loss(xt, torch.tensor(np.ascontiguousarray(t))).backward()
    np.testing.assert_allclose(xf.grad.numpy(), xt.grad.numpy(), **TOL[np.float32])


def test_graph_rules():
    x = fg.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    y = np.array([0, 2])
    for loss in (lambda: F.mse_loss(x, fg.zeros(2, 3, dtype=fg.float64)),
                 lambda: F.cross_entropy(x, y)):
        out = loss()
        assert out.grad_fn is not None and out.requires_grad
        out.backward(retain_graph=True)
        first = x.grad.numpy().copy()
        out.backward()
        np.testing.assert_allclose(x.grad.numpy(), 2 * first)
        with pytest.raises(RuntimeError, match="second time"):
            out.backward()
        x.grad = None
        with fg.no_grad():
            assert loss().grad_fn is None
    plain = fg.tensor(np.ones(3))
    assert F.mse_loss(plain, fg.zeros(3, dtype=fg.float64)).grad_fn is None
    # Only the target wants a gradient: the node is recorded for it alone.
    t = fg.tensor(np.zeros(3), requires_grad=True)
    F.mse_loss(plain, t, reduction="sum").backward()
    np.testing.assert_array_equal(t.grad.numpy(), -2 * np.ones(3))
    assert plain.grad is None


def test_bad_arguments_are_named():
    x = fg.tensor(np.ones((2, 3)), requires_grad=True)
    with pytest.raises(ValueError, match="reduction"):
        F.mse_loss(x, fg.zeros(2, 3, dtype=fg.float64), reduction="avg")
    with pytest.raises(ValueError, match="reduction"):
        F.cross_entropy(x, np.array([0, 1]), reduction="avg")
    with pytest.raises(IndexError, match="target"):
        F.cross_entropy(x, np.array([0, 3]))
    with pytest.raises(ValueError, match="label_smoothing"):
        F.cross_entropy(x, np.array([0, 1]), label_smoothing=1.5)
