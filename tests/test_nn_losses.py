"""Losses with reduction 'mean' | 'sum' | 'none': values and gradients (input and, where
PyTorch gives one, target) against PyTorch in float32 and float64, NumPy float64 references,
gradcheck in float64, edge cases and bad arguments."""
import numpy as np
import pytest

import fastgrad as fg
import fastgrad.nn as nn
import fastgrad.nn.functional as F
from conftest import torch_or_skip

TOL = {np.float32: dict(rtol=2e-5, atol=2e-6), np.float64: dict(rtol=1e-11, atol=1e-12)}
REDUCTIONS = ["mean", "sum", "none"]
DTYPES = [np.float32, np.float64]
SHAPES = [(5,), (4, 3), (2, 3, 4)]


def _run(fn, x, t, g_shape_rng, requires_target_grad=True):
    """fn on fastgrad tensors; returns (value, input grad, target grad)."""
    xf = fg.Tensor(x, requires_grad=True)
    tf = fg.Tensor(t, requires_grad=requires_target_grad)
    out = fn(xf, tf)
    g = g_shape_rng(out.shape).astype(x.dtype)
    out.backward(g)
    return out.data, xf.grad, tf.grad, g


def _run_torch(torch, fn, x, t, g, requires_target_grad=True):
    xt = torch.tensor(x, requires_grad=True)
    tt = torch.tensor(t, requires_grad=requires_target_grad)
    out = fn(xt, tt)
    out.backward(torch.tensor(g))
    return out.detach().numpy(), xt.grad.numpy(), (tt.grad.numpy() if requires_target_grad else None)


def _compare(ours, theirs, dtype):
    for a, b in zip(ours, theirs):
        if b is None:
            continue
        np.testing.assert_allclose(a, b, **TOL[dtype])


# ---- elementwise losses: (fastgrad fn, torch fn, input maker, target maker) ---------------------

def _probs(rng, shape):
    return rng.uniform(0.02, 0.98, shape)


ELEMENTWISE = {
    "l1": (lambda r: lambda x, t: F.l1_loss(x, t, reduction=r),
           lambda torch, r: lambda x, t: torch.nn.functional.l1_loss(x, t, reduction=r),
           lambda rng, s: rng.standard_normal(s), lambda rng, s: rng.standard_normal(s)),
    "huber": (lambda r: lambda x, t: F.huber_loss(x, t, reduction=r, delta=0.7),
              lambda torch, r: lambda x, t: torch.nn.functional.huber_loss(x, t, reduction=r, delta=0.7),
              lambda rng, s: rng.standard_normal(s), lambda rng, s: rng.standard_normal(s)),
    "mse": (lambda r: lambda x, t: F.mse_loss(x, t, reduction=r),
            lambda torch, r: lambda x, t: torch.nn.functional.mse_loss(x, t, reduction=r),
            lambda rng, s: rng.standard_normal(s), lambda rng, s: rng.standard_normal(s)),
    "bce": (lambda r: lambda x, t: F.binary_cross_entropy(x, t, reduction=r),
            lambda torch, r: lambda x, t: torch.nn.functional.binary_cross_entropy(x, t, reduction=r),
            _probs, _probs),
    "bce_logits": (lambda r: lambda x, t: F.binary_cross_entropy_with_logits(x, t, reduction=r),
                   lambda torch, r: lambda x, t: torch.nn.functional.binary_cross_entropy_with_logits(x, t, reduction=r),
                   lambda rng, s: rng.standard_normal(s) * 4, _probs),
}


@pytest.mark.parametrize("name", ELEMENTWISE)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("dtype", DTYPES)
def test_elementwise_loss_matches_torch(name, reduction, shape, dtype, rng):
    torch = torch_or_skip()
    ours, theirs, mk_x, mk_t = ELEMENTWISE[name]
    x, t = mk_x(rng, shape).astype(dtype), mk_t(rng, shape).astype(dtype)
    val, gx, gt, g = _run(ours(reduction), x, t, rng.standard_normal)
    _compare((val, gx, gt), _run_torch(torch, theirs(torch, reduction), x, t, g), dtype)


