"""Stochastic weight averaging and exponential moving averages of a model's weights
(torch.optim.swa_utils): AveragedModel keeps the running average, SWALR anneals the lr to a
constant SWA lr, update_bn recomputes BatchNorm statistics for the averaged weights.

The averaging functions take (averaged, current, number averaged so far): the single-tensor
ones return the new average; the multi ones update a list of averages in place.
"""
import copy
import math

import numpy as np

from .._engine import modified
from ..dtypes import get_default_dtype
from ..tensor import Tensor
from ..nn.module import Module
from .lr_scheduler import LRScheduler, _check_finite, _per_group


def _array(x):
    return x._data if isinstance(x, Tensor) else x


def get_ema_multi_avg_fn(decay=0.999):
    """In-place exponential moving average of lists: avg = lerp(avg, current, 1 - decay)."""
    _check_decay(decay)

    def ema_update(ema_param_list, current_param_list, _):
        for ema, current in zip(ema_param_list, current_param_list):
            a, c = _array(ema), _array(current)
            if a.dtype.kind == "f":
                _lerp(a, c, 1 - decay)
            else:
                a[...] = a * decay + c * (1 - decay)
    return ema_update


def get_swa_multi_avg_fn():
    """In-place equal-weight running average of lists: avg = lerp(avg, current, 1/(n + 1))."""
    def swa_update(averaged_param_list, current_param_list, num_averaged):
        # rounded to the default dtype: PyTorch divides by the count as a tensor
        weight = float(get_default_dtype()(1 / (int(_array(num_averaged)) + 1)))
        for avg, current in zip(averaged_param_list, current_param_list):
            a, c = _array(avg), _array(current)
            if a.dtype.kind == "f":
                _lerp(a, c, weight)
            else:
                a[...] = a + (c - a) * weight
    return swa_update


def get_ema_avg_fn(decay=0.999):
    """Exponential moving average: decay * avg + (1 - decay) * current."""
    _check_decay(decay)

    def ema_update(ema_param, current_param, num_averaged):
        return decay * ema_param + (1 - decay) * current_param
    return ema_update


def get_swa_avg_fn():
    """Equal-weight running average: avg + (current - avg) / (n + 1)."""
    def swa_update(averaged_param, current_param, num_averaged):
        return averaged_param + (current_param - averaged_param) / (int(_array(num_averaged)) + 1)
    return swa_update


def _check_decay(decay):
    if not 0.0 <= decay <= 1.0:
        raise ValueError(f"Invalid decay value {decay} provided. Please provide a value in "
                         "[0,1] range.")


def _lerp(start, end, weight):
    """start += weight * (end - start) in place, with torch.lerp's two branches."""
    if abs(weight) < 0.5:
        start += weight * (end - start)
    else:
        start[...] = end - (end - start) * (1 - weight)


class AveragedModel(Module):
    """A copy of `model` whose weights are a running average of the model's
    (torch.optim.swa_utils.AveragedModel); call update_parameters(model) after each update.

    avg_fn(averaged, current, n) returns the new average of one tensor; multi_avg_fn updates
    lists in place (only one of them may be given; default: the equal-weight SWA average).
    use_buffers averages the buffers (BatchNorm statistics) too, instead of copying them.
    The first update copies the model's weights.
    """

    def __init__(self, model, device=None, avg_fn=None, multi_avg_fn=None,
                 use_buffers=False) -> None:
        super().__init__()
        if avg_fn is not None and multi_avg_fn is not None:
            raise ValueError("Only one of avg_fn and multi_avg_fn should be provided")
        if not isinstance(model, Module):
            raise TypeError(f"AveragedModel: model must be a Module, got {type(model).__name__}")
        self.module = copy.deepcopy(model)
        self.register_buffer("n_averaged", np.array(0, dtype=np.int64))
        self.avg_fn = avg_fn
        self.multi_avg_fn = multi_avg_fn
        self.use_buffers = use_buffers

    def forward(self, *args, **kwargs):
        return self.module(*args, **kwargs)

    def _weights(self, model):
        if self.use_buffers:
            return list(model.parameters()) + list(model.buffers())
        return list(model.parameters())

    def update_parameters(self, model):
        """Fold model's current weights into the average."""
        averaged, current = self._weights(self.module), self._weights(model)
        if len(averaged) != len(current):
            raise ValueError(f"AveragedModel.update_parameters: the model has {len(current)} "
                             f"weights, the averaged copy {len(averaged)}")
        n = int(self.n_averaged)
        for avg, cur in zip(averaged, current):
            if _array(avg).shape != _array(cur).shape:
                raise ValueError(f"AveragedModel.update_parameters: a weight of shape "
                                 f"{_array(cur).shape} meets an average of shape "
                                 f"{_array(avg).shape}")
        if n == 0:
            for avg, cur in zip(averaged, current):
                _array(avg)[...] = _array(cur)
        elif self.avg_fn is None:
            multi = self.multi_avg_fn or get_swa_multi_avg_fn()
            if self.multi_avg_fn is None:
                # PyTorch's CPU path: the single-tensor SWA formula, one weight at a time
                swa = get_swa_avg_fn()
                for avg, cur in zip(averaged, current):
                    _array(avg)[...] = swa(_array(avg), _array(cur), n)
            else:
                multi([_detached(a) for a in averaged], [_detached(c) for c in current],
                      self.n_averaged)
        else:
            for avg, cur in zip(averaged, current):
                _array(avg)[...] = _array(self.avg_fn(_detached(avg), _detached(cur),
                                                      self.n_averaged))
        for avg in averaged:
            if isinstance(avg, Tensor):
                modified(avg)
        if not self.use_buffers:
            for b_avg, b_model in zip(self.module.buffers(), model.buffers()):
                _array(b_avg)[...] = _array(b_model)
        self.n_averaged[...] += 1


