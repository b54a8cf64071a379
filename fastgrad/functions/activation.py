"""Activation Functions, each forward beside its local derivative; the arithmetic is C
(fastgrad._kernels).

ActivationFunction covers every activation in the kernels' table (_kernels.ACTIVATIONS: relu,
tanh, sigmoid, gelu, ...). SoftplusFunction adds thresholds other than the kernel's, and
SoftmaxFunction normalises over one dimension (softmax or log-softmax).
"""
import numpy as np

from .. import _engine, _kernels
from ..autograd import ArrayFunction as Function
from ._arrays import float_contiguous

ACT = _kernels.ACTIVATIONS
READS = {code: _kernels.ACTIVATION_READS[name] for name, code in ACT.items()}
KERNEL_SOFTPLUS_THRESHOLD = _kernels.SOFTPLUS_THRESHOLD


class ActivationFunction(Function):
    """y = act(x) for an activation of the kernels' table, by its code in _kernels.ACTIVATIONS;
    the derivative is computed in C from the input x or the output y, whichever the table says
    it reads (_kernels.ACTIVATION_READS), and only that one is saved."""

    @staticmethod
    def forward(ctx, x, act, param):
        x = float_contiguous(x)
        y = np.empty_like(x)
        _kernels.act_forward(act, param, x, y)
        reads = READS[act]
        ctx.save_for_backward(x if reads == "x" else None, y if "y" in reads else None)
        ctx.act, ctx.param, ctx.dtype = act, param, x.dtype
        return y

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        dy = np.asarray(g, ctx.dtype, order="C")  # a 0-d gradient stays 0-d
        dx = np.empty_like(dy)
        _kernels.act_backward(ctx.act, ctx.param, x, y, dy, dx)
        return dx


def activation_node(ctx, x, act, param, y):
    """Makes ctx the node ActivationFunction.forward would have recorded for y = act(x) (x a
    Tensor, y its array): how a fused dense node gives an activation back (dense.split)."""
    reads = READS[act]
    ctx.parents, ctx.needs_input_grad = (x, None, None), (True, False, False)
    ctx.saved_tensors = (x._data if reads == "x" else None, y if "y" in reads else None)
    ctx.act, ctx.param, ctx.dtype = act, param, y.dtype


# act(x) for a Tensor x, by the activation's code, fused into x's dense-stack node where x is
# a stack's output, else an ActivationFunction node: compiled (_engine.activate), as every
# activation entry point (F.relu, Tensor.relu, nn.ReLU ...) of every step comes here.
activate = _engine.activate
_engine.register_activation(ActivationFunction)


# activate by the activation's name in the kernels' table, for a Tensor or anything Tensor()
# takes (F.relu(x) ...): compiled, as above.
elementwise = _engine.elementwise


class SoftplusFunction(Function):
    """y = log(1 + exp(beta x)) / beta, and y = x where beta x > threshold.

    The C kernel switches to the linear branch at beta x > 20. For another threshold the
    elements with beta x between the two thresholds are recomputed here, on the branch the
    requested threshold puts them on, so every threshold is exact, not just 20.
    """

    @staticmethod
    def forward(ctx, x, beta, threshold):
        x = float_contiguous(x)
        y = np.empty_like(x)
        _kernels.act_forward(ACT["softplus"], beta, x, y)
        band = None
        if threshold != KERNEL_SOFTPLUS_THRESHOLD:
            bx = x * x.dtype.type(beta)
            lo, hi = sorted((threshold, KERNEL_SOFTPLUS_THRESHOLD))
            band = (bx > lo) & (bx <= hi)
            if threshold < KERNEL_SOFTPLUS_THRESHOLD:  # linear in the band
                y[band] = x[band]
            else:  # smooth in the band; exp cannot overflow float64 below the threshold
                y[band] = (np.log1p(np.exp(bx[band].astype(np.float64))) / beta).astype(x.dtype)
        ctx.save_for_backward(x, band)
        ctx.beta, ctx.threshold = beta, threshold
        return y

    @staticmethod
    def backward(ctx, g):
        x, band = ctx.saved_tensors
        dy = np.asarray(g, x.dtype, order="C")
        dx = np.empty_like(x)
        _kernels.act_backward(ACT["softplus"], ctx.beta, x, None, dy, dx)
        if band is not None:
            if ctx.threshold < KERNEL_SOFTPLUS_THRESHOLD:
                dx[band] = dy[band]
            else:  # d/dx = sigmoid(beta x)
                bx = x[band].astype(np.float64) * ctx.beta
                dx[band] = (dy[band] / (1 + np.exp(-bx))).astype(x.dtype)
        return dx


