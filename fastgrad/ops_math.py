"""Elementwise math in PyTorch's names, each forward beside its local derivative.

sin, cos, log1p, clamp, where, masked_fill, maximum/minimum, round, the rest of the
arithmetic (reciprocal, rsqrt, floor, remainder, atan2, lerp, erf, ...) and the PyTorch
functions behind the operators (add, sub, mul, div with alpha=, rounding_mode=, out=) here;
the operators' own Functions (+ - * / ** exp log sqrt abs) are in ops.py. Each Function works
on NumPy arrays (see autograd.py); the function below it is what `fg.<name>(...)` and
`Tensor.<name>(...)` call.
"""
import builtins
import math

import numpy as np

from . import _engine, _kernels
from ._grad_mode import is_grad_enabled, no_grad
from .autograd import ArrayFunction as Function
from .dtypes import get_default_dtype, result_type
from .ops import Abs, Add, Div, Exp, Log, MatMul, Mul, Neg, Pow, Sqrt, Sub, unbroadcast
from .ops_shape import normalize_dim
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


def _promoted(*operands, floating=False):
    """The operands cast to the dtype PyTorch's promotion gives them (dtypes.result_type):
    tensors through a differentiable cast, arrays by astype; numbers stay Python numbers,
    which NumPy then treats as weak, so they never widen the result. floating: an integer or
    bool result dtype becomes the default float dtype (float32 unless set_default_dtype changed
    it), as true division's."""
    dt = result_type(*operands)
    if floating and dt.kind != "f":
        dt = np.dtype(get_default_dtype())
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


# ---- more arithmetic: powers, roots and rounding ------------------------------------------------

class Reciprocal(Function):
    """1 / a."""

    @staticmethod
    def forward(ctx, a):
        with np.errstate(divide="ignore"):  # 1/0 = inf, as PyTorch
            out = np.reciprocal(a)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):  # d(1/a)/da = -1/a² = -out²
        (out,) = ctx.saved_tensors
        return -g * out * out


class Square(Function):
    """a²."""

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return np.square(a)

    @staticmethod
    def backward(ctx, g):  # d(a²)/da = 2a
        (a,) = ctx.saved_tensors
        return g * 2 * a


class Rsqrt(Function):
    """1 / √a."""

    @staticmethod
    def forward(ctx, a):
        with np.errstate(divide="ignore", invalid="ignore"):  # rsqrt(0) = inf, below is nan
            out = 1 / np.sqrt(a)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):  # d(a^(-1/2))/da = -a^(-3/2) / 2 = -out³ / 2
        (out,) = ctx.saved_tensors
        return -0.5 * g * out * out * out


class StepFunction(Function):
    """A piecewise-constant op of one input (sign, floor, ceil, trunc): its derivative is zero
    wherever it has one, as PyTorch takes it; forward must set ctx.shape."""

    @staticmethod
    def backward(ctx, g):
        return np.zeros(ctx.shape, dtype=g.dtype)


class Sign(StepFunction):
    """-1, 0 or 1 as a is negative, zero or positive; 0 for NaN, as PyTorch."""

    @staticmethod
    def forward(ctx, a):
        ctx.shape = a.shape
        out = np.sign(a)
        return np.where(np.isnan(a), 0, out).astype(a.dtype) if a.dtype.kind == "f" else out


class Floor(StepFunction):
    """The largest integer ≤ a."""

    @staticmethod
    def forward(ctx, a):
        ctx.shape = a.shape
        return np.floor(a)


class Ceil(StepFunction):
    """The smallest integer ≥ a."""

    @staticmethod
    def forward(ctx, a):
        ctx.shape = a.shape
        return np.ceil(a)


class Trunc(StepFunction):
    """a rounded toward zero."""

    @staticmethod
    def forward(ctx, a):
        ctx.shape = a.shape
        return np.trunc(a)


class Frac(Function):
    """a - trunc(a): the fractional part, with a's sign."""

    @staticmethod
    def forward(ctx, a):
        return a - np.trunc(a)

    @staticmethod
    def backward(ctx, g):  # d(a - trunc a)/da = 1 (trunc is a step)
        return g


# ---- exponentials, logarithms, erf and hyperbolic functions -------------------------------------

_LN2, _LN10 = np.log(2.0), np.log(10.0)


