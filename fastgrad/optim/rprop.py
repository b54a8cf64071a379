"""Rprop, PyTorch's single-tensor rule (NumPy for now; a C kernel may replace it).

Each weight has its own step size, adapted from the sign of the gradient alone:
    s = sign(g * prev)                        (g negated when maximize)
    step_size *= etaplus where s > 0, etaminus where s < 0;  clamp to [step_min, step_max]
    g = 0 where s < 0   (after a sign flip, skip this update and forget the gradient)
    p -= sign(g) * step_size;  prev = g
State per parameter: step, prev, step_size (starting at lr).
"""
import numbers

import numpy as np

from .optimizer import Optimizer, check_state_shapes


class Rprop(Optimizer):
    """Resilient backpropagation (torch.optim.Rprop).

    etas: (etaminus, etaplus), the factors a step size shrinks by after a sign flip and grows
    by otherwise, 0 < etaminus < 1 < etaplus. step_sizes: (min, max) of a step size.
    """

    _state_buffers = ("step", "prev", "step_size")

    def __init__(self, params, lr=1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50), *,
                 maximize=False) -> None:
        defaults = dict(lr=lr, etas=tuple(etas), step_sizes=tuple(step_sizes),
                        maximize=maximize)
        super().__init__(params, defaults)

    def _check_hyperparameters(self, group):
        super()._check_hyperparameters(group)
        for name in ("etas", "step_sizes"):
            pair = group[name]
            if (not isinstance(pair, (tuple, list)) or len(pair) != 2 or any(
                    isinstance(v, bool) or not isinstance(v, numbers.Real) for v in pair)):
                raise ValueError(f"{name} must be a pair of numbers, got {pair!r}")
        etaminus, etaplus = group["etas"]
        if not 0.0 < etaminus < 1.0 < etaplus:
            raise ValueError(f"Invalid eta values: {etaminus}, {etaplus} (etas must satisfy "
                             "0 < etas[0] < 1 < etas[1])")
        low, high = group["step_sizes"]
        if not 0.0 <= low <= high:
            raise ValueError(f"Invalid step_sizes: {low}, {high} (step_sizes must satisfy "
                             "0 <= step_sizes[0] <= step_sizes[1])")

    def _update(self, param, grad, state, group):
        p = param._data
        check_state_shapes(p, state)
        if not state:
            state["step"] = 0
            state["prev"] = np.zeros_like(p)
            state["step_size"] = np.full_like(p, group["lr"])
        state["step"] += 1
        etaminus, etaplus = group["etas"]
        g = np.negative(grad) if group["maximize"] else np.array(grad, copy=True)
        s = np.sign(g * state["prev"])
        factor = np.where(s > 0, p.dtype.type(etaplus), np.where(s < 0, p.dtype.type(etaminus),
                                                                 p.dtype.type(1)))
        step_size = state["step_size"]
        step_size *= factor
        np.clip(step_size, *group["step_sizes"], out=step_size)
        g[s < 0] = 0
        p -= np.sign(g) * step_size
        state["prev"][...] = g
