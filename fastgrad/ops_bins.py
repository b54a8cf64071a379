"""Counting and binning in PyTorch's names: bincount, histc, searchsorted, bucketize,
unique_consecutive.

Their results are counts and positions, so none of them is differentiable (as in PyTorch):
each reads the NumPy array of its input and returns a new tensor outside the graph.
"""
import numbers

import numpy as np

from .ops_math import as_tensor_input
from .ops_shape import normalize_dim
from .tensor import Tensor


def _array(x, name):
    return as_tensor_input(x, name).numpy()


def bincount(input, weights=None, minlength=0):
    """How many times each value 0, 1, ..., max(input) occurs in the 1-d non-negative integer
    input, at least minlength bins; with weights, the sum of the weights of each value
    (torch.bincount). Counts are int64; float weights keep their dtype, others give float64."""
    a = _array(input, "input")
    if a.dtype.kind not in "iu" or a.ndim != 1:
        raise TypeError(f"bincount: input must be a 1-d tensor of integers, got dtype {a.dtype} "
                        f"and {a.ndim} dimensions")
    if a.size and a.min() < 0:
        raise ValueError(f"bincount: input must hold non-negative values, got {int(a.min())}")
    if isinstance(minlength, bool) or not isinstance(minlength, numbers.Integral) \
            or minlength < 0:
        raise ValueError(f"bincount: minlength must be a non-negative int, got {minlength!r}")
    if weights is None:
        return Tensor(np.bincount(a, minlength=int(minlength)).astype(np.int64))
    w = _array(weights, "weights")
    if w.shape != a.shape:
        raise ValueError(f"bincount: weights of shape {w.shape} must have input's shape "
                         f"{a.shape}")
    dtype = w.dtype if w.dtype.kind == "f" else np.dtype(np.float64)
    return Tensor(np.bincount(a, w.astype(np.float64), minlength=int(minlength)).astype(dtype))


def histc(input, bins=100, min=0, max=0):
    """A histogram of the float input: bins equal-width bins over [min, max] (both 0: the
    smallest and largest element), elements outside left out, max counted in the last bin
    (torch.histc). The counts have input's dtype."""
    a = _array(input, "input")
    if a.dtype.kind != "f":
        raise TypeError(f"histc: input must be a float tensor, got dtype {a.dtype}")
    if isinstance(bins, bool) or not isinstance(bins, numbers.Integral) or bins <= 0:
        raise ValueError(f"histc: bins must be a positive int, got {bins!r}")
    lo, hi = float(min), float(max)
    if lo == hi == 0 and a.size:
        lo, hi = float(np.min(a)), float(np.max(a))
    if lo == hi:  # one value (or an empty input): a range of width 2 around it, as PyTorch
        lo, hi = lo - 1, hi + 1
    if lo > hi:
        raise ValueError(f"histc: max ({max}) must be larger than min ({min})")
    if not (np.isfinite(lo) and np.isfinite(hi)):
        raise ValueError(f"histc: the range [{lo}, {hi}] is not finite")
    counts, _ = np.histogram(a[~np.isnan(a)], bins=int(bins), range=(lo, hi))
    return Tensor(counts.astype(a.dtype))


def _side(right, side, where):
    if side is None:
        return "right" if right else "left"
    if side not in ("left", "right"):
        raise ValueError(f"{where}: side must be 'left' or 'right', got {side!r}")
    if right and side == "left":
        raise ValueError(f"{where}: side='left' contradicts right=True")
    return side


def searchsorted(sorted_sequence, input, *, out_int32=False, right=False, side=None,
                 sorter=None):
    """For each value of input, the index at which inserting it keeps sorted_sequence sorted
    along its last dimension (torch.searchsorted): the first such index, or the last with
    right=True (side='right'). sorted_sequence is 1-d, or has input's leading dimensions;
    sorter holds the indices that sort an unsorted sequence. int64 results (int32 with
    out_int32)."""
    seq = _array(sorted_sequence, "sorted_sequence")
    scalar = not isinstance(input, Tensor) and np.ndim(input) == 0
    values = np.asarray(input) if scalar else _array(input, "input")
    how = _side(right, side, "searchsorted")
    if seq.ndim == 0:
        raise ValueError("searchsorted: sorted_sequence must have at least one dimension")
    if sorter is not None:
        order = _array(sorter, "sorter")
        if order.shape != seq.shape or order.dtype.kind not in "iu":
            raise ValueError(f"searchsorted: sorter must be an integer tensor of "
                             f"sorted_sequence's shape {seq.shape}")
        if order.size and (order.min() < 0 or order.max() >= seq.shape[-1]):
            raise IndexError("searchsorted: sorter holds an index out of range")
        seq = np.take_along_axis(seq, order, axis=-1)
    dtype = np.int32 if out_int32 else np.int64
    if seq.ndim == 1:
        return Tensor(np.searchsorted(seq, values, side=how), dtype=dtype)
    if scalar or seq.shape[:-1] != values.shape[:-1]:
        raise ValueError(f"searchsorted: sorted_sequence of shape {seq.shape} must be 1-d or "
                         f"share all but its last dimension with input "
                         f"({np.shape(values)})")
    rows_s = seq.reshape(-1, seq.shape[-1])
    rows_v = values.reshape(-1, values.shape[-1])
    out = np.stack([np.searchsorted(s, v, side=how) for s, v in zip(rows_s, rows_v)]) \
        if rows_s.shape[0] else np.zeros(rows_v.shape, np.int64)
    return Tensor(out.reshape(values.shape), dtype=dtype)


def bucketize(input, boundaries, *, out_int32=False, right=False):
    """The index of the bucket of each value of input among the sorted 1-d boundaries
    (torch.bucketize): boundaries[i-1] < x <= boundaries[i], or boundaries[i-1] <= x <
    boundaries[i] with right=True."""
    b = _array(boundaries, "boundaries")
    if b.ndim != 1:
        raise ValueError(f"bucketize: boundaries must be 1-d, got {b.ndim} dimensions")
    return searchsorted(b, input, out_int32=out_int32, right=right)


def unique_consecutive(input, return_inverse=False, return_counts=False, dim=None):
    """input with each run of equal consecutive values (slices along dim, when given) kept
    once, optionally with the inverse indices and the length of each run
    (torch.unique_consecutive); dim=None reads the flattened input."""
    a = _array(input, "input")
    if dim is None:
        flat = a.reshape(-1)
        starts = np.ones(flat.shape, bool)
        starts[1:] = flat[1:] != flat[:-1]
        values, inverse_shape = flat[starts], a.shape
    else:
        d = normalize_dim(dim, a.ndim, "unique_consecutive: dim")
        if a.ndim == 0:
            raise IndexError("unique_consecutive: dim given for a 0-d tensor")
        moved = np.moveaxis(a, d, 0).reshape(a.shape[d], -1)
        starts = np.ones(a.shape[d], bool)
        starts[1:] = (moved[1:] != moved[:-1]).any(axis=1)
        values, inverse_shape = np.compress(starts, a, axis=d), (a.shape[d],)
    out = [Tensor(values)]
    if return_inverse:
        out.append(Tensor((np.cumsum(starts) - 1).astype(np.int64).reshape(inverse_shape)))
    if return_counts:
        edges = np.append(np.flatnonzero(starts), starts.size)
        out.append(Tensor(np.diff(edges).astype(np.int64)))
    return out[0] if len(out) == 1 else tuple(out)
