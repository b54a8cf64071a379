"""Activations (LeakyReLU, GELU, ELU, SiLU, Softplus, Softmax, LogSoftmax): values and input
gradients against PyTorch in float32 and float64, NumPy float64 references that need no torch,
gradcheck in float64, fusion with Linear, and bad arguments."""
import math

import numpy as np
import pytest

import fastgrad as fg
import fastgrad.nn as nn
import fastgrad.nn.functional as F
from conftest import torch_or_skip

TOL = {np.float32: dict(rtol=2e-5, atol=2e-6), np.float64: dict(rtol=1e-12, atol=1e-13)}

# name -> (fastgrad module, torch module factory, NumPy float64 reference)
_erf = np.vectorize(math.erf)


_SELU_ALPHA, _SELU_SCALE = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946


def _softplus_ref(x, beta, threshold):
    return np.where(beta * x > threshold, x, np.log1p(np.exp(np.minimum(beta * x, 700))) / beta)


ELEMENTWISE = {
    "leaky_relu": (lambda: nn.LeakyReLU(0.2), lambda t: t.nn.LeakyReLU(0.2),
                   lambda x: np.where(x > 0, x, 0.2 * x)),
    "gelu": (lambda: nn.GELU(), lambda t: t.nn.GELU(), lambda x: 0.5 * x * (1 + _erf(x / np.sqrt(2)))),
    "gelu_tanh": (lambda: nn.GELU("tanh"), lambda t: t.nn.GELU(approximate="tanh"),
                  lambda x: 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x ** 3)))),
    "elu": (lambda: nn.ELU(0.7), lambda t: t.nn.ELU(0.7), lambda x: np.where(x > 0, x, 0.7 * np.expm1(x))),
    "silu": (lambda: nn.SiLU(), lambda t: t.nn.SiLU(), lambda x: x / (1 + np.exp(-x))),
    "softplus": (lambda: nn.Softplus(), lambda t: t.nn.Softplus(),
                 lambda x: _softplus_ref(x, 1.0, 20.0)),
    "softplus_beta2_t5": (lambda: nn.Softplus(2.0, 5.0), lambda t: t.nn.Softplus(2.0, 5.0),
                          lambda x: _softplus_ref(x, 2.0, 5.0)),
    "softplus_beta0.5_t30": (lambda: nn.Softplus(0.5, 30.0), lambda t: t.nn.Softplus(0.5, 30.0),
                             lambda x: _softplus_ref(x, 0.5, 30.0)),
    "relu6": (lambda: nn.ReLU6(), lambda t: t.nn.ReLU6(), lambda x: np.clip(x, 0, 6)),
    "selu": (lambda: nn.SELU(), lambda t: t.nn.SELU(),
             lambda x: _SELU_SCALE * np.where(x > 0, x, _SELU_ALPHA * np.expm1(np.minimum(x, 0)))),
    "celu": (lambda: nn.CELU(0.7), lambda t: t.nn.CELU(0.7),
             lambda x: np.where(x > 0, x, 0.7 * np.expm1(np.minimum(x, 0) / 0.7))),
    "mish": (lambda: nn.Mish(), lambda t: t.nn.Mish(),
             lambda x: x * np.tanh(np.logaddexp(0, x))),
    "softsign": (lambda: nn.Softsign(), lambda t: t.nn.Softsign(), lambda x: x / (1 + np.abs(x))),
    "hardsigmoid": (lambda: nn.Hardsigmoid(), lambda t: t.nn.Hardsigmoid(),
                    lambda x: np.clip(x + 3, 0, 6) / 6),
    "hardswish": (lambda: nn.Hardswish(), lambda t: t.nn.Hardswish(),
                  lambda x: x * np.clip(x + 3, 0, 6) / 6),
    "logsigmoid": (lambda: nn.LogSigmoid(), lambda t: t.nn.LogSigmoid(),
                   lambda x: -np.logaddexp(0, -x)),
    "tanhshrink": (lambda: nn.Tanhshrink(), lambda t: t.nn.Tanhshrink(), lambda x: x - np.tanh(x)),
}
# PyTorch's float64 derivatives of these use float32 constants (hardsigmoid_backward's 1/6,
# celu's 1/alpha.toFloat()): ~3e-8 relative, times |x / alpha| for celu, from the exact one.
TORCH_FLOAT_CONSTANT_GRADS = {"celu": 1e-5, "hardsigmoid": 1e-7}
SHAPES = [(7,), (4, 9), (2, 3, 5)]


