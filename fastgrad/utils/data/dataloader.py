"""DataLoader: iterates over a dataset in batches of Tensors (torch.utils.data.DataLoader).

The order comes from a sampler (SequentialSampler, or RandomSampler when shuffle=True), the
grouping from a BatchSampler, and each batch is built by collate_fn (default_collate). Loading
runs in the calling process: num_workers > 0 is accepted and warned about, since a NumPy
gather is cheaper than shipping batches between processes for the datasets fastgrad trains on.

A TensorDataset read with the default sampler and collation skips the per-sample path: each
batch is one NumPy slice or take per column, so only the batch's rows are read (np.memmap
columns larger than memory work) and the per-batch cost does not grow with the batch size.
"""
import numbers
import warnings
from typing import Any, Callable, Optional

import numpy as np

from ...generator import Generator
from .collate import as_batch_tensor, default_collate, default_convert
from .dataset import TensorDataset
from ...distributed.sampler import DistributedSampler
from .sampler import BatchSampler, RandomSampler, SequentialSampler, SubsetRandomSampler

# The stock samplers, whose order() gives an epoch's indices as one array: the fast path
# gathers a TensorDataset's batches from it. A user's sampler is read index by index.
_ORDERED_SAMPLERS = (SequentialSampler, RandomSampler, SubsetRandomSampler, DistributedSampler)


class DataLoader:
    """Batches of `dataset` (PyTorch's DataLoader and its arguments).

    Args:
        batch_size: samples per batch; None yields single samples (converted, not collated).
        shuffle: a new random order each epoch (a RandomSampler).
        sampler / batch_sampler: a custom order of indices / of lists of indices.
        collate_fn: list of samples -> batch (default_collate: Tensors, PyTorch's rules).
        drop_last: skip the last batch when it is smaller than batch_size.
        generator: a fastgrad.Generator for the shuffle order (None: fastgrad.manual_seed's).
        num_workers: accepted; batches are always loaded in this process.
        seed: fastgrad's shorthand for generator=fastgrad.Generator().manual_seed(seed).
        pin_memory, timeout, worker_init_fn, prefetch_factor, persistent_workers,
        multiprocessing_context: accepted for PyTorch's signature; without worker processes
        or a GPU they change nothing.
    """

    def __init__(self, dataset: Any, batch_size: Optional[int] = 1,
                 shuffle: Optional[bool] = None, sampler: Any = None, batch_sampler: Any = None,
                 num_workers: int = 0, collate_fn: Optional[Callable[..., Any]] = None,
                 pin_memory: bool = False, drop_last: bool = False, timeout: float = 0,
                 worker_init_fn: Any = None, multiprocessing_context: Any = None,
                 generator: Any = None, *, prefetch_factor: Optional[int] = None,
                 persistent_workers: bool = False, pin_memory_device: str = "",
                 seed: Optional[int] = None) -> None:
        if not (hasattr(dataset, "__len__") and hasattr(dataset, "__getitem__")):
            raise TypeError(f"DataLoader: dataset must have __len__ and __getitem__, got "
                            f"{type(dataset).__name__}")
        if batch_size is not None and (isinstance(batch_size, bool)
                                       or not isinstance(batch_size, numbers.Integral)
                                       or batch_size <= 0):
            raise ValueError(f"batch_size should be a positive integer or None, got "
                             f"{batch_size!r}")
        if isinstance(num_workers, bool) or not isinstance(num_workers, numbers.Integral) \
                or num_workers < 0:
            raise ValueError(f"num_workers should be a non-negative integer, got {num_workers!r}")
        if num_workers > 0:
            warnings.warn(f"fastgrad's DataLoader loads in the main process; num_workers="
                          f"{num_workers} runs in-process", UserWarning, stacklevel=2)
        if seed is not None:
            if generator is not None:
                raise ValueError("DataLoader: give either generator or seed, not both")
            generator = Generator().manual_seed(seed)
        if sampler is not None and shuffle:
            raise ValueError("DataLoader with sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("DataLoader: batch_sampler option is mutually exclusive with "
                                 "batch_size, shuffle, sampler, and drop_last")
            batch_size, drop_last = None, False
        elif batch_size is None and drop_last:
            raise ValueError("DataLoader: batch_size=None option disables auto-batching and is "
                             "mutually exclusive with drop_last")
        if sampler is None:
            sampler = (RandomSampler(dataset, generator=generator) if shuffle
                       else SequentialSampler(dataset))
        if batch_size is not None and batch_sampler is None:
            batch_sampler = BatchSampler(sampler, batch_size, bool(drop_last))
        self.dataset = dataset
        self.batch_size = batch_size
        self.drop_last = bool(drop_last)
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.num_workers = int(num_workers)
        self.generator = generator
        self.pin_memory = pin_memory
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self._auto_collation = batch_sampler is not None
        if collate_fn is None:
            collate_fn = default_collate if self._auto_collation else default_convert
        self.collate_fn = collate_fn

    def __len__(self):
        return len(self.batch_sampler) if self._auto_collation else len(self.sampler)

    def __iter__(self):
        if self._fast_path():
            yield from self._tensor_batches()
            return
        if not self._auto_collation:
            for index in self.sampler:
                yield self.collate_fn(self.dataset[index])
            return
        for indices in self.batch_sampler:
            yield self.collate_fn([self.dataset[i] for i in indices])

    def _fast_path(self):
        """True when the batches may be gathered column by column: a plain TensorDataset, the
        default collation, and a stock sampler (whose order() the fast path reads)."""
        return (type(self.dataset) is TensorDataset and self.collate_fn is default_collate
                and type(self.batch_sampler) is BatchSampler
                and type(self.sampler) in _ORDERED_SAMPLERS
                and self.batch_sampler.sampler is self.sampler)

    def _tensor_batches(self):
        """A TensorDataset's batches: per column and batch, one copy of a slice (in order) or
        one take of the batch's rows (shuffled). ndarray.take is the cheapest gather of whole
        rows; memmaps and ndarray subclasses go through _gather_rows."""
        arrays = self.dataset.arrays
        size = self.batch_size
        order = None if type(self.sampler) is SequentialSampler else self.sampler.order()
        total = len(self.dataset) if order is None else len(order)
        count = total // size if self.drop_last else -(-total // size)
        starts = range(0, count * size, size)
        wrap = as_batch_tensor
        if not all(type(a) is np.ndarray for a in arrays):
            for start in starts:
                index = slice(start, start + size) if order is None else order[start:start + size]
                yield [wrap(_gather_rows(a, index)) for a in arrays]
        elif order is None:
            for start in starts:
                yield [wrap(a[start:start + size].copy()) for a in arrays]  # never a view
        else:
            takes = [a.take for a in arrays]
            for start in starts:
                index = order[start:start + size]
                yield [wrap(take(index, 0)) for take in takes]


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
