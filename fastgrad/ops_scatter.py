"""Reading and writing a tensor at positions given by an index tensor, in PyTorch's names.

Reading (differentiable): gather, index_select, masked_select; nonzero lists the positions of
the nonzero elements. Writing: scatter_ and scatter (PyTorch's Tensor.scatter_ / torch.scatter),
e.g. a one-hot target transform: `torch.zeros(10).scatter_(0, torch.tensor(label), value=1)`.

For dim=0 on a 2-d tensor: self[index[i][j]][j] = src[i][j] (value where src is a number);
reduce='add' or 'multiply' combines with what is there instead of replacing it. Like
`t[i] = v`, the write is not recorded in the graph; on a tensor that needs one it raises.
"""
import numbers

import numpy as np

from . import _engine
from .autograd import ArrayFunction as Function
from .ops import unbroadcast
from .ops_math import as_tensor_input
from .ops_shape import normalize_dim
from .tensor import Tensor, _check_inplace


def _positions(dim, index, shape, where):
    """The full index tuple that index addresses along dim, checked against shape."""
    idx = np.asarray(index.numpy() if isinstance(index, Tensor) else index)
    if idx.dtype.kind not in "iu":
        raise TypeError(f"{where}: index must hold integers, not {idx.dtype}")
    if idx.ndim == 0 and len(shape) == 1:
        idx = idx.reshape(1)  # a single position in a vector, as PyTorch accepts
    if idx.ndim != len(shape):
        raise ValueError(f"{where}: index has {idx.ndim} dimensions but the tensor has "
                         f"{len(shape)}")
    if isinstance(dim, bool) or not isinstance(dim, numbers.Integral) or \
            not -len(shape) <= dim < len(shape):
        raise IndexError(f"{where}: dim {dim!r} is out of range for {len(shape)} dimensions")
    dim = dim % len(shape)
    for d, (n, m) in enumerate(zip(idx.shape, shape)):
        if d != dim and n > m:
            raise ValueError(f"{where}: index shape {idx.shape} is larger than the tensor's "
                             f"{tuple(shape)} in dimension {d}")
    if idx.size and (idx.min() < -shape[dim] or idx.max() >= shape[dim]):
        raise IndexError(f"{where}: index {int(idx.min())}..{int(idx.max())} is out of bounds "
                         f"for dimension {dim} of size {shape[dim]}")
    grid = list(np.indices(idx.shape, sparse=True))
    grid[dim] = idx
    return tuple(grid), idx.shape


def _source(src, value, shape, where):
    """The values to write, one per index position."""
    if (src is None) == (value is None):
        raise TypeError(f"{where}: give exactly one of src and value")
    if src is None or isinstance(src, numbers.Number):
        return src if src is not None else value
    array = np.asarray(src.numpy() if isinstance(src, Tensor) else src)
    if any(n > m for n, m in zip(shape, array.shape)) or array.ndim != len(shape):
        raise ValueError(f"{where}: src of shape {array.shape} is smaller than index "
                         f"{shape}")
    return array[tuple(slice(0, n) for n in shape)]


def scatter_(self, dim, index, src=None, value=None, *, reduce=None):
    """Writes src (a tensor) or value (a number) into self at index along dim, in place
    (torch.Tensor.scatter_); reduce: None, 'add' or 'multiply'."""
    if _check_inplace(self, src):
        raise RuntimeError("scatter_: fastgrad does not record scatter_ in the graph; call it "
                           "under `with fastgrad.no_grad():` or on a tensor without gradients")
    positions, shape = _positions(dim, index, self.shape, "scatter_")
    values = _source(src, value, shape, "scatter_")
    data = self.numpy()
    if reduce is None:
        data[positions] = values
    elif reduce == "add":
        np.add.at(data, positions, np.broadcast_to(values, shape))
    elif reduce == "multiply":
        np.multiply.at(data, positions, np.broadcast_to(values, shape))
    else:
        raise ValueError(f"scatter_: reduce must be None, 'add' or 'multiply', got {reduce!r}")
    _engine.modified(self)  # saved-for-backward checks see the change
    return self