def test_weighted_bce_and_pos_weight_match_torch(rng):
    torch = torch_or_skip()
    x = rng.standard_normal((6, 3)) * 5
    t = _probs(rng, (6, 3))
    w, pw = rng.uniform(0.5, 2, (6, 3)), rng.uniform(0.5, 3, 3)
    for reduction in REDUCTIONS:
        val, gx, gt, g = _run(lambda a, b: F.binary_cross_entropy_with_logits(
            a, b, weight=w, reduction=reduction, pos_weight=pw), x, t, rng.standard_normal)
        ref = _run_torch(torch, lambda a, b: torch.nn.functional.binary_cross_entropy_with_logits(
            a, b, weight=torch.tensor(w), reduction=reduction, pos_weight=torch.tensor(pw)), x, t, g)
        _compare((val, gx, gt), ref, np.float64)
        p = _probs(rng, (6, 3))
        val, gx, gt, g = _run(lambda a, b: nn.BCELoss(weight=w[0], reduction=reduction)(a, b),
                              p, t, rng.standard_normal)
        ref = _run_torch(torch, lambda a, b: torch.nn.BCELoss(weight=torch.tensor(w[0]),
                                                              reduction=reduction)(a, b), p, t, g)
        _compare((val, gx, gt), ref, np.float64)


def test_elementwise_losses_match_numpy_reference(rng):
    x, t = rng.standard_normal(40) * 2, rng.standard_normal(40) * 2
    d = x - t
    np.testing.assert_allclose(F.l1_loss(x, t).item(), np.abs(d).mean(), rtol=1e-13)
    huber = np.where(np.abs(d) <= 1.5, 0.5 * d * d, 1.5 * (np.abs(d) - 0.75))
    np.testing.assert_allclose(F.huber_loss(x, t, reduction="none", delta=1.5).data, huber, rtol=1e-13)
    p, y = _probs(rng, 40), _probs(rng, 40)
    np.testing.assert_allclose(F.binary_cross_entropy(p, y, reduction="sum").item(),
                               -(y * np.log(p) + (1 - y) * np.log(1 - p)).sum(), rtol=1e-13)
    s = 1 / (1 + np.exp(-x))
    np.testing.assert_allclose(F.binary_cross_entropy_with_logits(x, y, reduction="none").data,
                               -(y * np.log(s) + (1 - y) * np.log(1 - s)), rtol=1e-10)


@pytest.mark.parametrize("name", ["l1", "huber", "bce", "bce_logits"])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_elementwise_loss_gradcheck(name, reduction, rng):
    ours, _, mk_x, mk_t = ELEMENTWISE[name]
    x, t = mk_x(rng, (3, 4)), mk_t(rng, (3, 4))
    if name in ("l1", "huber"):  # keep away from the kinks at |x - t| = 0 and = delta
        t = x + rng.uniform(0.1, 0.5, x.shape) * rng.choice([-1, 3], x.shape)
    fn = ours(reduction)
    w = fg.Tensor(rng.standard_normal((3, 4)))
    inputs = (fg.Tensor(x, requires_grad=True), fg.Tensor(t, requires_grad=True))
    assert fg.gradcheck(lambda a, b: (fn(a, b) * (w if reduction == "none" else 1)).sum(), inputs)


def test_bce_clamps_log_at_minus_100_like_torch():
    torch = torch_or_skip()
    p = np.array([0.0, 1.0, 0.0, 1.0])
    y = np.array([1.0, 0.0, 0.0, 1.0])
    ours = F.binary_cross_entropy(p, y, reduction="none").data
    np.testing.assert_array_equal(ours, [100.0, 100.0, 0.0, 0.0])
    np.testing.assert_array_equal(ours, torch.nn.functional.binary_cross_entropy(
        torch.tensor(p), torch.tensor(y), reduction="none").numpy())


def test_bce_with_logits_is_stable_for_huge_logits():
    x = fg.Tensor(np.array([1e4, -1e4, 800.0, -800.0], dtype=np.float32), requires_grad=True)
    y = np.array([0.0, 1.0, 1.0, 0.0], dtype=np.float32)
    loss = F.binary_cross_entropy_with_logits(x, y, reduction="none")
    np.testing.assert_allclose(loss.data, [1e4, 1e4, 0, 0], rtol=1e-7)
    loss.sum().backward()
    np.testing.assert_allclose(x.grad, [1, -1, 0, 0], atol=1e-7)


