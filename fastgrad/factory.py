"""Tensor constructors in PyTorch's names (zeros, ones, randn, linspace, eye, randint, ...).

Floats default to the default dtype (float32 unless fg.set_default_dtype changed it) and
integers to int64, as in PyTorch. Every constructor takes
`dtype=` (fg.float32, fg.long, a NumPy dtype or its name), `device=` (the CPU only, see
device.py) and, for float tensors, `requires_grad=`.
"""
import numpy as np

from . import device as _device
from .dtypes import get_default_dtype, resolve
from .random import generator
from .tensor import Tensor


def _shape(size, where="size"):
    """A size given as ints or as one tuple/list/torch.Size -> a tuple of non-negative ints."""
    size = tuple(size[0]) if len(size) == 1 and isinstance(size[0], (tuple, list)) else size
    for s in size:
        if isinstance(s, bool) or not isinstance(s, (int, np.integer)):
            raise TypeError(f"{where}: sizes must be ints, got {s!r}")
        if s < 0:
            raise ValueError(f"{where}: sizes must be non-negative, got {tuple(size)}")
    return tuple(int(s) for s in size)


def _make(array, dtype, device, requires_grad, where, default=None):
    """The tensor every constructor returns: array cast to dtype (or `default`, else the default
    float dtype), on the CPU."""
    _device.check(device, f"{where}: device")
    dt = resolve(dtype, f"{where}: dtype") or np.dtype(default or get_default_dtype())
    return Tensor(np.asarray(array, dtype=dt, order="C"), requires_grad=requires_grad, dtype=dt)


def zeros(*size, dtype=None, device=None, requires_grad=False):
    """A tensor of zeros (torch.zeros)."""
    return _make(np.zeros(_shape(size, "zeros")), dtype, device, requires_grad, "zeros")


def ones(*size, dtype=None, device=None, requires_grad=False):
    """A tensor of ones (torch.ones)."""
    return _make(np.ones(_shape(size, "ones")), dtype, device, requires_grad, "ones")


def empty(*size, dtype=None, device=None, requires_grad=False):
    """A tensor whose values are to be overwritten (torch.empty); fastgrad fills it with zeros,
    so a run never depends on leftover memory."""
    return _make(np.zeros(_shape(size, "empty")), dtype, device, requires_grad, "empty")


def full(size, fill_value, dtype=None, device=None, requires_grad=False):
    """A tensor filled with fill_value (torch.full); its dtype follows fill_value by default
    (bool, int64 or the default float dtype), as PyTorch's."""
    size = _shape(size if isinstance(size, (tuple, list)) else (size,), "full")
    default = (np.bool_ if isinstance(fill_value, (bool, np.bool_)) else
               np.int64 if isinstance(fill_value, (int, np.integer)) else None)
    return _make(np.full(size, fill_value), dtype, device, requires_grad, "full", default)


def randn(*size, dtype=None, device=None, requires_grad=False):
    """Standard normal draws from fastgrad's seeded generator (torch.randn)."""
    draws = generator().standard_normal(_shape(size, "randn"))
    return _make(draws, dtype, device, requires_grad, "randn")


def rand(*size, dtype=None, device=None, requires_grad=False):
    """Uniform [0, 1) draws from fastgrad's seeded generator (torch.rand)."""
    return _make(generator().random(_shape(size, "rand")), dtype, device, requires_grad, "rand")


def _number(x, where):
    x = x.item() if isinstance(x, Tensor) else x
    if isinstance(x, bool) or not isinstance(x, (int, float, np.integer, np.floating)):
        raise TypeError(f"{where} must be a number, got {x!r}")
    return x


def arange(start, end=None, step=1, *, dtype=None, device=None, requires_grad=False):
    """start, start + step, ... up to but excluding end (torch.arange); int64 when every
    argument is an int, else the default float dtype."""
    if end is None:
        start, end = 0, start
    start, end, step = (_number(v, f"arange: {n}") for v, n in
                        ((start, "start"), (end, "end"), (step, "step")))
    if step == 0:
        raise ValueError("arange: step must be nonzero")
    ints = all(isinstance(v, (int, np.integer)) for v in (start, end, step))
    values = np.arange(start, end, step, dtype=np.int64 if ints else np.float64)
    return _make(values, dtype, device, requires_grad, "arange",
                 np.int64 if ints else None)


def linspace(start, end, steps, *, dtype=None, device=None, requires_grad=False):
    """steps evenly spaced values from start to end inclusive (torch.linspace)."""
    start, end = _number(start, "linspace: start"), _number(end, "linspace: end")
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 0:
        raise ValueError(f"linspace: steps must be a non-negative int, got {steps!r}")
    return _make(np.linspace(start, end, int(steps)), dtype, device, requires_grad, "linspace")


