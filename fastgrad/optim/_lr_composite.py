"""Schedulers made of other schedulers of the same optimizer: SequentialLR runs them one after
another, ChainedScheduler steps them all together (their factors multiply)."""
import bisect
import copy

from ._lr_plateau import ReduceLROnPlateau
from .lr_scheduler import LRScheduler


def _check_schedulers(kind, schedulers, optimizer):
    if len(schedulers) < 1:
        raise ValueError(f"{kind} expects at least one scheduler, but got none (schedulers=[])")
    for i, scheduler in enumerate(schedulers):
        if not hasattr(scheduler, "optimizer"):
            raise TypeError(f"{kind}: schedulers[{i}] should have `optimizer` as its attribute")
        if isinstance(scheduler, ReduceLROnPlateau):
            raise ValueError(f"{kind} does not support ReduceLROnPlateau (schedulers[{i}]): its "
                             "step needs the metric")
        if scheduler.optimizer is not optimizer:
            raise ValueError(f"{kind} expects all schedulers to belong to the same optimizer, "
                             f"but schedulers[{i}] ({type(scheduler).__name__}) has another")


class _CompositeScheduler(LRScheduler):
    """The state of a composite is its own attributes plus each inner scheduler's state."""

    def state_dict(self):
        """Own attributes plus `_schedulers`: the inner schedulers' state_dicts."""
        state = {k: copy.deepcopy(v) for k, v in self.__dict__.items()
                 if k not in ("optimizer", "_schedulers")}
        state["_schedulers"] = [s.state_dict() for s in self._schedulers]
        return state

    def load_state_dict(self, state_dict):
        """Restore `state_dict()` into this scheduler and its inner schedulers."""
        state_dict = dict(state_dict)
        inner = state_dict.pop("_schedulers")
        super().load_state_dict(state_dict)
        if len(inner) != len(self._schedulers):
            raise ValueError(f"state_dict has {len(inner)} schedulers, this scheduler "
                             f"{len(self._schedulers)}")
        for scheduler, state in zip(self._schedulers, inner):
            scheduler.load_state_dict(state)


class SequentialLR(_CompositeScheduler):
    """Run schedulers[0] until milestones[0], then schedulers[1] (restarted at its epoch 0) until
    milestones[1], and so on (torch.optim.lr_scheduler.SequentialLR)."""

    def __init__(self, optimizer, schedulers, milestones, last_epoch=-1) -> None:
        schedulers = list(schedulers)
        milestones = list(milestones)
        _check_schedulers("SequentialLR", schedulers, optimizer)
        if len(milestones) != len(schedulers) - 1:
            raise ValueError("SequentialLR expects one milestone fewer than schedulers, but got "
                             f"{len(schedulers)} schedulers and {len(milestones)} milestones")
        self._schedulers = schedulers
        self._milestones = milestones
        self.last_epoch = last_epoch + 1
        self.optimizer = optimizer
        # Each scheduler's constructor took a step: put the lrs and epochs back before it.
        for group in optimizer.param_groups:
            group["lr"] = group["initial_lr"]
        _undo_constructor_steps(self)
        current = self._schedulers[bisect.bisect_right(self._milestones, 0)]
        current._initial_step()
        self._last_lr = current.get_last_lr()

    def step(self):
        """Advance one epoch with the scheduler whose span holds it."""
        self.last_epoch += 1
        index = bisect.bisect_right(self._milestones, self.last_epoch)
        scheduler = self._schedulers[index]
        if index > 0 and self._milestones[index - 1] == self.last_epoch:
            scheduler._update_lr(0)  # a scheduler taking over starts at its own epoch 0
        else:
            scheduler.step()
        self._last_lr = scheduler.get_last_lr()


def _undo_constructor_steps(scheduler):
    if hasattr(scheduler, "_schedulers"):
        for inner in scheduler._schedulers:
            _undo_constructor_steps(inner)
    elif hasattr(scheduler, "last_epoch"):
        scheduler.last_epoch -= 1


class ChainedScheduler(_CompositeScheduler):
    """Step every scheduler in the list at each step, so their effects compound
    (torch.optim.lr_scheduler.ChainedScheduler)."""

    def __init__(self, schedulers, optimizer=None) -> None:
        schedulers = list(schedulers)
        if optimizer is None and schedulers:
            optimizer = schedulers[0].optimizer
        _check_schedulers("ChainedScheduler", schedulers, optimizer)
        self._schedulers = schedulers
        self.optimizer = optimizer
        self._last_lr = self._current_lrs()

    def step(self):
        """Step each scheduler in turn."""
        for scheduler in self._schedulers:
            scheduler.step()
        self._last_lr = self._current_lrs()