# ---- NLL and cross-entropy ----------------------------------------------------------------------

def _class_case(rng, n, c, dtype, ignore=False):
    x = (rng.standard_normal((n, c)) * 2).astype(dtype)
    t = rng.integers(0, c, n)
    if ignore:
        t[::3] = -100
    return x, t


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("ignore", [False, True])
def test_nll_loss_matches_torch(reduction, dtype, weighted, ignore, rng):
    torch = torch_or_skip()
    x, t = _class_case(rng, 7, 4, dtype, ignore)
    w = rng.uniform(0.2, 2.0, 4).astype(dtype) if weighted else None
    xf = fg.Tensor(x, requires_grad=True)
    out = nn.NLLLoss(weight=w, reduction=reduction)(xf, t)
    g = rng.standard_normal(out.shape).astype(dtype)
    out.backward(g)
    xt = torch.tensor(x, requires_grad=True)
    ref = torch.nn.NLLLoss(weight=None if w is None else torch.tensor(w), reduction=reduction)(
        xt, torch.tensor(t))
    ref.backward(torch.tensor(g))
    np.testing.assert_allclose(out.data, ref.detach().numpy(), **TOL[dtype])
    np.testing.assert_allclose(xf.grad, xt.grad.numpy(), **TOL[dtype])


CE_CASES = [dict(), dict(weight=True), dict(label_smoothing=0.2), dict(weight=True, label_smoothing=0.3),
            dict(weight=True, ignore=True), dict(weight=True, ignore=True, label_smoothing=0.1),
            dict(ignore=True, label_smoothing=0.25)]


@pytest.mark.parametrize("case", CE_CASES, ids=lambda c: "-".join(c) or "plain")
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("dtype", DTYPES)
def test_cross_entropy_class_targets_match_torch(case, reduction, dtype, rng):
    torch = torch_or_skip()
    x, t = _class_case(rng, 9, 5, dtype, case.get("ignore", False))
    w = rng.uniform(0.2, 2.0, 5).astype(dtype) if case.get("weight") else None
    eps = case.get("label_smoothing", 0.0)
    xf = fg.Tensor(x, requires_grad=True)
    out = nn.CrossEntropyLoss(weight=w, reduction=reduction, label_smoothing=eps)(xf, t)
    g = rng.standard_normal(out.shape).astype(dtype)
    out.backward(g)
    xt = torch.tensor(x, requires_grad=True)
    ref = torch.nn.CrossEntropyLoss(weight=None if w is None else torch.tensor(w),
                                    reduction=reduction, label_smoothing=eps)(xt, torch.tensor(t))
    ref.backward(torch.tensor(g))
    np.testing.assert_allclose(out.data, ref.detach().numpy(), **TOL[dtype])
    np.testing.assert_allclose(xf.grad, xt.grad.numpy(), **TOL[dtype])


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("dtype", DTYPES)
def test_cross_entropy_probability_targets_match_torch(weighted, reduction, dtype, rng):
    torch = torch_or_skip()
    x = (rng.standard_normal((6, 4)) * 2).astype(dtype)
    q = rng.uniform(0, 1, (6, 4))
    q = (q / q.sum(1, keepdims=True)).astype(dtype)
    w = rng.uniform(0.2, 2.0, 4).astype(dtype) if weighted else None
    xf = fg.Tensor(x, requires_grad=True)
    out = F.cross_entropy(xf, q, weight=w, reduction=reduction, label_smoothing=0.1)
    g = rng.standard_normal(out.shape).astype(dtype)
    out.backward(g)
    xt = torch.tensor(x, requires_grad=True)
    ref = torch.nn.functional.cross_entropy(xt, torch.tensor(q), weight=None if w is None else torch.tensor(w),
                                            reduction=reduction, label_smoothing=0.1)
    ref.backward(torch.tensor(g))
    np.testing.assert_allclose(out.data, ref.detach().numpy(), **TOL[dtype])
    np.testing.assert_allclose(xf.grad, xt.grad.numpy(), **TOL[dtype])


