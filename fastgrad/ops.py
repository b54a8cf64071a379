"""The tensor ops, each forward beside its local derivative.

Read any class here top to bottom and the chain rule is on one screen: `forward` computes the
output from NumPy arrays and saves what the derivative needs; `backward` receives g = dL/dout
and returns dL/dinput = g * dout/dinput for each input. Broadcasting copies an input along
some axes in forward, so in backward the gradient is summed back along those axes
(`unbroadcast`). The neural-network Functions (dense layer, activations, losses,
normalisation) are in fastgrad/functions/; they follow the same pattern with the arithmetic in C.
"""
import numpy as np

from . import _kernels
from . import dtypes as _dtypes
from .autograd import ArrayFunction as Function
from ._engine import operator
from .tensor import Tensor
from .functions.activation import activate


def unbroadcast(g, shape):
    """Sums g down to `shape`: the derivative of NumPy broadcasting."""
    if g.shape == shape:
        return g
    extra = g.ndim - len(shape)
    axes = tuple(range(extra)) + tuple(
        extra + i for i, n in enumerate(shape) if n == 1 and g.shape[extra + i] != 1)
    g = g.sum(axis=axes, keepdims=True) if axes else g
    return g.reshape(shape)


# ---- arithmetic ---------------------------------------------------------------------------------

class Add(Function):
    @staticmethod
    def forward(ctx, a, b):
        ctx.shapes = np.shape(a), np.shape(b)
        return np.add(a, b)

    @staticmethod
    def backward(ctx, g):  # d(a+b)/da = 1, d(a+b)/db = 1
        sa, sb = ctx.shapes
        need_a, need_b = ctx.needs_input_grad
        return (unbroadcast(g, sa) if need_a else None), (unbroadcast(g, sb) if need_b else None)


class Sub(Function):
    @staticmethod
    def forward(ctx, a, b):
        ctx.shapes = np.shape(a), np.shape(b)
        return np.subtract(a, b)

    @staticmethod
    def backward(ctx, g):  # d(a-b)/da = 1, d(a-b)/db = -1
        sa, sb = ctx.shapes
        need_a, need_b = ctx.needs_input_grad
        return (unbroadcast(g, sa) if need_a else None), (unbroadcast(-g, sb) if need_b else None)


class Mul(Function):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return np.multiply(a, b)

    @staticmethod
    def backward(ctx, g):  # d(ab)/da = b, d(ab)/db = a
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        return ((unbroadcast(g * b, np.shape(a)) if need_a else None),
                (unbroadcast(g * a, np.shape(b)) if need_b else None))


class Div(Function):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        with np.errstate(divide="ignore", invalid="ignore"):  # x/0 = ±inf, 0/0 = nan (PyTorch)
            return np.true_divide(a, b)

    @staticmethod
    def backward(ctx, g):  # d(a/b)/da = 1/b, d(a/b)/db = -a/b^2
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        return ((unbroadcast(g / b, np.shape(a)) if need_a else None),
                (unbroadcast(-g * a / (b * b), np.shape(b)) if need_b else None))


class Pow(Function):
    @staticmethod
    def forward(ctx, a, b):
        n = _small_int_exponent(a, b)
        ctx.n = n
        out = np.power(a, b) if n is None else _int_power(a, n)
        ctx.save_for_backward(a, b, out)
        return out

    @staticmethod
    def backward(ctx, g):  # d(a^b)/da = b a^(b-1), d(a^b)/db = a^b log a
        a, b, out = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        ga = gb = None
        if need_a:
            n = ctx.n
            da = np.power(a, b - 1) if n is None else _int_power(a, n - 1)
            ga = unbroadcast(g * (b if n is None else a.dtype.type(n)) * da, np.shape(a))
        if need_b:
            with np.errstate(divide="ignore", invalid="ignore"):
                # a^b with a <= 0 has no real log; PyTorch uses 0 where a == 0 and b >= 0.
                log_a = np.where(np.asarray(a) == 0, 0, np.log(np.where(np.asarray(a) > 0, a, np.nan)))
            gb = unbroadcast(g * out * log_a, np.shape(b))
        return ga, gb


