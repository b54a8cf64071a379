"""Schedulers that scale the lr by a factor: by a user's function (LambdaLR, MultiplicativeLR), at
milestones (MultiStepLR), for a warm-up span (ConstantLR, LinearLR) or down a polynomial to zero
(PolynomialLR). Each is computed step by step from the current lr as PyTorch does, so the
sequences agree with PyTorch's bit for bit; `step(epoch)` uses the closed form where PyTorch
has one.
"""
import bisect
import collections
import copy
import numbers
import types

from .lr_scheduler import LRScheduler, _check_finite, _check_positive_int


class _LambdaScheduler(LRScheduler):
    """A scheduler driven by one function of the epoch per param group."""

    def __init__(self, optimizer, lr_lambda, last_epoch=-1) -> None:
        n = len(optimizer.param_groups) if hasattr(optimizer, "param_groups") else 1
        if isinstance(lr_lambda, (list, tuple)):
            if len(lr_lambda) != n:
                raise ValueError(f"Expected {n} lr_lambdas, but got {len(lr_lambda)}")
            self.lr_lambdas = list(lr_lambda)
        else:
            self.lr_lambdas = [lr_lambda] * n
        for fn in self.lr_lambdas:
            if not callable(fn):
                raise TypeError(f"lr_lambda should be a function, but got {type(fn).__name__}")
        super().__init__(optimizer, last_epoch)

    def state_dict(self):
        """As PyTorch: plain functions are not saved (None); a callable object's attributes are."""
        state = {k: copy.deepcopy(v) for k, v in self.__dict__.items()
                 if k not in ("optimizer", "lr_lambdas")}
        state["lr_lambdas"] = [None if isinstance(fn, types.FunctionType)
                               else copy.deepcopy(fn.__dict__) for fn in self.lr_lambdas]
        return state

    def load_state_dict(self, state_dict):
        """Restore `state_dict()`; the functions themselves stay those given to the constructor."""
        state_dict = dict(state_dict)
        saved = state_dict.pop("lr_lambdas", [None] * len(self.lr_lambdas))
        super().load_state_dict(state_dict)
        for fn, attributes in zip(self.lr_lambdas, saved):
            if attributes is not None:
                fn.__dict__.update(attributes)


class LambdaLR(_LambdaScheduler):
    """lr = initial_lr * lr_lambda(epoch) (torch.optim.lr_scheduler.LambdaLR).

    lr_lambda: a function of the epoch, or a list of them, one per param group.
    """

    def get_lr(self):
        return [base * fn(self.last_epoch) for fn, base in zip(self.lr_lambdas, self.base_lrs)]


class MultiplicativeLR(_LambdaScheduler):
    """Multiply the lr by lr_lambda(epoch) every epoch after the first
    (torch.optim.lr_scheduler.MultiplicativeLR)."""

    def get_lr(self):
        if self._is_initial:
            return self._current_lrs()
        return [lr * fn(self.last_epoch) for fn, lr in zip(self.lr_lambdas, self._current_lrs())]


class MultiStepLR(LRScheduler):
    """Multiply the lr by gamma at each epoch listed in milestones (a milestone listed twice
    multiplies twice) (torch.optim.lr_scheduler.MultiStepLR)."""

    def __init__(self, optimizer, milestones, gamma=0.1, last_epoch=-1) -> None:
        milestones = list(milestones)
        for m in milestones:
            if isinstance(m, bool) or not isinstance(m, numbers.Integral):
                raise TypeError(f"milestones must be integers, got {m!r}")
        _check_finite("gamma", gamma)
        self.milestones = collections.Counter(milestones)
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        if self.last_epoch not in self.milestones:
            return self._current_lrs()
        factor = self.gamma ** self.milestones[self.last_epoch]
        return [lr * factor for lr in self._current_lrs()]

    def _get_closed_form_lr(self):
        passed = bisect.bisect_right(sorted(self.milestones.elements()), self.last_epoch)
        return [base * self.gamma ** passed for base in self.base_lrs]


class ConstantLR(LRScheduler):
    """Multiply the lr by factor for the first total_iters epochs, then restore it
    (torch.optim.lr_scheduler.ConstantLR)."""

    def __init__(self, optimizer, factor=1.0 / 3, total_iters=5, last_epoch=-1) -> None:
        _check_finite("factor", factor)
        if factor > 1.0:
            raise ValueError("Constant multiplicative factor expected to be between 0 and 1 "
                             f"(factor={factor})")
        _check_total_iters(total_iters)
        self.factor = factor
        self.total_iters = total_iters
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        if self.last_epoch == 0:
            return [lr * self.factor for lr in self._current_lrs()]
        if self.last_epoch != self.total_iters:
            return self._current_lrs()
        return [lr * (1.0 / self.factor) for lr in self._current_lrs()]

    def _get_closed_form_lr(self):
        done = self.last_epoch >= self.total_iters
        return [base * (self.factor + done * (1 - self.factor)) for base in self.base_lrs]


class LinearLR(LRScheduler):
    """Scale the lr linearly from start_factor to end_factor over total_iters epochs
    (torch.optim.lr_scheduler.LinearLR)."""

    def __init__(self, optimizer, start_factor=1.0 / 3, end_factor=1.0, total_iters=5,
                 last_epoch=-1) -> None:
        _check_finite("start_factor", start_factor)
        _check_finite("end_factor", end_factor)
        if not 0 < start_factor <= 1:
            raise ValueError("Starting multiplicative factor expected to be greater than 0 and "
                             f"less or equal to 1 (start_factor={start_factor})")
        if end_factor > 1:
            raise ValueError("Ending multiplicative factor expected to be between 0 and 1 "
                             f"(end_factor={end_factor})")
        _check_total_iters(total_iters)
        self.start_factor = start_factor
        self.end_factor = end_factor
        self.total_iters = total_iters
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        if self.last_epoch == 0:
            return [lr * self.start_factor for lr in self._current_lrs()]
        if self._is_initial or self.last_epoch > self.total_iters:
            return self._current_lrs()
        span = self.end_factor - self.start_factor
        # the ratio of this epoch's factor to the previous one's
        ratio = 1.0 + span / (self.total_iters * self.start_factor + (self.last_epoch - 1) * span)
        return [lr * ratio for lr in self._current_lrs()]

    def _get_closed_form_lr(self):
        span = self.end_factor - self.start_factor
        progress = min(self.total_iters, self.last_epoch) / self.total_iters
        return [base * (self.start_factor + span * progress) for base in self.base_lrs]


class PolynomialLR(LRScheduler):
    """lr = initial_lr * (1 - epoch / total_iters) ** power, then 0 after total_iters
    (torch.optim.lr_scheduler.PolynomialLR)."""

    def __init__(self, optimizer, total_iters=5, power=1.0, last_epoch=-1) -> None:
        _check_total_iters(total_iters)
        _check_finite("power", power)
        self.total_iters = total_iters
        self.power = power
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        if self._is_initial or self.last_epoch > self.total_iters:
            return self._current_lrs()
        decay = ((1.0 - self.last_epoch / self.total_iters)
                 / (1.0 - (self.last_epoch - 1) / self.total_iters)) ** self.power
        return [lr * decay for lr in self._current_lrs()]

    def _get_closed_form_lr(self):
        remaining = 1.0 - min(self.total_iters, self.last_epoch) / self.total_iters
        return [base * remaining ** self.power for base in self.base_lrs]


def _check_total_iters(total_iters):
    _check_positive_int("total_iters", total_iters)
