"""Adam and AdamW, PyTorch's single-tensor rules, one fused C pass per parameter, one binding
call per parameter group (fastgrad._kernels.adam_step_many).

At step t (1-based), with g the gradient (negated when maximize):
    Adam:  g += weight_decay * p            AdamW: p *= 1 - lr * weight_decay
    m = beta1 * m + (1 - beta1) * g;  v = beta2 * v + (1 - beta2) * g^2
    v_hat = max(v_max, v) when amsgrad (kept in state as max_exp_avg_sq), else v
    p -= lr / (1 - beta1^t) * m / (sqrt(v_hat) / sqrt(1 - beta2^t) + eps)
State per parameter: step (a number), exp_avg, exp_avg_sq, max_exp_avg_sq (amsgrad only).
"""
from typing import Any, Iterable, Tuple

import numpy as np

from .. import _kernels
from .._engine import kernel_step_group
from .optimizer import Optimizer, check_betas, check_hyperparameter, step_many


class Adam(Optimizer):
    """Adam (torch.optim.Adam); with decoupled_weight_decay, AdamW's rule."""

    _state_buffers = ("step", "exp_avg", "exp_avg_sq")

    def __init__(self, params: Iterable[Any], lr: float = 1e-3,
                 betas: Tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, amsgrad: bool = False, *, maximize: bool = False,
                 decoupled_weight_decay: bool = False) -> None:
        defaults = dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                        amsgrad=amsgrad, maximize=maximize,
                        decoupled_weight_decay=decoupled_weight_decay)
        super().__init__(params, defaults)

    def _check_hyperparameters(self, group):
        super()._check_hyperparameters(group)
        check_hyperparameter(group, "eps")
        check_betas(group)
        check_hyperparameter(group, "weight_decay")

    # Every training step: the group read in C by the kernel, which declines what it does not
    # take (then _general_step_group runs); compiled, _engine.kernel_step_group.
    _group_kernel = staticmethod(_kernels.adam_step_group)
    _step_group = kernel_step_group

    def _general_step_group(self, group):
        """The general path: starts the state, converts gradients the kernel cannot take as
        they are (step_many), negates them when maximizing, and raises on what is wrong."""
        amsgrad = group["amsgrad"]
        state = self.state
        params, datas, grads, ms, vs, steps = [], [], [], [], [], []
        vmaxs = [] if amsgrad else None
        for p in group["params"]:
            grad = p._grad
            if grad is None:
                continue
            data = p._data
            s = state[p]
            if not s:
                s["step"] = 0
                s["exp_avg"] = np.zeros_like(data)
                s["exp_avg_sq"] = np.zeros_like(data)
            if amsgrad:
                vmax = s.get("max_exp_avg_sq")
                if vmax is None:  # also when amsgrad is switched on mid-training
                    vmax = s["max_exp_avg_sq"] = np.zeros_like(data)
                vmaxs.append(vmax)
            s["step"] = step = s["step"] + 1
            params.append(p)
            datas.append(data)
            grads.append(grad)
            ms.append(s["exp_avg"])
            vs.append(s["exp_avg_sq"])
            steps.append(step)
        if not params:
            return
        beta1, beta2 = group["betas"]
        args = (ms, vs, vmaxs, group["lr"], beta1, beta2, group["eps"], group["weight_decay"],
                group["decoupled_weight_decay"], steps)
        try:
            step_many(_kernels.adam_step_many, params, datas, grads, group["maximize"], args)
        except BaseException:
            for p in params:  # nothing was updated: no step was taken
                state[p]["step"] -= 1
            raise


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter): p *= 1 - lr * weight_decay."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2,
                 amsgrad=False, *, maximize=False) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize=maximize,
                         decoupled_weight_decay=True)
