"""Shape ops in PyTorch's names: unsqueeze, squeeze, expand, repeat, tile, cat, stack, t,
movedim, swapaxes, unflatten, clone, flip, roll, narrow, split, chunk, unbind, broadcast_to,
broadcast_tensors, meshgrid, tril, triu, diag, diagonal, trace.

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


# ---- moving dimensions and tiling ---------------------------------------------------------------

def movedim(input, source, destination):
    """input with dimensions `source` moved to positions `destination` (ints or sequences of
    one length), the others keeping their order (torch.movedim, alias moveaxis)."""
    src = tuple(source) if isinstance(source, (tuple, list)) else (source,)
    dst = tuple(destination) if isinstance(destination, (tuple, list)) else (destination,)
    if len(src) != len(dst):
        raise ValueError(f"movedim: source {source!r} and destination {destination!r} must "
                         "have the same number of dimensions")
    src = _dim_list(src, input.ndim, "movedim: source")
    dst = _dim_list(dst, input.ndim, "movedim: destination")
    if input.ndim == 0:
        return input
    rest = iter(d for d in range(input.ndim) if d not in src)
    placed = dict(zip(dst, src))
    return Permute.apply(input, tuple(placed[k] if k in placed else next(rest)
                                      for k in range(input.ndim)))


moveaxis = movedim


def swapaxes(input, axis0, axis1):
    """input with dimensions axis0 and axis1 exchanged (torch.swapaxes, NumPy's name)."""
    return input.transpose(axis0, axis1)


def swapdims(input, dim0, dim1):
    """input with dimensions dim0 and dim1 exchanged (torch.swapdims)."""
    return input.transpose(dim0, dim1)


def tile(input, dims):
    """input repeated dims[i] times along each dimension; fewer dims than dimensions are
    padded with ones in front (torch.tile)."""
    dims = _sizes(tuple(dims) if isinstance(dims, (tuple, list)) else (dims,), "tile: dims")
    return repeat(input, (1,) * (input.ndim - len(dims)) + dims)


def unflatten(input, dim, sizes):
    """Dimension dim split into `sizes`, whose product is its size; one of them may be -1
    (torch.unflatten)."""
    d = normalize_dim(dim, input.ndim, "unflatten: dim")
    sizes = _sizes(tuple(sizes) if isinstance(sizes, (tuple, list)) else (sizes,),
                   "unflatten: sizes")
    known = int(np.prod([s for s in sizes if s != -1]))
    if sizes.count(-1) > 1 or (sizes.count(-1) == 0 and known != input.shape[d]) or \
            (sizes.count(-1) == 1 and (known == 0 or input.shape[d] % known)):
        raise ValueError(f"unflatten: sizes {sizes} do not multiply to the size "
                         f"{input.shape[d]} of dimension {d}")
    return input.reshape(input.shape[:d] + sizes + input.shape[d + 1:])


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


# ---- reversing and rotating ---------------------------------------------------------------------

class Flip(Function):
    """a reversed along `dims` (a copy, as PyTorch's flip)."""

    @staticmethod
    def forward(ctx, a, dims):
        ctx.dims = dims
        return np.flip(a, dims).copy()

    @staticmethod
    def backward(ctx, g):  # the gradient reversed back
        return np.flip(g, ctx.dims)


def _dim_list(dims, ndim, where):
    """dims (an int or a sequence of ints) as a tuple of distinct non-negative ints."""
    dims = tuple(dims) if isinstance(dims, (tuple, list)) else (dims,)
    out = tuple(normalize_dim(d, ndim, where) for d in dims)
    for d in out:
        if out.count(d) > 1:
            raise ValueError(f"{where}: dim {d} appears more than once in {dims}")
    return out


def flip(input, dims):
    """input with the order of its elements reversed along each of dims, copied (torch.flip)."""
    if input.ndim == 0:
        _dim_list(dims, 0, "flip: dims")
        return Clone.apply(input)
    return Flip.apply(input, _dim_list(dims, input.ndim, "flip: dims"))


class Roll(Function):
    """a rotated by `shifts` along `dims` (np.roll; dims None rolls the flattened array)."""

    @staticmethod
    def forward(ctx, a, shifts, dims):
        ctx.shifts, ctx.dims = shifts, dims
        return np.roll(a, shifts, dims)

    @staticmethod
    def backward(ctx, g):  # rotated back by the opposite shifts
        back = tuple(-s for s in ctx.shifts) if isinstance(ctx.shifts, tuple) else -ctx.shifts
        return np.roll(g, back, ctx.dims)


def fliplr(input):
    """input with its columns (dimension 1) reversed, copied (torch.fliplr)."""
    if input.ndim < 2:
        raise ValueError(f"fliplr: input must have at least 2 dimensions, got shape "
                         f"{input.shape}")
    return Flip.apply(input, (1,))


def flipud(input):
    """input with its rows (dimension 0) reversed, copied (torch.flipud)."""
    if input.ndim < 1:
        raise ValueError("flipud: input must have at least 1 dimension, got a 0-d tensor")
    return Flip.apply(input, (0,))


def roll(input, shifts, dims=None):
    """input's elements rotated by shifts along dims: those pushed past the end come back at the
    start; without dims the tensor is rolled as if flattened (torch.roll)."""
    shift_list = tuple(shifts) if isinstance(shifts, (tuple, list)) else (shifts,)
    for s in shift_list:
        if isinstance(s, bool) or not isinstance(s, (int, np.integer)):
            raise TypeError(f"roll: shifts must be ints, got {shifts!r}")
    shift_list = tuple(int(s) for s in shift_list)
    if dims is None:
        if len(shift_list) != 1:
            raise ValueError(f"roll: without dims, shifts must be one int, got {shifts!r}")
        return Roll.apply(input, shift_list[0], None)
    dim_list = tuple(dims) if isinstance(dims, (tuple, list)) else (dims,)
    if len(dim_list) != len(shift_list):
        raise ValueError(f"roll: shifts {shifts!r} and dims {dims!r} must have the same length")
    dim_list = tuple(normalize_dim(d, input.ndim, "roll: dims") for d in dim_list)
    if input.ndim == 0:
        return Clone.apply(input)
    return Roll.apply(input, shift_list, dim_list)


# ---- slices along one dimension: views of input's values, as in PyTorch -------------------------

class Narrow(Function):
    """a[start:stop] along dim (a view)."""

    @staticmethod
    def forward(ctx, a, dim, start, stop):
        ctx.shape, ctx.index = a.shape, (slice(None),) * dim + (slice(start, stop),)
        return a[ctx.index]

    @staticmethod
    def backward(ctx, g):  # the slice gets the gradient, the rest of a none: a block of zeros
        da = np.zeros(ctx.shape, dtype=g.dtype)
        da[ctx.index] = g
        return da


def _slice_along(input, dim, start, stop):
    return Narrow.apply(input, dim, start, stop)


def _check_int(v, where):
    if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
        raise TypeError(f"{where} must be an int, got {v!r}")
    return int(v)


def narrow(input, dim, start, length):
    """The elements start .. start + length - 1 of input along dim (torch.narrow); start may
    be negative (counted from the end). A view of input's values, as in PyTorch."""
    if input.ndim == 0:
        raise ValueError("narrow: cannot narrow a 0-d tensor")
    d = normalize_dim(dim, input.ndim, "narrow: dim")
    start = _check_int(start.item() if isinstance(start, Tensor) else start, "narrow: start")
    length = _check_int(length, "narrow: length")
    n = input.shape[d]
    if not -n <= start <= n:
        raise IndexError(f"narrow: start={start} is out of range for dimension {d} of size {n}")
    start = start + n if start < 0 else start
    if length < 0 or start + length > n:
        raise ValueError(f"narrow: start ({start}) + length ({length}) exceeds the size {n} of "
                         f"dimension {d}")
    return _slice_along(input, d, start, start + length)


def split(tensor, split_size_or_sections, dim=0):
    """tensor cut along dim into pieces of split_size_or_sections elements (the last one
    smaller if need be), or of the sizes in a list that sums to the dimension's size
    (torch.split). A tuple of tensors, each a view of tensor's values."""
    if tensor.ndim == 0:
        raise ValueError("split: cannot split a 0-d tensor")
    d = normalize_dim(dim, tensor.ndim, "split: dim")
    n = tensor.shape[d]
    if isinstance(split_size_or_sections, (tuple, list)):
        sizes = [_check_int(s, "split: split_size_or_sections") for s in split_size_or_sections]
        if any(s < 0 for s in sizes) or sum(sizes) != n:
            raise ValueError(f"split: split_size_or_sections {list(sizes)} must be non-negative "
                             f"and sum to the size {n} of dimension {d}")
    else:
        size = _check_int(split_size_or_sections, "split: split_size_or_sections")
        if size < 0 or (size == 0 and n != 0):
            raise ValueError(f"split: split_size_or_sections must be positive, got {size}")
        sizes = [min(size, n - s) for s in range(0, n, size)] if n else [0]
    bounds = np.cumsum([0] + sizes)
    return tuple(_slice_along(tensor, d, int(a), int(b)) for a, b in zip(bounds[:-1], bounds[1:]))


def chunk(input, chunks, dim=0):
    """input cut along dim into `chunks` pieces of equal size (the last smaller; fewer pieces
    when the size does not allow that many), as torch.chunk. Views of input's values."""
    chunks = _check_int(chunks, "chunk: chunks")
    if chunks <= 0:
        raise ValueError(f"chunk: chunks must be positive, got {chunks}")
    if input.ndim == 0:
        raise ValueError("chunk: cannot chunk a 0-d tensor")
    d = normalize_dim(dim, input.ndim, "chunk: dim")
    n = input.shape[d]
    if n == 0:  # PyTorch gives `chunks` empty pieces
        return tuple(_slice_along(input, d, 0, 0) for _ in range(chunks))
    return split(input, -(-n // chunks), d)


# ---- broadcasting and grids ---------------------------------------------------------------------

def broadcast_to(input, size):
    """input expanded to `size` by broadcasting, without copying (torch.broadcast_to)."""
    return expand(input, size)


def broadcast_tensors(*tensors):
    """The tensors expanded to their common broadcast shape (torch.broadcast_tensors)."""
    if len(tensors) == 1 and isinstance(tensors[0], (tuple, list)):
        tensors = tuple(tensors[0])
    ts = [t if isinstance(t, Tensor) else Tensor(t) for t in tensors]
    try:
        shape = np.broadcast_shapes(*[t.shape for t in ts])
    except ValueError:
        raise ValueError("broadcast_tensors: shapes "
                         f"{', '.join(str(t.shape) for t in ts)} do not broadcast") from None
    return tuple(t if t.shape == shape else Expand.apply(t, shape) for t in ts)


def meshgrid(*tensors, indexing="ij"):
    """Coordinate grids from 1-d tensors (torch.meshgrid): with indexing='ij' output i varies
    along dimension i; with 'xy' the first two dimensions are swapped (NumPy's and MATLAB's
    convention). fastgrad defaults to 'ij', PyTorch's present default."""
    if len(tensors) == 1 and isinstance(tensors[0], (tuple, list)):
        tensors = tuple(tensors[0])
    if indexing not in ("ij", "xy"):
        raise ValueError(f"meshgrid: indexing must be 'ij' or 'xy', got {indexing!r}")
    if not tensors:
        raise ValueError("meshgrid: expected at least one tensor")
    ts = [t if isinstance(t, Tensor) else Tensor(t) for t in tensors]
    for i, t in enumerate(ts):
        if t.ndim > 1:
            raise ValueError(f"meshgrid: tensor {i} must be 0-d or 1-d, got shape {t.shape}")
    sizes = [t.numel() for t in ts]
    axes = list(range(len(ts)))
    if indexing == "xy" and len(ts) >= 2:
        axes[0], axes[1] = 1, 0  # x varies along columns, y along rows
    shape = [0] * len(ts)
    for t_index, axis in enumerate(axes):
        shape[axis] = sizes[t_index]
    shape = tuple(shape)
    out = []
    for t, axis in zip(ts, axes):
        column = [1] * len(ts)
        column[axis] = t.numel()
        out.append(Expand.apply(Reshape.apply(t, tuple(column)), shape))
    return tuple(out)


# ---- triangles and diagonals --------------------------------------------------------------------

class Tril(Function):
    """The lower triangle of a's last two dimensions, on and below diagonal k; zeros above."""

    @staticmethod
    def forward(ctx, a, k):
        ctx.k = k
        return np.tril(a, k)

    @staticmethod
    def backward(ctx, g):  # 1 on the kept triangle, 0 where zeros were written
        return np.tril(g, ctx.k)


class Triu(Function):
    """The upper triangle of a's last two dimensions, on and above diagonal k; zeros below."""

    @staticmethod
    def forward(ctx, a, k):
        ctx.k = k
        return np.triu(a, k)

    @staticmethod
    def backward(ctx, g):  # 1 on the kept triangle, 0 where zeros were written
        return np.triu(g, ctx.k)


def _matrices(input, where):
    if input.ndim < 2:
        raise ValueError(f"{where}: input must have at least 2 dimensions, got shape "
                         f"{input.shape}")


def tril(input, diagonal=0):
    """The lower triangle of (each matrix of) input, on and below `diagonal`; zeros elsewhere
    (torch.tril)."""
    _matrices(input, "tril")
    return Tril.apply(input, _check_int(diagonal, "tril: diagonal"))


def triu(input, diagonal=0):
    """The upper triangle of (each matrix of) input, on and above `diagonal`; zeros elsewhere
    (torch.triu)."""
    _matrices(input, "triu")
    return Triu.apply(input, _check_int(diagonal, "triu: diagonal"))


class Diagonal(Function):
    """The diagonal `offset` of a's dims d1 and d2, as a new last dimension (np.diagonal,
    copied)."""

    @staticmethod
    def forward(ctx, a, offset, d1, d2):
        ctx.shape, ctx.args = a.shape, (offset, d1, d2)
        return np.diagonal(a, offset, d1, d2).copy()

    @staticmethod
    def backward(ctx, g):  # each diagonal element gets its gradient back; the rest get 0
        offset, d1, d2 = ctx.args
        full = np.zeros(ctx.shape, dtype=g.dtype)
        view = np.moveaxis(full, (d1, d2), (-2, -1))  # writable: moveaxis is a view
        i = np.arange(g.shape[-1])
        view[..., i + max(-offset, 0), i + max(offset, 0)] = g
        return full


class DiagEmbed(Function):
    """The square matrix with vector a on diagonal k and zeros elsewhere (np.diag of a vector)."""

    @staticmethod
    def forward(ctx, a, k):
        ctx.k = k
        return np.diag(a, k)

    @staticmethod
    def backward(ctx, g):  # each element of a gets the gradient at its place on the diagonal
        return np.diagonal(g, ctx.k).copy()


def diagonal(input, offset=0, dim1=0, dim2=1):
    """The diagonal `offset` (above the main one if positive) of the matrices spanned by dim1
    and dim2, as a new last dimension (torch.diagonal). A copy here, a view in PyTorch."""
    _matrices(input, "diagonal")
    d1 = normalize_dim(dim1, input.ndim, "diagonal: dim1")
    d2 = normalize_dim(dim2, input.ndim, "diagonal: dim2")
    if d1 == d2:
        raise ValueError(f"diagonal: dim1 and dim2 must differ, both are {d1}")
    return Diagonal.apply(input, _check_int(offset, "diagonal: offset"), d1, d2)


def diag(input, diagonal=0):
    """A vector's square diagonal matrix, or a matrix's diagonal as a vector (torch.diag);
    `diagonal` above the main one if positive, below if negative."""
    k = _check_int(diagonal, "diag: diagonal")
    if input.ndim == 1:
        return DiagEmbed.apply(input, k)
    if input.ndim == 2:
        return Diagonal.apply(input, k, 0, 1)
    raise ValueError(f"diag: input must be 1-d or 2-d, got shape {input.shape}")


def trace(input):
    """The sum of a matrix's main diagonal (torch.trace)."""
    if input.ndim != 2:
        raise ValueError(f"trace: input must be a matrix (2-d), got shape {input.shape}")
    return Diagonal.apply(input, 0, 0, 1).sum()

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
