"""Reductions and scans in PyTorch's names: sum, mean, prod, logsumexp, norm, var, std, max,
min, argmax, argmin, unique; cumsum, cumprod and diff along one dimension; each forward beside
its local derivative.

`dim` is an int or a tuple of ints (negative counts from the end), `keepdim` keeps the reduced
dimensions as size 1. Sum, Mean, Max and MaxAlongDim are in ops.py; this file adds the rest and
the functions fg.<name> and Tensor.<name> call.
"""
import numpy as np

from .autograd import ArrayFunction as Function
from .dtypes import get_default_dtype
from .ops import Max, MaxAlongDim, Mean, Sum, _nan_argmax
from .ops_math import Maximum, Minimum, as_tensor_input
from .ops_shape import cat, normalize_dim
from .tensor import Tensor


def normalize_dims(dim, ndim, where="dim"):
    """dim (None: every dimension; an int; a tuple or list of ints) as sorted non-negative
    axes, each checked as normalize_dim does; a repeated dimension is an error."""
    if dim is None:
        return tuple(range(ndim))
    dims = dim if isinstance(dim, (tuple, list)) else (dim,)
    axes = [normalize_dim(d, ndim, where) for d in dims]
    if len(set(axes)) != len(axes):
        raise ValueError(f"{where}: dimension repeated in {dim!r}")
    return tuple(sorted(a for a in axes if a < ndim))


def _expand_back(g, axes, ndim):
    """g with the reduced axes put back as size 1, so it broadcasts against the input."""
    return np.expand_dims(g, axes) if g.ndim != ndim else g


# ---- sum, mean, prod ----------------------------------------------------------------------------

def sum(input, dim=None, keepdim=False):
    """Sum over dim (all by default) (torch.sum)."""
    x = as_tensor_input(input)
    return Sum.apply(x, normalize_dims(dim, x.ndim, "sum: dim"), bool(keepdim))


def mean(input, dim=None, keepdim=False):
    """Mean over dim (all by default) of a float tensor (torch.mean)."""
    x = as_tensor_input(input)
    if x.dtype.kind != "f":
        raise TypeError(f"mean: input must be a float tensor, got dtype {x.dtype} "
                        "(convert with .float() first, as in PyTorch)")
    return Mean.apply(x, normalize_dims(dim, x.ndim, "mean: dim"), bool(keepdim))


def _product_of_others(a, axis):
    """For each element, the product of the other elements along axis: exclusive cumulative
    products from both ends, so zeros need no division."""
    a = np.moveaxis(a, axis, -1)
    ones = np.ones(a.shape[:-1] + (1,), a.dtype)
    left = np.cumprod(np.concatenate([ones, a[..., :-1]], axis=-1), axis=-1)
    right = np.cumprod(np.concatenate([ones, a[..., :0:-1]], axis=-1), axis=-1)[..., ::-1]
    return np.moveaxis(left * right, -1, axis)


class Prod(Function):
    """The product over dim (None: all elements)."""

    @staticmethod
    def forward(ctx, a, dim, keepdim):
        ctx.save_for_backward(a)
        ctx.dim, ctx.keepdim = dim, keepdim
        if dim is None:
            return np.prod(a)
        return np.prod(a, axis=dim, keepdims=keepdim)

    @staticmethod
    def backward(ctx, g):  # d(prod)/d(a_i) = the product of the other elements
        (a,) = ctx.saved_tensors
        if ctx.dim is None:
            return g * _product_of_others(a.reshape(-1), 0).reshape(a.shape)
        g = _expand_back(g, (ctx.dim,), a.ndim)
        return g * _product_of_others(a, ctx.dim)


def prod(input, dim=None, keepdim=False, *, dtype=None):
    """Product over one dimension, or of all elements (torch.prod)."""
    x = as_tensor_input(input)
    if dtype is not None:
        x = x.to(dtype)
    d = None if dim is None else normalize_dim(dim, x.ndim, "prod: dim")
    if d is not None and x.ndim == 0:
        d = None
    return Prod.apply(x, d, bool(keepdim))


