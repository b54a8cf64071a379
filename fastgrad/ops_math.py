"""Elementwise math in PyTorch's names, each forward beside its local derivative.

sin, cos, log1p, clamp, where, masked_fill, maximum/minimum, round here; + - * / ** exp log sqrt
abs are in ops.py. Each Function works on NumPy arrays (see autograd.py); the function below
it is what `fg.<name>(...)` and `Tensor.<name>(...)` call.
"""
import numpy as np

from .autograd import ArrayFunction as Function
from .dtypes import result_type
from .ops import Abs, Exp, Log, MatMul, Pow, Sqrt, unbroadcast
from .tensor import Tensor


def as_tensor_input(x, name="input"):
    """x as a Tensor (a NumPy array or a number is wrapped, without a copy when possible)."""
    if isinstance(x, Tensor):
        return x
    try:
        return Tensor(x)
    except TypeError:
        raise TypeError(f"{name} must be a Tensor, a NumPy array or a number, "
                        f"got {type(x).__name__}") from None


def _promoted(*operands):
    """The operands cast to the dtype PyTorch's promotion gives them (dtypes.result_type):
    tensors through a differentiable cast, arrays by astype; numbers stay Python numbers,
    which NumPy then treats as weak, so they never widen the result."""
    dt = result_type(*operands)
    out = []
    for x in operands:
        if isinstance(x, np.generic):  # before float: np.float64 is a float subclass
            out.append(x.item())
        elif x is None or isinstance(x, (bool, int, float)):
            out.append(x)
        elif isinstance(x, Tensor):
            out.append(x if x.dtype == dt else x.to(dt))
        else:
            out.append(np.asarray(x, dtype=dt))
    return out


# ---- trigonometry and logarithms ----------------------------------------------------------------

class Sin(Function):
    """sin(a)."""

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return np.sin(a)

    @staticmethod
    def backward(ctx, g):  # d(sin a)/da = cos a
        (a,) = ctx.saved_tensors
        return g * np.cos(a)


class Cos(Function):
    """cos(a)."""

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return np.cos(a)

    @staticmethod
    def backward(ctx, g):  # d(cos a)/da = -sin a
        (a,) = ctx.saved_tensors
        return -g * np.sin(a)


class Log1p(Function):
    """log(1 + a)."""

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        with np.errstate(divide="ignore", invalid="ignore"):  # log1p(-1) = -inf, below is nan
            return np.log1p(a)

    @staticmethod
    def backward(ctx, g):  # d(log(1 + a))/da = 1 / (1 + a)
        (a,) = ctx.saved_tensors
        with np.errstate(divide="ignore"):
            return g / (1 + a)


class Round(Function):
    """a rounded half to even to `decimals` places."""

    @staticmethod
    def forward(ctx, a, decimals):
        ctx.shape = a.shape
        return np.round(a, decimals)  # half to even, as PyTorch

    @staticmethod
    def backward(ctx, g):  # a step function: zero derivative everywhere it has one (PyTorch)
        return np.zeros(ctx.shape, dtype=g.dtype), None


# ---- clamping and selection ---------------------------------------------------------------------

class Clamp(Function):
    """min(max(a, lo), hi), lo and hi numbers, arrays or None (PyTorch's clamp)."""

    @staticmethod
    def forward(ctx, a, lo, hi):
        raised = a if lo is None else np.maximum(a, lo)
        out = raised if hi is None else np.minimum(raised, hi)
        # Which source each output element came from; NaN in a stays NaN and keeps a's gradient.
        to_hi = np.zeros(out.shape, bool) if hi is None else raised > hi
        to_lo = np.zeros(out.shape, bool) if lo is None else (a < lo) & ~to_hi
        ctx.shapes = np.shape(a), np.shape(lo), np.shape(hi)
        ctx.masks = to_lo, to_hi
        return out

    @staticmethod
    def backward(ctx, g):  # 1 to whichever of a, lo, hi the output element is; 0 to the others
        to_lo, to_hi = ctx.masks
        sa, slo, shi = ctx.shapes
        need_a, need_lo, need_hi = ctx.needs_input_grad
        ga = unbroadcast(np.where(to_lo | to_hi, 0, g), sa) if need_a else None
        glo = unbroadcast(np.where(to_lo, g, 0), slo) if need_lo else None
        ghi = unbroadcast(np.where(to_hi, g, 0), shi) if need_hi else None
        return ga, glo, ghi