def scatter(input, dim, index, src=None, value=None, *, reduce=None):
    """A copy of input with scatter_ applied (torch.scatter); not differentiable."""
    if isinstance(input, Tensor) and input.requires_grad:
        raise RuntimeError("scatter: fastgrad's scatter has no gradient; detach() the input")
    out = Tensor(np.array(input.numpy() if isinstance(input, Tensor) else input))
    return scatter_(out, dim, index, src, value, reduce=reduce)


Tensor.scatter_ = scatter_
Tensor.scatter = scatter


# ---- gather, index_select, masked_select, nonzero ----------------------------------------------

def _index_array(index, where):
    """index (a Tensor or array of integers) as an int64 array; TypeError naming `where`."""
    idx = np.asarray(index.numpy() if isinstance(index, Tensor) else index)
    if idx.dtype.kind not in "iu":
        raise TypeError(f"{where} must hold integers (int64, as in PyTorch), not {idx.dtype}")
    return idx.astype(np.int64)  # a copy: changing index later changes no saved position


def _check_bounds(idx, size, where, dim):
    """IndexError naming `where` for any position outside [0, size) (PyTorch refuses negative
    positions here too)."""
    if idx.size and (idx.min() < 0 or idx.max() >= size):
        bad = int(idx.min()) if idx.min() < 0 else int(idx.max())
        raise IndexError(f"{where}: index {bad} is out of bounds for dimension {dim} of size "
                         f"{size}")


def along_dim(idx, dim):
    """The full index tuple that reads, for every position of idx, the element idx gives along
    dim and the same position in the other dimensions (as gather and take_along_axis do)."""
    grid = list(np.indices(idx.shape, sparse=True))
    grid[dim] = idx
    return tuple(grid)


class Gather(Function):
    """out[i][j] = a[idx[i][j]][j] for dim 0 (each position of idx reads along dim): gather,
    and the values that sort, topk, kthvalue, median and mode select."""

    @staticmethod
    def forward(ctx, a, dim, idx, squeeze=False):
        ctx.shape, ctx.positions = a.shape, along_dim(idx, dim)
        ctx.dim, ctx.squeeze = dim, squeeze  # squeeze: idx has size 1 along dim, dropped
        out = a[ctx.positions]
        return np.squeeze(out, axis=dim) if squeeze else out

    @staticmethod
    def backward(ctx, g):  # each read element receives the gradient of every place it went to
        if ctx.squeeze:
            g = np.expand_dims(g, ctx.dim)
        da = np.zeros(ctx.shape, dtype=g.dtype)
        np.add.at(da, ctx.positions, g)
        return da


def gather(input, dim, index, *, sparse_grad=False):
    """out[i][j] = input[index[i][j]][j] for dim=0, and likewise for any dim (torch.gather):
    index has input's number of dimensions and is no larger outside dim. sparse_grad is
    accepted for PyTorch's signature; the gradient is always dense."""
    x = as_tensor_input(input)
    idx = _index_array(index, "gather: index")
    if x.ndim == 0:  # a 0-d input has one element, at position 0
        normalize_dim(dim, 0, "gather: dim")
        if idx.ndim > 1:
            raise ValueError(f"gather: index has {idx.ndim} dimensions but input has 0")
        _check_bounds(idx, 1, "gather: index", 0)
        return Gather.apply(x.reshape(1), 0, idx.reshape(-1)).reshape(idx.shape)
    if idx.ndim != x.ndim:
        raise ValueError(f"gather: index has {idx.ndim} dimensions but input has {x.ndim}")
    d = normalize_dim(dim, x.ndim, "gather: dim")
    for k, (n, m) in enumerate(zip(idx.shape, x.shape)):
        if k != d and n > m:
            raise ValueError(f"gather: index shape {idx.shape} is larger than input's "
                             f"{tuple(x.shape)} in dimension {k}")
    _check_bounds(idx, x.shape[d], "gather: index", d)
    return Gather.apply(x, d, idx)