@pytest.mark.parametrize("fn", ["cross_entropy", "nll_loss"])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_spatial_class_dims_match_torch(fn, reduction, rng):
    torch = torch_or_skip()
    x = rng.standard_normal((3, 4, 5))
    t = rng.integers(0, 4, (3, 5))
    w = rng.uniform(0.5, 2, 4)
    xf = fg.Tensor(x, requires_grad=True)
    out = getattr(F, fn)(xf, t, weight=w, reduction=reduction)
    g = rng.standard_normal(out.shape)
    out.backward(g)
    xt = torch.tensor(x, requires_grad=True)
    ref = getattr(torch.nn.functional, fn)(xt, torch.tensor(t), weight=torch.tensor(w), reduction=reduction)
    ref.backward(torch.tensor(g))
    np.testing.assert_allclose(out.data, ref.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(xf.grad, xt.grad.numpy(), rtol=1e-12, atol=1e-14)


def test_weighted_cross_entropy_matches_numpy_reference(rng):
    x, t = _class_case(rng, 8, 3, np.float64, ignore=True)
    w = rng.uniform(0.2, 2.0, 3)
    logp = x - x.max(1, keepdims=True)
    logp -= np.log(np.exp(logp).sum(1, keepdims=True))
    keep = t != -100
    eps, c = 0.2, 3
    rows = (1 - eps) * w[t[keep]] * -logp[keep, t[keep]] + eps / c * (w * -logp[keep]).sum(1)
    want = rows.sum() / w[t[keep]].sum()
    got = F.cross_entropy(x, t, weight=w, label_smoothing=eps).item()
    np.testing.assert_allclose(got, want, rtol=1e-13)


@pytest.mark.parametrize("kind", ["weighted", "smoothed_weighted", "probabilities", "nll"])
def test_class_losses_gradcheck(kind, rng):
    x = fg.Tensor(rng.standard_normal((5, 4)), requires_grad=True)
    t = rng.integers(0, 4, 5)
    t[1] = -100
    w = rng.uniform(0.5, 2, 4)
    q = rng.dirichlet(np.ones(4), 5)
    fn = {"weighted": lambda a: F.cross_entropy(a, t, weight=w),
          "smoothed_weighted": lambda a: F.cross_entropy(a, t, weight=w, label_smoothing=0.3),
          "probabilities": lambda a: F.cross_entropy(a, q, weight=w, label_smoothing=0.1),
          "nll": lambda a: F.nll_loss(a, t, weight=w)}[kind]
    assert fg.gradcheck(fn, (x,))


def test_all_targets_ignored_gives_nan_like_torch():
    x = np.zeros((2, 3))
    t = np.array([-100, -100])
    assert np.isnan(F.nll_loss(x, t).item())
    assert np.isnan(F.cross_entropy(x, t, weight=np.ones(3)).item())


# ---- bad arguments ------------------------------------------------------------------------------

def test_bad_arguments_raise(rng):
    x = rng.standard_normal((4, 3))
    t = np.array([0, 1, 2, 1])
    with pytest.raises(ValueError, match="reduction"):
        nn.L1Loss(reduction="avg")
    with pytest.raises(ValueError, match=r"\(4, 3\).*\(3, 4\)"):
        F.l1_loss(x, x.T)
    with pytest.raises(ValueError, match="delta"):
        nn.HuberLoss(delta=0)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        F.binary_cross_entropy(x, np.ones_like(x))
    with pytest.raises(IndexError, match="target\\[3\\] = 7"):
        F.nll_loss(x, np.array([0, 1, 2, 7]))
    with pytest.raises(IndexError, match="out of range"):
        F.cross_entropy(x, np.array([0, 1, -1, 0]), weight=np.ones(3))
    with pytest.raises(ValueError, match=r"weight has shape \(2,\), expected \(3,\)"):
        nn.CrossEntropyLoss(weight=np.ones(2))(x, t)
    with pytest.raises(ValueError, match="target shape"):
        F.nll_loss(x, np.array([0, 1]))
    with pytest.raises(ValueError, match="pos_weight"):
        F.binary_cross_entropy_with_logits(x, np.ones_like(x), pos_weight=np.ones(5))
    with pytest.raises(ValueError, match="label_smoothing"):
        nn.CrossEntropyLoss(label_smoothing=1.5)
