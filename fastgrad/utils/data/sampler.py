"""Samplers: the order in which a DataLoader reads a dataset (torch.utils.data's samplers).

A sampler is an iterable of dataset indices; a batch sampler one of lists of indices. The
random ones draw a whole permutation per epoch from their generator (a fastgrad.Generator, or
fastgrad's process-wide generator when none is given, so fastgrad.manual_seed repeats a run).
"""
import numbers

import numpy as np

from ...generator import numpy_generator


def _check_positive_int(name, value, owner):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value <= 0:
        raise ValueError(f"{owner}: {name} should be a positive integer, got {value!r}")


class Sampler:
    """Base class: subclasses define __iter__ (yielding indices) and usually __len__."""

    def __init__(self, data_source=None):
        pass

    def __iter__(self):
        raise NotImplementedError(f"{type(self).__name__} must define __iter__")


class SequentialSampler(Sampler):
    """Indices 0, 1, ..., len(data_source) - 1."""

    def __init__(self, data_source):
        self.data_source = data_source

    def order(self):
        """The indices of one epoch as an array."""
        return np.arange(len(self.data_source))

    def __iter__(self):
        return iter(range(len(self.data_source)))

    def __len__(self):
        return len(self.data_source)


class RandomSampler(Sampler):
    """A random order of the dataset each epoch: a permutation, or with replacement=True
    num_samples independent uniform draws (PyTorch's RandomSampler)."""

    def __init__(self, data_source, replacement=False, num_samples=None, generator=None):
        if not isinstance(replacement, bool):
            raise TypeError(f"RandomSampler: replacement should be a boolean, got {replacement!r}")
        if num_samples is not None:
            _check_positive_int("num_samples", num_samples, "RandomSampler")
        numpy_generator(generator)  # checks its type now rather than at the first epoch
        self.data_source = data_source
        self.replacement = replacement
        self._num_samples = num_samples
        self.generator = generator

    @property
    def num_samples(self):
        """Indices drawn per epoch (the dataset's length unless given)."""
        return len(self.data_source) if self._num_samples is None else int(self._num_samples)

    def order(self):
        """The indices of one epoch as an array, drawn from the generator."""
        n, rng = len(self.data_source), numpy_generator(self.generator)
        if self.replacement:
            return rng.integers(0, n, size=self.num_samples) if n else np.arange(0)
        whole, rest = divmod(self.num_samples, n) if n else (0, 0)
        parts = [rng.permutation(n) for _ in range(whole)]
        if rest:
            parts.append(rng.permutation(n)[:rest])
        return np.concatenate(parts) if parts else np.arange(0)

    def __iter__(self):
        return iter(self.order().tolist())

    def __len__(self):
        return self.num_samples


class SubsetRandomSampler(Sampler):
    """The given indices in a random order each epoch."""

    def __init__(self, indices, generator=None):
        numpy_generator(generator)
        self.indices = indices
        self.generator = generator

    def order(self):
        """The indices of one epoch as an array, drawn from the generator."""
        picks = numpy_generator(self.generator).permutation(len(self.indices))
        return np.asarray([self.indices[i] for i in picks], dtype=np.int64)

    def __iter__(self):
        return iter(self.order().tolist())

    def __len__(self):
        return len(self.indices)


class BatchSampler(Sampler):
    """Groups the indices of `sampler` into lists of batch_size (the last one shorter unless
    drop_last)."""

    def __init__(self, sampler, batch_size, drop_last):
        _check_positive_int("batch_size", batch_size, "BatchSampler")
        if not isinstance(drop_last, bool):
            raise ValueError(f"BatchSampler: drop_last should be a boolean, got {drop_last!r}")
        self.sampler = sampler
        self.batch_size = int(batch_size)
        self.drop_last = drop_last

    def __iter__(self):
        batch = []
        for index in self.sampler:
            batch.append(index)
            if len(batch) == self.batch_size:
                yield batch
                batch = []
        if batch and not self.drop_last:
            yield batch

    def __len__(self):
        if self.drop_last:
            return len(self.sampler) // self.batch_size
        return -(-len(self.sampler) // self.batch_size)
