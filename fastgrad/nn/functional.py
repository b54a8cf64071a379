"""The neural-network ops: dense layer, activations and losses, each forward beside its
derivative, with the arithmetic in C (fastgrad._kernels).

Function forms follow torch.nn.functional: `F.linear`, `F.relu`, `F.cross_entropy`, ...
"""
import numpy as np

from .. import _kernels
from ..autograd import Function
from ..ops import Activation
from ..tensor import Tensor

ACT = _kernels.ACTIVATIONS
# Activations whose derivative is computed from the pre-activation z; the others (relu, tanh,
# sigmoid) take it from the output y, so the dense layer need not keep z for them.
_NEEDS_Z = {ACT[name] for name in ("leaky_relu", "gelu", "gelu_tanh", "elu", "silu", "softplus")}


def _data(x):
    return x.data if isinstance(x, Tensor) else np.asarray(x)


# ---- the dense layer ----------------------------------------------------------------------------

class Dense(Function):
    """y = act(x W^T + b): a Linear layer and the activation after it, one C call each way.

    forward keeps z = x W^T + b only if the activation's derivative needs it. backward applies
    the chain rule through both: dz = dy * act'(z), then dx = dz W, dW = dz^T x, db = sum(dz).
    """

    @staticmethod
    def forward(ctx, x, W, b, act, param):
        x = np.asarray(x)
        if x.dtype.kind not in "biuf":  # complex would drop its imaginary part, objects NaN
            raise TypeError(f"linear: input must hold real numbers, got dtype {x.dtype}")
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


def linear(input, weight, bias=None):
    """y = x W^T + b, with W of shape (out_features, in_features) as in PyTorch."""
    return Dense.apply(input, weight, bias, ACT["none"], 0.0)


def dense(input, weight, bias=None, activation="none", param=0.0):
    """linear followed by an activation, fused into one graph node and one C call each way."""
    return Dense.apply(input, weight, bias, ACT[activation], float(param))


# ---- activations --------------------------------------------------------------------------------

def _activation(x, name, param=0.0):
    if not isinstance(x, Tensor):
        x = Tensor(x)
    return Activation.apply(x, ACT[name], float(param))


def relu(input, inplace=False):
    return _activation(input, "relu")


def tanh(input):
    return _activation(input, "tanh")


def sigmoid(input):
    return _activation(input, "sigmoid")


# ---- losses -------------------------------------------------------------------------------------

_REDUCTIONS = ("mean", "sum", "none")


def _check_reduction(reduction):
    if reduction not in _REDUCTIONS:
        raise ValueError(f"reduction must be one of {_REDUCTIONS}, got {reduction!r}")


class CrossEntropy(Function):
    """Softmax and negative log-likelihood fused in one C pass per row.

    The kernel writes each row's loss and its derivative softmax(x) - q (q the target
    distribution) together, so backward only scales: by g/count for 'mean', g for 'sum',
    g[i] per row for 'none'.
    """

    @staticmethod
    def forward(ctx, logits, target, ignore_index, label_smoothing, reduction):
        x = np.ascontiguousarray(logits if logits.dtype.kind == "f" else logits.astype(np.float32))
        loss = np.empty(x.shape[0], dtype=x.dtype)
        dx = np.empty_like(x)
        _kernels.cross_entropy(x, target, ignore_index, label_smoothing, loss, dx)
        ctx.dx, ctx.reduction = dx, reduction
        if reduction == "none":
            return loss
        total = _kernels.sum(loss)
        if reduction == "sum":
            return np.asarray(total, dtype=x.dtype)
        ctx.count = int(np.count_nonzero(target != ignore_index))
        # No counted rows: 0/0, NaN, as PyTorch gives.
        return np.asarray(total / ctx.count if ctx.count else np.nan, dtype=x.dtype)

    @staticmethod
    def backward(ctx, g):
        if ctx.reduction == "none":
            return ctx.dx * g[:, None]
        if ctx.reduction == "mean" and ctx.count == 0:
            # Every row ignored (or none at all): their gradient rows are 0, and PyTorch keeps
            # them 0 rather than 0 * (g / 0) = NaN.
            return np.zeros_like(ctx.dx)
        scale = g / ctx.count if ctx.reduction == "mean" else g
        return ctx.dx * scale.astype(ctx.dx.dtype)


