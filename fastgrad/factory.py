"""Tensor constructors in PyTorch's names (zeros, ones, randn, ...), float32 by default."""
import numpy as np

from .random import generator
from .tensor import Tensor


def _shape(size):
    return tuple(size[0]) if len(size) == 1 and isinstance(size[0], (tuple, list)) else size


def zeros(*size, dtype=np.float32, requires_grad=False):
    return Tensor(np.zeros(_shape(size), dtype=dtype), requires_grad=requires_grad)


def ones(*size, dtype=np.float32, requires_grad=False):
    return Tensor(np.ones(_shape(size), dtype=dtype), requires_grad=requires_grad)


def full(size, fill_value, dtype=np.float32, requires_grad=False):
    return Tensor(np.full(size, fill_value, dtype=dtype), requires_grad=requires_grad)


def randn(*size, dtype=np.float32, requires_grad=False):
    """Standard normal draws from fastgrad's seeded generator."""
    return Tensor(generator().standard_normal(_shape(size)).astype(dtype), requires_grad=requires_grad)


def rand(*size, dtype=np.float32, requires_grad=False):
    """Uniform [0, 1) draws from fastgrad's seeded generator."""
    return Tensor(generator().random(_shape(size)).astype(dtype), requires_grad=requires_grad)


def arange(*args, dtype=None):
    return Tensor(np.arange(*args, dtype=dtype))


def zeros_like(t, dtype=None, requires_grad=False):
    return Tensor(np.zeros_like(getattr(t, "data", t), dtype=dtype), requires_grad=requires_grad)


def ones_like(t, dtype=None, requires_grad=False):
    return Tensor(np.ones_like(getattr(t, "data", t), dtype=dtype), requires_grad=requires_grad)


def from_numpy(array):
    """A tensor sharing memory with array when it is already a C-contiguous float/int array."""
    return Tensor(array)
