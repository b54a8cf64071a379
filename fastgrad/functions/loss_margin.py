"""Margin and embedding losses, each forward beside its local derivative: margin ranking, hinge
embedding, soft margin (elementwise), cosine embedding and triplet margin (per sample).

Where PyTorch clamps at 0 (max(z, 0)), the derivative passes where z >= 0, as PyTorch's
clamp_min does. Labels (y = 1 or -1) only select terms, so they get no gradient.
"""
import numpy as np

from ..autograd import ArrayFunction as Function
from .loss import ElementwiseLossFunction, _reduce, _scale, _sum_to


class MarginRankingFunction(Function):
    """max(0, -y (x1 - x2) + margin): derivative -y for x1 and y for x2 where active."""

    @staticmethod
    def forward(ctx, x1, x2, y, margin, reduction):
        diff = x1 - x2
        z = -y * diff + x1.dtype.type(margin)
        active = z >= 0
        ctx.save_for_backward(np.where(active, y, 0).astype(z.dtype),
                              np.where(active, diff, 0).astype(z.dtype))
        ctx.shapes, ctx.reduction, ctx.count = (x1.shape, x2.shape, y.shape), reduction, z.size
        return _reduce(np.maximum(z, 0), reduction, z.size)

    @staticmethod
    def backward(ctx, g):
        y_active, diff_active = ctx.saved_tensors
        s = _scale(g, ctx.reduction, ctx.count, y_active.dtype)
        d1 = -y_active * s
        shapes, need = ctx.shapes, ctx.needs_input_grad
        return (_sum_to(d1, shapes[0]),
                _sum_to(-d1, shapes[1]) if need[1] else None,
                _sum_to(-diff_active * s, shapes[2]) if need[2] else None)


class HingeEmbeddingFunction(ElementwiseLossFunction):
    """x where y = 1, max(0, margin - x) where y = -1 (both terms for any other y, as
    PyTorch). Derivative: 1 where y != -1, minus 1 where y != 1 and margin - x >= 0."""

    @staticmethod
    def terms(x, y, need_dt, margin):
        margin = x.dtype.type(margin)
        hinge = margin - x
        not_pos, not_neg = y != 1, y != -1
        loss = np.where(not_pos, np.maximum(hinge, 0), 0) + np.where(not_neg, x, 0)
        dx = not_neg.astype(x.dtype) - (not_pos & (hinge >= 0)).astype(x.dtype)
        return loss.astype(x.dtype, copy=False), dx, None


def _sigmoid(z):
    """1 / (1 + e^-z) without overflow for any z."""
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1, e) / (1 + e)


class SoftMarginFunction(ElementwiseLossFunction):
    """ln(1 + e^(-y x)), as softplus(-y x) without overflow. Derivative: -y σ(-y x); for y:
    -x σ(-y x)."""

    @staticmethod
    def terms(x, y, need_dt):
        z = -y * x
        loss = np.maximum(z, 0) + np.log1p(np.exp(-np.abs(z)))
        sig = _sigmoid(z).astype(x.dtype, copy=False)
        return loss, -y * sig, (-x * sig if need_dt else None)


COSINE_EPS = 1e-12  # PyTorch's EPSILON, added to each squared norm