class Exp2(Function):
    """2^a."""

    @staticmethod
    def forward(ctx, a):
        out = np.exp2(a)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):  # d(2^a)/da = 2^a ln 2
        (out,) = ctx.saved_tensors
        return g * out * out.dtype.type(_LN2)


class Expm1(Function):
    """e^a - 1, accurate for small a."""

    @staticmethod
    def forward(ctx, a):
        out = np.expm1(a)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):  # d(e^a - 1)/da = e^a = out + 1
        (out,) = ctx.saved_tensors
        return g * (out + 1)


class Log2(Function):
    """log₂ a."""

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        with np.errstate(divide="ignore", invalid="ignore"):  # log2(0) = -inf, below is nan
            return np.log2(a)

    @staticmethod
    def backward(ctx, g):  # d(log₂ a)/da = 1 / (a ln 2)
        (a,) = ctx.saved_tensors
        with np.errstate(divide="ignore"):
            return g / (a * a.dtype.type(_LN2))


class Log10(Function):
    """log₁₀ a."""

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        with np.errstate(divide="ignore", invalid="ignore"):  # log10(0) = -inf, below is nan
            return np.log10(a)

    @staticmethod
    def backward(ctx, g):  # d(log₁₀ a)/da = 1 / (a ln 10)
        (a,) = ctx.saved_tensors
        with np.errstate(divide="ignore"):
            return g / (a * a.dtype.type(_LN10))


class Erf(Function):
    """The error function, 2/√π ∫₀^a e^(-t²) dt (NumPy has none: the C library's, in C)."""

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        out = np.empty(a.shape, a.dtype)
        _kernels.erf(np.ascontiguousarray(a), out)
        return out

    @staticmethod
    def backward(ctx, g):  # d(erf a)/da = 2/√π e^(-a²)
        (a,) = ctx.saved_tensors
        return g * a.dtype.type(2 / math.sqrt(math.pi)) * np.exp(-a * a)


class Sinh(Function):
    """sinh(a)."""

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return np.sinh(a)

    @staticmethod
    def backward(ctx, g):  # d(sinh a)/da = cosh a
        (a,) = ctx.saved_tensors
        return g * np.cosh(a)


class Cosh(Function):
    """cosh(a)."""

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return np.cosh(a)

    @staticmethod
    def backward(ctx, g):  # d(cosh a)/da = sinh a
        (a,) = ctx.saved_tensors
        return g * np.sinh(a)


# ---- inverse trigonometry -----------------------------------------------------------------------

class Asin(Function):
    """arcsin(a), in [-π/2, π/2]; nan outside [-1, 1]."""

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        with np.errstate(invalid="ignore"):
            return np.arcsin(a)

    @staticmethod
    def backward(ctx, g):  # d(arcsin a)/da = 1 / √(1 - a²)
        (a,) = ctx.saved_tensors
        with np.errstate(divide="ignore", invalid="ignore"):
            return g / np.sqrt(1 - a * a)


class Acos(Function):
    """arccos(a), in [0, π]; nan outside [-1, 1]."""

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        with np.errstate(invalid="ignore"):
            return np.arccos(a)

    @staticmethod
    def backward(ctx, g):  # d(arccos a)/da = -1 / √(1 - a²)
        (a,) = ctx.saved_tensors
        with np.errstate(divide="ignore", invalid="ignore"):
            return -g / np.sqrt(1 - a * a)


class Atan(Function):
    """arctan(a), in (-π/2, π/2)."""

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return np.arctan(a)

    @staticmethod
    def backward(ctx, g):  # d(arctan a)/da = 1 / (1 + a²)
        (a,) = ctx.saved_tensors
        return g / (1 + a * a)


