"""DistributedSampler: each rank's share of a dataset's indices (torch.utils.data's).

The indices (shuffled with seed + epoch, or in order) are padded by repeating the first ones,
or cut (drop_last), to a multiple of the number of ranks, then dealt out like cards: rank r
takes positions r, r + N, r + 2N, ... So batch k of every rank together is batch k of one
process reading the same order with an N times larger batch, which is what lets N processes
train the model one process would.
"""
import math
import numbers
from typing import Any, Iterator, Optional

import numpy as np


class DistributedSampler:
    """Yields the dataset indices of one rank (torch.utils.data.DistributedSampler).

    num_replicas, rank: default to the initialised process group's world size and rank.
    shuffle: a new order each epoch from seed + epoch (call set_epoch before each epoch);
    the same on every rank, which is what makes the shares disjoint.
    drop_last: cut the tail so every rank gets the same number of indices, instead of
    padding with repeated indices.
    """

    def __init__(self, dataset: Any, num_replicas: Optional[int] = None,
                 rank: Optional[int] = None, shuffle: bool = True, seed: int = 0,
                 drop_last: bool = False) -> None:
        from . import process_group

        if num_replicas is None:
            num_replicas = process_group.get_world_size()
        if rank is None:
            rank = process_group.get_rank()
        _check_int("num_replicas", num_replicas)
        _check_int("rank", rank)
        _check_int("seed", seed)
        if num_replicas < 1:
            raise ValueError(f"DistributedSampler: num_replicas must be at least 1, got "
                             f"{num_replicas}")
        if rank >= num_replicas or rank < 0:
            raise ValueError(f"Invalid rank {rank}, rank should be in the interval "
                             f"[0, {num_replicas - 1}]")
        self.dataset = dataset
        self.num_replicas = int(num_replicas)
        self.rank = int(rank)
        self.epoch = 0
        self.drop_last = bool(drop_last)
        n = len(dataset)
        if self.drop_last and n % self.num_replicas != 0:
            self.num_samples = math.ceil((n - self.num_replicas) / self.num_replicas)
        else:
            self.num_samples = math.ceil(n / self.num_replicas)
        self.total_size = self.num_samples * self.num_replicas
        self.shuffle = bool(shuffle)
        self.seed = int(seed)

    def permutation(self, n: int) -> np.ndarray:
        """The shuffled order of range(n) for this epoch: the same on every rank."""
        return np.random.default_rng(self.seed + self.epoch).permutation(n)

    def order(self) -> np.ndarray:
        """This rank's indices for the current epoch, as a NumPy int64 array."""
        n = len(self.dataset)
        order = self.permutation(n) if self.shuffle else np.arange(n)
        order = np.asarray(order, dtype=np.int64)
        if not self.drop_last:
            padding = self.total_size - n
            if padding > 0:  # repeat the order from its start, as often as needed
                order = np.concatenate([order, np.resize(order, padding)])
        else:
            order = order[:self.total_size]
        return order[self.rank:self.total_size:self.num_replicas]

    def __iter__(self) -> Iterator[int]:
        return iter(self.order().tolist())

    def __len__(self) -> int:
        return self.num_samples

    def set_epoch(self, epoch: int) -> None:
        """Sets the epoch, which with seed picks the shuffled order."""
        _check_int("epoch", epoch)
        self.epoch = int(epoch)


def _check_int(name, value):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"DistributedSampler: {name} must be an integer, got {value!r}")
