"""Adafactor, PyTorch's single-tensor rule (torch.optim.Adafactor; NumPy for now).

The second moment of a matrix-shaped gradient is kept factored: one running mean per row and
one per column (O(R + C) memory instead of O(R C)), their outer product divided by the mean
of the row factor estimating it; a vector keeps the full running mean. At step t:
    beta = t^beta2_decay (the weight of the new statistics); rho = min(lr, 1/sqrt(t))
    alpha = max(eps2, ||p|| / sqrt(numel)) * rho       (a step relative to the weight's scale)
    p *= 1 - lr * weight_decay
    matrix: row_var = lerp(row_var, mean(g², last dim), beta); col_var likewise over dim -2
            v = row_var @ col_var / max(mean(row_var over dim -2), eps1)
    vector: variance = lerp(variance, g², beta); v = variance
    u = g / sqrt(max(v, eps1²));  p -= alpha / max(1, ||u|| / (sqrt(numel) d)) * u
eps1 defaults (None) to the dtype's machine epsilon. State: step, row_var and col_var
(matrices) or variance (vectors).
"""
import math
import numbers

import numpy as np

from ._numpy_ops import decayed_grad, lerp_
from .optimizer import Optimizer, check_hyperparameter


class Adafactor(Optimizer):
    """Adafactor (torch.optim.Adafactor).

    beta2_decay: the power (<= 0) of the step giving the second moment's averaging weight.
    eps: (eps1, eps2): eps1 floors the variance (None: the dtype's epsilon), eps2 the
    relative step's scale. d: clipping threshold of the update's root-mean-square.
    """

    _state_buffers = ("step",)

    def __init__(self, params, lr=1e-2, beta2_decay=-0.8, eps=(None, 1e-3), d=1.0,
                 weight_decay=0.0, *, maximize=False) -> None:
        defaults = dict(lr=lr, beta2_decay=beta2_decay, eps=tuple(eps), d=d,
                        weight_decay=weight_decay, maximize=maximize)
        super().__init__(params, defaults)

    def _check_hyperparameters(self, group):
        super()._check_hyperparameters(group)
        check_hyperparameter(group, "weight_decay")
        check_hyperparameter(group, "d", low=1.0)
        check_hyperparameter(group, "beta2_decay", low=-math.inf)
        if group["beta2_decay"] > 0:
            raise ValueError(f"beta2_decay should be <= 0 but is: {group['beta2_decay']}")
        eps = group["eps"]
        if not isinstance(eps, (tuple, list)) or len(eps) != 2:
            raise ValueError(f"eps must be a pair (eps1, eps2), got {eps!r}")
        for i, value in enumerate(eps):
            if value is None and i == 0:
                continue
            if isinstance(value, bool) or not isinstance(value, numbers.Real) \
                    or not (math.isfinite(value) and value >= 0):
                raise ValueError(f"Invalid epsilon value at index {i}: {value!r} (eps[{i}] "
                                 "must be a finite number >= 0)")

    def _state_shape(self, param_shape, name):
        if name == "row_var":
            return param_shape[:-1] + (1,)
        if name == "col_var":
            return param_shape[:-2] + (1, param_shape[-1])
        return param_shape

    def _update(self, param, grad, state, group):
        p = param._data
        for name, value in state.items():
            if isinstance(value, np.ndarray) and value.shape != self._state_shape(p.shape, name):
                raise ValueError(f"optimizer state {name!r} has shape {value.shape}, which does "
                                 f"not fit a parameter of shape {p.shape}; a parameter that "
                                 "changes shape needs a new optimizer (or its state cleared)")
        matrix = p.ndim > 1
        if not state:
            state["step"] = 0
            if matrix:
                state["row_var"] = np.zeros(p.shape[:-1] + (1,), p.dtype)
                state["col_var"] = np.zeros(p.shape[:-2] + (1, p.shape[-1]), p.dtype)
            else:
                state["variance"] = np.zeros_like(p)
        state["step"] += 1
        step = float(state["step"])
        eps1, eps2 = group["eps"]
        if eps1 is None:
            eps1 = float(np.finfo(p.dtype).eps)
        lr = group["lr"]
        beta = step ** group["beta2_decay"]
        rho = min(lr, 1 / (step ** 0.5))
        alpha = max(eps2, float(_norm(p)) / (p.size ** 0.5)) * rho
        if group["weight_decay"] != 0:
            p *= 1 - lr * group["weight_decay"]
        g = decayed_grad(p, grad, 0, group["maximize"])

        if matrix:
            row_var, col_var = state["row_var"], state["col_var"]
            row_mean = _norm(g, axis=-1) ** 2 / g.shape[-1]
            lerp_(row_var, row_mean, beta, np.empty_like(row_var))
            col_mean = _norm(g, axis=-2) ** 2 / g.shape[-2]
            lerp_(col_var, col_mean, beta, np.empty_like(col_var))
            v = row_var @ col_var
            v /= np.maximum(row_var.mean(axis=-2, keepdims=True), p.dtype.type(eps1))
        else:
            variance = state["variance"]
            lerp_(variance, g * g, beta, np.empty_like(variance))
            v = variance.copy()
        update = np.maximum(v, p.dtype.type(eps1 * eps1))
        np.sqrt(update, out=update)
        np.divide(1, update, out=update)
        update *= g
        denom = max(1.0, float(_norm(update)) / ((update.size ** 0.5) * group["d"]))
        p += np.multiply(update, -alpha / denom)


def _norm(a, axis=None):
    """The 2-norm, over all elements or over one axis (kept), as torch.norm."""
    if axis is None:
        return np.sqrt(np.sum(a * a))
    return np.sqrt(np.sum(a * a, axis=axis, keepdims=True))
