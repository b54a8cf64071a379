"""Adamax, PyTorch's single-tensor rule (NumPy for now; a C kernel may replace it).

At step t (1-based), with g the gradient (negated when maximize) + weight_decay * p:
    m = lerp(m, g, 1 - beta1);  u = max(beta2 * u, |g| + eps)
    p -= lr / (1 - beta1^t) * m / u
State per parameter: step, exp_avg (m), exp_inf (u).
"""
import numpy as np

from ._numpy_ops import addcdiv_, decayed_grad, lerp_
from .optimizer import Optimizer, check_betas, check_hyperparameter, check_state_shapes


class Adamax(Optimizer):
    """Adam with the infinity norm (torch.optim.Adamax)."""

    _state_buffers = ("step", "exp_avg", "exp_inf")

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, *,
                 maximize=False) -> None:
        defaults = dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                        maximize=maximize)
        super().__init__(params, defaults)

    def _check_hyperparameters(self, group):
        super()._check_hyperparameters(group)
        check_betas(group)
        for name in ("eps", "weight_decay"):
            check_hyperparameter(group, name)

    def _update(self, param, grad, state, group):
        p = param._data
        check_state_shapes(p, state)
        if not state:
            state["step"] = 0
            state["exp_avg"] = np.zeros_like(p)
            state["exp_inf"] = np.zeros_like(p)
        state["step"] += 1
        lr, (beta1, beta2) = group["lr"], group["betas"]
        g = decayed_grad(p, grad, group["weight_decay"], group["maximize"])
        scratch = np.empty_like(p)
        exp_avg, exp_inf = state["exp_avg"], state["exp_inf"]
        lerp_(exp_avg, g, 1 - beta1, scratch)
        exp_inf *= beta2
        np.abs(g, out=scratch)
        scratch += group["eps"]
        np.maximum(exp_inf, scratch, out=exp_inf)
        clr = lr / (1 - beta1 ** state["step"])
        addcdiv_(p, exp_avg, exp_inf, -clr, scratch)