def _inputs(rng, shape, dtype):
    # Spread wide enough to cross every branch, including Softplus' thresholds at 2.5 .. 60.
    return (rng.standard_normal(shape) * 20).astype(dtype)


@pytest.mark.parametrize("name", ELEMENTWISE)
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_elementwise_matches_torch(name, shape, dtype, rng):
    torch = torch_or_skip()
    make, make_t, _ = ELEMENTWISE[name]
    x = _inputs(rng, shape, dtype)
    g = rng.standard_normal(shape).astype(dtype)
    xf = fg.Tensor(x, requires_grad=True)
    y = make()(xf)
    y.backward(g)
    xt = torch.tensor(x, requires_grad=True)
    yt = make_t(torch)(xt)
    yt.backward(torch.tensor(g))
    assert y.dtype == dtype
    np.testing.assert_allclose(y.data, yt.detach().numpy(), **TOL[dtype])
    tol = dict(TOL[dtype])
    if name in TORCH_FLOAT_CONSTANT_GRADS:
        tol["rtol"] = max(tol["rtol"], TORCH_FLOAT_CONSTANT_GRADS[name])
    np.testing.assert_allclose(xf.grad, xt.grad.numpy(), **tol)


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_elementwise_matches_numpy_reference(name, rng):
    make, _, ref = ELEMENTWISE[name]
    x = _inputs(rng, (50,), np.float64)
    # atol: 1 + tanh(...) cancels in the far negative tail of gelu_tanh, in any implementation
    np.testing.assert_allclose(make()(fg.Tensor(x)).data, ref(x), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_elementwise_gradcheck(name, rng):
    make, _, _ = ELEMENTWISE[name]
    m = make()
    # Away from kinks (0 for leaky_relu/elu, the softplus thresholds) so differences are smooth.
    x = rng.uniform(0.3, 2.0, 20) * rng.choice([-1, 1], 20)
    assert fg.gradcheck(lambda t: m(t), (fg.Tensor(x, requires_grad=True),))


def test_functional_forms_equal_modules(rng):
    x = fg.Tensor(rng.standard_normal((3, 4)))
    pairs = [(F.leaky_relu(x, 0.2), nn.LeakyReLU(0.2)(x)), (F.gelu(x), nn.GELU()(x)),
             (F.gelu(x, approximate="tanh"), nn.GELU("tanh")(x)), (F.elu(x, 0.7), nn.ELU(0.7)(x)),
             (F.silu(x), nn.SiLU()(x)), (F.softplus(x, 2.0, 5.0), nn.Softplus(2.0, 5.0)(x)),
             (F.softmax(x, 0), nn.Softmax(0)(x)), (F.log_softmax(x, 1), nn.LogSoftmax(1)(x))]
    for a, b in pairs:
        np.testing.assert_array_equal(a.data, b.data)


# ---- softmax / log_softmax ----------------------------------------------------------------------

def _softmax_ref(x, dim):
    e = np.exp(x - x.max(axis=dim, keepdims=True))
    return e / e.sum(axis=dim, keepdims=True)


SOFTMAX_CASES = [((6,), 0), ((4, 7), 1), ((4, 7), 0), ((3, 4, 5), 1), ((3, 4, 5), -1),
                 ((2, 3, 4, 5), 2), ((2, 3, 4, 5), -4)]


@pytest.mark.parametrize("log", [False, True])
@pytest.mark.parametrize("shape,dim", SOFTMAX_CASES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_softmax_matches_torch(log, shape, dim, dtype, rng):
    torch = torch_or_skip()
    x = (rng.standard_normal(shape) * 5).astype(dtype)
    g = rng.standard_normal(shape).astype(dtype)
    xf = fg.Tensor(x, requires_grad=True)
    (F.log_softmax if log else F.softmax)(xf, dim).backward(g)
    xt = torch.tensor(x, requires_grad=True)
    yt = (torch.log_softmax if log else torch.softmax)(xt, dim)
    yt.backward(torch.tensor(g))
    y = (F.log_softmax if log else F.softmax)(fg.Tensor(x), dim)
    np.testing.assert_allclose(y.data, yt.detach().numpy(), **TOL[dtype])
    np.testing.assert_allclose(xf.grad, xt.grad.numpy(), **TOL[dtype])


@pytest.mark.parametrize("shape,dim", SOFTMAX_CASES)
def test_softmax_matches_numpy_reference(shape, dim, rng):
    x = rng.standard_normal(shape) * 5
    p = _softmax_ref(x, dim)
    np.testing.assert_allclose(F.softmax(fg.Tensor(x), dim).data, p, rtol=1e-13, atol=1e-300)
    np.testing.assert_allclose(F.log_softmax(fg.Tensor(x), dim).data, np.log(p), rtol=1e-12, atol=1e-13)


@pytest.mark.parametrize("log", [False, True])
@pytest.mark.parametrize("shape,dim", [((5,), 0), ((3, 4), 1), ((3, 4, 2), 1), ((2, 3, 4), 0)])
def test_softmax_gradcheck(log, shape, dim, rng):
    fn = F.log_softmax if log else F.softmax
    w = fg.Tensor(rng.standard_normal(shape))  # a weighted sum, so the row sums are not trivial
    x = fg.Tensor(rng.standard_normal(shape), requires_grad=True)
    assert fg.gradcheck(lambda t: (fn(t, dim) * w).sum(), (x,))


def test_softmax_is_stable_for_huge_logits():
    x = np.array([[1000.0, 0.0, -1000.0], [1e30, 1e30, 0.0]], dtype=np.float32)
    p = F.softmax(fg.Tensor(x), 1).data
    np.testing.assert_allclose(p, [[1, 0, 0], [0.5, 0.5, 0]], atol=1e-7)
    lp = F.log_softmax(fg.Tensor(x), 1).data
    np.testing.assert_allclose(lp[0], [0, -1000, -2000], rtol=1e-6)


def test_softmax_nan_spreads_over_its_row_only():
    x = np.array([[0.0, np.nan, 1.0], [0.0, 1.0, 2.0]])
    p = F.softmax(fg.Tensor(x), 1).data
    assert np.isnan(p[0]).all() and np.isfinite(p[1]).all()


def test_softmax_without_dim_follows_pytorchs_legacy_rule(rng):
    x = rng.standard_normal((3, 4))
    with pytest.warns(UserWarning, match="dim"):
        y = nn.Softmax()(fg.Tensor(x))
    np.testing.assert_allclose(y.data, _softmax_ref(x, 1))


# ---- fusion into the dense layer ---------------------------------------------------------------

@pytest.mark.parametrize("act", [lambda: nn.LeakyReLU(0.1), lambda: nn.GELU(), lambda: nn.GELU("tanh"),
                                 lambda: nn.ELU(1.5), lambda: nn.SiLU(), lambda: nn.Softplus(2.0),
                                 lambda: nn.Softplus(1.0, 3.0), lambda: nn.ReLU6(),
                                 lambda: nn.SELU(), lambda: nn.CELU(0.6), lambda: nn.Mish(),
                                 lambda: nn.Softsign(), lambda: nn.Hardsigmoid(),
                                 lambda: nn.Hardswish(), lambda: nn.LogSigmoid(),
                                 lambda: nn.Tanhshrink()])
def test_linear_activation_fuses_and_equals_unfused(act, rng):
    fg.manual_seed(0)
    lin, a = nn.Linear(6, 5, dtype=np.float64), act()
    x = rng.standard_normal((8, 6)) * 3
    g = rng.standard_normal((8, 5))
    seq_x = fg.Tensor(x, requires_grad=True)
    y_seq = nn.Sequential(lin, a)(seq_x)
    y_seq.backward(g)
    grads_seq = [seq_x.grad, lin.weight.grad.numpy().copy(), lin.bias.grad.numpy().copy()]
    lin.zero_grad()
    sep_x = fg.Tensor(x, requires_grad=True)
    y_sep = a(lin(sep_x))
    y_sep.backward(g)
    np.testing.assert_allclose(y_seq.data, y_sep.data, rtol=1e-12, atol=1e-12)
    for got, want in zip(grads_seq, [sep_x.grad, lin.weight.grad, lin.bias.grad]):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("act,node", [(lambda: nn.GELU(), "DenseStackBackward0"),
                                      (lambda: nn.Mish(), "DenseStackBackward0"),
                                      (lambda: nn.CELU(2.0), "DenseStackBackward0"),
                                      (lambda: nn.Softplus(), "DenseStackBackward0"),
                                      (lambda: nn.Softplus(1.0, 3.0), "SoftplusBackward0")])
def test_sequential_fuses_what_the_kernel_can(act, node, rng):
    # The C dense kernel knows only Softplus' default threshold; another runs as its own node.
    seq = nn.Sequential(nn.Linear(3, 2), act())
    y = seq(fg.Tensor(rng.standard_normal((4, 3)).astype(np.float32), requires_grad=True))
    assert y.grad_fn.name == node


# ---- bad arguments ------------------------------------------------------------------------------

def test_bad_arguments_raise():
    x = fg.Tensor(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="approximate"):
        nn.GELU("fast")
    with pytest.raises(ValueError, match="approximate"):
        F.gelu(x, approximate="exact")
    with pytest.raises(TypeError, match="negative_slope"):
        nn.LeakyReLU("0.1")
    with pytest.raises(ValueError, match="beta"):
        nn.Softplus(beta=0)
    with pytest.raises(IndexError, match="axis 2 is out of range"):
        F.softmax(x, 2)
    with pytest.raises(IndexError, match="out of range"):
        F.log_softmax(x, -3)
    with pytest.raises(TypeError, match="dim"):
        F.softmax(x, 1.0)


def test_softmax_kernel_binding_validates_its_arguments():
    from fastgrad import _kernels
    x = np.zeros((2, 3))
    with pytest.raises(ValueError, match=r"x has shape \(2, 3\) but y has shape \(3, 2\)"):
        _kernels.softmax_forward(x, np.zeros((3, 2)), 1, False)
    with pytest.raises(TypeError, match="float32"):
        _kernels.softmax_forward(x, np.zeros((2, 3), np.float32), 1, False)
    with pytest.raises(ValueError, match="C-contiguous"):
        _kernels.softmax_forward(np.zeros((3, 2)).T, np.zeros((2, 3)), 1, False)
    with pytest.raises(ValueError, match=r"y has shape \(2, 3\) but dy has shape \(6,\)"):
        _kernels.softmax_backward(x, np.zeros(6), np.zeros((2, 3)), 1, False)
    with pytest.raises(ValueError, match="overlaps"):
        _kernels.softmax_backward(x, np.zeros((2, 3)), x, 1, True)


# ---- relu, tanh, sigmoid against PyTorch -----------------------------------------------------

@pytest.mark.parametrize("name", ["relu", "tanh", "sigmoid"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_activations_match_pytorch(name, dtype, rng):
    torch = torch_or_skip()
    x = rng.standard_normal((4, 6)).astype(dtype) * 4
    ours = fg.tensor(x, requires_grad=True)
    theirs = torch.tensor(x, requires_grad=True)
    out, tout = getattr(F, name)(ours), getattr(torch, name)(theirs)
    g = rng.standard_normal(x.shape).astype(dtype)
    out.backward(g)
    tout.backward(torch.from_numpy(g))
    tol = 1e-6 if dtype == np.float32 else 1e-14
    assert np.allclose(out.data, tout.detach().numpy(), atol=tol)
    assert np.allclose(ours.grad, theirs.grad.numpy(), atol=tol)


def test_a_subclass_that_overrides_forward_is_not_fused(rng):
    # Fusing would run the kernel's relu, not the subclass' forward: the result must be its own.
    class Doubled(nn.ReLU):
        def forward(self, x):
            return F.relu(x) * 2

    seq = nn.Sequential(nn.Linear(3, 2), Doubled())
    x = rng.standard_normal((4, 3)).astype(np.float32)
    lin = seq[0]
    want = 2 * np.maximum(x @ lin.weight.data.T + lin.bias.data, 0)
    np.testing.assert_allclose(seq(x).data, want, rtol=1e-6, atol=1e-6)