class Atan2(Function):
    """The angle of the point (b, a): arctan(a / b) in the right quadrant, in [-π, π]."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return np.arctan2(a, b)

    @staticmethod
    def backward(ctx, g):  # d/da = b / (a² + b²), d/db = -a / (a² + b²)
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        with np.errstate(divide="ignore", invalid="ignore"):
            r2 = a * a + b * b
            ga = unbroadcast(g * b / r2, np.shape(a)) if need_a else None
            gb = unbroadcast(-g * a / r2, np.shape(b)) if need_b else None
        return ga, gb


class Hypot(Function):
    """√(a² + b²), without overflow in the squares."""

    @staticmethod
    def forward(ctx, a, b):
        out = np.hypot(a, b)
        ctx.save_for_backward(a, b, out)
        return out

    @staticmethod
    def backward(ctx, g):  # d/da = a / out, d/db = b / out
        a, b, out = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        with np.errstate(divide="ignore", invalid="ignore"):
            ga = unbroadcast(g * a / out, np.shape(a)) if need_a else None
            gb = unbroadcast(g * b / out, np.shape(b)) if need_b else None
        return ga, gb


# ---- division with rounding, remainders, interpolation ------------------------------------------

def _check_int_divisor(b):
    """PyTorch raises on an integer division by zero (NumPy would give 0 and a warning)."""
    if np.asarray(b).dtype.kind in "iub" and np.any(np.asarray(b) == 0):
        raise ZeroDivisionError("integer division by zero")


class DivRounded(Function):
    """a / b rounded toward zero (mode 'trunc') or down (mode 'floor')."""

    @staticmethod
    def forward(ctx, a, b, mode):
        ctx.shapes = np.shape(a), np.shape(b)
        _check_int_divisor(b)
        if mode == "floor":
            with np.errstate(divide="ignore", invalid="ignore"):
                return np.floor_divide(a, b)
        if np.result_type(a, b).kind == "f":
            with np.errstate(divide="ignore", invalid="ignore"):
                return np.trunc(np.true_divide(a, b))
        q = np.floor_divide(a, b)  # integers: floor, then one up where the signs differ
        return q + ((np.remainder(a, b) != 0) & ((np.asarray(a) < 0) != (np.asarray(b) < 0)))

    @staticmethod
    def backward(ctx, g):  # a step function of a and b: zero derivative (PyTorch)
        sa, sb = ctx.shapes
        need_a, need_b, _ = ctx.needs_input_grad
        return ((np.zeros(sa, g.dtype) if need_a else None),
                (np.zeros(sb, g.dtype) if need_b else None), None)


class Remainder(Function):
    """a - b·floor(a / b): the remainder with the divisor's sign (Python's %)."""

    @staticmethod
    def forward(ctx, a, b):
        _check_int_divisor(b)
        ctx.save_for_backward(a, b)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.remainder(a, b)

    @staticmethod
    def backward(ctx, g):  # d/da = 1, d/db = -floor(a / b)
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        ga = unbroadcast(g, np.shape(a)) if need_a else None
        gb = None
        if need_b:
            with np.errstate(divide="ignore", invalid="ignore"):
                gb = unbroadcast(-g * np.floor_divide(a, b), np.shape(b))
        return ga, gb


class Fmod(Function):
    """a - b·trunc(a / b): the remainder with the dividend's sign (C's fmod)."""

    @staticmethod
    def forward(ctx, a, b):
        _check_int_divisor(b)
        ctx.save_for_backward(a, b)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.fmod(a, b)

    @staticmethod
    def backward(ctx, g):  # d/da = 1, d/db = -trunc(a / b)
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        ga = unbroadcast(g, np.shape(a)) if need_a else None
        gb = None
        if need_b:
            with np.errstate(divide="ignore", invalid="ignore"):
                gb = unbroadcast(-g * np.trunc(np.true_divide(a, b)), np.shape(b))
        return ga, gb


class Lerp(Function):
    """a + w·(b - a): from a (w = 0) to b (w = 1)."""

    @staticmethod
    def forward(ctx, a, b, w):
        ctx.save_for_backward(a, b, w)
        d = np.subtract(b, a)
        # PyTorch's two-sided form: exact at both ends (w = 0 gives a, w = 1 gives b)
        return np.where(np.abs(w) < 0.5, a + w * d, b - d * (1 - w))

    @staticmethod
    def backward(ctx, g):  # d/da = 1 - w, d/db = w, d/dw = b - a
        a, b, w = ctx.saved_tensors
        need_a, need_b, need_w = ctx.needs_input_grad
        ga = unbroadcast(g * (1 - w), np.shape(a)) if need_a else None
        gb = unbroadcast(g * w, np.shape(b)) if need_b else None
        gw = unbroadcast(g * np.subtract(b, a), np.shape(w)) if need_w else None
        return ga, gb, gw


# ---- the functions fg.<name> and Tensor.<name> call ---------------------------------------------

def sin(input):
    """Elementwise sine (torch.sin)."""
    return Sin.apply(_floating(input))


def cos(input):
    """Elementwise cosine (torch.cos)."""
    return Cos.apply(_floating(input))


def log1p(input):
    """Elementwise log(1 + x), accurate for small x (torch.log1p)."""
    return Log1p.apply(_floating(input))


def exp(input):
    """Elementwise e^x (torch.exp)."""
    return Exp.apply(_floating(input))


def log(input):
    """Elementwise natural logarithm (torch.log)."""
    return Log.apply(_floating(input))


def sqrt(input):
    """Elementwise square root (torch.sqrt)."""
    return Sqrt.apply(_floating(input))


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


def matmul(input, other, *, out=None):
    """Matrix product with NumPy's (and PyTorch's) broadcasting rules (torch.matmul); out=
    receives the result as in PyTorch."""
    return _with_out("matmul", out, (input, other), lambda: MatMul.apply(
        as_tensor_input(input), as_tensor_input(other, "other")))


def mm(input, mat2, *, out=None):
    """Matrix product of two 2-d tensors, no broadcasting (torch.mm)."""
    a, b = as_tensor_input(input), as_tensor_input(mat2, "mat2")
    if a.ndim != 2 or b.ndim != 2:
        raise ValueError(f"mm: both operands must be 2-d, got shapes {a.shape} and {b.shape}")
    return _with_out("mm", out, (a, b), lambda: MatMul.apply(a, b))


# ---- arithmetic in PyTorch's names (fg.add, fg.div, ...) ----------------------------------------

def _check_out(out, name, operands):
    """PyTorch's rules for out=: a Tensor, and no gradient wanted through the call."""
    if not isinstance(out, Tensor):
        raise TypeError(f"{name}(): argument 'out' must be a Tensor, got {type(out).__name__}")
    if is_grad_enabled() and builtins.any(isinstance(x, Tensor) and x.requires_grad
                                 for x in (out, *operands)):
        raise RuntimeError(f"{name}(): functions with out=... arguments don't support automatic "
                           "differentiation, but one of the arguments requires grad.")


