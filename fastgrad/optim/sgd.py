"""SGD: stochastic gradient descent with optional momentum, dampening, Nesterov and weight decay.

PyTorch's rule, one fused C pass per parameter (fastgrad._kernels.sgd_step):
    g = grad (negated when maximize) + weight_decay * p
    buf = g on the first step, else momentum * buf + (1 - dampening) * g
    p -= lr * (g + momentum * buf if nesterov else buf)        (p -= lr * g without momentum)
"""
import numpy as np

from .. import _kernels
from .optimizer import Optimizer


class SGD(Optimizer):
    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False,
                 *, maximize=False):
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening,
                        weight_decay=weight_decay, nesterov=nesterov, maximize=maximize)
        super().__init__(params, defaults)

    def _check_hyperparameters(self, group):
        super()._check_hyperparameters(group)
        if group["momentum"] < 0:
            raise ValueError(f"Invalid momentum value: {group['momentum']}")
        if group["weight_decay"] < 0:
            raise ValueError(f"Invalid weight_decay value: {group['weight_decay']}")
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")

    def _update(self, param, grad, state, group):
        if group["maximize"]:
            grad = np.negative(grad)
        momentum = group["momentum"]
        if momentum != 0:
            buf = state.get("momentum_buffer")
            first = buf is None
            if first:  # the kernel fills it with the (decayed) gradient without reading it
                buf = state["momentum_buffer"] = np.empty_like(param.data)
        else:
            buf, first = None, True
        _kernels.sgd_step(param.data, grad, buf, group["lr"], momentum, group["dampening"],
                          group["weight_decay"], bool(group["nesterov"]), first)