def _small_int_exponent(a, b):
    """b as an int when a is a float array and b a number equal to a small integer: such
    powers are a few multiplications (np.power calls pow() for every element, ~30x slower)."""
    if (isinstance(b, (int, float, np.integer, np.floating)) and not isinstance(b, bool)
            and a.dtype.kind == "f" and b == int(b) and -8 <= b <= 8):
        return int(b)
    return None


def _int_power(a, n):
    """a ** n for an integer n in [-8, 8], by repeated squaring."""
    if n < 0:
        with np.errstate(divide="ignore"):
            return np.reciprocal(_int_power(a, -n))
    if n == 0:
        return np.ones_like(a)
    result, base = None, a
    while True:
        if n & 1:
            result = base.copy() if result is None else result * base
        n >>= 1
        if not n:
            return result
        base = base * base


class Neg(Function):
    @staticmethod
    def forward(ctx, a):
        return np.negative(a)

    @staticmethod
    def backward(ctx, g):  # d(-a)/da = -1
        return -g


class MatMul(Function):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return matmul(a, b)

    @staticmethod
    def backward(ctx, g):  # d(AB)/dA = g B^T, d(AB)/dB = A^T g
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        a2 = a[None, :] if a.ndim == 1 else a  # a vector is a one-row (or one-column) matrix
        b2 = b[:, None] if b.ndim == 1 else b
        g2 = g.reshape(a2.shape[:-1] + b2.shape[-1:])
        ga = gb = None
        if need_a:
            ga = unbroadcast(matmul(g2, np.swapaxes(b2, -1, -2)), a2.shape).reshape(a.shape)
        if need_b:
            gb = unbroadcast(matmul(np.swapaxes(a2, -1, -2), g2), b2.shape).reshape(b.shape)
        return ga, gb


def matmul(a, b):
    """NumPy's matmul semantics; 2-d float products go to fastgrad's GEMM, which reads either
    operand through its strides, so transposed views cost no copy."""
    a = np.asarray(a)
    b = np.asarray(b)
    if a.ndim == 2 and b.ndim == 2 and a.dtype == b.dtype and a.dtype.type in (np.float32, np.float64):
        if a.shape[1] != b.shape[0]:
            raise ValueError(f"matmul: shapes {a.shape} and {b.shape} do not align "
                             f"({a.shape[1]} != {b.shape[0]})")
        out = np.empty((a.shape[0], b.shape[1]), dtype=a.dtype)
        _kernels.gemm(a, b, out)
        return out
    if a.ndim == 0 or b.ndim == 0:
        raise ValueError("matmul: both operands need at least one dimension")
    try:
        return np.matmul(a, b)
    except ValueError:
        raise ValueError(f"matmul: shapes {a.shape} and {b.shape} do not align") from None


# ---- elementwise functions ----------------------------------------------------------------------

class Exp(Function):
    @staticmethod
    def forward(ctx, a):
        out = np.exp(a)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):  # d(e^a)/da = e^a
        (out,) = ctx.saved_tensors
        return g * out


class Log(Function):
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        with np.errstate(divide="ignore", invalid="ignore"):  # log(0) = -inf, log(-1) = nan
            return np.log(a)

    @staticmethod
    def backward(ctx, g):  # d(log a)/da = 1/a
        (a,) = ctx.saved_tensors
        with np.errstate(divide="ignore"):
            return g / a


class Sqrt(Function):
    @staticmethod
    def forward(ctx, a):
        with np.errstate(invalid="ignore"):
            out = np.sqrt(a)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):  # d(sqrt a)/da = 1 / (2 sqrt a)
        (out,) = ctx.saved_tensors
        with np.errstate(divide="ignore"):
            return g / (2 * out)


class Abs(Function):
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return np.abs(a)

    @staticmethod
    def backward(ctx, g):  # d|a|/da = sign(a), 0 at 0 (as PyTorch)
        (a,) = ctx.saved_tensors
        return g * np.sign(a)


# ---- reductions ---------------------------------------------------------------------------------

def _axes(axis, ndim):
    if axis is None:
        return tuple(range(ndim))
    axes = axis if isinstance(axis, (tuple, list)) else (axis,)
    out = []
    for ax in axes:
        if not -ndim <= ax < max(ndim, 1):
            raise IndexError(f"dimension {ax} is out of range for a tensor of {ndim} dimensions")
        out.append(ax % max(ndim, 1))
    return tuple(out)


