"""NAdam, PyTorch's single-tensor rule (NumPy for now; a C kernel may replace it).

At step t (1-based), with g the gradient (negated when maximize):
    weight_decay: decoupled: p *= 1 - lr * weight_decay;  else g += weight_decay * p
    mu_t = beta1 * (1 - 0.5 * 0.96^(t * momentum_decay));  mu_product *= mu_t
    m = lerp(m, g, 1 - beta1);  v = beta2 * v + (1 - beta2) * g^2
    denom = sqrt(v / (1 - beta2^t)) + eps
    p += -lr * (1 - mu_t) / (1 - mu_product) * g / denom
    p += -lr * mu_{t+1} / (1 - mu_product * mu_{t+1}) * m / denom
State per parameter: step, mu_product (a number, rounded as PyTorch keeps it: in a float32
tensor, or float64 under set_default_dtype(float64)), exp_avg, exp_avg_sq.
"""
import numpy as np

from ._numpy_ops import addcdiv_, addcmul_, lerp_, scalar_type, weight_decayed_grad
from .optimizer import Optimizer, check_betas, check_hyperparameter, check_state_shapes


class NAdam(Optimizer):
    """Adam with Nesterov momentum (torch.optim.NAdam); decoupled_weight_decay gives NAdamW."""

    _state_buffers = ("step", "mu_product", "exp_avg", "exp_avg_sq")

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 momentum_decay=4e-3, decoupled_weight_decay=False, *, maximize=False) -> None:
        defaults = dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                        momentum_decay=momentum_decay,
                        decoupled_weight_decay=decoupled_weight_decay, maximize=maximize)
        super().__init__(params, defaults)

    def _check_hyperparameters(self, group):
        super()._check_hyperparameters(group)
        check_betas(group)
        for name in ("eps", "weight_decay", "momentum_decay"):
            check_hyperparameter(group, name)

    def _update(self, param, grad, state, group):
        p = param._data
        check_state_shapes(p, state)
        if not state:
            state["step"] = 0
            state["mu_product"] = 1.0
            state["exp_avg"] = np.zeros_like(p)
            state["exp_avg_sq"] = np.zeros_like(p)
        state["step"] += 1
        step = state["step"]
        lr, (beta1, beta2) = group["lr"], group["betas"]
        g = weight_decayed_grad(p, grad, group)

        mu = beta1 * (1.0 - 0.5 * 0.96 ** (step * group["momentum_decay"]))
        mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((step + 1) * group["momentum_decay"]))
        kind = scalar_type()  # PyTorch multiplies in its scalar-state dtype
        mu_product = float(kind(state["mu_product"]) * kind(mu))
        state["mu_product"] = mu_product
        mu_product_next = mu_product * mu_next

        scratch = np.empty_like(p)
        exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
        lerp_(exp_avg, g, 1 - beta1, scratch)
        exp_avg_sq *= beta2
        addcmul_(exp_avg_sq, g, g, 1 - beta2, scratch)
        denom = exp_avg_sq / (1 - beta2 ** step)
        np.sqrt(denom, out=denom)
        denom += group["eps"]
        addcdiv_(p, g, denom, -lr * (1.0 - mu) / (1.0 - mu_product), scratch)
        addcdiv_(p, exp_avg, denom, (-lr * mu_next) / (1.0 - mu_product_next), scratch)