def _into(out, result, name):
    """result's values written into out (cast to out's dtype where PyTorch allows it), out
    returned. An empty out takes the result's shape, as in PyTorch; another shape is refused."""
    data = result.numpy()
    if out.shape != data.shape:
        if out.numel() != 0:
            raise RuntimeError(f"{name}(): out has shape {out.shape}, but the result has shape "
                               f"{data.shape}")
        out._data = np.empty(data.shape, out.dtype)
    if not np.can_cast(data.dtype, out.dtype, "same_kind"):
        raise RuntimeError(f"{name}(): result type {data.dtype} can't be cast to the desired "
                           f"output type {out.dtype}")
    np.copyto(out._data, data, casting="same_kind")
    _engine.modified(out)
    return out


def _with_out(name, out, operands, compute):
    """compute() as a new tensor, or written into out (see _check_out and _into)."""
    if out is None:
        return compute()
    _check_out(out, name, operands)
    with no_grad():
        result = compute()
    return _into(out, result, name)


def _number(value, name, argument):
    """A Number argument (alpha=, value=) as a Python number, else a TypeError naming it."""
    if isinstance(value, Tensor) and value.ndim == 0:
        value = value.item()
    if isinstance(value, np.generic):
        value = value.item()
    if not isinstance(value, (bool, int, float)):
        raise TypeError(f"{name}(): argument '{argument}' must be a number, "
                        f"not {type(value).__name__}")
    return value


def _scaled(x, factor, result_dtype, name, argument):
    """x · factor (alpha= of add and sub, value= of addcmul and addcdiv), with PyTorch's
    checks that the factor's kind suits the result's dtype."""
    factor = _number(factor, name, argument)
    if isinstance(factor, bool) and result_dtype.kind != "b":
        raise RuntimeError(f"{name}(): a boolean {argument} is only supported for bool results")
    if isinstance(factor, float) and result_dtype.kind != "f":
        raise RuntimeError(f"{name}(): for integral input tensors, argument {argument} must not "
                           "be a floating point number")
    if factor == 1:
        return x
    return Mul.apply(x, factor) if isinstance(x, Tensor) else x * factor


