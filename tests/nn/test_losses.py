"""Losses with reduction 'mean' | 'sum' | 'none': values and gradients (input and, where
PyTorch gives one, target) against PyTorch in float32 and float64, NumPy float64 references,
gradcheck in float64, edge cases and bad arguments."""
import numpy as np
import pytest

import fastgrad as fg
import fastgrad.nn as nn
import fastgrad.nn.functional as F
from conftest import LAYOUTS, memory_layouts, torch_or_skip

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
    return out.numpy(), xf.grad, tf.grad, g


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
    ours = F.binary_cross_entropy(p, y, reduction="none").numpy()
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


@pytest.mark.parametrize("dtype", DTYPES)
def test_mean_gradient_scale_rounds_as_numpy_divides(dtype, rng):
    """backward's g / count, done in Python floats for speed, gives NumPy's 0-d division bit
    for bit: integer counts (elements, rows) and float ones (NLL's summed weights)."""
    from fastgrad.functions.loss import _scale
    gs = np.concatenate([rng.standard_normal(300) * 10.0 ** rng.integers(-30, 30, 300), [1, -1]])
    # Python ints and floats, as the losses pass them (NumPy casts those to g's dtype first)
    counts = [1, 3, 7, 32, 1000, 2 ** 24 + 1] + rng.uniform(0.1, 1e4, 300).tolist()
    for g, count in zip(np.resize(gs.astype(dtype), len(counts)), counts):
        g = np.asarray(g)
        # count cast to g's dtype first, as NumPy 2 (NEP 50) does for a Python number; spelled
        # out so that NumPy 1.x, which would promote g to float64, gives the same reference
        want = (g / g.dtype.type(count)).astype(dtype)
        got = _scale(g, "mean", count, np.dtype(dtype))
        assert got.dtype == dtype and (got == want or (np.isnan(got) and np.isnan(want)))
        assert _scale(g, "sum", count, np.dtype(dtype)) == g


# ---- fast paths: a training step's arguments skip the general checks, results unchanged -----------

def _value_and_grads(fn, x, t, g, target_grad=False):
    xf = fg.Tensor(x, requires_grad=True)
    tf = fg.Tensor(t, requires_grad=True) if target_grad else t
    out = fn(xf, tf)
    out.backward(np.asarray(g, out.dtype) if np.ndim(g) else np.asarray(g, x.dtype))
    return out.numpy(), xf.grad, (tf.grad if target_grad else None)


@pytest.mark.parametrize("reduction", ["mean", "sum"])
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(32, 1), (7,), (300, 3), (0, 2)])
@pytest.mark.parametrize("target_grad", [False, True])
def test_fused_mse_reduction_equals_reducing_the_unreduced_loss(reduction, dtype, shape,
                                                                 target_grad, rng):
    """'mean' / 'sum' (one C pass, the loss summed in the kernel) against 'none' (the squares
    written out) reduced by hand: bit for bit, value and gradients."""
    x, t = rng.standard_normal(shape).astype(dtype), rng.standard_normal(shape).astype(dtype)
    g = dtype(rng.standard_normal())
    n = x.size
    val, gx, gt = _value_and_grads(lambda a, b: F.mse_loss(a, b, reduction=reduction), x, t, g,
                                   target_grad)
    sq, _, _ = _value_and_grads(lambda a, b: F.mse_loss(a, b, reduction="none"), x, t,
                                np.ones(shape, dtype), target_grad)
    total = fg._kernels.sum_all(sq)
    want = total if reduction == "sum" else (total / n if n else np.nan)
    np.testing.assert_array_equal(val, np.asarray(want, dtype))
    per_element = g if reduction == "sum" else (dtype(float(g) / n) if n else dtype(0))
    _, gx_none, gt_none = _value_and_grads(lambda a, b: F.mse_loss(a, b, reduction="none"), x,
                                           t, np.full(shape, per_element, dtype), target_grad)
    np.testing.assert_array_equal(gx, gx_none)
    if target_grad:
        np.testing.assert_array_equal(gt, gt_none)
        np.testing.assert_array_equal(gt, -gx)
    d = x.astype(np.float64) - t
    if reduction == "sum":
        ref, ref_grad = (d * d).sum(), 2 * d * g
    else:  # an empty 'mean' is NaN with no gradient entries, as in PyTorch
        ref, ref_grad = ((d * d).sum() / n, 2 * d * g / n) if n else (np.nan, d)
    np.testing.assert_allclose(val, ref, **TOL[dtype])
    np.testing.assert_allclose(gx, ref_grad, **TOL[dtype])


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_mse_fast_path_equals_converting_targets(reduction, rng):
    """A same-dtype ndarray target skips _like; lists, other dtypes and constant Tensors
    take the general path to the same numbers."""
    x = rng.standard_normal((6, 2)).astype(np.float32)
    t = rng.standard_normal((6, 2)).astype(np.float32)
    g = rng.standard_normal(() if reduction != "none" else (6, 2)).astype(np.float32)
    fast = _value_and_grads(lambda a, b: F.mse_loss(a, b, reduction=reduction), x, t, g)
    for other in (t.tolist(), t.astype(np.float64), fg.Tensor(t), np.asfortranarray(t)):
        slow = _value_and_grads(lambda a, b: nn.MSELoss(reduction=reduction)(a, b), x, other, g)
        np.testing.assert_array_equal(fast[0], slow[0])
        np.testing.assert_array_equal(fast[1], slow[1])
    with pytest.raises(ValueError, match=r"\(6, 2\).*\(2, 6\)"):
        F.mse_loss(fg.Tensor(x), np.ascontiguousarray(t.T), reduction=reduction)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", [dict(), dict(ignore=True), dict(label_smoothing=0.1),
                                  dict(ignore=True, label_smoothing=0.3)],
                         ids=lambda c: "-".join(c) or "plain")
