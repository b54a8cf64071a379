"""Adagrad, PyTorch's single-tensor rule (NumPy for now; a C kernel may replace it).

At step t (1-based):
    g = grad (negated when maximize) + weight_decay * p
    clr = lr / (1 + (t - 1) * lr_decay)
    sum += g^2;  p -= clr * g / (sqrt(sum) + eps)
State per parameter, created at construction as PyTorch does: step, sum
(filled with initial_accumulator_value).
"""
import numpy as np

from ._numpy_ops import addcdiv_, addcmul_, decayed_grad
from .optimizer import Optimizer, check_hyperparameter, check_state_shapes


class Adagrad(Optimizer):
    """Adagrad (torch.optim.Adagrad)."""

    _state_buffers = ("step", "sum")

    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0,
                 eps=1e-10, *, maximize=False) -> None:
        defaults = dict(lr=lr, lr_decay=lr_decay, eps=eps, weight_decay=weight_decay,
                        initial_accumulator_value=initial_accumulator_value, maximize=maximize)
        super().__init__(params, defaults)

    def add_param_group(self, param_group):
        super().add_param_group(param_group)
        group = self.param_groups[-1]
        for p in group["params"]:
            self._init_state(self.state[p], p, group)

    @staticmethod
    def _init_state(state, param, group):
        state["step"] = 0
        state["sum"] = np.full_like(param._data, group["initial_accumulator_value"])

    def _check_hyperparameters(self, group):
        super()._check_hyperparameters(group)
        for name in ("lr_decay", "weight_decay", "initial_accumulator_value", "eps"):
            check_hyperparameter(group, name)

    def _update(self, param, grad, state, group):
        p = param._data
        check_state_shapes(p, state)
        state["step"] += 1
        g = decayed_grad(p, grad, group["weight_decay"], group["maximize"])
        clr = group["lr"] / (1 + (state["step"] - 1) * group["lr_decay"])
        scratch = np.empty_like(p)
        state_sum = state["sum"]
        addcmul_(state_sum, g, g, 1, scratch)
        std = np.sqrt(state_sum)
        std += group["eps"]
        addcdiv_(p, g, std, -clr, scratch)
