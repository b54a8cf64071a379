"""Normalisation Functions (layer norm, batch norm), each forward beside its derivative.

NumPy, not C: each is a mean and a variance over some axes followed by an elementwise affine
map, which NumPy runs as vectorised reductions and broadcasts; a hand-written kernel would
have to re-derive those strided reductions for every axis layout and gain little over them.
Arithmetic stays in the input's dtype, as PyTorch's does.
"""
import numpy as np

from ..autograd import ArrayFunction as Function


def _normalized_backward(dxhat, xhat, rstd, axes):
    """d/dx of xhat = (x - mean) * rstd with mean and var taken over `axes`:
    rstd * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat))."""
    m1 = dxhat.mean(axis=axes, keepdims=True)
    m2 = (dxhat * xhat).mean(axis=axes, keepdims=True)
    return rstd * (dxhat - m1 - xhat * m2)


def _normalize(ctx, xc, var, eps, w, b, shape=None):
    """y = xhat * w + b, xhat = xc / sqrt(var + eps) (w, b None: left out; reshaped to `shape`
    to broadcast when given). Saves xhat, rstd and w, what both backwards read."""
    rstd = 1 / np.sqrt(var + xc.dtype.type(eps))
    xhat = xc * rstd
    y = (xhat * (w if shape is None else w.reshape(shape))) if w is not None else xhat.copy()
    if b is not None:
        y += b if shape is None else b.reshape(shape)
    ctx.save_for_backward(xhat, rstd, w)
    return y


class LayerNormFunction(Function):
    """y = (x - mean) / sqrt(var + eps) * w + b, statistics over the trailing dims of
    normalized_shape (biased variance)."""

    @staticmethod
    def forward(ctx, x, w, b, normalized_shape, eps):
        k = len(normalized_shape)
        axes = tuple(range(x.ndim - k, x.ndim))
        mean = x.mean(axis=axes, keepdims=True)
        xc = x - mean
        var = (xc * xc).mean(axis=axes, keepdims=True)
        y = _normalize(ctx, xc, var, eps, w, b)
        ctx.axes, ctx.lead = axes, tuple(range(x.ndim - k))
        return y

    @staticmethod
    def backward(ctx, g):
        xhat, rstd, w = ctx.saved_tensors
        g = g.astype(xhat.dtype, copy=False)
        need_x, need_w, need_b = ctx.needs_input_grad[:3]
        dx = _normalized_backward(g * w if w is not None else g, xhat, rstd, ctx.axes) if need_x else None
        dw = (g * xhat).sum(axis=ctx.lead) if need_w else None
        db = g.sum(axis=ctx.lead) if need_b else None
        return dx, dw, db


class BatchNormFunction(Function):
    """y = (x - mean) / sqrt(var + eps) * w + b per channel (axis 1), statistics over every
    other axis. training: batch statistics (biased variance), and running_mean / running_var
    (if given) move toward them in place, the variance unbiased, as PyTorch's kernel does;
    the derivative then runs through mean and var. Otherwise the running statistics are used
    and the derivative is the plain affine slope w * rstd."""

    @staticmethod
    def forward(ctx, x, w, b, running_mean, running_var, momentum, eps, training):
        axes = (0,) + tuple(range(2, x.ndim))
        shape = (1, x.shape[1]) + (1,) * (x.ndim - 2)
        if training:
            mean = x.mean(axis=axes, keepdims=True)
            xc = x - mean
            var = (xc * xc).mean(axis=axes, keepdims=True)
            if running_mean is not None:
                n = x.size // x.shape[1]
                unbiased = var.reshape(-1) * (n / (n - 1))
                running_mean *= 1 - momentum
                running_mean += momentum * mean.reshape(-1)
                running_var *= 1 - momentum
                running_var += momentum * unbiased
        else:
            mean = running_mean.reshape(shape).astype(x.dtype)
            var = running_var.reshape(shape).astype(x.dtype)
            xc = x - mean
        y = _normalize(ctx, xc, var, eps, w, b, shape)
        ctx.axes, ctx.shape, ctx.batch = axes, shape, training
        return y

    @staticmethod
    def backward(ctx, g):
        xhat, rstd, w = ctx.saved_tensors
        g = g.astype(xhat.dtype, copy=False)
        need_x, need_w, need_b = ctx.needs_input_grad[:3]
        dx = None
        if need_x:
            dxhat = g * w.reshape(ctx.shape) if w is not None else g
            dx = _normalized_backward(dxhat, xhat, rstd, ctx.axes) if ctx.batch else dxhat * rstd
        dw = (g * xhat).sum(axis=ctx.axes) if need_w else None
        db = g.sum(axis=ctx.axes) if need_b else None
        return dx, dw, db
