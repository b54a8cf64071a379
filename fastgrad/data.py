"""Datasets and the DataLoader that batches them, shaped like torch.utils.data.

A TensorDataset's batches are gathered with one NumPy operation per array (a slice copy, or a
take of the shuffled rows), so only the rows of the batch are ever read: the arrays may be
np.memmap files larger than memory. Any other
dataset (an object with __len__ and __getitem__) is read item by item and collated with np.stack.
"""
import numbers

import numpy as np

from . import random as _random


def _as_array(x):
    """A NumPy array for x: ndarrays (np.memmap included) as they are, Tensors by their .data."""
    if isinstance(x, np.ndarray):
        return x  # np.asarray would keep a memmap lazy too, but this keeps its type visible
    data = getattr(x, "data", None)
    if isinstance(data, np.ndarray):
        return data
    return np.asarray(x)


class TensorDataset:
    """Samples are rows: dataset[i] == (arrays[0][i], arrays[1][i], ...)."""

    def __init__(self, *arrays):
        if not arrays:
            raise ValueError("TensorDataset needs at least one array")
        self.arrays = tuple(_as_array(a) for a in arrays)
        for i, a in enumerate(self.arrays):
            if a.ndim == 0:
                raise ValueError(f"TensorDataset: array {i} is 0-d; every array needs a first "
                                 "(sample) dimension")
        lengths = [len(a) for a in self.arrays]
        if len(set(lengths)) != 1:
            raise ValueError(f"TensorDataset: arrays differ in their first dimension: {lengths}")

    def __len__(self):
        return len(self.arrays[0])

    def __getitem__(self, index):
        """An int, slice or index array; returns a tuple with one array per dataset array."""
        return tuple(a[index] for a in self.arrays)


class DataLoader:
    """Iterates over `dataset` in batches of `batch_size`, each a tuple of NumPy arrays.

    shuffle: a new order each epoch, drawn from np.random.default_rng(seed) created once here
    when `seed` is given (epochs differ, runs repeat), else from fastgrad's process-wide
    generator at the start of each epoch (so fastgrad.manual_seed makes runs repeat).
    drop_last: skip the last batch when it is smaller than batch_size.
    Batches of a generic dataset mirror its items: tuple items give tuples of stacked arrays,
    dict items dicts, single arrays or numbers one stacked array (as PyTorch's default collate).
    """

    def __init__(self, dataset, batch_size=1, shuffle=False, drop_last=False, seed=None):
        if (isinstance(batch_size, bool) or not isinstance(batch_size, numbers.Integral)
                or batch_size <= 0):
            raise ValueError(f"batch_size should be a positive integer, got {batch_size!r}")
        if not (hasattr(dataset, "__len__") and hasattr(dataset, "__getitem__")):
            raise TypeError(f"dataset must have __len__ and __getitem__, got "
                            f"{type(dataset).__name__}")
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, numbers.Integral)):
            raise TypeError(f"seed must be an int or None, got {type(seed).__name__}")
        self.dataset = dataset
        self.batch_size = int(batch_size)
        self.shuffle = bool(shuffle)
        self.drop_last = bool(drop_last)
        self.seed = seed
        self._generator = np.random.default_rng(seed) if seed is not None else None

    def __len__(self):
        n = len(self.dataset)
        if self.drop_last:
            return n // self.batch_size
        return -(-n // self.batch_size)

    def __iter__(self):
        n = len(self.dataset)
        order = None
        if self.shuffle:
            generator = self._generator if self._generator is not None else _random.generator()
            order = generator.permutation(n)
        size = self.batch_size
        starts = range(0, len(self) * size, size)
        if isinstance(self.dataset, TensorDataset):
            yield from _tensor_batches(self.dataset.arrays, order, starts, size)
            return
        for start in starts:
            stop = min(start + size, n)
            index = range(start, stop) if order is None else order[start:stop]
            yield _collate([self.dataset[int(i)] for i in index])


def _tensor_batches(arrays, order, starts, size):
    """A TensorDataset's batches: per array and batch, one copy of a slice (in order) or one
    take of the batch's rows (shuffled), so the per-batch cost is a few NumPy calls whatever
    the batch size. ndarray.take is the cheapest gather of whole rows (about 3x faster than
    the equivalent array[index] for small batches). Memmaps and ndarray subclasses go
    through _gather_rows."""
    if not all(type(a) is np.ndarray for a in arrays):
        for start in starts:
            index = slice(start, start + size) if order is None else order[start:start + size]
            yield tuple([_gather_rows(a, index) for a in arrays])
    elif order is None:
        for start in starts:
            yield tuple([a[start:start + size].copy() for a in arrays])  # never a view
    else:
        takes = [a.take for a in arrays]
        for start in starts:
            index = order[start:start + size]
            yield tuple([take(index, 0) for take in takes])


def _gather_rows(array, index):
    """array[index] as a new in-memory ndarray, reading only those rows."""
    if isinstance(index, slice):
        return np.array(array[index])  # a copy: batches never alias the dataset
    if isinstance(array, np.memmap) and len(index) > 1:
        # Read the rows in file order (readahead-friendly), then put them back in batch order.
        order = np.argsort(index, kind="stable")
        rows = array[index[order]]
        batch = np.empty(rows.shape, rows.dtype)
        batch[order] = rows
        return batch
    return np.asarray(array[index])  # fancy indexing copies; asarray drops ndarray subclasses


def _collate(items):
    first = items[0]
    if isinstance(first, tuple) or isinstance(first, list):
        return tuple(_collate([item[k] for item in items]) for k in range(len(first)))
    if isinstance(first, dict):
        return {k: _collate([item[k] for item in items]) for k in first}
    return np.stack([_as_array(item) for item in items])