def logspace(start, end, steps, base=10.0, *, dtype=None, device=None, requires_grad=False):
    """steps values from base**start to base**end, evenly spaced in the exponent
    (torch.logspace)."""
    start, end = _number(start, "logspace: start"), _number(end, "logspace: end")
    base = _number(base, "logspace: base")
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 0:
        raise ValueError(f"logspace: steps must be a non-negative int, got {steps!r}")
    values = np.power(float(base), np.linspace(start, end, int(steps)))
    return _make(values, dtype, device, requires_grad, "logspace")


def eye(n, m=None, *, dtype=None, device=None, requires_grad=False):
    """The n x m identity matrix (m defaults to n) (torch.eye)."""
    for name, v in (("n", n), ("m", n if m is None else m)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 0:
            raise ValueError(f"eye: {name} must be a non-negative int, got {v!r}")
    return _make(np.eye(n, m), dtype, device, requires_grad, "eye")


def randint(*args, size=None, dtype=None, device=None, requires_grad=False):
    """Uniform integers in [low, high): randint(high, size) or randint(low, high, size)
    (torch.randint); int64 by default."""
    if size is None:
        if not args or not isinstance(args[-1], (tuple, list)):
            raise TypeError("randint: size must be given as a tuple, e.g. randint(10, (3,))")
        args, size = args[:-1], args[-1]
    if len(args) == 1:
        low, high = 0, args[0]
    elif len(args) == 2:
        low, high = args
    else:
        raise TypeError("randint: expected randint(high, size) or randint(low, high, size)")
    for name, v in (("low", low), ("high", high)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
            raise TypeError(f"randint: {name} must be an int, got {v!r}")
    if high <= low:
        raise ValueError(f"randint: high ({high}) must be greater than low ({low})")
    draws = generator().integers(low, high, _shape(tuple(size), "randint"))
    return _make(draws, dtype, device, requires_grad, "randint", np.int64)


def randperm(n, *, dtype=None, device=None, requires_grad=False):
    """A random permutation of 0 .. n-1 (torch.randperm); int64 by default."""
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
        raise ValueError(f"randperm: n must be a non-negative int, got {n!r}")
    return _make(generator().permutation(int(n)), dtype, device, requires_grad, "randperm",
                 np.int64)


def _like(t, values, dtype, device, requires_grad, where):
    src = t.numpy() if isinstance(t, Tensor) else np.asarray(t)
    return _make(values(src.shape), dtype, device, requires_grad, where, src.dtype)


def zeros_like(input, *, dtype=None, device=None, requires_grad=False):
    """Zeros of input's shape and dtype (torch.zeros_like)."""
    return _like(input, np.zeros, dtype, device, requires_grad, "zeros_like")


def ones_like(input, *, dtype=None, device=None, requires_grad=False):
    """Ones of input's shape and dtype (torch.ones_like)."""
    return _like(input, np.ones, dtype, device, requires_grad, "ones_like")


def empty_like(input, *, dtype=None, device=None, requires_grad=False):
    """A tensor of input's shape and dtype to be overwritten, zero-filled (torch.empty_like)."""
    return _like(input, np.zeros, dtype, device, requires_grad, "empty_like")


def full_like(input, fill_value, *, dtype=None, device=None, requires_grad=False):
    """fill_value in input's shape and dtype (torch.full_like)."""
    return _like(input, lambda s: np.full(s, fill_value), dtype, device, requires_grad,
                 "full_like")


def rand_like(input, *, dtype=None, device=None, requires_grad=False):
    """Uniform [0, 1) draws in input's shape and dtype (torch.rand_like)."""
    return _like(input, generator().random, dtype, device, requires_grad, "rand_like")


def randn_like(input, *, dtype=None, device=None, requires_grad=False):
    """Standard normal draws in input's shape and dtype (torch.randn_like)."""
    return _like(input, generator().standard_normal, dtype, device, requires_grad, "randn_like")


def from_numpy(array):
    """A tensor sharing memory with array when it is already a C-contiguous float/int array."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy: expected a NumPy array, got {type(array).__name__}")
    return Tensor(array)


def as_tensor(data, dtype=None, device=None):
    """data as a tensor, sharing memory when it already is one (or a suitable NumPy array) of
    the requested dtype (torch.as_tensor)."""
    _device.check(device, "as_tensor: device")
    dt = resolve(dtype, "as_tensor: dtype")
    if isinstance(data, Tensor):
        return data if dt is None or data.dtype == dt else data.to(dt)
    return Tensor(data, dtype=dt)


def is_tensor(obj):
    """Whether obj is a fastgrad Tensor (torch.is_tensor)."""
    return isinstance(obj, Tensor)
