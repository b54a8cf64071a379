"""PadFunction: a tensor widened (or cropped) at the ends of some dimensions, forward beside
derivative."""
import numpy as np

from ..autograd import ArrayFunction as Function

NUMPY_MODES = {"reflect": "reflect", "replicate": "edge", "circular": "wrap"}


def _positions(n, before, after, mode):
    """For one dimension of size n: the input position each output position copies."""
    return np.pad(np.arange(n), (before, after), mode=NUMPY_MODES[mode])


class PadFunction(Function):
    """widths: one (before, after) pair per dimension of x, first dimension first.

    mode "constant": y is x with `value` added around it (a negative width crops); the
    derivative is g cropped back to x's place. The other modes copy positions of x into the
    border (reflect: mirrored without the edge, replicate: the edge, circular: wrapped); the
    derivative adds each output position's gradient to the input position it copied."""

    @staticmethod
    def forward(ctx, x, widths, mode, value):
        ctx.widths, ctx.mode, ctx.shape = widths, mode, x.shape
        if mode == "constant":
            grow = [(max(b, 0), max(a, 0)) for b, a in widths]
            y = np.pad(x, grow, mode="constant", constant_values=x.dtype.type(value))
            crop = tuple(slice(-min(b, 0), y.shape[d] + min(a, 0))
                         for d, (b, a) in enumerate(widths))
            return np.ascontiguousarray(y[crop])
        y = x
        for d, (b, a) in enumerate(widths):
            if b or a:
                y = np.take(y, _positions(x.shape[d], b, a, mode), axis=d)
        return y

    @staticmethod
    def backward(ctx, g):
        g = np.asarray(g)
        if ctx.mode == "constant":
            dx = np.zeros(ctx.shape, dtype=g.dtype)
            # the part of x still in y, and where it sits in y
            src = tuple(slice(max(-b, 0), n - max(-a, 0))
                        for (b, a), n in zip(ctx.widths, ctx.shape))
            dst = tuple(slice(max(b, 0), max(b, 0) + (n - max(-b, 0) - max(-a, 0)))
                        for (b, a), n in zip(ctx.widths, ctx.shape))
            dx[src] = g[dst]
            return dx
        for d in reversed(range(len(ctx.shape))):
            b, a = ctx.widths[d]
            if b or a:
                positions = _positions(ctx.shape[d], b, a, ctx.mode)
                summed = np.zeros(g.shape[:d] + (ctx.shape[d],) + g.shape[d + 1:], g.dtype)
                np.add.at(np.moveaxis(summed, d, 0), positions, np.moveaxis(g, d, 0))
                g = summed
        return g
