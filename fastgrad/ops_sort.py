"""Ordering and order statistics in PyTorch's names: sort, argsort, topk, kthvalue, median and
mode.

Each finds positions along one dimension (NumPy's stable sort, NaN counted as the largest value,
as PyTorch does) and reads the values there with ops_scatter.Gather, whose local derivative
routes each value's gradient back to the element it was read from; the subclasses below only
name the graph's node as PyTorch does (SortBackward0, TopkBackward0, ...). Results with indices are
(values, indices) pairs named as torch.return_types; indices are int64.
"""
import numbers

import numpy as np

from .autograd import ArrayFunction as Function
from .ops_math import as_tensor_input
from .ops_reduce import ValuesIndices
from .ops_scatter import Gather
from .ops_shape import normalize_dim
from .tensor import Tensor


class Sort(Gather):
    """sort's values: Gather at the sorted positions."""


class Topk(Gather):
    """topk's values: Gather at the positions of the k largest (or smallest)."""


class Kthvalue(Gather):
    """kthvalue's values: Gather at the position of the k-th smallest."""


class MedianAlongDim(Gather):
    """median(dim)'s values: Gather at the position of each lower median."""


class Mode(Gather):
    """mode's values: Gather at the position of each most frequent value."""


def _order(a, dim, descending):
    """Stable argsort along dim; descending keeps equal elements in their original order."""
    if not descending:
        return np.argsort(a, axis=dim, kind="stable")
    n = a.shape[dim]
    # ascending on the reversed array, then reversed back: largest first, ties in input order
    flipped = np.argsort(np.flip(a, axis=dim), axis=dim, kind="stable")
    return np.flip(n - 1 - flipped, axis=dim)


def _as_1d(x, dim, where):
    """x and its dim checked; a 0-d tensor is read as one element along dimension 0."""
    d = normalize_dim(dim, x.ndim, f"{where}: dim")
    return (x.reshape(1), 0, True) if x.ndim == 0 else (x, d, False)


def _select(op, x, d, idx, keepdim, scalar):
    """(values, indices) at idx (size 1 along d) as a reduction over d returns them."""
    name = "median" if op is MedianAlongDim else op.__name__.lower()
    squeeze = scalar or not keepdim
    return ValuesIndices(op.apply(x, d, idx, squeeze),
                         Tensor(np.squeeze(idx, axis=d) if squeeze else idx), name)


# ---- sort, argsort, topk ------------------------------------------------------------------------

def sort(input, dim=-1, descending=False, *, stable=False):
    """(values, indices) sorted along dim, ascending unless descending=True (torch.sort).
    The sort is always stable here (equal elements keep their order); NaN sorts as largest."""
    x, d, scalar = _as_1d(as_tensor_input(input), dim, "sort")
    idx = _order(x.numpy(), d, bool(descending))
    if scalar:
        return ValuesIndices(Sort.apply(x, d, idx, True), Tensor(idx.reshape(())), "sort")
    return ValuesIndices(Sort.apply(x, d, idx), Tensor(idx), "sort")


def argsort(input, dim=-1, descending=False, *, stable=False):
    """The indices that sort input along dim (torch.argsort); stable, NaN as largest."""
    return sort(input, dim, descending, stable=stable).indices


def _top_positions(a, k, d, largest):
    """The positions along d of the k largest (or smallest) elements, in sorted order: a
    partition (linear time) puts them first, then only those k are sorted."""
    n = a.shape[d]
    if k == 0 or k == n:
        return np.take(_order(a, d, largest), np.arange(k), axis=d)
    if largest:  # NaN is partitioned to the end, so it counts as the largest, as in PyTorch
        part = np.take(np.argpartition(a, n - k, axis=d), np.arange(n - k, n), axis=d)
    else:
        part = np.take(np.argpartition(a, k - 1, axis=d), np.arange(k), axis=d)
    part = np.sort(part, axis=d)  # input order, so that equal values keep it after the sort
    return np.take_along_axis(part, _order(np.take_along_axis(a, part, d), d, largest), d)


def topk(input, k, dim=-1, largest=True, sorted=True):
    """(values, indices) of the k largest (largest=False: smallest) elements along dim
    (torch.topk); they come in sorted order either way, as PyTorch's CPU kernel gives them."""
    x, d, scalar = _as_1d(as_tensor_input(input), dim, "topk")
    if isinstance(k, bool) or not isinstance(k, numbers.Integral):
        raise TypeError(f"topk: k must be an int, got {k!r}")
    if not 0 <= k <= x.shape[d]:
        raise IndexError(f"topk: k={k} is out of range for dimension {d} of size {x.shape[d]}")
    idx = _top_positions(x.numpy(), k, d, bool(largest))
    if scalar:  # PyTorch gives the one element back as 0-d, for k 0 or 1
        return ValuesIndices(x.reshape(()).clone(), Tensor(np.array(0)), "topk")
    return ValuesIndices(Topk.apply(x, d, idx), Tensor(idx), "topk")


