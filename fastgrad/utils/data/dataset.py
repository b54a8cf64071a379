"""Datasets: what a DataLoader reads samples from (torch.utils.data's names).

A dataset is anything with __len__ and __getitem__(index) -> sample. TensorDataset keeps its
columns as NumPy arrays (np.memmap included, so a dataset may be larger than memory) and hands
out rows as Tensors; the DataLoader gathers a TensorDataset's batches with one NumPy call per
column instead of sample by sample.
"""
import bisect
import math
import numbers
from typing import Any

import numpy as np

from ...generator import numpy_generator
from ...tensor import Tensor
from .collate import as_batch_tensor


class Dataset:
    """Base class of map-style datasets: subclasses define __getitem__ and __len__."""

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} must define __getitem__")

    def __add__(self, other):
        return ConcatDataset([self, other])


def _as_array(x):
    """A NumPy array for x: ndarrays (np.memmap included) as they are, Tensors by their data."""
    if isinstance(x, np.ndarray):
        return x  # np.asarray would keep a memmap lazy too, but this keeps its type visible
    if isinstance(x, Tensor):
        return np.asarray(x.data)
    return np.asarray(x)


def _row(value):
    """One indexed row as a Tensor (0-d for a scalar), keeping the column's dtype."""
    return as_batch_tensor(np.asarray(value))


class TensorDataset(Dataset):
    """Samples are rows: dataset[i] == (tensors[0][i], tensors[1][i], ...), each a Tensor
    (PyTorch's TensorDataset). Takes Tensors or NumPy arrays with equal first dimensions."""

    def __init__(self, *tensors: Any) -> None:
        if not tensors:
            raise ValueError("TensorDataset needs at least one tensor or array")
        self.arrays = tuple(_as_array(a) for a in tensors)
        for i, a in enumerate(self.arrays):
            if a.ndim == 0:
                raise ValueError(f"TensorDataset: argument {i} is 0-d; every tensor needs a "
                                 "first (sample) dimension")
        lengths = [len(a) for a in self.arrays]
        if len(set(lengths)) != 1:
            raise ValueError(f"TensorDataset: tensors differ in their first dimension "
                             f"(size mismatch between tensors): {lengths}")

    @property
    def tensors(self):
        """The columns as Tensors sharing memory with the dataset's arrays."""
        return tuple(as_batch_tensor(np.asarray(a)) for a in self.arrays)

    def __len__(self):
        return len(self.arrays[0])

    def __getitem__(self, index):
        """An int, slice or index array; returns a tuple with one Tensor per column."""
        if isinstance(index, Tensor):
            index = index.data
        return tuple(_row(a[index]) for a in self.arrays)


class Subset(Dataset):
    """The samples of `dataset` at `indices`, in that order (PyTorch's Subset)."""

    def __init__(self, dataset, indices):
        self.dataset = dataset
        self.indices = indices

    def __getitem__(self, idx):
        if isinstance(idx, (list, np.ndarray)):
            return self.dataset[[self.indices[int(i)] for i in idx]]
        return self.dataset[self.indices[idx]]

    def __len__(self):
        return len(self.indices)


class ConcatDataset(Dataset):
    """Several datasets read one after the other as one (PyTorch's ConcatDataset)."""

    def __init__(self, datasets):
        self.datasets = list(datasets)
        if not self.datasets:
            raise ValueError("ConcatDataset: datasets should not be an empty iterable")
        self.cumulative_sizes = list(np.cumsum([len(d) for d in self.datasets]))

    def __len__(self):
        return int(self.cumulative_sizes[-1]) if self.cumulative_sizes else 0

    def __getitem__(self, idx):
        if idx < 0:
            if -idx > len(self):
                raise IndexError("ConcatDataset: index out of range")
            idx += len(self)
        which = bisect.bisect_right(self.cumulative_sizes, idx)
        start = int(self.cumulative_sizes[which - 1]) if which > 0 else 0
        return self.datasets[which][idx - start]


def _split_lengths(lengths, n):
    """Integer lengths from `lengths`, which are counts summing to n or fractions summing to 1
    (floor of each fraction, the remainder dealt one by one from the first, as PyTorch does)."""
    lengths = list(lengths)
    if math.isclose(sum(lengths), 1) and sum(lengths) <= 1:  # PyTorch's test for fractions
        for f in lengths:
            if not 0 <= f <= 1:
                raise ValueError(f"random_split: fraction {f} is not between 0 and 1")
        counts = [int(math.floor(n * f)) for f in lengths]
        for i in range(n - sum(counts)):
            counts[i % len(counts)] += 1
        return counts
    for length in lengths:
        if isinstance(length, bool) or not isinstance(length, numbers.Integral) or length < 0:
            raise ValueError(f"random_split: lengths must be non-negative ints or fractions "
                             f"summing to 1, got {lengths}")
    if sum(lengths) != n:
        raise ValueError(f"random_split: sum of input lengths ({sum(lengths)}) does not equal "
                         f"the length of the input dataset ({n})")
    return [int(length) for length in lengths]


def random_split(dataset, lengths, generator=None):
    """Split `dataset` into non-overlapping Subsets of the given lengths (counts, or fractions
    summing to 1), drawn from a random permutation (PyTorch's random_split). generator: a
    fastgrad.Generator; None uses the process-wide one that fastgrad.manual_seed seeds."""
    counts = _split_lengths(lengths, len(dataset))
    order = numpy_generator(generator).permutation(len(dataset)).tolist()
    subsets, start = [], 0
    for count in counts:
        subsets.append(Subset(dataset, order[start:start + count]))
        start += count
    return subsets
