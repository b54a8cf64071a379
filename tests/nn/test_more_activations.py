"""Hardtanh, Threshold, PReLU and Softmin (Functions or compositions, not kernel-table rows):
values and gradients against PyTorch in float32 and float64, gradcheck in float64, PReLU's
parameter and state dict, the functional forms of every new activation, bad arguments.
(The kernel-table ones, ReLU6 ... Tanhshrink, are in test_activations.py's ELEMENTWISE.)"""
import numpy as np
import pytest

import fastgrad as fg
import fastgrad.nn as nn
import fastgrad.nn.functional as F
from conftest import torch_or_skip

TOL = {np.float32: dict(rtol=2e-5, atol=2e-6), np.float64: dict(rtol=1e-12, atol=1e-13)}

# name -> (fastgrad module factory, torch module factory)
MODULES = {
    "hardtanh": (lambda: nn.Hardtanh(), lambda t: t.nn.Hardtanh()),
    "hardtanh_-2_3": (lambda: nn.Hardtanh(-2.0, 3.0), lambda t: t.nn.Hardtanh(-2.0, 3.0)),
    "threshold": (lambda: nn.Threshold(0.5, -4.0), lambda t: t.nn.Threshold(0.5, -4.0)),
    "softmin0": (lambda: nn.Softmin(0), lambda t: t.nn.Softmin(0)),
    "softmin-1": (lambda: nn.Softmin(-1), lambda t: t.nn.Softmin(-1)),
    "prelu": (lambda: nn.PReLU(), lambda t: t.nn.PReLU()),
    "hardshrink": (lambda: nn.Hardshrink(), lambda t: t.nn.Hardshrink()),
    "hardshrink2": (lambda: nn.Hardshrink(2.0), lambda t: t.nn.Hardshrink(2.0)),
    "softshrink": (lambda: nn.Softshrink(), lambda t: t.nn.Softshrink()),
    "softshrink1.5": (lambda: nn.Softshrink(1.5), lambda t: t.nn.Softshrink(1.5)),
    "glu": (lambda: nn.GLU(1), lambda t: t.nn.GLU(1)),
}


