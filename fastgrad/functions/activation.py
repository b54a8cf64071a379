"""Activation Functions, each forward beside its local derivative; the arithmetic is C
(fastgrad._kernels).

ActivationFunction covers every activation in the kernels' table (_kernels.ACTIVATIONS: relu,
tanh, sigmoid, gelu, ...). SoftplusFunction adds thresholds other than the kernel's, and
SoftmaxFunction normalises over one dimension (softmax or log-softmax).
"""
import numpy as np

from .. import _kernels
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


def elementwise(x, name, param=0.0):
    """ActivationFunction by the activation's name in the kernels' table."""
    return ActivationFunction.apply(x, ACT[name], float(param))


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