class Sum(Function):
    @staticmethod
    def forward(ctx, a, axis, keepdims):
        ctx.shape, ctx.axes = a.shape, _axes(axis, a.ndim)
        return np.sum(a, axis=ctx.axes, keepdims=keepdims)

    @staticmethod
    def backward(ctx, g):  # every summed element receives the whole gradient
        g = np.expand_dims(g, ctx.axes) if g.ndim != len(ctx.shape) else g
        return np.broadcast_to(g, ctx.shape).copy()


class Mean(Function):
    @staticmethod
    def forward(ctx, a, axis, keepdims):
        ctx.shape, ctx.axes = a.shape, _axes(axis, a.ndim)
        ctx.count = int(np.prod([a.shape[i] for i in ctx.axes])) if a.ndim else 1
        return np.mean(a, axis=ctx.axes, keepdims=keepdims)

    @staticmethod
    def backward(ctx, g):  # each of the n averaged elements receives 1/n of the gradient
        g = np.expand_dims(g, ctx.axes) if g.ndim != len(ctx.shape) else g
        return np.broadcast_to(g / ctx.count, ctx.shape).copy()


class Max(Function):
    @staticmethod
    def forward(ctx, a, axis, keepdims):
        axes = _axes(axis, a.ndim)
        if a.size == 0:
            raise ValueError(f"max of an empty tensor of shape {a.shape}")
        out = np.max(a, axis=axes, keepdims=True)
        ctx.save_for_backward(a, out)
        ctx.axes = axes
        return out if keepdims else np.squeeze(out, axis=axes)

    @staticmethod
    def backward(ctx, g):  # the maximum passes the gradient; ties share it evenly (PyTorch)
        a, out = ctx.saved_tensors
        g = np.expand_dims(g, ctx.axes) if g.ndim != a.ndim else g
        winners = (a == out) | (np.isnan(a) & np.isnan(out))
        return winners * (g / winners.sum(axis=ctx.axes, keepdims=True))


class MaxAlongDim(Function):
    """PyTorch's max(dim): the gradient goes to the one element whose index is returned."""

    @staticmethod
    def forward(ctx, a, dim, keepdim):
        if a.shape[dim] == 0:
            raise ValueError(f"max over dimension {dim} of size 0 (shape {a.shape})")
        idx = np.expand_dims(_nan_argmax(a, dim), dim)
        ctx.shape, ctx.dim, ctx.idx = a.shape, dim, idx
        out = np.take_along_axis(a, idx, axis=dim)
        return out if keepdim else np.squeeze(out, axis=dim)

    @staticmethod
    def backward(ctx, g):
        g = np.expand_dims(g, ctx.dim) if g.ndim != len(ctx.shape) else g
        da = np.zeros(ctx.shape, dtype=g.dtype)
        np.put_along_axis(da, ctx.idx, g, axis=ctx.dim)
        return da


def _nan_argmax(a, dim):
    """argmax that, like PyTorch, picks a NaN when there is one (NaN is the max)."""
    idx = np.argmax(a, axis=dim)
    if a.dtype.kind == "f":
        nan = np.isnan(a)
        has_nan = nan.any(axis=dim)
        if has_nan.any():
            idx = np.where(has_nan, np.argmax(nan, axis=dim), idx)
    return idx


# ---- shape --------------------------------------------------------------------------------------

class Reshape(Function):
    @staticmethod
    def forward(ctx, a, shape):
        ctx.shape = a.shape
        try:
            return a.reshape(shape)
        except ValueError:
            raise ValueError(f"cannot reshape a tensor of shape {a.shape} into {shape}") from None

    @staticmethod
    def backward(ctx, g):  # reshaping moves no values: the gradient is reshaped back
        return g.reshape(ctx.shape)


class Permute(Function):
    @staticmethod
    def forward(ctx, a, axes):
        ctx.axes = axes
        return np.transpose(a, axes)

    @staticmethod
    def backward(ctx, g):  # the inverse permutation carries the gradient back
        return np.transpose(g, np.argsort(ctx.axes))