@pytest.mark.parametrize("name", MODULES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_matches_torch(name, dtype, rng):
    torch = torch_or_skip()
    make, make_t = MODULES[name]
    x = (rng.standard_normal((3, 4, 5)) * 3).astype(dtype)
    g = rng.standard_normal(x.shape).astype(dtype)
    m, mt = make().to(dtype), make_t(torch).to(getattr(torch, np.dtype(dtype).name))
    xf, xt = fg.Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    y, yt = m(xf), mt(xt)
    g = g[:, :y.shape[1]]  # GLU halves axis 1
    y.backward(g)
    yt.backward(torch.tensor(g))
    assert y.dtype == dtype
    np.testing.assert_allclose(y.data, yt.detach().numpy(), **TOL[dtype])
    np.testing.assert_allclose(xf.grad, xt.grad.numpy(), **TOL[dtype])
    for p, pt in zip(m.parameters(), mt.parameters()):
        np.testing.assert_allclose(p.grad, pt.grad.numpy(), **TOL[dtype])


@pytest.mark.parametrize("shape", [(6, 3), (2, 3, 4), (2, 3, 2, 2)])
@pytest.mark.parametrize("count", [1, 3])
def test_prelu_per_channel_matches_torch(shape, count, rng):
    torch = torch_or_skip()
    x = rng.standard_normal(shape)
    g = rng.standard_normal(shape)
    m = nn.PReLU(count, init=0.1).double()
    mt = torch.nn.PReLU(count, init=0.1).double()
    w = rng.uniform(-0.5, 0.5, count)
    m.load_state_dict({"weight": w})
    mt.load_state_dict({"weight": torch.tensor(w)})
    assert list(m.state_dict()) == list(mt.state_dict()) == ["weight"]
    xf, xt = fg.Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    m(xf).backward(g)
    yt = mt(xt)
    yt.backward(torch.tensor(g))
    np.testing.assert_allclose(m(fg.Tensor(x)).data, yt.detach().numpy(), rtol=1e-13)
    np.testing.assert_allclose(xf.grad, xt.grad.numpy(), rtol=1e-13)
    np.testing.assert_allclose(m.weight.grad, mt.weight.grad.numpy(), rtol=1e-12)


def test_prelu_gradcheck_input_and_weight(rng):
    x = rng.uniform(0.2, 2.0, (4, 3)) * rng.choice([-1, 1], (4, 3))
    w = fg.Tensor(rng.uniform(0.1, 0.5, 3), requires_grad=True)
    assert fg.gradcheck(lambda a, b: F.prelu(a, b), (fg.Tensor(x, requires_grad=True), w))


@pytest.mark.parametrize("fn", [lambda t: F.hardtanh(t, -0.5, 1.5),
                                lambda t: F.threshold(t, 0.1, 2.0),
                                lambda t: F.hardshrink(t, 0.3), lambda t: F.softshrink(t, 0.3),
                                lambda t: (F.glu(t, 1) * fg.Tensor(np.arange(6.0).reshape(3, 2))).sum(),
                                lambda t: (F.softmin(t, 1) * fg.Tensor(np.arange(12.0).reshape(3, 4))).sum()])
def test_gradcheck(fn, rng):
    # Away from the kinks (the bounds, the threshold) so finite differences are smooth.
    x = rng.uniform(0.2, 0.4, (3, 4)) * rng.choice([-1, 1, 3], (3, 4))
    assert fg.gradcheck(fn, (fg.Tensor(x, requires_grad=True),))


def test_kinks_and_nan_follow_pytorch():
    torch = torch_or_skip()
    x = np.array([np.nan, -1.0, 1.0, 0.5, -2.0, 0.0], dtype=np.float64)
    for ours, theirs in [(lambda t: F.hardtanh(t), lambda t: torch.nn.functional.hardtanh(t)),
                         (lambda t: F.threshold(t, 0.5, 9.0),
                          lambda t: torch.nn.functional.threshold(t, 0.5, 9.0)),
                         (F.relu6, torch.nn.functional.relu6),
                         (F.hardshrink, torch.nn.functional.hardshrink),
                         (F.softshrink, torch.nn.functional.softshrink),
                         (F.hardsigmoid, torch.nn.functional.hardsigmoid),
                         (F.hardswish, torch.nn.functional.hardswish)]:
        xf, xt = fg.Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        y, yt = ours(xf), theirs(xt)
        y.sum().backward()
        yt.sum().backward()
        np.testing.assert_allclose(y.data, yt.detach().numpy(), rtol=1e-7)
        np.testing.assert_allclose(xf.grad, xt.grad.numpy(), rtol=1e-7)


def test_functional_forms_equal_modules(rng):
    x = fg.Tensor(rng.standard_normal((3, 4)) * 4)
    pairs = [(F.relu6(x), nn.ReLU6()(x)), (F.selu(x), nn.SELU()(x)),
             (F.celu(x, 0.5), nn.CELU(0.5)(x)), (F.mish(x), nn.Mish()(x)),
             (F.softsign(x), nn.Softsign()(x)), (F.tanhshrink(x), nn.Tanhshrink()(x)),
             (F.hardtanh(x, -2, 2), nn.Hardtanh(-2, 2)(x)),
             (F.hardsigmoid(x), nn.Hardsigmoid()(x)), (F.hardswish(x), nn.Hardswish()(x)),
             (F.logsigmoid(x), nn.LogSigmoid()(x)), (F.softmin(x, 1), nn.Softmin(1)(x)),
             (F.threshold(x, 0.1, 5.0), nn.Threshold(0.1, 5.0)(x)),
             (F.hardshrink(x, 1.0), nn.Hardshrink(1.0)(x)), (F.glu(x), nn.GLU()(x)),
             (F.softshrink(x, 1.0), nn.Softshrink(1.0)(x)),
             (F.prelu(x, fg.Tensor(np.full(1, 0.25, np.float64))), nn.PReLU().double()(x))]
    for a, b in pairs:
        np.testing.assert_array_equal(a.data, b.data)


def test_new_activations_exist_as_in_torch():
    torch = torch_or_skip()
    for name in ["ReLU6", "PReLU", "SELU", "CELU", "Mish", "Softsign", "Tanhshrink", "Hardtanh",
                 "Hardsigmoid", "Hardswish", "LogSigmoid", "Softmin", "Threshold", "Hardshrink",
                 "Softshrink", "GLU"]:
        assert hasattr(torch.nn, name) and hasattr(nn, name), name
    for name in ["relu6", "prelu", "selu", "celu", "mish", "softsign", "tanhshrink", "hardtanh",
                 "hardsigmoid", "hardswish", "logsigmoid", "softmin", "threshold", "hardshrink",
                 "softshrink", "glu"]:
        assert hasattr(torch.nn.functional, name) and hasattr(F, name), name


def test_bad_arguments_name_the_argument():
    x = fg.Tensor(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="min_val"):
        nn.Hardtanh(2.0, 1.0)
    with pytest.raises(ValueError, match="min_val"):
        F.hardtanh(x, 1.0, 0.0)
    with pytest.raises(TypeError, match="max_val"):
        F.hardtanh(x, 0.0, "1")
    with pytest.raises(ValueError, match="alpha"):
        nn.CELU(0.0)
    with pytest.raises(ValueError, match="alpha"):
        F.celu(x, 0)
    with pytest.raises(TypeError, match="threshold"):
        nn.Threshold(None, 1.0)
    with pytest.raises(TypeError, match="value"):
        F.threshold(x, 0.0, "a")
    with pytest.raises(ValueError, match="num_parameters"):
        nn.PReLU(0)
    with pytest.raises(ValueError, match="weight has 2 elements"):
        F.prelu(x, fg.Tensor(np.ones(2)))
    with pytest.raises(ValueError, match="channels"):
        nn.PReLU(3)(fg.Tensor(np.zeros(3)))
    with pytest.raises(TypeError, match="weight"):
        F.prelu(x, 0.25)
    with pytest.raises(TypeError, match="dim"):
        F.softmin(x, 1.5)
    with pytest.raises(ValueError, match="lambd"):
        nn.Softshrink(-1.0)
    with pytest.raises(TypeError, match="lambd"):
        F.hardshrink(x, "1")
    with pytest.raises(ValueError, match="even size"):
        F.glu(x, 1)
    with pytest.raises(IndexError, match="out of range"):
        F.glu(x, 2)


def test_prelu_weight_gradient_keeps_the_weights_dtype(rng):
    m = nn.PReLU(3)  # float32 slopes
    x = rng.standard_normal((4, 3))  # float64 input
    m(fg.Tensor(x)).sum().backward()
    assert m.weight.grad.dtype == np.float32
    np.testing.assert_allclose(m.weight.grad, np.where(x > 0, 0, x).sum(0), rtol=1e-6)