def _detached(x):
    """A Tensor sharing x's values and outside any graph (a buffer array stays an array)."""
    return x.detach() if isinstance(x, Tensor) else x


def update_bn(loader, model, device=None):
    """Recompute the running statistics of every BatchNorm layer of model with one pass over
    loader (batches, or tuples whose first element is the batch), as a cumulative average
    (torch.optim.swa_utils.update_bn). device is accepted for PyTorch's signature."""
    from .. import no_grad
    momenta = {}
    for module in model.modules():
        if hasattr(module, "reset_running_stats") and hasattr(module, "momentum"):
            module.reset_running_stats()
            momenta[module] = module.momentum
    if not momenta:
        return
    was_training = model.training
    model.train()
    for module in momenta:
        module.momentum = None
    try:
        with no_grad():
            for batch in loader:
                if isinstance(batch, (list, tuple)):
                    batch = batch[0]
                model(batch if isinstance(batch, Tensor) else Tensor(np.asarray(batch)))
    finally:
        for module, momentum in momenta.items():
            module.momentum = momentum
        model.train(was_training)


class SWALR(LRScheduler):
    """Anneal each group's lr to swa_lr over anneal_epochs epochs ('cos' or 'linear'), then
    hold it (torch.optim.swa_utils.SWALR). swa_lr: a number or one per param group."""

    def __init__(self, optimizer, swa_lr, anneal_epochs=10, anneal_strategy="cos",
                 last_epoch=-1) -> None:
        swa_lrs = _per_group("swa_lr", optimizer, swa_lr)
        for lr in swa_lrs:
            _check_finite("swa_lr", lr)
        for lr, group in zip(swa_lrs, optimizer.param_groups):
            group["swa_lr"] = lr
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError("anneal_strategy must be one of 'cos' or 'linear', instead got "
                             f"{anneal_strategy!r}")
        if isinstance(anneal_epochs, bool) or not isinstance(anneal_epochs, int) \
                or anneal_epochs < 0:
            raise ValueError(f"anneal_epochs must be equal or greater than 0, got "
                             f"{anneal_epochs!r}")
        self._anneal_strategy = anneal_strategy
        self.anneal_epochs = anneal_epochs
        super().__init__(optimizer, last_epoch)

    def anneal_func(self, t):
        """The share of the way from the initial lr to swa_lr at progress t in [0, 1]."""
        if self._anneal_strategy == "cos":
            return (1 - math.cos(math.pi * t)) / 2
        return t

    @staticmethod
    def _initial_lr(lr, swa_lr, alpha):
        # the lr this anneal started from, recovered from the current one
        if alpha == 1:
            return swa_lr
        return (lr - alpha * swa_lr) / (1 - alpha)

    def get_lr(self):
        step = self._step_count - 1
        if self.anneal_epochs == 0:
            step = max(1, step)
        prev_alpha = self.anneal_func(max(0, min(1, (step - 1) / max(1, self.anneal_epochs))))
        groups = self.optimizer.param_groups
        prev_lrs = [self._initial_lr(g["lr"], g["swa_lr"], prev_alpha) for g in groups]
        alpha = self.anneal_func(max(0, min(1, step / max(1, self.anneal_epochs))))
        return [g["swa_lr"] * alpha + lr * (1 - alpha) for g, lr in zip(groups, prev_lrs)]