class Where(Function):
    """cond ? a : b, elementwise and broadcasting."""

    @staticmethod
    def forward(ctx, cond, a, b):
        ctx.cond = np.array(cond, dtype=bool)  # a copy: changing the mask later changes nothing
        ctx.shapes = np.shape(a), np.shape(b)
        return np.where(cond, a, b)

    @staticmethod
    def backward(ctx, g):  # the gradient goes to the side each element was taken from
        sa, sb = ctx.shapes
        _, need_a, need_b = ctx.needs_input_grad
        ga = unbroadcast(np.where(ctx.cond, g, 0), sa) if need_a else None
        gb = unbroadcast(np.where(ctx.cond, 0, g), sb) if need_b else None
        return None, ga, gb


class Maximum(Function):
    """The larger of a and b, elementwise."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return np.maximum(a, b)

    @staticmethod
    def backward(ctx, g):  # to the larger; ties split the gradient in half (PyTorch)
        a, b = ctx.saved_tensors
        return _split(g, a > b, a == b, np.shape(a), np.shape(b), ctx.needs_input_grad)


class Minimum(Function):
    """The smaller of a and b, elementwise."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return np.minimum(a, b)

    @staticmethod
    def backward(ctx, g):  # to the smaller; ties split the gradient in half (PyTorch)
        a, b = ctx.saved_tensors
        return _split(g, a < b, a == b, np.shape(a), np.shape(b), ctx.needs_input_grad)


def _split(g, a_wins, tie, sa, sb, needs):
    half = g / 2
    ga = unbroadcast(np.where(a_wins, g, np.where(tie, half, 0)), sa) if needs[0] else None
    gb = unbroadcast(np.where(a_wins | tie, np.where(tie, half, 0), g), sb) if needs[1] else None
    return ga, gb


# ---- the functions fg.<name> and Tensor.<name> call ---------------------------------------------

def sin(input):
    """Elementwise sine (torch.sin)."""
    return Sin.apply(as_tensor_input(input))


def cos(input):
    """Elementwise cosine (torch.cos)."""
    return Cos.apply(as_tensor_input(input))


def log1p(input):
    """Elementwise log(1 + x), accurate for small x (torch.log1p)."""
    return Log1p.apply(as_tensor_input(input))


def exp(input):
    """Elementwise e^x (torch.exp)."""
    return Exp.apply(as_tensor_input(input))


def log(input):
    """Elementwise natural logarithm (torch.log)."""
    return Log.apply(as_tensor_input(input))


def sqrt(input):
    """Elementwise square root (torch.sqrt)."""
    return Sqrt.apply(as_tensor_input(input))


def abs(input):
    """Elementwise absolute value (torch.abs)."""
    return Abs.apply(as_tensor_input(input))


def pow(input, exponent):
    """input ** exponent, elementwise and broadcasting (torch.pow); either may be a number."""
    if not isinstance(input, Tensor) and not isinstance(exponent, Tensor):
        input = as_tensor_input(input)
    return Pow.apply(*_promoted(input, exponent))


def round(input, decimals=0):
    """Rounds half to even, to `decimals` places (torch.round); its gradient is zero."""
    if isinstance(decimals, bool) or not isinstance(decimals, (int, np.integer)):
        raise TypeError(f"round: decimals must be an int, got {decimals!r}")
    return Round.apply(as_tensor_input(input), int(decimals))


def clamp(input, min=None, max=None):
    """Limits each element to [min, max] (torch.clamp, alias clip); min and max may be numbers
    or tensors, and at least one must be given."""
    if min is None and max is None:
        raise ValueError("clamp: at least one of min and max must be given")
    for name, bound in (("min", min), ("max", max)):
        if isinstance(bound, (str, bytes, complex)):
            raise TypeError(f"clamp: {name} must be a number or a tensor, got {bound!r}")
    return Clamp.apply(*_promoted(as_tensor_input(input), min, max))


clip = clamp