class GetItem(Function):
    @staticmethod
    def forward(ctx, a, index):
        ctx.shape, ctx.index = a.shape, index
        return a[index]

    @staticmethod
    def backward(ctx, g):  # selected elements receive the gradient; repeats add up
        da = np.zeros(ctx.shape, dtype=g.dtype)
        np.add.at(da, ctx.index, g)
        return da


# ---- the Tensor methods that call these ops -----------------------------------------------------

def install_tensor_methods(Tensor):
    """Gives Tensor its operators. Kept here so tensor.py holds only the graph machinery."""

    def _index(idx):
        if isinstance(idx, tuple):
            return tuple(_index(i) for i in idx)
        return idx._data if isinstance(idx, Tensor) else idx

    def _dim_axis(dim, axis, keepdim, keepdims):
        return (axis if dim is None else dim), bool(keepdims if keepdims is not None else keepdim)

    def sum(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        """Sum over `dim` (an int, a tuple, or None for all), as torch.Tensor.sum."""
        ax, kd = _dim_axis(dim, axis, keepdim, keepdims)
        return Sum.apply(self, ax, kd)

    def mean(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        """Mean over `dim` (an int, a tuple, or None for all), as torch.Tensor.mean."""
        ax, kd = _dim_axis(dim, axis, keepdim, keepdims)
        return Mean.apply(self, ax, kd)

    def reshape(self, *shape):
        """The same values in a new shape (one entry may be -1), as torch.Tensor.reshape."""
        shape = shape[0] if len(shape) == 1 and isinstance(shape[0], (tuple, list)) else shape
        return Reshape.apply(self, tuple(int(s) for s in shape))

    def flatten(self, start_dim=0, end_dim=-1):
        """Dimensions start_dim..end_dim merged into one, as torch.Tensor.flatten."""
        if self.ndim == 0:
            return Reshape.apply(self, (1,))
        s, e = _axes(start_dim, self.ndim)[0], _axes(end_dim, self.ndim)[0]
        shape = self.shape[:s] + (-1,) + self.shape[e + 1:]
        return Reshape.apply(self, shape)

    def transpose(self, dim0=None, dim1=None):
        """transpose() reverses the axes; transpose(d0, d1) swaps two (PyTorch)."""
        if (dim0 is None) != (dim1 is None):
            raise TypeError("transpose: give both dim0 and dim1, or neither to reverse every "
                            "dimension")
        axes = list(range(self.ndim))
        if dim0 is None:
            axes.reverse()
        else:
            d0, d1 = _axes((dim0, dim1), self.ndim)
            axes[d0], axes[d1] = axes[d1], axes[d0]
        return Permute.apply(self, tuple(axes))

    def permute(self, *dims):
        """The dimensions reordered as `dims`, as torch.Tensor.permute."""
        dims = dims[0] if len(dims) == 1 and isinstance(dims[0], (tuple, list)) else dims
        return Permute.apply(self, _axes(tuple(dims), self.ndim))

    def _act(name):
        code = _kernels.ACTIVATIONS[name]
        method = lambda self: activate(self, code, 0.0)  # noqa: E731
        method.__doc__ = f"{name}(x) elementwise, as torch.Tensor.{name}."
        return method

    def _compare(ufunc):
        def compare(self, other):
            if isinstance(other, Tensor):
                other = other._data
            elif not isinstance(other, (np.ndarray, np.generic, int, float, bool, list, tuple)):
                return NotImplemented  # e.g. pytest.approx, which then compares itself
            return Tensor(ufunc(self._data, other))
        return compare

    def _binary(op, ufunc=None):
        """The operator and its reflected form: the engine's fast path when the dtypes need
        no promotion, else PyTorch's promotion first."""
        return operator(op, ufunc, False, promote), operator(op, ufunc, True, promote)

    add, radd = _binary(Add, np.add)
    sub, rsub = _binary(Sub, np.subtract)
    mul, rmul = _binary(Mul, np.multiply)
    float_div, float_rdiv = _binary(Div, np.true_divide)

    def div(a, b):  # true division of integers gives the default float dtype (PyTorch)
        if a._data.dtype.kind != "f" and _kind(b)[0] < 2:
            a = a.to(_dtypes.get_default_dtype())
        return float_div(a, b)

    def rdiv(a, b):
        if a._data.dtype.kind != "f" and _kind(b)[0] < 2:
            a = a.to(_dtypes.get_default_dtype())
        return float_rdiv(a, b)
    pow_, rpow = _binary(Pow)

    methods = dict(
        __add__=add, __radd__=radd, __sub__=sub, __rsub__=rsub,
        __mul__=mul, __rmul__=rmul, __truediv__=div, __rtruediv__=rdiv,
        __pow__=pow_, __rpow__=rpow,
        __matmul__=lambda a, b: MatMul.apply(a, b), __rmatmul__=lambda a, b: MatMul.apply(b, a),
        __neg__=lambda a: Neg.apply(a), __pos__=lambda a: a,
        __getitem__=lambda a, idx: GetItem.apply(a, _index(idx)),
        __lt__=_compare(np.less), __le__=_compare(np.less_equal),
        __gt__=_compare(np.greater), __ge__=_compare(np.greater_equal),
        __eq__=_compare(np.equal), __ne__=_compare(np.not_equal),
        abs=lambda a: Abs.apply(a), __abs__=lambda a: Abs.apply(a),
        relu=_act("relu"), tanh=_act("tanh"), sigmoid=_act("sigmoid"),
        matmul=lambda a, b: MatMul.apply(a, b),
        sum=sum, mean=mean, reshape=reshape, view=reshape,
        flatten=flatten, transpose=transpose, permute=permute,
        T=property(lambda a: Permute.apply(a, tuple(reversed(range(a.ndim)))),
                   doc="The dimensions reversed (a matrix transposed), as torch.Tensor.T."),
    )
    docs = dict(abs="Absolute value elementwise.",
                matmul="Matrix product self @ other, as torch.matmul.")
    for name, doc in docs.items():
        methods[name].__doc__ = doc
    for name, fn in methods.items():
        if name not in Tensor.__dict__:  # a method the class defines itself takes precedence
            setattr(Tensor, name, fn)


# ---- type promotion -----------------------------------------------------------------------------

_CATEGORY = {"b": 0, "i": 1, "u": 1, "f": 2}
_DEFAULT = _dtypes._DEFAULT  # the same dict: set_default_dtype changes its float entry


def _kind(v):
    """(category, dtype, priority) of an operand, as PyTorch ranks them: a tensor with
    dimensions (2) over a 0-d tensor or NumPy scalar (1) over a Python number (0, whose dtype
    is the default of its category)."""
    if isinstance(v, (bool, int, float)):  # np.float64 is a float: a Python number
        return (0 if isinstance(v, bool) else 1 if isinstance(v, int) else 2), None, 0
    arr = v._data if isinstance(v, Tensor) else v if isinstance(v, np.ndarray) else np.asarray(v)
    dt = arr.dtype
    return _CATEGORY.get(dt.kind, 3), dt, (2 if arr.ndim else 1)


def promote(a, b):
    """a and b converted to the dtype PyTorch gives a binary op on them: the highest category
    (bool < integer < float) wins, and within it the operands of highest priority; a float32
    tensor with a Python or NumPy float stays float32. A tensor keeps its graph (Cast)."""
    ka, kb = _kind(a), _kind(b)
    category = max(ka[0], kb[0])
    if category == 3:
        return a, b  # complex or object: NumPy's own error or result
    top = [k for k in (ka, kb) if k[0] == category]
    priority = max(k[2] for k in top)
    dtypes = [k[1] for k in top if k[2] == priority and k[1] is not None]
    dtype = np.result_type(*dtypes) if dtypes else _DEFAULT[category]
    return _as(a, dtype), _as(b, dtype)


def _as(v, dtype):
    if isinstance(v, Tensor):
        return v if v._data.dtype == dtype else Cast.apply(v, dtype)
    return np.asarray(v, dtype=dtype)


class Cast(Function):
    @staticmethod
    def forward(ctx, a, dtype):
        ctx.dtype = a.dtype
        return a.astype(dtype, copy=False)

    @staticmethod
    def backward(ctx, g):  # a change of precision: the gradient goes back in the input's dtype
        return g.astype(ctx.dtype, copy=False)