# ---- kthvalue, median, mode ---------------------------------------------------------------------

def _kth_index(a, d, k):
    """The position along d of the k-th smallest element (k from 1), kept as size 1."""
    return np.take(_order(a, d, False), [k - 1], axis=d)


def kthvalue(input, k, dim=-1, keepdim=False):
    """(values, indices) of the k-th smallest element (k from 1) along dim (torch.kthvalue)."""
    x, d, scalar = _as_1d(as_tensor_input(input), dim, "kthvalue")
    if isinstance(k, bool) or not isinstance(k, numbers.Integral):
        raise TypeError(f"kthvalue: k must be an int, got {k!r}")
    if not 1 <= k <= x.shape[d]:
        raise IndexError(f"kthvalue: k={k} is out of range for dimension {d} of size "
                         f"{x.shape[d]} (k counts from 1)")
    return _select(Kthvalue, x, d, _kth_index(x.numpy(), d, k), keepdim, scalar)


def _median_index(a, d):
    """The position along d of the lower median, or of the first NaN where there is one (the
    median is then NaN, as in PyTorch), kept as size 1."""
    n = a.shape[d]
    if n == 0:
        raise IndexError(f"median: dimension {d} of shape {a.shape} is empty")
    idx = _kth_index(a, d, (n - 1) // 2 + 1)
    if a.dtype.kind == "f":
        nan = np.isnan(a)
        has_nan = nan.any(axis=d, keepdims=True)
        idx = np.where(has_nan, np.argmax(nan, axis=d, keepdims=True), idx)
    return idx


class Median(Function):
    """The lower median of all elements (NaN if any is NaN); the gradient is shared evenly by
    the elements equal to it, as PyTorch's median() does."""

    @staticmethod
    def forward(ctx, a):
        flat = a.reshape(-1)
        if flat.size == 0:
            out = np.array(np.nan, dtype=a.dtype if a.dtype.kind == "f" else np.float32)
        else:
            out = flat[_median_index(flat, 0)[0]]
        ctx.save_for_backward(a, out)
        return np.asarray(out)

    @staticmethod
    def backward(ctx, g):
        a, out = ctx.saved_tensors
        winners = np.isnan(a) if np.isnan(out) else a == out
        return winners * (g / max(winners.sum(), 1))


def median(input, dim=None, keepdim=False):
    """median(input): the lower of the two middle values of all elements; median(input, dim,
    keepdim) -> (values, indices) along dim (torch.median). NaN if any element is NaN."""
    x = as_tensor_input(input)
    if dim is None:
        return Median.apply(x)
    x, d, scalar = _as_1d(x, dim, "median")
    return _select(MedianAlongDim, x, d, _median_index(x.numpy(), d), keepdim, scalar)


def _mode_index(a, d):
    """The position along d of the last occurrence of the most frequent value (the smallest
    such value on a tie of counts), kept as size 1, as PyTorch's mode gives it."""
    n = a.shape[d]
    if n == 0:
        raise IndexError(f"mode: dimension {d} of shape {a.shape} is empty")
    order = np.argsort(a, axis=d, kind="stable")  # equal values in runs, in input order
    rows = np.moveaxis(np.take_along_axis(a, order, axis=d), d, -1)
    order = np.moveaxis(order, d, -1)
    differs = rows[..., 1:] != rows[..., :-1]  # NaN differs from NaN: each is its own run
    edge = np.ones(rows.shape[:-1] + (1,), dtype=bool)
    starts, ends = np.concatenate([edge, differs], -1), np.concatenate([differs, edge], -1)
    positions = np.arange(n)
    first = np.maximum.accumulate(np.where(starts, positions, 0), axis=-1)
    last = np.flip(np.minimum.accumulate(np.flip(np.where(ends, positions, n), -1), -1), -1)
    # the first of the longest runs has the smallest value; stable, its end is the last occurrence
    best = np.argmax(last - first, axis=-1)[..., None]
    index = np.take_along_axis(order, np.take_along_axis(last, best, -1), -1)
    return np.moveaxis(index, -1, d)


def mode(input, dim=-1, keepdim=False):
    """(values, indices) of the most frequent value along dim, the smallest on a tie
    (torch.mode)."""
    x, d, scalar = _as_1d(as_tensor_input(input), dim, "mode")
    return _select(Mode, x, d, _mode_index(x.numpy(), d), keepdim, scalar)