# ---- logsumexp ----------------------------------------------------------------------------------

class Logsumexp(Function):
    """log Σ exp(a) over axes, computed after subtracting the largest element (no overflow)."""

    @staticmethod
    def forward(ctx, a, axes, keepdim):
        m = np.max(a, axis=axes, keepdims=True, initial=-np.inf)
        m = np.where(np.isfinite(m), m, 0)  # all -inf (or an inf): nothing to shift by
        with np.errstate(divide="ignore"):  # log 0 = -inf when every element is -inf
            out = np.log(np.sum(np.exp(a - m), axis=axes, keepdims=True)) + m
        ctx.save_for_backward(a, out)
        ctx.axes = axes
        return out if keepdim else np.squeeze(out, axis=axes)

    @staticmethod
    def backward(ctx, g):  # d/da_i log Σ exp(a) = exp(a_i) / Σ exp(a) = exp(a_i − out): softmax
        a, out = ctx.saved_tensors
        with np.errstate(invalid="ignore"):  # inf − inf: NaN, as PyTorch's gradient there
            return _expand_back(g, ctx.axes, a.ndim) * np.exp(a - out)


def logsumexp(input, dim, keepdim=False):
    """log(sum(exp(input))) over dim (an int or a tuple), computed stably (torch.logsumexp);
    an integer input gives the default float dtype, as in PyTorch."""
    x = as_tensor_input(input)
    if x.dtype.kind != "f":
        x = x.to(get_default_dtype())
    return Logsumexp.apply(x, normalize_dims(dim, x.ndim, "logsumexp: dim"), bool(keepdim))


# ---- cumsum, cumprod, diff ----------------------------------------------------------------------

def _scan_input(input, dim, dtype, where):
    """The input of a scan in the dtype PyTorch gives its result (integers and bools: int64,
    unless dtype says otherwise), with dim checked; a 0-d tensor is read as one element."""
    x = as_tensor_input(input)
    if dtype is not None:
        x = x.to(dtype)
    elif x.dtype.kind in "biu":
        x = x.to(np.int64)
    return x, normalize_dim(dim, x.ndim, f"{where}: dim")


def _reverse_cumsum(a, axis):
    """Σ_{j ≥ i} a_j along axis: the sums from each position to the end."""
    return np.flip(np.cumsum(np.flip(a, axis), axis), axis)


class Cumsum(Function):
    """out_i = a_0 + ... + a_i along dim."""

    @staticmethod
    def forward(ctx, a, dim):
        ctx.dim = dim
        return np.cumsum(a, axis=dim) if a.ndim else a.copy()

    @staticmethod
    def backward(ctx, g):  # a_i is in every out_j with j ≥ i: the sum of their gradients
        return _reverse_cumsum(g, ctx.dim) if g.ndim else g


def cumsum(input, dim, *, dtype=None):
    """The running sums along dim (torch.cumsum); integers and bools give int64."""
    x, d = _scan_input(input, dim, dtype, "cumsum")
    return Cumsum.apply(x, d)


class Cumprod(Function):
    """out_i = a_0 · ... · a_i along dim."""

    @staticmethod
    def forward(ctx, a, dim):
        out = np.cumprod(a, axis=dim) if a.ndim else a.copy()
        ctx.save_for_backward(a, out)
        ctx.dim = dim
        return out

    @staticmethod
    def backward(ctx, g):  # d out_j / d a_i = Π_{k ≤ j, k ≠ i} a_k for j ≥ i
        a, out = ctx.saved_tensors
        if a.ndim == 0:
            return g
        if not (a == 0).any():  # Π_{k ≠ i} = out_j / a_i
            return _reverse_cumsum(g * out, ctx.dim) / a
        # with zeros, no division: (Π_{k < i} a_k) · S_i, where S_i = Σ_{j ≥ i} g_j Π_{i < k ≤ j}
        # a_k comes from the end as S_i = g_i + a_{i+1} S_{i+1}
        am, gm = np.moveaxis(a, ctx.dim, -1), np.moveaxis(g, ctx.dim, -1)
        s = np.empty_like(gm)
        s[..., -1] = gm[..., -1]
        for i in range(am.shape[-1] - 2, -1, -1):
            s[..., i] = gm[..., i] + am[..., i + 1] * s[..., i + 1]
        before = np.cumprod(np.concatenate([np.ones_like(am[..., :1]), am[..., :-1]], -1), -1)
        return np.moveaxis(before * s, -1, ctx.dim)