def test_cross_entropy_fast_path_equals_the_general_path(reduction, dtype, case, rng):
    """int64 ndarray targets of a 2-d float Tensor go straight to the fused Function; any
    other form of the same targets is checked and converted first, then gives the same bits."""
    x, t = _class_case(rng, 11, 4, dtype, case.get("ignore", False))
    eps = case.get("label_smoothing", 0.0)
    g = rng.standard_normal(() if reduction != "none" else (11,)).astype(dtype)
    fn = lambda a, b, **kw: F.cross_entropy(a, b, reduction=reduction, **kw)  # noqa: E731
    fast = _value_and_grads(lambda a, b: fn(a, b, label_smoothing=eps), x, t, g)
    general = [
        lambda a, b: fn(a, b.tolist(), label_smoothing=eps),
        lambda a, b: fn(a, b.astype(np.int32), label_smoothing=eps),
        lambda a, b: fn(a, fg.Tensor(b), label_smoothing=eps),
        lambda a, b: fn(a, np.repeat(b, 2)[::2], label_smoothing=eps),  # not contiguous
        lambda a, b: fn(a, b, label_smoothing=eps, ignore_index=np.int64(-100)),
        lambda a, b: fn(a, b, label_smoothing=np.float64(eps)),
    ]
    for other in general:
        slow = _value_and_grads(other, x, t, g)
        np.testing.assert_array_equal(fast[0], slow[0])
        np.testing.assert_array_equal(fast[1], slow[1])
    # and against NumPy in float64: PyTorch's formula, 'mean' over the rows not ignored
    x64 = x.astype(np.float64)
    logp = x64 - x64.max(1, keepdims=True)
    logp -= np.log(np.exp(logp).sum(1, keepdims=True))
    keep = t != -100
    q = np.full(x.shape, eps / 4)
    q[np.arange(11), np.where(keep, t, 0)] += 1 - eps
    rows = np.where(keep, -(q * logp).sum(1), 0.0)
    dx = np.where(keep[:, None], np.exp(logp) - q, 0.0)
    if reduction == "none":
        ref, ref_grad = rows, dx * g[:, None]
    else:
        count = keep.sum() if reduction == "mean" else 1
        ref, ref_grad = rows.sum() / count, dx * g / count
    np.testing.assert_allclose(fast[0], ref, **TOL[dtype])
    np.testing.assert_allclose(fast[1], ref_grad, **TOL[dtype])


def test_cross_entropy_fast_path_rejects_bad_targets_clearly(rng):
    x = fg.Tensor(rng.standard_normal((4, 3)).astype(np.float32), requires_grad=True)
    with pytest.raises(IndexError, match=r"target\[3\] = 7 is out of range for 3 classes"):
        F.cross_entropy(x, np.array([0, 1, 2, 7]))
    with pytest.raises(IndexError, match=r"target\[0\] = -1"):
        nn.CrossEntropyLoss()(x, np.array([-1, 1, 2, 0]))
    with pytest.raises(ValueError, match="target shape"):
        F.cross_entropy(x, np.array([0, 1]))
    with pytest.raises(ValueError, match="label_smoothing"):
        F.cross_entropy(x, np.array([0, 1, 2, 0]), label_smoothing=1.5)
    with pytest.raises(ValueError, match="reduction"):
        F.cross_entropy(x, np.array([0, 1, 2, 0]), reduction="avg")
    loss = nn.CrossEntropyLoss()
    loss.label_smoothing = float("nan")  # set after construction, so only the call can see it
    with pytest.raises(ValueError, match="label_smoothing"):
        loss(x, np.array([0, 1, 2, 0]))
    assert x.grad is None


def test_cross_entropy_fast_path_all_ignored_and_empty_batches_like_torch():
    torch = torch_or_skip()
    for x, t in ((np.zeros((2, 3), np.float32), np.array([-100, -100])),
                 (np.zeros((0, 3), np.float32), np.zeros(0, np.int64))):
        for reduction in REDUCTIONS:
            xf = fg.Tensor(x, requires_grad=True)
            out = F.cross_entropy(xf, t, reduction=reduction)
            out.backward(np.ones(out.shape, np.float32))
            xt = torch.tensor(x, requires_grad=True)
            ref = torch.nn.functional.cross_entropy(xt, torch.tensor(t), reduction=reduction)
            ref.backward(torch.ones(ref.shape))
            np.testing.assert_array_equal(out.data, ref.detach().numpy())
            np.testing.assert_array_equal(xf.grad, xt.grad.numpy())


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