def _operands(input, other):
    """input as a Tensor (other may stay a number), then both promoted (dtypes.result_type)."""
    return _promoted(as_tensor_input(input), _number_or_tensor(other, "other"))


def _is_bool(x):
    """Whether x is a bool tensor, array or number."""
    return isinstance(x, (bool, np.bool_)) or getattr(x, "dtype", None) == np.bool_


def _not_bool(operands, name):
    """The promoted operands, unless they are bool: PyTorch has no integer division of bools."""
    if operands[0].dtype == np.bool_:
        raise RuntimeError(f"{name}(): not supported for bool tensors")
    return operands


def _number_or_tensor(x, name):
    """x itself if a Tensor or a number (numbers stay weak in promotion), else as a Tensor."""
    if isinstance(x, (Tensor, bool, int, float, np.generic)):
        return x
    return as_tensor_input(x, name)


def add(input, other, *, alpha=1, out=None):
    """input + alpha · other, broadcasting, with PyTorch's type promotion (torch.add)."""
    def compute():
        a, b = _operands(input, other)
        return Add.apply(a, _scaled(b, alpha, result_type(a, b), "add", "alpha"))
    return _with_out("add", out, (input, other), compute)


def sub(input, other, *, alpha=1, out=None):
    """input - alpha · other, broadcasting, with PyTorch's type promotion (torch.sub)."""
    def compute():
        if builtins.any(_is_bool(x) for x in (input, other)):
            raise RuntimeError("sub(): subtraction with a bool tensor is not supported; to "
                               "invert a mask use ~ or logical_not")
        a, b = _operands(input, other)
        return Sub.apply(a, _scaled(b, alpha, result_type(a, b), "sub", "alpha"))
    return _with_out("sub", out, (input, other), compute)


subtract = sub


def mul(input, other, *, out=None):
    """input · other, elementwise and broadcasting (torch.mul, alias multiply)."""
    return _with_out("mul", out, (input, other), lambda: Mul.apply(*_operands(input, other)))


multiply = mul

_ROUNDING_MODES = (None, "trunc", "floor")


def div(input, other, *, rounding_mode=None, out=None):
    """input / other, broadcasting (torch.div, alias divide). rounding_mode None is true
    division (integers give float32); 'trunc' rounds toward zero and 'floor' down, keeping
    an integer dtype; an integer division by zero raises ZeroDivisionError."""
    if rounding_mode not in _ROUNDING_MODES:
        raise ValueError(f"div(): rounding_mode must be None, 'trunc' or 'floor', "
                         f"got {rounding_mode!r}")

    def compute():
        if rounding_mode is None:
            return Div.apply(*_promoted(as_tensor_input(input), _number_or_tensor(other, "other"),
                                        floating=True))
        return DivRounded.apply(*_not_bool(_operands(input, other), "div"), rounding_mode)
    return _with_out("div", out, (input, other), compute)


divide = div


def floor_divide(input, other, *, out=None):
    """input / other rounded down, div(..., rounding_mode='floor') (torch.floor_divide, the
    // operator)."""
    return div(input, other, rounding_mode="floor", out=out)


def true_divide(input, other, *, out=None):
    """input / other without rounding; integers give float32 (torch.true_divide)."""
    return div(input, other, out=out)


def remainder(input, other, *, out=None):
    """input - other · floor(input / other): the remainder with other's sign, Python's %
    (torch.remainder)."""
    def compute():
        if not isinstance(input, Tensor) and not isinstance(other, Tensor):
            raise TypeError("remainder(): input or other must be a Tensor")
        a, b = _promoted(_number_or_tensor(input, "input"), _number_or_tensor(other, "other"))
        if not isinstance(a, Tensor):  # a number divided by a tensor (torch allows it)
            a = Tensor(np.asarray(a, dtype=result_type(a, b)))
        return Remainder.apply(*_not_bool((a, b), "remainder"))
    return _with_out("remainder", out, (input, other), compute)


def fmod(input, other, *, out=None):
    """input - other · trunc(input / other): the remainder with input's sign, C's fmod
    (torch.fmod)."""
    return _with_out("fmod", out, (input, other),
                     lambda: Fmod.apply(*_not_bool(_operands(input, other), "fmod")))