class IndexSelect(Function):
    """The slices of a at the positions idx along dim, in that order (repeats allowed)."""

    @staticmethod
    def forward(ctx, a, dim, idx):
        ctx.shape, ctx.dim, ctx.idx = a.shape, dim, idx
        return np.take(a, idx, axis=dim)

    @staticmethod
    def backward(ctx, g):  # each slice receives the gradient of every copy taken of it
        da = np.zeros(ctx.shape, dtype=g.dtype)
        np.add.at(np.moveaxis(da, ctx.dim, 0), ctx.idx, np.moveaxis(g, ctx.dim, 0))
        return da


def index_select(input, dim, index):
    """The slices of input at the positions in index (1-d) along dim (torch.index_select)."""
    x = as_tensor_input(input)
    idx = _index_array(index, "index_select: index")
    if idx.ndim > 1:
        raise ValueError(f"index_select: index must be 1-d, got {idx.ndim} dimensions")
    if x.ndim == 0:
        normalize_dim(dim, 0, "index_select: dim")
        if idx.size != 1:  # a 0-d input has one element to select, once
            raise ValueError(f"index_select: index into a 0-d input must hold one value, got "
                             f"{idx.size}")
        _check_bounds(idx, 1, "index_select: index", 0)
        return IndexSelect.apply(x.reshape(1), 0, idx.reshape(-1)).reshape(())
    d = normalize_dim(dim, x.ndim, "index_select: dim")
    _check_bounds(idx, x.shape[d], "index_select: index", d)
    return IndexSelect.apply(x, d, idx.reshape(-1))


class MaskedSelect(Function):
    """The elements of a where mask is True (both broadcast), as a 1-d array in row order."""

    @staticmethod
    def forward(ctx, a, mask):
        shape = np.broadcast_shapes(a.shape, mask.shape)
        ctx.shape, ctx.mask = a.shape, np.broadcast_to(mask, shape).copy()
        return np.broadcast_to(a, shape)[ctx.mask]

    @staticmethod
    def backward(ctx, g):  # 1 at each selected element (summed where a was broadcast), else 0
        da = np.zeros(ctx.mask.shape, dtype=g.dtype)
        da[ctx.mask] = g
        return unbroadcast(da, ctx.shape), None


def masked_select(input, mask):
    """The elements of input where the bool mask is True, broadcasting the two, as a 1-d
    tensor (torch.masked_select)."""
    x = as_tensor_input(input)
    m = np.asarray(mask.numpy() if isinstance(mask, Tensor) else mask)
    if m.dtype != np.bool_:
        raise TypeError(f"masked_select: mask must be a bool tensor, not {m.dtype}")
    try:
        np.broadcast_shapes(x.shape, m.shape)
    except ValueError:
        raise ValueError(f"masked_select: mask of shape {m.shape} does not broadcast with input "
                         f"of shape {tuple(x.shape)}") from None
    return MaskedSelect.apply(x, m)


def nonzero(input, *, as_tuple=False):
    """The positions of the nonzero elements (torch.nonzero): an int64 tensor of shape
    (count, ndim), or with as_tuple=True one 1-d tensor per dimension. Not differentiable."""
    a = as_tensor_input(input).numpy()
    if as_tuple:
        return tuple(Tensor(i.astype(np.int64)) for i in np.nonzero(np.atleast_1d(a)))
    return Tensor(np.argwhere(a).astype(np.int64))


def detach(input):
    """The same data, cut from the graph (torch.detach)."""
    return as_tensor_input(input).detach()


# ---- index_add, scatter_add, index_fill, masked_scatter -----------------------------------------
# Each returns a new tensor; Tensor.<name>_ writes the result back in place (tensor.py).

def _same_dtype(x, other, where, what):
    if other.dtype != x.dtype:
        raise RuntimeError(f"{where}: {what} has dtype {other.dtype} but input has {x.dtype}; "
                           "they must be the same, as in PyTorch")