def cumprod(input, dim, *, dtype=None):
    """The running products along dim (torch.cumprod); integers and bools give int64."""
    x, d = _scan_input(input, dim, dtype, "cumprod")
    return Cumprod.apply(x, d)


def diff(input, n=1, dim=-1, prepend=None, append=None):
    """The n-th forward difference out_i = x_{i+1} − x_i along dim, after joining prepend and
    append to input there (torch.diff); for bools, x_{i+1} != x_i. Differentiable through the
    slicing and subtraction it is made of."""
    x = as_tensor_input(input)
    if x.ndim == 0:
        raise ValueError("diff: input must have at least one dimension")
    d = normalize_dim(dim, x.ndim, "diff: dim")
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
        raise ValueError(f"diff: n must be a non-negative int, got {n!r}")
    parts = [as_tensor_input(p, name) for p, name in ((prepend, "prepend"), (input, "input"),
                                                      (append, "append")) if p is not None]
    x = cat(parts, d) if len(parts) > 1 else x.clone()  # a new tensor even for n = 0, as torch
    later = (slice(None),) * d + (slice(1, None),)
    earlier = (slice(None),) * d + (slice(None, -1),)
    for _ in range(n):
        if x.shape[d] == 0:
            break
        x = (x[later] != x[earlier]) if x.dtype == np.bool_ else x[later] - x[earlier]
    return x


# ---- norm, var, std -----------------------------------------------------------------------------

class Norm(Function):
    """The vector p-norm over axes."""

    @staticmethod
    def forward(ctx, a, p, axes, keepdim):
        absa = np.abs(a)
        if p == np.inf:
            out = np.max(absa, axis=axes, keepdims=True, initial=0)  # 0 for no elements
        elif p == -np.inf:
            out = np.min(absa, axis=axes, keepdims=True)
        elif p == 0:
            out = np.sum(a != 0, axis=axes, keepdims=True).astype(a.dtype)
        elif p == 1:
            out = np.sum(absa, axis=axes, keepdims=True)
        elif p == 2:
            out = np.sqrt(np.sum(a * a, axis=axes, keepdims=True))
        else:
            out = np.sum(absa ** p, axis=axes, keepdims=True) ** (1 / p)
        ctx.save_for_backward(a, out)
        ctx.p, ctx.axes = p, axes
        return out if keepdim else np.squeeze(out, axis=axes)

    @staticmethod
    def backward(ctx, g):
        a, out = ctx.saved_tensors
        p = ctx.p
        g = _expand_back(g, ctx.axes, a.ndim)
        if p == 0:  # a count: flat almost everywhere
            return np.zeros_like(a)
        if p == 1:  # d|a|/da = sign(a)
            return g * np.sign(a)
        if p in (np.inf, -np.inf):  # the largest (smallest) |a| carries it; ties share evenly
            winners = np.abs(a) == out
            return g * np.sign(a) * winners / winners.sum(axis=ctx.axes, keepdims=True)
        # d(sum |a|^p)^(1/p) / da = a |a|^(p-2) / norm^(p-1); PyTorch gives 0 where norm is 0
        with np.errstate(divide="ignore", invalid="ignore"):
            if p == 2:
                local = a / out
            else:  # also for p < 0, where every nonzero element counts
                local = a * np.abs(a) ** (p - 2) / out ** (p - 1)
        return g * np.where(out == 0, 0, local)