def where(condition, input=None, other=None):
    """Elements of input where condition holds, else of other, broadcasting (torch.where);
    where(condition) alone gives the indices of its True elements, one tensor per dimension."""
    cond = np.asarray(condition.numpy() if isinstance(condition, Tensor) else condition)
    if input is None and other is None:
        return tuple(Tensor(i) for i in np.nonzero(cond))
    if input is None or other is None:
        raise TypeError("where: give both input and other, or neither")
    if cond.dtype != np.bool_:
        raise TypeError(f"where: condition must be a bool tensor, got dtype {cond.dtype}")
    if not isinstance(input, Tensor) and not isinstance(other, Tensor):
        input = as_tensor_input(input)
    try:
        return Where.apply(cond, *_promoted(input, other))
    except ValueError:
        raise ValueError(f"where: shapes {cond.shape}, {np.shape(_data(input))} and "
                         f"{np.shape(_data(other))} do not broadcast") from None


def masked_fill(input, mask, value):
    """A copy of input with `value` where mask is True (Tensor.masked_fill)."""
    m = np.asarray(mask.numpy() if isinstance(mask, Tensor) else mask)
    if m.dtype != np.bool_:
        raise TypeError(f"masked_fill: mask must be a bool tensor, got dtype {m.dtype}")
    if isinstance(value, Tensor) and value.ndim != 0:
        raise ValueError(f"masked_fill: value must be a number or a 0-d tensor, "
                         f"got shape {value.shape}")
    try:
        fits = np.broadcast_shapes(m.shape, input.shape) == input.shape
    except ValueError:
        fits = False
    if not fits:
        raise ValueError(f"masked_fill: mask of shape {m.shape} does not broadcast to "
                         f"the tensor's shape {input.shape}")
    # The fill takes the tensor's dtype, as in PyTorch.
    value = np.asarray(_data(value), dtype=input.dtype)
    return Where.apply(m, value, input)


def maximum(input, other):
    """Elementwise larger of two tensors, broadcasting (torch.maximum)."""
    return Maximum.apply(*_promoted(as_tensor_input(input), as_tensor_input(other, "other")))


def minimum(input, other):
    """Elementwise smaller of two tensors, broadcasting (torch.minimum)."""
    return Minimum.apply(*_promoted(as_tensor_input(input), as_tensor_input(other, "other")))


def _data(x):
    return x.numpy() if isinstance(x, Tensor) else x


def _compare(ufunc, name):
    def compare(input, other):
        a = as_tensor_input(input)
        try:
            return Tensor(ufunc(a.numpy(), _data(other)))
        except ValueError:
            raise ValueError(f"{name}: shapes {a.shape} and {np.shape(_data(other))} do not "
                             "broadcast") from None
    compare.__name__ = name
    compare.__doc__ = f"Elementwise comparison, a bool tensor (torch.{name})."
    return compare


eq = _compare(np.equal, "eq")
ne = _compare(np.not_equal, "ne")
lt = _compare(np.less, "lt")
le = _compare(np.less_equal, "le")
gt = _compare(np.greater, "gt")
ge = _compare(np.greater_equal, "ge")


def matmul(input, other):
    """Matrix product with NumPy's (and PyTorch's) broadcasting rules (torch.matmul)."""
    return MatMul.apply(as_tensor_input(input), as_tensor_input(other, "other"))


def mm(input, mat2):
    """Matrix product of two 2-d tensors, no broadcasting (torch.mm)."""
    a, b = as_tensor_input(input), as_tensor_input(mat2, "mat2")
    if a.ndim != 2 or b.ndim != 2:
        raise ValueError(f"mm: both operands must be 2-d, got shapes {a.shape} and {b.shape}")
    return MatMul.apply(a, b)


# ---- whole-tensor comparisons (plain Python answers, no graph) -----------------------------------

def isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    """|input - other| <= atol + rtol |other|, elementwise, a bool tensor (torch.isclose)."""
    a, b = as_tensor_input(input), as_tensor_input(other, "other")
    return Tensor(np.isclose(a.numpy(), b.numpy(), rtol=rtol, atol=atol, equal_nan=equal_nan))


def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    """Whether isclose holds for every element, a Python bool (torch.allclose)."""
    return bool(isclose(input, other, rtol, atol, equal_nan).numpy().all())


def equal(input, other):
    """Whether both tensors have the same shape and elements, a Python bool (torch.equal)."""
    a, b = as_tensor_input(input), as_tensor_input(other, "other")
    return a.shape == b.shape and bool(np.array_equal(a.numpy(), b.numpy()))