def atan2(input, other, *, out=None):
    """The angle of the point (other, input) in [-π, π], elementwise (torch.atan2, alias
    arctan2); integers give float32."""
    return _with_out("atan2", out, (input, other), lambda: Atan2.apply(
        *_promoted(as_tensor_input(input), as_tensor_input(other, "other"), floating=True)))


arctan2 = atan2


def hypot(input, other, *, out=None):
    """√(input² + other²) elementwise, floats only (torch.hypot)."""
    def compute():
        a, b = _promoted(as_tensor_input(input), as_tensor_input(other, "other"))
        if a.dtype.kind != "f":
            raise TypeError(f"hypot(): input and other must be floating point, got {a.dtype}")
        return Hypot.apply(a, b)
    return _with_out("hypot", out, (input, other), compute)


def lerp(input, end, weight, *, out=None):
    """input + weight · (end - input), floats of one dtype; weight a number or a tensor
    (torch.lerp)."""
    def compute():
        a, b = as_tensor_input(input), as_tensor_input(end, "end")
        if a.dtype.kind != "f" or b.dtype != a.dtype:
            raise TypeError(f"lerp(): input and end must be floating point of the same dtype, "
                            f"got {a.dtype} and {b.dtype}")
        w = weight
        if isinstance(w, Tensor):
            if w.dtype != a.dtype:
                raise TypeError(f"lerp(): weight must have input's dtype {a.dtype}, "
                                f"got {w.dtype}")
        else:
            w = _number(w, "lerp", "weight")
        return Lerp.apply(a, b, w)
    return _with_out("lerp", out, (input, end, weight), compute)


def addcmul(input, tensor1, tensor2, *, value=1, out=None):
    """input + value · tensor1 · tensor2, broadcasting (torch.addcmul)."""
    def compute():
        a, t1, t2 = _promoted(as_tensor_input(input), as_tensor_input(tensor1, "tensor1"),
                              as_tensor_input(tensor2, "tensor2"))
        return Add.apply(a, _scaled(Mul.apply(t1, t2), value, a.dtype, "addcmul", "value"))
    return _with_out("addcmul", out, (input, tensor1, tensor2), compute)


def addcdiv(input, tensor1, tensor2, *, value=1, out=None):
    """input + value · tensor1 / tensor2, broadcasting; tensor1 and tensor2 not both integer
    (torch.addcdiv)."""
    def compute():
        t1, t2 = as_tensor_input(tensor1, "tensor1"), as_tensor_input(tensor2, "tensor2")
        if t1.dtype.kind != "f" and t2.dtype.kind != "f":
            raise RuntimeError("addcdiv(): integer division of tensor1 by tensor2 is not "
                               "supported; make one of them floating point")
        a, t1, t2 = _promoted(as_tensor_input(input), t1, t2)
        return Add.apply(a, _scaled(Div.apply(t1, t2), value, a.dtype, "addcdiv", "value"))
    return _with_out("addcdiv", out, (input, tensor1, tensor2), compute)


def neg(input):
    """-input elementwise (torch.neg, alias negative); bool tensors are refused."""
    a = as_tensor_input(input)
    if a.dtype.kind == "b":
        raise RuntimeError("neg(): negation of a bool tensor is not supported; use "
                           "logical_not or ~ instead")
    return Neg.apply(a)


negative = neg


def _floating(input):
    """input as a float tensor: integers and bools become the default float dtype (float32
    unless set_default_dtype changed it), as PyTorch's float ops."""
    a = as_tensor_input(input)
    return a if a.dtype.kind == "f" else a.to(get_default_dtype())


def reciprocal(input):
    """1 / input elementwise; integers give float32 (torch.reciprocal)."""
    return Reciprocal.apply(_floating(input))


def square(input):
    """input² elementwise, in input's dtype (bool gives int64) (torch.square)."""
    a = as_tensor_input(input)
    return Square.apply(a if a.dtype.kind != "b" else a.to(np.int64))


def rsqrt(input):
    """1 / √input elementwise; integers give float32 (torch.rsqrt)."""
    return Rsqrt.apply(_floating(input))


def sign(input):
    """-1, 0 or 1 by the sign of each element, in input's dtype (torch.sign)."""
    a = as_tensor_input(input)
    return Sign.apply(a) if a.dtype.kind != "b" else Tensor(a.numpy().copy(), dtype=a.dtype)


