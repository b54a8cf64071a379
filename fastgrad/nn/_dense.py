"""The dense layer y = act(x W^T + b) as one Function: a Linear layer and the activation after
it, one C call each way (fastgrad._kernels.dense_forward / dense_backward)."""
import numpy as np

from .. import _kernels
from ..autograd import Function

ACT = _kernels.ACTIVATIONS
# Activations whose derivative is computed from the pre-activation z; the others (relu, tanh,
# sigmoid) take it from the output y, so the dense layer need not keep z for them.
_NEEDS_Z = {ACT[name] for name in ("leaky_relu", "gelu", "gelu_tanh", "elu", "silu", "softplus")}


def real_input(x):
    """The layer input as an array of real numbers: complex input would silently lose its
    imaginary part and object arrays turn into NaN, so both are refused."""
    x = np.asarray(x)
    if x.dtype.kind not in "biuf":
        raise TypeError(f"linear: input must hold real numbers, got dtype {x.dtype}")
    return x


class Dense(Function):
    """y = act(x W^T + b).

    forward keeps z = x W^T + b only if the activation's derivative needs it. backward applies
    the chain rule through both: dz = dy * act'(z), then dx = dz W, dW = dz^T x, db = sum(dz).
    """

    @staticmethod
    def forward(ctx, x, W, b, act, param):
        x = real_input(x)
        if W.ndim != 2:
            raise ValueError(f"linear: weight must be 2-d (out_features, in_features), got shape {W.shape}")
        if x.ndim == 0 or x.shape[-1] != W.shape[1]:
            raise ValueError(f"linear: input shape {x.shape} does not match weight shape {W.shape} "
                             f"(the input's last dimension must be {W.shape[1]})")
        if b is not None and b.shape != (W.shape[0],):
            raise ValueError(f"linear: bias shape {b.shape} does not match weight shape {W.shape}")
        lead = x.shape[:-1]
        x2 = np.ascontiguousarray(x.reshape(-1, W.shape[1]), dtype=W.dtype)
        m, n = x2.shape[0], W.shape[0]
        z = np.empty((m, n), dtype=W.dtype) if act in _NEEDS_Z else None
        y = np.empty((m, n), dtype=W.dtype)
        _kernels.dense_forward(x2, W, b, act, param, z, y)
        ctx.save_for_backward(x2, W, z, y)
        ctx.act, ctx.param, ctx.x_shape, ctx.has_bias = act, param, x.shape, b is not None
        return y.reshape(lead + (n,))

    @staticmethod
    def backward(ctx, g):
        x2, W, z, y = ctx.saved_tensors
        need_x, need_W, need_b = ctx.needs_input_grad[:3]
        dy = np.array(g.reshape(y.shape), dtype=W.dtype, copy=True)  # the kernel turns it into dz
        dx = np.empty_like(x2) if need_x else None
        dW = np.empty_like(W) if need_W else None
        db = np.empty(W.shape[0], dtype=W.dtype) if (need_b and ctx.has_bias) else None
        _kernels.dense_backward(x2, W, z, y, ctx.act, ctx.param, dy, dx, dW, db, 0)
        return (dx.reshape(ctx.x_shape) if dx is not None else None), dW, db