def norm(input, p="fro", dim=None, keepdim=False):
    """The vector p-norm over dim (all elements by default): p = 2 ('fro'), 1, inf, -inf, 0
    or any other number, (sum |x|^p)^(1/p) (torch.norm); 'nuc' is not supported."""
    x = as_tensor_input(input)
    if x.dtype.kind != "f":
        raise TypeError(f"norm: input must be a float tensor, got dtype {x.dtype}")
    if p == "fro" or p is None:
        p = 2
    if isinstance(p, str) or isinstance(p, bool) or not isinstance(p, (int, float, np.number)):
        raise ValueError(f"norm: p must be a number or 'fro', got {p!r}")
    return Norm.apply(x, float(p), normalize_dims(dim, x.ndim, "norm: dim"), bool(keepdim))


class Var(Function):
    """The variance over axes, dividing by n - correction."""

    @staticmethod
    def forward(ctx, a, axes, correction, keepdim):
        n = int(np.prod([a.shape[i] for i in axes])) if axes else 1
        centred = a - np.mean(a, axis=axes, keepdims=True)
        ctx.save_for_backward(centred)
        ctx.axes, ctx.denominator = axes, a.dtype.type(n - correction if n > correction else 0)
        with np.errstate(divide="ignore", invalid="ignore"):  # n <= correction: inf or nan
            return np.sum(centred * centred, axis=axes, keepdims=keepdim) / ctx.denominator

    @staticmethod
    def backward(ctx, g):  # d var / d a_i = 2 (a_i - mean) / (n - correction)
        (centred,) = ctx.saved_tensors
        g = _expand_back(g, ctx.axes, centred.ndim)
        with np.errstate(divide="ignore", invalid="ignore"):
            return g * (2 * centred / ctx.denominator)


