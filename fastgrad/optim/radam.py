"""RAdam, PyTorch's single-tensor rule (NumPy for now; a C kernel may replace it).

At step t (1-based), with g the gradient (negated when maximize):
    weight_decay: decoupled: p *= 1 - lr * weight_decay;  else g += weight_decay * p
    m = lerp(m, g, 1 - beta1);  v = beta2 * v + (1 - beta2) * g^2
    rho_inf = 2 / (1 - beta2) - 1;  rho_t = rho_inf - 2 t beta2^t / (1 - beta2^t)
    when rho_t > 5 (the variance is tractable):
        rect = sqrt((rho_t - 4)(rho_t - 2) rho_inf / ((rho_inf - 4)(rho_inf - 2) rho_t))
        p -= m / (1 - beta1^t) * lr * sqrt(1 - beta2^t) / (sqrt(v) + eps) * rect
    else:  p -= m / (1 - beta1^t) * lr      (plain momentum SGD)
State per parameter: step, exp_avg, exp_avg_sq.
"""
import numpy as np

from ._numpy_ops import addcmul_, lerp_, weight_decayed_grad
from .optimizer import Optimizer, check_betas, check_hyperparameter, check_state_shapes


class RAdam(Optimizer):
    """Rectified Adam (torch.optim.RAdam); decoupled_weight_decay gives RAdamW."""

    _state_buffers = ("step", "exp_avg", "exp_avg_sq")

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 decoupled_weight_decay=False, *, maximize=False) -> None:
        defaults = dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                        decoupled_weight_decay=decoupled_weight_decay, maximize=maximize)
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
            state["exp_avg_sq"] = np.zeros_like(p)
        state["step"] += 1
        step = state["step"]
        lr, (beta1, beta2) = group["lr"], group["betas"]
        g = weight_decayed_grad(p, grad, group)

        scratch = np.empty_like(p)
        exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
        lerp_(exp_avg, g, 1 - beta1, scratch)
        exp_avg_sq *= beta2
        addcmul_(exp_avg_sq, g, g, 1 - beta2, scratch)

        bias_correction1 = 1 - beta1 ** step
        bias_correction2 = 1 - beta2 ** step
        update = exp_avg / bias_correction1
        update *= lr
        rho_inf = 2 / (1 - beta2) - 1
        rho_t = rho_inf - 2 * step * (beta2 ** step) / bias_correction2
        if rho_t > 5.0:
            rect = ((rho_t - 4) * (rho_t - 2) * rho_inf
                    / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5
            adaptive = np.sqrt(exp_avg_sq)
            adaptive += group["eps"]
            np.divide(bias_correction2 ** 0.5, adaptive, out=adaptive)
            update *= adaptive
            update *= rect
        p -= update