class SoftmaxFunction(Function):
    """softmax (or log_softmax) along `dim`; backward reads only the saved output y:
    softmax dx = y (dy - sum dy y); log_softmax dx = dy - exp(y) sum dy."""

    @staticmethod
    def forward(ctx, x, dim, log):
        x = float_contiguous(x)
        y = np.empty_like(x)
        _kernels.softmax_forward(x, y, dim, log)
        ctx.save_for_backward(y)
        ctx.dim, ctx.log = dim, log
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        dx = np.empty_like(y)
        _kernels.softmax_backward(y, np.asarray(g, y.dtype, order="C"), dx, ctx.dim, ctx.log)
        return dx


def legacy_softmax_dim(ndim):
    """PyTorch's implicit choice when dim is None (deprecated there too)."""
    return 0 if ndim in (0, 1, 3) else 1


class HardtanhFunction(Function):
    """y = min(max(x, lo), hi); derivative 1 strictly between the bounds, else 0 (PyTorch's
    hardtanh_backward, which lets a NaN input's gradient through)."""

    @staticmethod
    def forward(ctx, x, lo, hi):
        # where, not np.clip: NaN stays NaN, as in PyTorch
        t = x.dtype.type
        y = np.where(x < t(lo), t(lo), np.where(x > t(hi), t(hi), x))
        ctx.save_for_backward(x)
        ctx.lo, ctx.hi = lo, hi
        return y

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        g = np.asarray(g, x.dtype)
        t = x.dtype.type
        return np.where((x <= t(ctx.lo)) | (x >= t(ctx.hi)), t(0), g)


class ThresholdFunction(Function):
    """y = x where x > threshold, else value; derivative 1 where x > threshold, else 0 (PyTorch
    tests x <= threshold, so a NaN input passes through with its gradient)."""

    @staticmethod
    def forward(ctx, x, threshold, value):
        t = x.dtype.type
        below = x <= t(threshold)
        ctx.save_for_backward(below)
        return np.where(below, t(value), x)

    @staticmethod
    def backward(ctx, g):
        (below,) = ctx.saved_tensors
        g = np.asarray(g)
        return np.where(below, g.dtype.type(0), g)


class PReLUFunction(Function):
    """y = x where x > 0, else w x, with w one learnable slope per channel (axis 1 of the
    input) or a single slope for all. Derivatives: dx = g where
    x > 0, else g w; dw = the sum of g x where x <= 0 over every axis but the channel's."""

    @staticmethod
    def forward(ctx, x, w):
        shape = prelu_weight_shape(x.ndim, w.size)
        wb = w.reshape(shape).astype(x.dtype, copy=False)
        positive = x > 0
        ctx.save_for_backward(x, wb, positive)
        ctx.w_shape, ctx.w_dtype = w.shape, w.dtype
        return np.where(positive, x, x * wb)

    @staticmethod
    def backward(ctx, g):
        x, wb, positive = ctx.saved_tensors
        g = np.asarray(g, x.dtype)
        need_x, need_w = ctx.needs_input_grad[:2]
        dx = np.where(positive, g, g * wb) if need_x else None
        dw = None
        if need_w:
            gx = np.where(positive, 0, g * x)
            if wb.size == 1:
                dw = np.asarray(gx.sum()).reshape(ctx.w_shape)
            else:
                axes = tuple(a for a in range(x.ndim) if a != 1)
                dw = gx.sum(axis=axes).reshape(ctx.w_shape)
            dw = dw.astype(ctx.w_dtype, copy=False)  # the weight's own dtype, as its .grad
        return dx, dw


def prelu_weight_shape(ndim, count):
    """How PReLU's weight of `count` slopes broadcasts against an input of `ndim` axes
    (count > 1 needs ndim >= 2: the channels are axis 1)."""
    if count == 1:
        return (1,) * ndim
    return (1, count) + (1,) * (ndim - 2)