def _class_targets(target, n, name):
    t = _data(target)
    if t.dtype.kind == "f":
        if not np.all(np.isfinite(t)) or np.any(t != np.round(t)):
            raise TypeError(f"{name}: class targets must be integers, got {t.dtype} values")
    elif t.dtype.kind not in "iub":
        raise TypeError(f"{name}: class targets must be integers, got dtype {t.dtype}")
    elif t.dtype.kind == "u" and t.size and t.max() > np.iinfo(np.int64).max:
        # would wrap to a negative int64, possibly to ignore_index, and vanish silently
        raise IndexError(f"{name}: class target {t.max()} is out of range")
    t = np.ascontiguousarray(t, dtype=np.int64).reshape(-1) if t.ndim <= 1 else t
    if t.ndim != 1 or t.shape[0] != n:
        raise ValueError(f"{name}: target shape {_data(target).shape} does not match a batch of "
                         f"{n} (input has {n} rows)")
    return t


def cross_entropy(input, target, weight=None, ignore_index=-100, reduction="mean",
                  label_smoothing=0.0):
    """Cross-entropy between softmax(input) and integer class targets (torch semantics)."""
    _check_reduction(reduction)
    if weight is not None:
        raise NotImplementedError("cross_entropy: per-class weight is not supported yet")
    if not 0.0 <= float(label_smoothing) <= 1.0:
        raise ValueError(f"label_smoothing must be in [0, 1], got {label_smoothing}")
    x = input if isinstance(input, Tensor) else Tensor(input)
    if x.ndim == 1:  # one sample without a batch dimension
        out = cross_entropy(x.reshape(1, -1), np.reshape(_data(target), (1,)), weight,
                            ignore_index, reduction, label_smoothing)
        return out.reshape(()) if reduction == "none" else out
    if x.ndim != 2:
        raise ValueError(f"cross_entropy: input must be (batch, classes), got shape {x.shape}")
    t = _class_targets(target, x.shape[0], "cross_entropy")
    return CrossEntropy.apply(x, t, int(ignore_index), float(label_smoothing), reduction)


class MSE(Function):
    """Mean squared error; forward keeps pred - target, the whole local derivative up to 2/n."""

    @staticmethod
    def forward(ctx, pred, target, reduction):
        pred, target = np.ascontiguousarray(pred), np.ascontiguousarray(target)
        diff = np.empty_like(pred)
        total = _kernels.mse(pred, target, diff)
        ctx.diff, ctx.reduction = diff, reduction
        if reduction == "none":
            return diff * diff
        if reduction == "sum":
            return np.asarray(total, dtype=pred.dtype)
        return np.asarray(total / pred.size if pred.size else np.nan, dtype=pred.dtype)

    @staticmethod
    def backward(ctx, g):  # d/dpred (pred - target)^2 = 2 (pred - target)
        if ctx.diff.size == 0:  # an empty batch: nothing to scale (and no 1/0 warning)
            return ctx.diff, -ctx.diff
        scale = 2 * g / ctx.diff.size if ctx.reduction == "mean" else 2 * g
        grad = ctx.diff * scale.astype(ctx.diff.dtype)
        return grad, -grad


def mse_loss(input, target, reduction="mean"):
    _check_reduction(reduction)
    x = input if isinstance(input, Tensor) else Tensor(input)
    if x.dtype.kind != "f":
        x = x.float()
    t = target if isinstance(target, Tensor) else Tensor(np.asarray(target, dtype=x.dtype))
    if t.shape != x.shape:
        raise ValueError(f"mse_loss: input shape {x.shape} and target shape {t.shape} differ "
                         "(broadcasting them is almost always a bug; reshape one explicitly)")
    if t.dtype != x.dtype:
        t = t.to(x.dtype)
    return MSE.apply(x, t, reduction)
