"""ASGD (averaged SGD), PyTorch's single-tensor rule (NumPy for now).

At step t (1-based), with g the gradient (negated when maximize) + weight_decay * p:
    p *= 1 - lambd * eta;  p -= eta * g
    ax += mu * (p - ax)          (ax = p while mu is 1, i.e. until step t0 + 1)
    eta = lr / (1 + lambd * lr * t)^alpha;  mu = 1 / max(1, t - t0)
State per parameter: step, eta, mu (numbers, rounded as PyTorch keeps them: in float32
tensors, or float64 under set_default_dtype(float64)), ax (the running average of the parameter, the model to evaluate).
"""
import numpy as np

from ._numpy_ops import as_scalar_state, decayed_grad
from .optimizer import Optimizer, check_hyperparameter, check_state_shapes


class ASGD(Optimizer):
    """Averaged stochastic gradient descent (torch.optim.ASGD).

    lambd: decay term; alpha: power of the eta update; t0: the step after which averaging
    starts.
    """

    _state_buffers = ("step", "eta", "mu", "ax")

    def __init__(self, params, lr=1e-2, lambd=1e-4, alpha=0.75, t0=1e6, weight_decay=0, *,
                 maximize=False) -> None:
        defaults = dict(lr=lr, lambd=lambd, alpha=alpha, t0=t0, weight_decay=weight_decay,
                        maximize=maximize)
        super().__init__(params, defaults)

    def _check_hyperparameters(self, group):
        super()._check_hyperparameters(group)
        check_hyperparameter(group, "weight_decay")
        for name in ("lambd", "alpha", "t0"):
            check_hyperparameter(group, name, low=-np.inf)

    def _update(self, param, grad, state, group):
        p = param._data
        check_state_shapes(p, state)
        if not state:
            state["step"] = 0
            state["eta"] = as_scalar_state(group["lr"])
            state["mu"] = 1.0
            state["ax"] = np.zeros_like(p)
        state["step"] += 1
        step, eta, mu = state["step"], state["eta"], state["mu"]
        lr, lambd = group["lr"], group["lambd"]
        g = decayed_grad(p, grad, group["weight_decay"], group["maximize"])
        p *= 1 - lambd * eta
        p += np.multiply(g, -eta)
        ax = state["ax"]
        if mu != 1:
            ax += (p - ax) * mu
        else:
            ax[...] = p
        state["eta"] = as_scalar_state(lr / ((1 + lambd * lr * step) ** group["alpha"]))
        state["mu"] = as_scalar_state(1 / max(1, step - group["t0"]))
