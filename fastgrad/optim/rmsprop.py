"""RMSprop, PyTorch's single-tensor rule (NumPy for now; a C kernel may replace it).

    g = grad (negated when maximize) + weight_decay * p
    square_avg = alpha * square_avg + (1 - alpha) * g^2
    centered:  grad_avg = lerp(grad_avg, g, 1 - alpha);  avg = sqrt(square_avg - grad_avg^2) + eps
    else:      avg = sqrt(square_avg) + eps
    momentum > 0:  buf = momentum * buf + g / avg;  p -= lr * buf
    else:          p -= lr * g / avg
State per parameter: step, square_avg, momentum_buffer (momentum > 0), grad_avg (centered).
"""
import numpy as np

from ._numpy_ops import addcdiv_, addcmul_, decayed_grad, lerp_
from .optimizer import Optimizer, check_hyperparameter, check_state_shapes


class RMSprop(Optimizer):
    """RMSprop (torch.optim.RMSprop)."""

    _state_buffers = ("step", "square_avg")

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0,
                 centered=False, *, maximize=False) -> None:
        defaults = dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay,
                        momentum=momentum, centered=centered, maximize=maximize)
        super().__init__(params, defaults)

    def _check_hyperparameters(self, group):
        super()._check_hyperparameters(group)
        for name in ("eps", "momentum", "weight_decay", "alpha"):
            check_hyperparameter(group, name)

    def _update(self, param, grad, state, group):
        p = param._data
        check_state_shapes(p, state)
        if not state:
            state["step"] = 0
            state["square_avg"] = np.zeros_like(p)
            if group["momentum"] > 0:
                state["momentum_buffer"] = np.zeros_like(p)
            if group["centered"]:
                state["grad_avg"] = np.zeros_like(p)
        state["step"] += 1
        alpha, lr, momentum = group["alpha"], group["lr"], group["momentum"]
        g = decayed_grad(p, grad, group["weight_decay"], group["maximize"])
        scratch = np.empty_like(p)

        square_avg = state["square_avg"]
        square_avg *= alpha
        addcmul_(square_avg, g, g, 1 - alpha, scratch)
        avg = np.empty_like(p)
        if group["centered"]:
            grad_avg = _buffer(state, "grad_avg", p)
            lerp_(grad_avg, g, 1 - alpha, scratch)
            np.multiply(grad_avg, grad_avg, out=avg)
            np.subtract(square_avg, avg, out=avg)
            np.sqrt(avg, out=avg)
        else:
            np.sqrt(square_avg, out=avg)
        avg += group["eps"]

        if momentum > 0:
            buf = _buffer(state, "momentum_buffer", p)
            buf *= momentum
            addcdiv_(buf, g, avg, 1, scratch)
            np.multiply(buf, -lr, out=scratch)
            p += scratch
        else:
            addcdiv_(p, g, avg, -lr, scratch)


def _buffer(state, name, param):
    """state[name], created as zeros when missing (centered/momentum switched on mid-training)."""
    if name not in state:
        state[name] = np.zeros_like(param)
    return state[name]
