"""SGD: stochastic gradient descent with optional momentum, dampening, Nesterov and weight decay.

PyTorch's rule, one fused C pass per parameter, one binding call per parameter group
(fastgrad._kernels.sgd_step_many):
    g = grad (negated when maximize) + weight_decay * p
    buf = g on the first step, else momentum * buf + (1 - dampening) * g
    p -= lr * (g + momentum * buf if nesterov else buf)        (p -= lr * g without momentum)
"""
import math

import numpy as np

from .. import _kernels
from .._engine import kernel_step_group
from .optimizer import Optimizer, check_hyperparameter, step_many


class SGD(Optimizer):
    """Stochastic gradient descent with momentum (torch.optim.SGD)."""

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False,
                 *, maximize=False) -> None:
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening,
                        weight_decay=weight_decay, nesterov=nesterov, maximize=maximize)
        super().__init__(params, defaults)

    def _check_hyperparameters(self, group):
        super()._check_hyperparameters(group)
        check_hyperparameter(group, "momentum")
        check_hyperparameter(group, "dampening", low=-math.inf)  # any sign, as in PyTorch
        check_hyperparameter(group, "weight_decay")
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")

    # Every training step: the group read in C by the kernel, which declines what it does not
    # take (then _general_step_group runs); compiled, _engine.kernel_step_group.
    _group_kernel = staticmethod(_kernels.sgd_step_group)
    _step_group = kernel_step_group

    def _general_step_group(self, group):
        """The general path: starts momentum buffers, converts gradients the kernel cannot take
        as they are (step_many), negates them when maximizing, and raises on what is wrong."""
        momentum = group["momentum"]
        state = self.state
        params, datas, grads = [], [], []
        bufs, first = ([], []) if momentum != 0 else (None, False)
        for p in group["params"]:
            grad = p._grad
            if grad is None:
                continue
            params.append(p)
            datas.append(p._data)
            grads.append(grad)
            if momentum != 0:
                s = state[p]
                buf = s.get("momentum_buffer")
                first.append(buf is None)  # the kernel fills a new buffer, never reading it
                if buf is None:
                    buf = s["momentum_buffer"] = np.empty_like(p._data)
                bufs.append(buf)
        if not params:
            return
        args = (bufs, group["lr"], momentum, group["dampening"], group["weight_decay"],
                group["nesterov"], first)
        try:
            step_many(_kernels.sgd_step_many, params, datas, grads, group["maximize"], args)
        except BaseException:
            for p, fresh in zip(params, first or ()):  # never filled: the next step starts it
                if fresh:
                    del state[p]["momentum_buffer"]
            raise