def _rounded(function, input):
    a = as_tensor_input(input)
    if a.dtype.kind == "b":
        raise TypeError(f"{function.__name__.lower()}(): not supported for bool tensors")
    # integers are whole already: a copy, in their dtype, as PyTorch returns them
    return function.apply(a) if a.dtype.kind == "f" else Tensor(a.numpy().copy(), dtype=a.dtype)


def floor(input):
    """The largest integer ≤ each element; integer tensors are returned as a copy (torch.floor)."""
    return _rounded(Floor, input)


def ceil(input):
    """The smallest integer ≥ each element; integer tensors are returned as a copy (torch.ceil)."""
    return _rounded(Ceil, input)


def trunc(input):
    """Each element rounded toward zero; integer tensors are returned as a copy (torch.trunc,
    alias fix)."""
    return _rounded(Trunc, input)


fix = trunc


def frac(input):
    """input - trunc(input): the fractional part, floats only (torch.frac)."""
    a = as_tensor_input(input)
    if a.dtype.kind != "f":
        raise TypeError(f"frac(): input must be floating point, got {a.dtype}")
    return Frac.apply(a)


def exp2(input):
    """2 ** input elementwise; integers give float32 (torch.exp2)."""
    return Exp2.apply(_floating(input))


def expm1(input):
    """e ** input - 1, accurate for small input; integers give float32 (torch.expm1)."""
    return Expm1.apply(_floating(input))


def log2(input):
    """Base-2 logarithm elementwise; integers give float32 (torch.log2)."""
    return Log2.apply(_floating(input))


def log10(input):
    """Base-10 logarithm elementwise; integers give float32 (torch.log10)."""
    return Log10.apply(_floating(input))


def erf(input):
    """The error function elementwise; integers give float32 (torch.erf)."""
    return Erf.apply(_floating(input))


def sinh(input):
    """Hyperbolic sine elementwise; integers give float32 (torch.sinh)."""
    return Sinh.apply(_floating(input))


def cosh(input):
    """Hyperbolic cosine elementwise; integers give float32 (torch.cosh)."""
    return Cosh.apply(_floating(input))


def asin(input):
    """Arcsine elementwise, nan outside [-1, 1]; integers give float32 (torch.asin, alias
    arcsin)."""
    return Asin.apply(_floating(input))


def acos(input):
    """Arccosine elementwise, nan outside [-1, 1]; integers give float32 (torch.acos, alias
    arccos)."""
    return Acos.apply(_floating(input))


def atan(input):
    """Arctangent elementwise; integers give float32 (torch.atan, alias arctan)."""
    return Atan.apply(_floating(input))


arcsin, arccos, arctan = asin, acos, atan


# ---- tests of values (bool tensors, outside the graph) ------------------------------------------

def isnan(input):
    """Whether each element is NaN, a bool tensor (torch.isnan)."""
    return Tensor(np.isnan(as_tensor_input(input).numpy()))


def isinf(input):
    """Whether each element is +inf or -inf, a bool tensor (torch.isinf)."""
    return Tensor(np.isinf(as_tensor_input(input).numpy()))


def isfinite(input):
    """Whether each element is neither inf nor NaN, a bool tensor (torch.isfinite)."""
    return Tensor(np.isfinite(as_tensor_input(input).numpy()))


def _logical_reduction(reduce, name):
    def reduction(input, dim=None, keepdim=False):
        a = as_tensor_input(input).numpy()
        axes = None if dim is None else tuple(
            normalize_dim(d, a.ndim, f"{name}: dim")
            for d in (dim if isinstance(dim, (tuple, list)) else (dim,)))
        # bool, except uint8 in, uint8 out (PyTorch keeps that legacy behaviour)
        out_dtype = np.uint8 if a.dtype == np.uint8 else np.bool_
        return Tensor(np.asarray(reduce(a, axis=axes, keepdims=bool(keepdim)), dtype=out_dtype),
                      dtype=out_dtype)
    reduction.__name__ = name
    return reduction


any = _logical_reduction(np.any, "any")
any.__doc__ = """Whether any element is nonzero, over dim (an int or a tuple; all by default),
a bool tensor (torch.any)."""
all = _logical_reduction(np.all, "all")
all.__doc__ = """Whether every element is nonzero, over dim (an int or a tuple; all by default),
a bool tensor (torch.all)."""


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