class CosineEmbeddingFunction(Function):
    """1 - cos(x1, x2) where y = 1, max(0, cos - margin) where y = -1, per row, with
    cos = Σ x1 x2 / √((Σ x1² + ε)(Σ x2² + ε)). Derivative of cos: x2/den - cos x1/m1 for
    x1 (m1 = Σ x1² + ε, den the root), symmetrically for x2."""

    @staticmethod
    def forward(ctx, x1, x2, y, margin, reduction):
        prod = (x1 * x2).sum(axis=-1)
        m1 = (x1 * x1).sum(axis=-1) + COSINE_EPS
        m2 = (x2 * x2).sum(axis=-1) + COSINE_EPS
        den = np.sqrt(m1 * m2)
        cos = prod / den
        over = cos - x1.dtype.type(margin)
        pos, neg = y == 1, y == -1
        loss = np.where(pos, 1 - cos, 0) + np.where(neg, np.maximum(over, 0), 0)
        # d loss / d cos: -1 for similar pairs, 1 for dissimilar ones past the margin
        dcos = np.where(pos, -1.0, 0.0) + np.where(neg & (over >= 0), 1.0, 0.0)
        ctx.save_for_backward(x1, x2, m1, m2, den, cos, dcos.astype(x1.dtype))
        ctx.reduction, ctx.count = reduction, loss.size
        return _reduce(np.asarray(loss, dtype=x1.dtype), reduction, loss.size)

    @staticmethod
    def backward(ctx, g):
        x1, x2, m1, m2, den, cos, dcos = ctx.saved_tensors
        c = (dcos * _scale(g, ctx.reduction, ctx.count, x1.dtype))[..., None]
        den, cos, m1, m2 = den[..., None], cos[..., None], m1[..., None], m2[..., None]
        return (c * (x2 / den - cos * x1 / m1),
                c * (x1 / den - cos * x2 / m2) if ctx.needs_input_grad[1] else None,
                None)


def _pnorm(w, p):
    """||w||_p over the last axis (PyTorch's special cases for p = 1 and 2)."""
    if p == 2:
        return np.sqrt((w * w).sum(axis=-1))
    if p == 1:
        return np.abs(w).sum(axis=-1)
    return (np.abs(w) ** p).sum(axis=-1) ** (1 / p)


def _pnorm_grad(w, norm, p):
    """d ||w||_p / d w = sign(w) |w|^(p-1) / ||w||^(p-1), 0 where the norm is 0 (PyTorch)."""
    n = norm[..., None]
    with np.errstate(divide="ignore", invalid="ignore"):
        if p == 1:
            out = np.sign(w) * np.ones_like(n)
        elif p == 2:
            out = w / n
        else:
            out = w * np.abs(w) ** (p - 2) / n ** (p - 1)
    return np.where(n == 0, 0, out).astype(w.dtype, copy=False)


class TripletMarginFunction(Function):
    """max(0, margin + d(a, p) - d(a, n)) per sample, d(u, v) = ||u - v + eps||_p; with swap,
    d(a, n) is replaced by min(d(a, n), d(p, n)) (ties share the gradient, as PyTorch's min).
    Derivative of d(u, v): ∇||w||_p for u and its negative for v, w = u - v + eps."""

    @staticmethod
    def forward(ctx, a, pos, neg, margin, p, eps, swap, reduction):
        eps = a.dtype.type(eps)
        w_ap, w_an = a - pos + eps, a - neg + eps
        d_ap, d_an = _pnorm(w_ap, p), _pnorm(w_an, p)
        # share of the negative distance's gradient that goes to d(a, n) and to d(p, n)
        to_an, to_pn, w_pn, d_pn = np.ones_like(d_an), None, None, None
        d_neg = d_an
        if swap:
            w_pn = pos - neg + eps
            d_pn = _pnorm(w_pn, p)
            d_neg = np.minimum(d_an, d_pn)
            tie = d_an == d_pn
            to_an = np.where(tie, 0.5, np.where(d_an < d_pn, 1.0, 0.0)).astype(a.dtype)
            to_pn = np.where(tie, 0.5, np.where(d_pn < d_an, 1.0, 0.0)).astype(a.dtype)
        z = margin + d_ap - d_neg
        ctx.saved = (w_ap, d_ap, w_an, d_an, w_pn, d_pn, to_an, to_pn, (z >= 0).astype(a.dtype))
        ctx.p, ctx.reduction, ctx.count = p, reduction, z.size
        return _reduce(np.asarray(np.maximum(z, 0), dtype=a.dtype), reduction, z.size)

    @staticmethod
    def backward(ctx, g):
        w_ap, d_ap, w_an, d_an, w_pn, d_pn, to_an, to_pn, active = ctx.saved
        p = ctx.p
        c = active * _scale(g, ctx.reduction, ctx.count, w_ap.dtype)
        g_ap = c[..., None] * _pnorm_grad(w_ap, d_ap, p)
        g_an = (c * to_an)[..., None] * _pnorm_grad(w_an, d_an, p)
        da, dpos, dneg = g_ap - g_an, -g_ap, g_an
        if w_pn is not None:
            g_pn = (c * to_pn)[..., None] * _pnorm_grad(w_pn, d_pn, p)
            dpos = dpos - g_pn
            dneg = dneg + g_pn
        return da, dpos, dneg