def _number(value, where, what):
    """A Python number given as one, as a NumPy number or as a 0-d tensor (no gradient)."""
    if isinstance(value, Tensor):
        if value.ndim != 0:
            raise ValueError(f"{where}: {what} must be a number or a 0-d tensor, got a tensor "
                             f"of shape {tuple(value.shape)}")
        return value.item()
    if not isinstance(value, numbers.Number):
        raise TypeError(f"{where}: {what} must be a number, got {value!r}")
    return value


def _as_vector(x):
    """A 0-d tensor read as one element along dimension 0, as PyTorch's index ops do."""
    return x.reshape(1) if x.ndim == 0 else x


class IndexAdd(Function):
    """out = a, then out[idx[i]] += alpha · src[i] along dim (repeated positions add up)."""

    @staticmethod
    def forward(ctx, a, src, dim, idx, alpha):
        ctx.dim, ctx.idx, ctx.alpha = dim, idx, alpha
        out = a.copy()
        np.add.at(np.moveaxis(out, dim, 0), idx, alpha * np.moveaxis(src, dim, 0))
        return out

    @staticmethod
    def backward(ctx, g):  # d/da = 1; d/dsrc_i = alpha times the gradient at the slice idx[i]
        need_a, need_src = ctx.needs_input_grad[:2]
        gsrc = ctx.alpha * np.take(g, ctx.idx, axis=ctx.dim) if need_src else None
        return (g if need_a else None), gsrc


def index_add(input, dim, index, source, *, alpha=1):
    """A copy of input with alpha · source[i] added to the slice index[i] along dim
    (torch.index_add); index is 1-d, source is input's shape with len(index) along dim."""
    x, src = as_tensor_input(input), as_tensor_input(source, "source")
    _same_dtype(x, src, "index_add", "source")
    idx = _index_array(index, "index_add: index").reshape(-1)
    d = normalize_dim(dim, x.ndim, "index_add: dim")
    xv, sv = _as_vector(x), _as_vector(src)
    expected = xv.shape[:d] + (idx.size,) + xv.shape[d + 1:]
    if sv.shape != expected or src.ndim != x.ndim:
        raise ValueError(f"index_add: source of shape {tuple(src.shape)} must be input's shape "
                         f"{tuple(x.shape)} with len(index) = {idx.size} along dim {d}")
    _check_bounds(idx, xv.shape[d], "index_add: index", d)
    alpha = _number(alpha, "index_add", "alpha")
    if x.dtype.kind != "f" and not isinstance(alpha, (int, np.integer)):
        raise TypeError(f"index_add: alpha must be an int for an integer input, got {alpha!r}")
    out = IndexAdd.apply(xv, sv, d, idx, alpha)
    return out.reshape(()) if x.ndim == 0 else out


class ScatterAdd(Function):
    """out = a, then out[idx[i][j]][j] += src[i][j] for dim 0 (and likewise for any dim)."""

    @staticmethod
    def forward(ctx, a, src, dim, idx):
        ctx.positions = along_dim(idx, dim)
        ctx.src_shape, ctx.idx_shape = src.shape, idx.shape
        out = a.copy()
        np.add.at(out, ctx.positions, src[tuple(slice(0, n) for n in idx.shape)])
        return out

    @staticmethod
    def backward(ctx, g):  # d/da = 1; each used src element gets the gradient where it went
        need_a, need_src = ctx.needs_input_grad[:2]
        gsrc = None
        if need_src:
            gsrc = np.zeros(ctx.src_shape, dtype=g.dtype)
            gsrc[tuple(slice(0, n) for n in ctx.idx_shape)] = g[ctx.positions]
        return (g if need_a else None), gsrc


