"""Tensor constructors in PyTorch's names (zeros, ones, randn, ...), float32 by default."""
import numpy as np

from .random import generator
from .tensor import Tensor, _as_dtype


def _shape(size):
    """zeros(2, 3) and zeros((2, 3)) alike; zeros(()) is 0-d."""
    return tuple(size[0]) if len(size) == 1 and isinstance(size[0], (tuple, list)) else size


def _new(array, dtype, requires_grad):
    """A leaf around a freshly made array, in dtype (float32 when None)."""
    dt = np.dtype(np.float32) if dtype is None else _as_dtype(dtype)
    return Tensor(array.astype(dt, copy=False), requires_grad=requires_grad)


def zeros(*size, dtype=None, requires_grad=False):
    """A tensor of zeros (torch.zeros)."""
    return _new(np.zeros(_shape(size), np.float32 if dtype is None else _as_dtype(dtype)),
                dtype, requires_grad)


def ones(*size, dtype=None, requires_grad=False):
    """A tensor of ones (torch.ones)."""
    return _new(np.ones(_shape(size), np.float32 if dtype is None else _as_dtype(dtype)),
                dtype, requires_grad)


def full(size, fill_value, dtype=None, requires_grad=False):
    """A tensor filled with fill_value (torch.full); float32 unless dtype says otherwise."""
    size = tuple(size) if isinstance(size, (tuple, list)) else (size,)
    return _new(np.full(size, fill_value), dtype, requires_grad)


def randn(*size, dtype=None, requires_grad=False):
    """Standard normal draws from fastgrad's seeded generator (torch.randn)."""
    return _new(generator().standard_normal(_shape(size)), dtype, requires_grad)


def rand(*size, dtype=None, requires_grad=False):
    """Uniform [0, 1) draws from fastgrad's seeded generator (torch.rand)."""
    return _new(generator().random(_shape(size)), dtype, requires_grad)


def arange(*args, dtype=None):
    """Evenly spaced values in [start, end) (torch.arange): int64 for integer arguments,
    float32 otherwise."""
    values = np.arange(*args)
    if dtype is None:
        dtype = np.int64 if values.dtype.kind in "iu" else np.float32
    return Tensor(values.astype(_as_dtype(dtype), copy=False))


def zeros_like(t, dtype=None, requires_grad=False):
    """Zeros of t's shape and dtype (torch.zeros_like)."""
    like = np.asarray(t)
    return _new(np.zeros(like.shape, like.dtype), like.dtype if dtype is None else dtype,
                requires_grad)


def ones_like(t, dtype=None, requires_grad=False):
    """Ones of t's shape and dtype (torch.ones_like)."""
    like = np.asarray(t)
    return _new(np.ones(like.shape, like.dtype), like.dtype if dtype is None else dtype,
                requires_grad)


def from_numpy(array):
    """A tensor sharing memory with array (torch.from_numpy) when it is already a C-contiguous
    array of a dtype fastgrad holds (floats keep their dtype, integers become int64)."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy expects a NumPy array, got {type(array).__name__}")
    return Tensor(array)