# ---- cross-entropy and MSE against NumPy and PyTorch -----------------------------------------

def log_softmax64(x):
    x = x.astype(np.float64)
    m = x.max(axis=1, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(axis=1, keepdims=True))


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("smoothing", [0.0, 0.1])
def test_cross_entropy_against_numpy(reduction, smoothing, rng):
    x = rng.standard_normal((9, 4)) * 3
    y = rng.integers(0, 4, 9)
    y[2] = -100  # ignored
    logits = fg.tensor(x, requires_grad=True, dtype=np.float64)
    loss = F.cross_entropy(logits, y, reduction=reduction, label_smoothing=smoothing)
    q = np.full((9, 4), smoothing / 4)
    keep = y != -100
    q[np.arange(9)[keep], y[keep]] += 1 - smoothing
    rows = -(q * log_softmax64(x)).sum(axis=1) * keep
    ref = {"mean": rows.sum() / keep.sum(), "sum": rows.sum(), "none": rows}[reduction]
    assert np.allclose(loss.data, ref, rtol=1e-12)
    assert fg.gradcheck(lambda t: F.cross_entropy(t, y, reduction=reduction,
                                                  label_smoothing=smoothing), (logits,))


def test_cross_entropy_is_stable_for_huge_logits():
    x = fg.tensor([[1000.0, -1000.0, 0.0]], requires_grad=True)
    loss = F.cross_entropy(x, np.array([1]))
    loss.backward()
    assert np.isfinite(loss.item()) and loss.item() == pytest.approx(2000.0)
    assert np.all(np.isfinite(x.grad))


def test_cross_entropy_bad_targets():
    x = fg.tensor(np.zeros((3, 4), np.float32))
    with pytest.raises(IndexError, match="4"):
        F.cross_entropy(x, np.array([0, 4, 1]))
    with pytest.raises(ValueError, match="3"):
        F.cross_entropy(x, np.array([0, 1]))
    with pytest.raises(TypeError, match="integer"):
        F.cross_entropy(x, np.array([0.5, 1.0, 2.0]))


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_mse_against_numpy(reduction, rng):
    p, t = rng.standard_normal((5, 3)), rng.standard_normal((5, 3))
    pred = fg.tensor(p, requires_grad=True, dtype=np.float64)
    loss = nn.MSELoss(reduction=reduction)(pred, t)
    d2 = (p - t) ** 2
    assert np.allclose(loss.data, {"mean": d2.mean(), "sum": d2.sum(), "none": d2}[reduction])
    assert fg.gradcheck(lambda a: F.mse_loss(a, t, reduction=reduction), (pred,))


@pytest.mark.parametrize("input_shape,target_shape,match", [
    ((4, 1), (4,), r"\(4, 1\).*\(4,\)"),         # would broadcast to (4, 4)
    ((3, 4), (4, 3), r"\(3, 4\).*\(4, 3\)"),     # same size, other shape
])
def test_mse_refuses_a_target_of_another_shape(input_shape, target_shape, match):
    with pytest.raises(ValueError, match=match):
        F.mse_loss(fg.tensor(np.zeros(input_shape)), np.zeros(target_shape))


def test_bad_reduction():
    with pytest.raises(ValueError, match="reduction"):
        nn.MSELoss(reduction="avg")


@pytest.mark.parametrize("smoothing", [0.0, 0.2])
def test_cross_entropy_matches_pytorch(smoothing, rng):
    torch = torch_or_skip()
    x = rng.standard_normal((16, 10)).astype(np.float32) * 5
    y = rng.integers(0, 10, 16)
    ours = fg.tensor(x, requires_grad=True)
    theirs = torch.tensor(x, requires_grad=True)
    loss = F.cross_entropy(ours, y, label_smoothing=smoothing)
    tloss = torch.nn.functional.cross_entropy(theirs, torch.from_numpy(y),
                                              label_smoothing=smoothing)
    loss.backward()
    tloss.backward()
    assert loss.item() == pytest.approx(tloss.item(), rel=1e-5)
    assert np.allclose(ours.grad, theirs.grad.numpy(), atol=1e-7)


# ---- bad targets, any layout, empty batches --------------------------------------------------

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


@pytest.mark.parametrize("layout", LAYOUTS)
def test_mse_takes_any_layout_for_prediction_and_target(layout):
    rng = np.random.default_rng(4)
    pred64, target64 = rng.normal(size=(6, 3)), rng.normal(size=(6, 3)) * 3
    pred = fg.tensor(memory_layouts(pred64)[layout], dtype=np.float64, requires_grad=True)
    target = memory_layouts(target64)[layout]
    loss = F.mse_loss(pred, target)
    loss.backward()
    p, t = pred.numpy(), np.asarray(target, np.float64)
    np.testing.assert_allclose(loss.item(), ((p - t) ** 2).mean(), rtol=1e-12)
    np.testing.assert_allclose(pred.grad, 2 * (p - t) / p.size, rtol=1e-12)


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
