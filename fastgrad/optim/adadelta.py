"""Adadelta, PyTorch's single-tensor rule (NumPy for now; a C kernel may replace it).

With g the gradient (negated when maximize) + weight_decay * p:
    square_avg = rho * square_avg + (1 - rho) * g^2
    delta = sqrt(acc_delta + eps) / sqrt(square_avg + eps) * g
    acc_delta = rho * acc_delta + (1 - rho) * delta^2
    p -= lr * delta
State per parameter: step, square_avg, acc_delta.
"""
import numpy as np

from ._numpy_ops import addcmul_, decayed_grad
from .optimizer import Optimizer, check_hyperparameter, check_state_shapes


class Adadelta(Optimizer):
    """Adadelta (torch.optim.Adadelta)."""

    _state_buffers = ("step", "square_avg", "acc_delta")

    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, *,
                 maximize=False) -> None:
        defaults = dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize)
        super().__init__(params, defaults)

    def _check_hyperparameters(self, group):
        super()._check_hyperparameters(group)
        for name in ("eps", "weight_decay", "rho"):
            check_hyperparameter(group, name)
        if group["rho"] > 1.0:
            raise ValueError(f"Invalid rho value: {group['rho']} (rho must be in [0, 1])")

    def _update(self, param, grad, state, group):
        p = param._data
        check_state_shapes(p, state)
        if not state:
            state["step"] = 0
            state["square_avg"] = np.zeros_like(p)
            state["acc_delta"] = np.zeros_like(p)
        state["step"] += 1
        rho, eps = group["rho"], group["eps"]
        g = decayed_grad(p, grad, group["weight_decay"], group["maximize"])
        scratch = np.empty_like(p)
        square_avg, acc_delta = state["square_avg"], state["acc_delta"]
        square_avg *= rho
        addcmul_(square_avg, g, g, 1 - rho, scratch)
        std = square_avg + eps
        np.sqrt(std, out=std)
        delta = acc_delta + eps
        np.sqrt(delta, out=delta)
        delta /= std
        delta *= g
        acc_delta *= rho
        addcmul_(acc_delta, delta, delta, 1 - rho, scratch)
        np.multiply(delta, -group["lr"], out=scratch)
        p += scratch
