"""Shape ops in PyTorch's names: unsqueeze, squeeze, expand, repeat, cat, stack, t, clone.

Reshape, permute and indexing are in ops.py. A shape op moves values without changing them, so
each derivative moves the gradient back: reshaped, summed over copies, or split among inputs.
"""
import numpy as np

from .autograd import ArrayFunction as Function
from .dtypes import result_type
from .ops import Permute, Reshape
from .tensor import Tensor


def normalize_dim(dim, ndim, where="dim"):
    """dim in [-ndim, ndim) as a non-negative int; IndexError naming `where` otherwise. A 0-d
    tensor takes dim 0 or -1, as in PyTorch."""
    if isinstance(dim, bool) or not isinstance(dim, (int, np.integer)):
        raise TypeError(f"{where} must be an int, got {dim!r}")
    n = max(ndim, 1)
    if not -n <= dim < n:
        raise IndexError(f"{where}={dim} is out of range for a tensor of {ndim} dimensions "
                         f"(expected [{-n}, {n - 1}])")
    return int(dim) % n


def _sizes(size, where):
    """A shape given as ints or as one tuple/list (torch.Size) -> a tuple of ints."""
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    for s in size:
        if isinstance(s, bool) or not isinstance(s, (int, np.integer)):
            raise TypeError(f"{where}: sizes must be ints, got {s!r}")
    return tuple(int(s) for s in size)


# ---- adding and removing dimensions of size 1 ---------------------------------------------------

def unsqueeze(input, dim):
    """input with a new dimension of size 1 at `dim` (torch.unsqueeze)."""
    n = input.ndim + 1
    d = normalize_dim(dim, n, "unsqueeze: dim")
    return Reshape.apply(input, input.shape[:d] + (1,) + input.shape[d:])


def squeeze(input, dim=None):
    """input without dimensions of size 1: all of them, or those of `dim` (an int or a tuple)
    that have size 1; others are left as they are (torch.squeeze)."""
    if dim is None:
        dims = {i for i, s in enumerate(input.shape) if s == 1}
    else:
        dims = dim if isinstance(dim, (tuple, list)) else (dim,)
        dims = {normalize_dim(d, input.ndim, "squeeze: dim") for d in dims}
        dims = {d for d in dims if input.ndim and input.shape[d] == 1}
    return Reshape.apply(input, tuple(s for i, s in enumerate(input.shape) if i not in dims))


def reshape(input, shape):
    """input with a new shape of the same number of elements; -1 is inferred (torch.reshape)."""
    return input.reshape(shape)


def flatten(input, start_dim=0, end_dim=-1):
    """Dimensions start_dim .. end_dim merged into one (torch.flatten)."""
    return input.flatten(start_dim, end_dim)


def transpose(input, dim0, dim1):
    """input with dimensions dim0 and dim1 swapped (torch.transpose)."""
    return input.transpose(dim0, dim1)


def permute(input, dims):
    """input with its dimensions reordered as dims (torch.permute)."""
    return input.permute(dims)


def view_as(input, other):
    """input reshaped to other's shape (Tensor.view_as)."""
    return input.reshape(other.shape)


# ---- copies along dimensions --------------------------------------------------------------------

class Expand(Function):
    """a broadcast to `shape` (a view)."""

    @staticmethod
    def forward(ctx, a, shape):
        ctx.shape = a.shape
        return np.broadcast_to(a, shape)  # a read-only view, like PyTorch's expanded tensor

    @staticmethod
    def backward(ctx, g):  # every copy sends its gradient back to the one element: a sum
        extra = g.ndim - len(ctx.shape)
        axes = tuple(range(extra)) + tuple(
            extra + i for i, n in enumerate(ctx.shape) if n == 1 and g.shape[extra + i] != 1)
        return g.sum(axis=axes, keepdims=True).reshape(ctx.shape) if axes else g