def var(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """Variance over dim (all by default), dividing by n - correction: correction 1 (unbiased,
    the default) or 0 (unbiased=False) (torch.var)."""
    x = as_tensor_input(input)
    if isinstance(dim, bool):  # var(False): the old positional `unbiased`
        dim, unbiased = None, dim
    if unbiased is not None and correction is not None:
        raise ValueError("var: give unbiased or correction, not both")
    if correction is None:
        correction = 1 if unbiased is None or unbiased else 0
    if x.dtype.kind != "f":
        raise TypeError(f"var: input must be a float tensor, got dtype {x.dtype}")
    return Var.apply(x, normalize_dims(dim, x.ndim, "var: dim"), correction, bool(keepdim))


def std(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """Standard deviation: the square root of var with the same arguments (torch.std)."""
    return var(input, dim, unbiased, keepdim, correction=correction).sqrt()


# ---- max, min and their positions --------------------------------------------------------------

class ValuesIndices(tuple):
    """(values, indices), as torch.max(dim) and torch.min(dim) return them (torch.return_types)."""

    def __new__(cls, values, indices, name="max"):
        out = super().__new__(cls, (values, indices))
        out.name = name
        return out

    values = property(lambda self: self[0])
    indices = property(lambda self: self[1])

    def __repr__(self):
        return (f"fastgrad.return_types.{self.name}(\nvalues={self[0]!r},\n"
                f"indices={self[1]!r})")


def _nan_argmin(a, dim):
    """argmin that, like PyTorch, picks a NaN when there is one (NaN is the min)."""
    idx = np.argmin(a, axis=dim)
    if a.dtype.kind == "f":
        nan = np.isnan(a)
        has_nan = nan.any(axis=dim)
        if has_nan.any():
            idx = np.where(has_nan, np.argmax(nan, axis=dim), idx)
    return idx


class Min(Function):
    """The smallest element over axes (ties share the gradient)."""

    @staticmethod
    def forward(ctx, a, axes, keepdims):
        if a.size == 0:
            raise ValueError(f"min of an empty tensor of shape {a.shape}")
        out = np.min(a, axis=axes, keepdims=True)
        ctx.save_for_backward(a, out)
        ctx.axes = axes
        return out if keepdims else np.squeeze(out, axis=axes)

    @staticmethod
    def backward(ctx, g):  # the minimum passes the gradient; ties share it evenly (PyTorch)
        a, out = ctx.saved_tensors
        g = _expand_back(g, ctx.axes, a.ndim)
        winners = (a == out) | (np.isnan(a) & np.isnan(out))
        return winners * (g / winners.sum(axis=ctx.axes, keepdims=True))


class MinAlongDim(Function):
    """PyTorch's min(dim): the gradient goes to the one element whose index is returned."""

    @staticmethod
    def forward(ctx, a, dim, keepdim):
        if a.shape[dim] == 0:
            raise ValueError(f"min over dimension {dim} of size 0 (shape {a.shape})")
        idx = np.expand_dims(_nan_argmin(a, dim), dim)
        ctx.shape, ctx.dim, ctx.idx = a.shape, dim, idx
        out = np.take_along_axis(a, idx, axis=dim)
        return out if keepdim else np.squeeze(out, axis=dim)

    @staticmethod
    def backward(ctx, g):
        g = _expand_back(g, (ctx.dim,), len(ctx.shape))
        da = np.zeros(ctx.shape, dtype=g.dtype)
        np.put_along_axis(da, ctx.idx, g, axis=ctx.dim)
        return da


def _extreme(name, whole, along, arg, pairwise):
    def extreme(input, dim=None, keepdim=False):
        x = as_tensor_input(input)
        if isinstance(dim, Tensor):  # max(input, other): elementwise, as torch.maximum
            return pairwise.apply(x, dim)
        if dim is None:
            return whole.apply(x, tuple(range(x.ndim)), False)
        if x.ndim == 0:
            normalize_dim(dim, 0, f"{name}: dim")
            return ValuesIndices(x.clone(), Tensor(np.array(0)), name)
        d = normalize_dim(dim, x.ndim, f"{name}: dim")
        values = along.apply(x, d, bool(keepdim))
        idx = arg(x.numpy(), d)
        return ValuesIndices(values, Tensor(np.expand_dims(idx, d) if keepdim else idx), name)
    extreme.__name__ = name
    extreme.__doc__ = (f"{name}(input): the {name}imum element; {name}(input, dim, keepdim) -> "
                       f"(values, indices) along dim; {name}(input, other): elementwise "
                       f"(torch.{name}).")
    return extreme


max = _extreme("max", Max, MaxAlongDim, _nan_argmax, Maximum)
min = _extreme("min", Min, MinAlongDim, _nan_argmin, Minimum)


def _arg_extreme(name, arg):
    def arg_extreme(input, dim=None, keepdim=False):
        x = as_tensor_input(input)
        if x.numel() == 0 and dim is None:
            raise ValueError(f"{name}: the tensor is empty")
        if dim is None:
            idx = np.array(arg(x.numpy().reshape(-1), 0))
            return Tensor(idx.reshape((1,) * x.ndim) if keepdim else idx)
        if x.ndim == 0:
            normalize_dim(dim, 0, f"{name}: dim")
            return Tensor(np.array(0))
        d = normalize_dim(dim, x.ndim, f"{name}: dim")
        if x.shape[d] == 0:
            raise ValueError(f"{name}: dimension {d} of shape {x.shape} is empty")
        idx = arg(x.numpy(), d)
        return Tensor(np.expand_dims(idx, d) if keepdim else idx)
    arg_extreme.__name__ = name
    arg_extreme.__doc__ = (f"Index of the {name[3:]}imum, of the flattened tensor or along dim "
                           f"(torch.{name}).")
    return arg_extreme


argmax = _arg_extreme("argmax", _nan_argmax)
argmin = _arg_extreme("argmin", _nan_argmin)


def unique(input, sorted=True, return_inverse=False, return_counts=False, dim=None):
    """The distinct values, sorted; optionally the inverse indices and the counts
    (torch.unique). Not differentiable, as in PyTorch."""
    x = as_tensor_input(input)
    axis = None if dim is None else normalize_dim(dim, x.ndim, "unique: dim")
    values, inverse, counts = np.unique(x.numpy(), return_inverse=True, return_counts=True,
                                        axis=axis)
    out = [Tensor(values)]
    if return_inverse:
        out.append(Tensor(inverse.reshape(x.shape) if axis is None else inverse.reshape(-1)))
    if return_counts:
        out.append(Tensor(counts))
    return out[0] if len(out) == 1 else tuple(out)


# ---- amax, amin, aminmax, count_nonzero, var_mean, std_mean -------------------------------------

def _reduced_extreme(name, whole, input, dim, keepdim):
    """amax/amin: the Max/Min Function over the dimensions of dim (() or None: all of them);
    every tied element receives an equal share of the gradient, as in PyTorch."""
    x = as_tensor_input(input)
    every = dim is None or (isinstance(dim, (tuple, list)) and len(dim) == 0)
    axes = normalize_dims(None if every else dim, x.ndim, f"{name}: dim")
    if x.numel() == 0 and every:
        raise RuntimeError(f"{name}: the tensor is empty; give the dimension to reduce "
                           "with the 'dim' argument")
    for a in axes:
        if x.shape[a] == 0:
            raise IndexError(f"{name}: dimension {a} of shape {tuple(x.shape)} is empty; "
                             "there is no identity to return")
    return whole.apply(x, axes, bool(keepdim))


def amax(input, dim=(), keepdim=False):
    """The largest element over dim (an int or a tuple; () or None: all dimensions)
    (torch.amax); tied elements share the gradient evenly."""
    return _reduced_extreme("amax", Max, input, dim, keepdim)


def amin(input, dim=(), keepdim=False):
    """The smallest element over dim (an int or a tuple; () or None: all dimensions)
    (torch.amin); tied elements share the gradient evenly."""
    return _reduced_extreme("amin", Min, input, dim, keepdim)


class MinMax(tuple):
    """(min, max), as torch.aminmax returns them (torch.return_types.aminmax)."""

    min = property(lambda self: self[0])
    max = property(lambda self: self[1])

    def __repr__(self):
        return f"fastgrad.return_types.aminmax(\nmin={self[0]!r},\nmax={self[1]!r})"


def aminmax(input, *, dim=None, keepdim=False):
    """(min, max) over dim (one int; None: all elements) (torch.aminmax)."""
    if dim is not None and (isinstance(dim, bool) or not isinstance(dim, (int, np.integer))):
        raise TypeError(f"aminmax: dim must be an int or None, got {dim!r}")
    whole = () if dim is None else dim
    return MinMax((_reduced_extreme("aminmax", Min, input, whole, keepdim),
                   _reduced_extreme("aminmax", Max, input, whole, keepdim)))


def count_nonzero(input, dim=None):
    """The number of nonzero elements over dim (an int or a tuple; None: all), an int64 tensor
    (torch.count_nonzero). Not differentiable."""
    x = as_tensor_input(input)
    axes = None if dim is None else normalize_dims(dim, x.ndim, "count_nonzero: dim")
    return Tensor(np.asarray(np.count_nonzero(x.numpy(), axis=axes), dtype=np.int64))


def _moments(name, spread, input, dim, unbiased, keepdim, correction):
    """(spread, mean) with var's arguments, the old positional forms (input, unbiased) and
    (input, dim, unbiased, keepdim) included."""
    x = as_tensor_input(input)
    if x.dtype.kind != "f":
        raise TypeError(f"{name}: input must be a float tensor, got dtype {x.dtype}")
    if isinstance(dim, bool):
        dim, unbiased = None, dim
    s = spread(x, dim, unbiased, keepdim, correction=correction)
    return s, mean(x, dim, keepdim)


def var_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """(variance, mean) over dim, the variance dividing by n - correction (correction 1 by
    default; unbiased=False means 0) (torch.var_mean)."""
    return _moments("var_mean", var, input, dim, unbiased, keepdim, correction)


def std_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """(standard deviation, mean) over dim, with var_mean's arguments (torch.std_mean)."""
    return _moments("std_mean", std, input, dim, unbiased, keepdim, correction)