class MultiMarginFunction(Function):
    """Multi-class hinge, per sample: Σ_{i≠y} w[y] max(0, margin - x[y] + x[i])^p / C, p 1 or
    2. Derivative: w[y] p z^(p-1) / C for each x[i] with z > 0, minus their sum for x[y]."""

    @staticmethod
    def forward(ctx, x, y, p, margin, weight, reduction):
        x2 = x.reshape(-1, x.shape[-1])
        rows = np.arange(x2.shape[0])
        y2 = y.reshape(-1)
        z = margin - x2[rows, y2][:, None] + x2
        active = z > 0
        active[rows, y2] = False
        w = (weight[y2] if weight is not None else np.ones(len(y2), x.dtype))[:, None]
        h = np.where(active, z if p == 1 else z * z, 0) * w
        loss = (h.sum(axis=1) / x2.shape[1]).astype(x.dtype).reshape(x.shape[:-1])
        slope = np.where(active, 1.0 if p == 1 else 2 * z, 0) * w / x2.shape[1]
        slope[rows, y2] = -slope.sum(axis=1)
        ctx.slope, ctx.shape = slope.astype(x.dtype), x.shape
        ctx.reduction, ctx.count = reduction, loss.size
        return _reduce(loss, reduction, loss.size)

    @staticmethod
    def backward(ctx, g):
        s = _scale(g, ctx.reduction, ctx.count, ctx.slope.dtype)
        s = np.reshape(s, (-1, 1)) if ctx.reduction == "none" else s
        return (ctx.slope * s).reshape(ctx.shape), None


class MultiLabelMarginFunction(Function):
    """Multi-label hinge, per sample: Σ_j Σ_i max(0, 1 - (x[j] - x[i])) / C over the target
    classes j (listed in y up to the first -1) and the other classes i. Derivative: +1/C for
    x[i] and -1/C for x[j] per active pair."""

    @staticmethod
    def forward(ctx, x, y, reduction):
        x2 = x.reshape(-1, x.shape[-1])
        y2 = y.reshape(x2.shape)
        n, c = x2.shape
        listed = np.cumprod(y2 != -1, axis=1).astype(bool)  # the targets before the first -1
        targets = np.where(listed, y2, 0)
        rows = np.repeat(np.arange(n)[:, None], c, axis=1)
        is_target = np.zeros((n, c), bool)
        is_target[rows[listed], targets[listed]] = True
        x_target = np.take_along_axis(x2, targets, axis=1)
        z = 1 - x_target[:, :, None] + x2[:, None, :]  # (sample, target slot, class)
        active = listed[:, :, None] & ~is_target[:, None, :] & (z > 0)
        loss = (np.where(active, z, 0).sum(axis=(1, 2)) / c).astype(x.dtype)
        slope = active.sum(axis=1).astype(x.dtype)
        np.add.at(slope, (rows[listed], targets[listed]), -active.sum(axis=2)[listed])
        ctx.slope, ctx.shape = slope / x.dtype.type(c), x.shape
        ctx.reduction, ctx.count = reduction, n
        return _reduce(loss.reshape(x.shape[:-1]), reduction, n)

    @staticmethod
    def backward(ctx, g):
        s = _scale(g, ctx.reduction, ctx.count, ctx.slope.dtype)
        s = np.reshape(s, (-1, 1)) if ctx.reduction == "none" else s
        return (ctx.slope * s).reshape(ctx.shape), None