def expand(input, *sizes):
    """input broadcast to `sizes` without copying; -1 keeps a dimension (Tensor.expand)."""
    sizes = _sizes(sizes, "expand")
    if len(sizes) < input.ndim:
        raise ValueError(f"expand: the number of sizes ({len(sizes)}) must be at least the "
                         f"tensor's number of dimensions ({input.ndim})")
    lead = len(sizes) - input.ndim
    shape = []
    for i, s in enumerate(sizes):
        if s == -1:
            if i < lead:
                raise ValueError(f"expand: -1 is not allowed for the new leading dimension {i}")
            s = input.shape[i - lead]
        elif s < 0:
            raise ValueError(f"expand: size {s} at dimension {i} is negative")
        elif i >= lead and input.shape[i - lead] not in (1, s):
            raise ValueError(f"expand: size {input.shape[i - lead]} at dimension {i} of shape "
                             f"{input.shape} must be 1 to expand to {s}")
        shape.append(s)
    return Expand.apply(input, tuple(shape))


def expand_as(input, other):
    """input expanded to other's shape (Tensor.expand_as)."""
    return expand(input, other.shape)


class Repeat(Function):
    """a tiled `repeats` times (np.tile)."""

    @staticmethod
    def forward(ctx, a, repeats):
        ctx.input_shape = a.shape
        a = a.reshape((1,) * (len(repeats) - a.ndim) + a.shape)  # new leading dimensions
        ctx.shape, ctx.repeats = a.shape, repeats
        return np.tile(a, repeats)

    @staticmethod
    def backward(ctx, g):  # each tile's gradient adds back onto the original block
        split = []
        for r, s in zip(ctx.repeats, ctx.shape):
            split += [r, s]
        return g.reshape(split).sum(axis=tuple(range(0, len(split), 2))).reshape(ctx.input_shape)


def repeat(input, *repeats):
    """input tiled `repeats[i]` times along each dimension, copying (Tensor.repeat)."""
    repeats = _sizes(repeats, "repeat")
    if len(repeats) < input.ndim:
        raise ValueError(f"repeat: the number of repeats ({len(repeats)}) must be at least the "
                         f"tensor's number of dimensions ({input.ndim})")
    if any(r < 0 for r in repeats):
        raise ValueError(f"repeat: repeats must be non-negative, got {repeats}")
    return Repeat.apply(input, repeats)


# ---- joining tensors ----------------------------------------------------------------------------

class Cat(Function):
    """The arrays joined along dim."""

    @staticmethod
    def forward(ctx, dim, *arrays):
        ctx.dim = dim
        ctx.bounds = np.cumsum([a.shape[dim] for a in arrays])[:-1]
        return np.concatenate(arrays, axis=dim)

    @staticmethod
    def backward(ctx, g):  # each input gets the slice of the gradient where it was placed
        return (None,) + tuple(np.split(g, ctx.bounds, axis=ctx.dim))


class Stack(Function):
    """The arrays stacked along a new dim."""

    @staticmethod
    def forward(ctx, dim, *arrays):
        ctx.dim = dim
        return np.stack(arrays, axis=dim)

    @staticmethod
    def backward(ctx, g):  # each input gets its layer of the gradient
        return (None,) + tuple(np.moveaxis(g, ctx.dim, 0))


def _tensor_list(tensors, where):
    if isinstance(tensors, Tensor) or not isinstance(tensors, (tuple, list)):
        raise TypeError(f"{where}: tensors must be a tuple or list of tensors, "
                        f"got {type(tensors).__name__}")
    if not tensors:
        raise ValueError(f"{where}: expected a non-empty list of tensors")
    out = [t if isinstance(t, Tensor) else Tensor(t) for t in tensors]
    common = result_type(*out)  # PyTorch's promotion: int64 with float32 gives float32
    return [t if t.dtype == common else t.to(common) for t in out]