def scatter_add(input, dim, index, src):
    """A copy of input with src[i][j] added at [index[i][j]][j] for dim=0, and likewise for
    any dim (torch.scatter_add); index is no larger than src, nor than input outside dim."""
    x, s = as_tensor_input(input), as_tensor_input(src, "src")
    _same_dtype(x, s, "scatter_add", "src")
    idx = _index_array(index, "scatter_add: index")
    d = normalize_dim(dim, x.ndim, "scatter_add: dim")
    xv, sv = _as_vector(x), _as_vector(s)
    if idx.ndim == 0:
        idx = idx.reshape(1)
    if not (idx.ndim == xv.ndim == sv.ndim):
        raise ValueError(f"scatter_add: index, src and input must have the same number of "
                         f"dimensions, got {idx.ndim}, {s.ndim} and {x.ndim}")
    for k, (n, m, ns) in enumerate(zip(idx.shape, xv.shape, sv.shape)):
        if n > ns or (k != d and n > m):
            raise ValueError(f"scatter_add: index of shape {idx.shape} is larger than src "
                             f"{tuple(s.shape)} or, outside dim {d}, than input "
                             f"{tuple(x.shape)}")
    _check_bounds(idx, xv.shape[d], "scatter_add: index", d)
    out = ScatterAdd.apply(xv, sv, d, idx)
    return out.reshape(()) if x.ndim == 0 else out


class IndexFill(Function):
    """a with every slice idx[i] along dim set to value."""

    @staticmethod
    def forward(ctx, a, dim, idx, value):
        ctx.where = (slice(None),) * dim + (idx,)
        out = a.copy()
        out[ctx.where] = value
        return out

    @staticmethod
    def backward(ctx, g):  # the filled slices are constants: no gradient there
        da = g.copy()
        da[ctx.where] = 0
        return da


def index_fill(input, dim, index, value):
    """A copy of input with the slices at index (1-d; negative counts from the end) along dim
    set to value, a number or a 0-d tensor (torch.index_fill)."""
    x = as_tensor_input(input)
    idx = _index_array(index, "index_fill: index").reshape(-1)
    d = normalize_dim(dim, x.ndim, "index_fill: dim")
    xv = _as_vector(x)
    n = xv.shape[d]
    if idx.size and (idx.min() < -n or idx.max() >= n):
        bad = int(idx.min()) if idx.min() < -n else int(idx.max())
        raise IndexError(f"index_fill: index {bad} is out of bounds for dimension {d} of size "
                         f"{n}")
    value = _number(value, "index_fill", "value")
    out = IndexFill.apply(xv, d, idx % max(n, 1), value)
    return out.reshape(()) if x.ndim == 0 else out


class MaskedScatter(Function):
    """a with the elements where mask is True replaced, in row order, by the first elements
    of src."""

    @staticmethod
    def forward(ctx, a, src, mask):
        ctx.mask, ctx.src_shape = mask, src.shape
        ctx.count = int(mask.sum())
        out = a.copy()
        out[mask] = src.reshape(-1)[:ctx.count]
        return out

    @staticmethod
    def backward(ctx, g):  # masked places came from src (in order), the others from a
        need_a, need_src = ctx.needs_input_grad[:2]
        ga = np.where(ctx.mask, 0, g).astype(g.dtype, copy=False) if need_a else None
        gsrc = None
        if need_src:
            gsrc = np.zeros(int(np.prod(ctx.src_shape)), dtype=g.dtype)
            gsrc[:ctx.count] = g[ctx.mask]
            gsrc = gsrc.reshape(ctx.src_shape)
        return ga, gsrc


def masked_scatter(input, mask, source):
    """A copy of input whose elements where mask (bool, broadcast to input) is True take the
    elements of source one after another, in row order (torch.masked_scatter)."""
    x, src = as_tensor_input(input), as_tensor_input(source, "source")
    _same_dtype(x, src, "masked_scatter", "source")
    m = np.asarray(mask.numpy() if isinstance(mask, Tensor) else mask)
    if m.dtype != np.bool_:
        raise TypeError(f"masked_scatter: mask must be a bool tensor, not {m.dtype}")
    try:
        m = np.broadcast_to(m, x.shape).copy()
    except ValueError:
        raise ValueError(f"masked_scatter: mask of shape {m.shape} does not broadcast to input "
                         f"of shape {tuple(x.shape)}") from None
    if src.numel() < int(m.sum()):
        raise ValueError(f"masked_scatter: source has {src.numel()} elements, fewer than the "
                         f"{int(m.sum())} True elements of mask")
    return MaskedScatter.apply(x, src, m)