# ---- nan_to_num, clamp_min, clamp_max ------------------------------------------------------------

class NanToNum(Function):
    """a with NaN, +inf and -inf replaced by the numbers nan, posinf and neginf."""

    @staticmethod
    def forward(ctx, a, nan, posinf, neginf):
        ctx.finite = np.isfinite(a)
        return np.nan_to_num(a, nan=nan, posinf=posinf, neginf=neginf)

    @staticmethod
    def backward(ctx, g):  # a finite element passes through; a replaced one is a constant
        return np.where(ctx.finite, g, 0).astype(g.dtype, copy=False)


def nan_to_num(input, nan=0.0, posinf=None, neginf=None):
    """input with NaN replaced by nan, +inf by posinf and -inf by neginf (None: the largest
    and smallest finite numbers of the dtype) (torch.nan_to_num); integers are copied."""
    x = as_tensor_input(input)
    for name, value in (("nan", nan), ("posinf", posinf), ("neginf", neginf)):
        if value is not None and not isinstance(value, (int, float, np.number)):
            raise TypeError(f"nan_to_num: {name} must be a number or None, got {value!r}")
    if x.dtype.kind != "f":
        return x.clone()
    return NanToNum.apply(x, nan, posinf, neginf)


def clamp_min(input, min):
    """Each element raised to at least min, a number or a tensor (torch.clamp_min)."""
    if min is None:
        raise TypeError("clamp_min: min must be a number or a tensor, not None")
    return clamp(input, min=min)


def clamp_max(input, max):
    """Each element lowered to at most max, a number or a tensor (torch.clamp_max)."""
    if max is None:
        raise TypeError("clamp_max: max must be a number or a tensor, not None")
    return clamp(input, max=max)


# ---- torch.<name>_(input, ...): the in-place Tensor methods as functions -----------------------

def _inplace_function(name):
    """fg.<name>_(input, ...), which calls input.<name>_(...) as torch.<name>_ does."""
    def function(input, *args, **kwargs):
        if not isinstance(input, Tensor):
            raise TypeError(f"{name}: input must be a Tensor, got {type(input).__name__}")
        return getattr(input, name)(*args, **kwargs)
    function.__name__ = function.__qualname__ = name
    function.__doc__ = f"input.{name}(...): {name[:-1]}, in place on input (torch.{name})."
    return function


abs_ = _inplace_function("abs_")
acos_ = _inplace_function("acos_")
arccos_ = _inplace_function("arccos_")
arcsin_ = _inplace_function("arcsin_")
arctan_ = _inplace_function("arctan_")
asin_ = _inplace_function("asin_")
atan_ = _inplace_function("atan_")
ceil_ = _inplace_function("ceil_")
clamp_ = _inplace_function("clamp_")
clamp_max_ = _inplace_function("clamp_max_")
clamp_min_ = _inplace_function("clamp_min_")
clip_ = _inplace_function("clip_")
cos_ = _inplace_function("cos_")
cosh_ = _inplace_function("cosh_")
detach_ = _inplace_function("detach_")
erf_ = _inplace_function("erf_")
exp2_ = _inplace_function("exp2_")
exp_ = _inplace_function("exp_")
expm1_ = _inplace_function("expm1_")
fill_ = _inplace_function("fill_")
fix_ = _inplace_function("fix_")
floor_ = _inplace_function("floor_")
frac_ = _inplace_function("frac_")
log10_ = _inplace_function("log10_")
log1p_ = _inplace_function("log1p_")
log2_ = _inplace_function("log2_")
log_ = _inplace_function("log_")
nan_to_num_ = _inplace_function("nan_to_num_")
neg_ = _inplace_function("neg_")
negative_ = _inplace_function("negative_")
reciprocal_ = _inplace_function("reciprocal_")
relu_ = _inplace_function("relu_")
round_ = _inplace_function("round_")
rsqrt_ = _inplace_function("rsqrt_")
sigmoid_ = _inplace_function("sigmoid_")
sin_ = _inplace_function("sin_")
sinh_ = _inplace_function("sinh_")
sqrt_ = _inplace_function("sqrt_")
square_ = _inplace_function("square_")
tanh_ = _inplace_function("tanh_")
trunc_ = _inplace_function("trunc_")
zero_ = _inplace_function("zero_")