def cat(tensors, dim=0):
    """tensors joined along an existing dimension (torch.cat, alias concatenate)."""
    ts = _tensor_list(tensors, "cat")
    # PyTorch skips 1-d empty tensors, a common accumulator start (torch.cat([torch.tensor([]), x]))
    kept = [t for t in ts if not (t.ndim == 1 and t.shape[0] == 0)] or ts[:1]
    ref = kept[0]
    d = normalize_dim(dim, ref.ndim, "cat: dim")
    if ref.ndim == 0:
        raise ValueError("cat: zero-dimensional tensors cannot be concatenated (use stack)")
    for i, t in enumerate(kept):
        if t.ndim != ref.ndim or t.shape[:d] + t.shape[d + 1:] != ref.shape[:d] + ref.shape[d + 1:]:
            raise ValueError(f"cat: tensor {i} has shape {t.shape}, which does not match "
                             f"shape {ref.shape} outside dimension {d}")
    return Cat.apply(d, *kept)


concatenate = cat


def stack(tensors, dim=0):
    """tensors of one shape joined along a new dimension (torch.stack)."""
    ts = _tensor_list(tensors, "stack")
    d = normalize_dim(dim, ts[0].ndim + 1, "stack: dim")
    for i, t in enumerate(ts):
        if t.shape != ts[0].shape:
            raise ValueError(f"stack: tensor {i} has shape {t.shape}, tensor 0 has {ts[0].shape}")
    return Stack.apply(d, *ts)


# ---- transposes and copies ----------------------------------------------------------------------

def t(input):
    """The transpose of a matrix; a vector or a 0-d tensor is returned as it is (torch.t)."""
    if input.ndim > 2:
        raise ValueError(f"t: expects a tensor of at most 2 dimensions, got shape {input.shape} "
                         "(use transpose(dim0, dim1) or permute)")
    return Permute.apply(input, tuple(reversed(range(input.ndim))))


class Clone(Function):
    """A C-contiguous copy of a."""

    @staticmethod
    def forward(ctx, a):
        return np.array(a, copy=True, order="C")

    @staticmethod
    def backward(ctx, g):  # a copy: the gradient passes unchanged
        return g


def clone(input):
    """A copy of input that stays in the graph (torch.clone)."""
    return Clone.apply(input)


def contiguous(input):
    """input itself when its array is C-contiguous, else a contiguous copy in the graph."""
    return input if input.numpy().flags.c_contiguous else Clone.apply(input)


# ---- select, unbind -----------------------------------------------------------------------------

def _check_tensor(input, where):
    if not isinstance(input, Tensor):
        raise TypeError(f"{where}: input must be a Tensor, got {type(input).__name__}")


class Select(Function):
    """The slice of a at position i along dim, that dimension removed (a view of a)."""

    @staticmethod
    def forward(ctx, a, dim, i):
        # the trailing ... keeps a 0-d result a view of a, not a NumPy scalar
        ctx.shape, ctx.where = a.shape, (slice(None),) * dim + (i, Ellipsis)
        return a[ctx.where]

    @staticmethod
    def backward(ctx, g):  # the selected slice receives the gradient, the rest 0
        da = np.zeros(ctx.shape, dtype=g.dtype)
        da[ctx.where] = g
        return da


def select(input, dim, index):
    """The slice of input at index along dim, without that dimension (torch.select)."""
    _check_tensor(input, "select")
    if input.ndim == 0:
        raise IndexError("select: cannot be applied to a 0-d tensor")
    d = normalize_dim(dim, input.ndim, "select: dim")
    if isinstance(index, Tensor) and index.ndim == 0 and index.dtype.kind in "iu":
        index = index.item()  # a 0-d integer tensor, as PyTorch accepts
    if isinstance(index, bool) or not isinstance(index, (int, np.integer)):
        raise TypeError(f"select: index must be an int, got {index!r}")
    n = input.shape[d]
    if not -n <= index < n:
        raise IndexError(f"select: index {index} is out of range for dimension {d} of size {n}")
    return Select.apply(input, d, int(index) % n)


def unbind(input, dim=0):
    """The slices of input along dim, as a tuple, that dimension removed (torch.unbind)."""
    _check_tensor(input, "unbind")
    if input.ndim == 0:
        raise IndexError("unbind: cannot be applied to a 0-d tensor")
    d = normalize_dim(dim, input.ndim, "unbind: dim")
    return tuple(Select.apply(input, d, i) for i in range(input.shape[d]))
