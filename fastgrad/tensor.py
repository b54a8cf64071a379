"""Tensor: a NumPy array that remembers how it was made, so the chain rule can run backwards.

A tensor produced by an operation keeps that operation's context (`grad_fn`): which op, which
input tensors, and whatever the op saved for its derivative. `backward()` walks those links from
the output back to every leaf, multiplying each op's local derivative into the gradient that
arrives from above, and summing where a tensor feeds several ops. The ops themselves, each
forward beside its derivative, live in ops.py; the graph node and the walk, which every op of
every step goes through, are compiled in _engine.pyx.

Storage: a tensor keeps its values in the NumPy array `_data` and its gradient in the array
`_grad` (or None). The engine, the optimizers and the kernels read and write those arrays.
Users see them as PyTorch shows them: `t.data` and `t.grad` are Tensors sharing that memory.
"""
from typing import TYPE_CHECKING, Any

import numpy as np

from . import _grad_mode

_FLOAT_TYPES = (np.float32, np.float64)
_INT64 = np.iinfo(np.int64)
_KEPT_INT_TYPES = tuple(np.dtype(t) for t in (np.int64, np.int32, np.int16, np.int8, np.uint8))
_mode = _grad_mode.state


def _inferred_dtype(arr, data):
    """The dtype PyTorch would give data (already converted to arr): Python floats become
    the default float dtype (float32 unless set_default_dtype changed it), a NumPy float64
    array or scalar stays float64, a NumPy integer array or scalar keeps its dtype where
    fastgrad has it (int8/16/32/64, uint8), other integers become int64."""
    kind = arr.dtype.kind
    if kind == "f":
        if arr.dtype == np.float32:
            return arr.dtype
        if arr.dtype == np.float64:
            keep64 = isinstance(data, (np.ndarray, np.floating, Tensor))
            return np.dtype(np.float64 if keep64 else _dtypes.get_default_dtype())
        raise TypeError(f"cannot make a tensor from {arr.dtype} data: fastgrad supports float32 "
                        "and float64 (convert with .astype(np.float32))")
    if kind in "iu":
        if arr.dtype.itemsize == 8 and kind == "u" and arr.size and arr.max() > _INT64.max:
            raise ValueError(f"integer value {arr.max()} does not fit in int64 (the dtype of "
                             "integer tensors)")
        if arr.dtype in _KEPT_INT_TYPES and isinstance(data, (np.ndarray, np.integer, Tensor)):
            return arr.dtype
        return np.dtype(np.int64)
    if kind == "b":
        return np.dtype(np.bool_)
    if kind == "O":
        _refuse_object(arr)
    raise TypeError(f"cannot make a tensor from data of dtype {arr.dtype}; fastgrad holds real "
                    "numbers (float32, float64, integers, bool)")


def _refuse_object(arr):
    for v in arr.flat:
        if isinstance(v, int) and not _INT64.min <= v <= _INT64.max:
            raise ValueError(f"integer value {v} does not fit in int64 (the dtype of integer "
                             "tensors)")
    raise TypeError("cannot make a tensor from a sequence of mixed or non-numeric values")


def _to_array(data, dtype=None, copy=False):
    """Converts user data to the array a tensor holds (dtype rules above), C-contiguous and
    of the same shape: a 0-d input stays 0-d. A copy when copy is true or conversion needs it."""
    if isinstance(data, Tensor):
        data = data._data
    if dtype is not None:
        dt = _dtypes.resolve(dtype)
        arr = np.asarray(data) if not isinstance(data, np.ndarray) else data
        if arr.dtype.kind in "cO":
            _inferred_dtype(arr, data)  # raises with the reason
    else:
        arr = data if isinstance(data, np.ndarray) else np.asarray(data)
        dt = _inferred_dtype(arr, data)
    return np.array(arr, dtype=dt, order="C", copy=True if copy else None)


class Tensor:
    """An n-dimensional array with autograd (torch.Tensor): values in `data`, gradient in
    `grad` (a Tensor or None), both sharing memory with what the engine updates."""

    # _grad_view (the Tensor .grad last returned) and _version (when the values were last
    # changed in place, see _engine.modified) are set only once needed: every op's output is a
    # new Tensor, and each attribute set there costs the training step.
    __slots__ = ("_data", "_grad", "requires_grad", "grad_fn", "_retains_grad", "_hooks",
                 "_grad_view", "_version", "__weakref__")
    __array_priority__ = 1000  # ndarray (op) Tensor defers to Tensor's reflected operators

    def __init__(self, data, requires_grad=False, dtype=None):
        self._data = _to_array(data, dtype)
        if requires_grad and self._data.dtype.type not in _FLOAT_TYPES:
            raise TypeError("only float32 and float64 tensors can require gradients, "
                            f"not {self._data.dtype}")
        self.requires_grad = bool(requires_grad)
        self._grad = None
        self.grad_fn = None  # the Context of the op that made this tensor; None for a leaf
        self._retains_grad = False
        self._hooks = None

    # ---- data and grad: Tensors over the arrays the engine uses -------------------------------
    @property
    def data(self):
        """The values as a Tensor sharing memory, outside the graph (torch.Tensor.data)."""
        return _engine.new_tensor(self._data, None)

    @data.setter
    def data(self, value):
        if not isinstance(value, (Tensor, np.ndarray)):  # as torch, which wants a Tensor
            raise TypeError(f"data must be a Tensor, got {type(value).__name__}")
        self._data = _to_array(value)

    # .grad, the accumulated gradient as a Tensor sharing memory with the array _grad (or
    # None), is compiled (_engine.GradAttribute, set below the class): the manual update of
    # every tutorial reads it once per parameter and step. Assigning goes to _set_grad.

    # ---- NumPy interop and Python conversions -------------------------------------------------
    shape = property(lambda self: self._data.shape, doc="The size of each dimension, a tuple.")
    ndim = property(lambda self: self._data.ndim, doc="The number of dimensions.")
    dtype = property(lambda self: self._data.dtype, doc="The element type.")
    is_leaf = property(lambda self: self.grad_fn is None,
                       doc="True for a tensor no recorded op made (its .grad is kept).")

    def numel(self):
        """Number of elements."""
        return self._data.size

    def dim(self):
        """Number of dimensions."""
        return self._data.ndim

    def numpy(self) -> np.ndarray:
        """The values as a NumPy array, sharing memory (no copy)."""
        return self._data

    def item(self) -> Any:
        """The one element as a Python number."""
        if self._data.size != 1:
            raise ValueError("item() needs a tensor with one element, not shape "
                             f"{self._data.shape}")
        return self._data.item()

    def tolist(self):
        """The values as (nested) Python lists; a 0-d tensor gives a number."""
        return self._data.tolist()

    def __array__(self, dtype=None, copy=None):
        if dtype is None or np.dtype(dtype) == self._data.dtype:
            return self._data.copy() if copy else self._data
        return self._data.astype(dtype)

    def __len__(self):
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return len(self._data)

    def __repr__(self):
        body = np.array2string(self._data, separator=", ", prefix="tensor(")
        default = self._data.dtype == _dtypes.get_default_dtype()  # PyTorch omits the default
        extra = "" if default else f", dtype={self._data.dtype}"
        if self.grad_fn is not None:
            extra += f", grad_fn=<{self.grad_fn.name}>"
        elif self.requires_grad:
            extra += ", requires_grad=True"
        return f"tensor({body}{extra})"

    def __format__(self, spec):
        """f"{loss:.4f}" formats the number of a one-element tensor (as PyTorch)."""
        if self._data.ndim == 0 or (spec and self._data.size == 1):
            return format(self._data.item(), spec)
        return format(str(self), spec)

    def __bool__(self):
        if self._data.size != 1:
            raise RuntimeError(f"the truth value of a tensor of shape {self._data.shape} is "
                               "ambiguous; use .any() or .all()")
        return bool(self._data.item())

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def __index__(self):
        """A one-element integer tensor used as an index (list[t.argmax()])."""
        if self._data.size != 1 or self._data.dtype.kind not in "iub":
            raise TypeError("only integer tensors of a single element can be converted to an "
                            f"index (got dtype {self._data.dtype}, shape {self._data.shape})")
        return int(self._data.item())

    __hash__ = object.__hash__  # == is elementwise (see ops.py), yet tensors stay hashable

    # ---- graph bookkeeping ---------------------------------------------------------------------
    def detach(self) -> "Tensor":
        """The same data, cut from the graph."""
        return _engine.new_tensor(self._data, None)

    def requires_grad_(self, requires_grad=True):
        """Sets requires_grad in place (leaves only, as PyTorch)."""
        if requires_grad and self._data.dtype.type not in _FLOAT_TYPES:
            raise TypeError(f"only float tensors can require gradients, not {self._data.dtype}")
        if not requires_grad and self.grad_fn is not None:
            raise RuntimeError("requires_grad can only be changed on leaf tensors; use detach()")
        self.requires_grad = bool(requires_grad)
        return self

    def zero_grad(self):
        """Drops the gradient (sets it to None)."""
        self._grad = None

    def retain_grad(self):
        """Keep .grad on a non-leaf tensor too (leaves always keep theirs)."""
        if not self.requires_grad:
            raise RuntimeError("can't retain_grad on a tensor that does not require grad")
        self._retains_grad = True

    def register_hook(self, hook):
        """hook(grad) runs when this tensor's gradient is computed; a returned Tensor (of the
        same shape) replaces the gradient. Returns a handle whose remove() unregisters it."""
        if not self.requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that does not require grad")
        if self._hooks is None:
            self._hooks = []
        self._hooks.append(hook)
        return _HookHandle(self._hooks, hook)

    # ---- the chain rule -----------------------------------------------------------------------
    if TYPE_CHECKING:  # compiled: _engine.backward, set below (every step calls it)
        def backward(self, gradient: Any = None, retain_graph: Any = False,
                     create_graph: bool = False, inputs: Any = None) -> None:
            """Propagates d(self)/d(leaf) into every leaf's .grad (accumulating with +=)."""

    def _accumulate_grad(self, g):
        """.grad += g (a new array the first time); the caller holds the accumulation lock."""
        if self._grad is None:
            # Copy: g may be shared with another input of the same op (e.g. both sides of +).
            self._grad = np.array(g, dtype=self._data.dtype, copy=True)
        else:
            self._grad += g

    # ---- in-place operations (PyTorch's rules) --------------------------------------------------
    # += -= *= /= are compiled (_engine.inplace_operator, set below the class): the manual
    # update of every tutorial, p -= lr * p.grad, runs them once per parameter and step.

    def add_(self, other, alpha=1):
        """self += alpha * other, in place."""
        return _inplace(self, np.add, "__add__", other if alpha == 1 else other * alpha)

    def sub_(self, other, alpha=1):
        """self -= alpha * other, in place."""
        return _inplace(self, np.subtract, "__sub__", other if alpha == 1 else other * alpha)

    def mul_(self, other):
        """self *= other, in place."""
        return _inplace(self, np.multiply, "__mul__", other)

    def div_(self, other, *, rounding_mode=None):
        """self /= other, in place; rounding_mode 'trunc' or 'floor' rounds the quotient."""
        if rounding_mode is not None:
            return _inplace_unary(self, lambda t: _math.div(t, other, rounding_mode=rounding_mode),
                                  "div_", other)
        return _inplace(self, np.true_divide, "__truediv__", other)

    def zero_(self):
        """Fills with zeros, in place."""
        _check_inplace(self, None)
        self._data[...] = 0
        _engine.modified(self)
        return self

    def fill_(self, value):
        """Fills with value, in place."""
        _check_inplace(self, None)
        self._data[...] = value._data if isinstance(value, Tensor) else value
        _engine.modified(self)
        return self

    def copy_(self, src):
        """Copies src's values into self (broadcast, cast to self's dtype), in place."""
        if _check_inplace(self, src):
            return _rebase(self, lambda s: _engine_copy(s, src))
        _write(self, np.broadcast_to(_values(src), self._data.shape), "copy_")
        return self

    def clamp_(self, min=None, max=None):
        """Clips to [min, max], in place (either bound may be None)."""
        if min is None and max is None:
            raise ValueError("clamp_: at least one of min and max must be given")
        _check_inplace(self, None)
        np.clip(self._data, _values(min), _values(max), out=self._data)
        _engine.modified(self)
        return self

    def uniform_(self, a=0.0, b=1.0):
        """Fills with draws from U(a, b) (fastgrad's seeded generator), in place."""
        _check_inplace(self, None)
        self._data[...] = _random.generator().uniform(a, b, self._data.shape)
        _engine.modified(self)
        return self

    def normal_(self, mean=0.0, std=1.0):
        """Fills with draws from N(mean, std^2) (fastgrad's seeded generator), in place."""
        _check_inplace(self, None)
        self._data[...] = _random.generator().normal(mean, std, self._data.shape)
        _engine.modified(self)
        return self

    def __setitem__(self, index, value):
        """t[index] = value, in place (outside the graph, as under no_grad)."""
        _check_inplace(self, value)
        self._data[_unwrap_index(index)] = _values(value)
        _engine.modified(self)

    # ---- PyTorch Tensor methods (parity-ops) ---------------------------------------------------
    # Doors into the modules where each op is written once, for both t.<name>(...) and
    # fg.<name>(t, ...): ops_math (elementwise), ops_linalg, ops_shape, ops_reduce, dtypes,
    # device.
    def size(self, dim=None):
        """The shape as fg.Size, or the length of one dimension (torch.Tensor.size)."""
        if dim is None:
            return _Size(self.shape)
        return self.shape[_shape.normalize_dim(dim, self.ndim, "size: dim")]

    device = property(lambda self: _device.CPU, doc="Always the CPU (fastgrad runs there).")
    is_cuda = False

    def cpu(self):
        """The tensor itself: it is on the CPU already."""
        return self

    def cuda(self, device=None):
        """Raises: fastgrad has no CUDA."""
        _device.check("cuda" if device is None else device, "Tensor.cuda: device")

    def to(self, *args, **kwargs):
        """to(dtype), to(device), to(device, dtype), to(other): a cast when the dtype changes,
        else the tensor itself (a copy with copy=True); the device must be the CPU."""
        dtype, copy = _device.parse_to(args, kwargs, "Tensor.to")
        if dtype is None or dtype == self.dtype:
            return _shape.clone(self) if copy else self
        return _ops.Cast.apply(self, dtype)

    def type(self, dtype=None):
        """type() is PyTorch's type string ('torch.FloatTensor'); type(dtype) casts."""
        if dtype is None:
            return _dtypes.type_name(self.dtype)
        return self.to(_dtypes.from_type_name(dtype) or _dtypes.resolve(dtype, "type: dtype"))

    def float(self):
        """A float32 copy, or the tensor itself if it is float32 already."""
        return self.to(_dtypes.float32)

    def double(self):
        """A float64 copy, or the tensor itself if it is float64 already."""
        return self.to(_dtypes.float64)

    def long(self):
        """An int64 copy (truncating floats toward zero), or the tensor itself."""
        return self.to(_dtypes.int64)

    def int(self):
        """An int32 copy (truncating floats toward zero), or the tensor itself."""
        return self.to(_dtypes.int32)

    def bool(self):
        """A bool copy (nonzero is True), or the tensor itself."""
        return self.to(_dtypes.bool_)

    def is_floating_point(self):
        """Whether the dtype is float32 or float64."""
        return self.dtype.kind == "f"

    def new_zeros(self, *size, dtype=None, device=None, requires_grad=False):
        """Zeros of `size`, in this tensor's dtype unless dtype says otherwise."""
        return _factory.zeros(*size, dtype=dtype or self.dtype, device=device,
                              requires_grad=requires_grad)

    def new_ones(self, *size, dtype=None, device=None, requires_grad=False):
        """Ones of `size`, in this tensor's dtype unless dtype says otherwise."""
        return _factory.ones(*size, dtype=dtype or self.dtype, device=device,
                             requires_grad=requires_grad)

    def new_full(self, size, fill_value, *, dtype=None, device=None, requires_grad=False):
        """fill_value in `size`, in this tensor's dtype unless dtype says otherwise."""
        return _factory.full(size, fill_value, dtype=dtype or self.dtype, device=device,
                             requires_grad=requires_grad)

    def new_empty(self, *size, dtype=None, device=None, requires_grad=False):
        """A tensor of `size` to be overwritten (zero-filled), in this tensor's dtype."""
        return _factory.empty(*size, dtype=dtype or self.dtype, device=device,
                              requires_grad=requires_grad)

    def new_tensor(self, data, *, dtype=None, device=None, requires_grad=False):
        """A new leaf holding a copy of data, in this tensor's dtype unless dtype says otherwise."""
        return tensor(data, dtype=dtype or self.dtype, device=device, requires_grad=requires_grad)

    def pow(self, exponent):
        """self ** exponent (torch.pow)."""
        return _math.pow(self, exponent)

    def exp(self):
        """e**x elementwise."""
        return _math.exp(self)

    def log(self):
        """Natural logarithm elementwise."""
        return _math.log(self)

    def sqrt(self):
        """Square root elementwise."""
        return _math.sqrt(self)

    def sin(self):
        """Elementwise sine."""
        return _math.sin(self)

    def cos(self):
        """Elementwise cosine."""
        return _math.cos(self)

    def log1p(self):
        """Elementwise log(1 + x)."""
        return _math.log1p(self)

    def round(self, decimals=0):
        """Rounds half to even (torch.round); zero gradient."""
        return _math.round(self, decimals)

    def clamp(self, min=None, max=None):
        """Each element limited to [min, max] (torch.clamp)."""
        return _math.clamp(self, min, max)

    clip = clamp

    def where(self, condition, other):
        """self where condition holds, else other (Tensor.where)."""
        return _math.where(condition, self, other)

    def masked_fill(self, mask, value):
        """A copy with value where mask is True (Tensor.masked_fill)."""
        return _math.masked_fill(self, mask, value)

    def maximum(self, other):
        """Elementwise larger of self and other."""
        return _math.maximum(self, other)

    def minimum(self, other):
        """Elementwise smaller of self and other."""
        return _math.minimum(self, other)

    def eq(self, other):
        """self == other, elementwise."""
        return _math.eq(self, other)

    def ne(self, other):
        """self != other, elementwise."""
        return _math.ne(self, other)

    def lt(self, other):
        """self < other, elementwise."""
        return _math.lt(self, other)

    def le(self, other):
        """self <= other, elementwise."""
        return _math.le(self, other)

    def gt(self, other):
        """self > other, elementwise."""
        return _math.gt(self, other)

    def ge(self, other):
        """self >= other, elementwise."""
        return _math.ge(self, other)

    def mm(self, mat2):
        """Matrix product of two 2-d tensors (torch.mm)."""
        return _math.mm(self, mat2)

    def add(self, other, *, alpha=1):
        """self + alpha · other (torch.add)."""
        return _math.add(self, other, alpha=alpha)

    def sub(self, other, *, alpha=1):
        """self - alpha · other (torch.sub)."""
        return _math.sub(self, other, alpha=alpha)

    subtract = sub

    def mul(self, other):
        """self · other elementwise (torch.mul)."""
        return _math.mul(self, other)

    multiply = mul

    def div(self, other, *, rounding_mode=None):
        """self / other; rounding_mode None, 'trunc' or 'floor' (torch.div)."""
        return _math.div(self, other, rounding_mode=rounding_mode)

    divide = div

    def floor_divide(self, other):
        """self / other rounded down (torch.floor_divide)."""
        return _math.floor_divide(self, other)

    def __floordiv__(self, other):
        return _math.floor_divide(self, other)

    def __rfloordiv__(self, other):
        return _math.floor_divide(other, self)

    def __mod__(self, other):
        return _math.remainder(self, other)

    def __rmod__(self, other):
        return _math.remainder(other, self)

    def true_divide(self, other):
        """self / other without rounding (torch.true_divide)."""
        return _math.true_divide(self, other)

    def remainder(self, other):
        """The remainder of self / other with other's sign, Python's % (torch.remainder)."""
        return _math.remainder(self, other)

    def fmod(self, other):
        """The remainder of self / other with self's sign, C's fmod (torch.fmod)."""
        return _math.fmod(self, other)

    def atan2(self, other):
        """The angle of the point (other, self) in [-π, π] (torch.atan2)."""
        return _math.atan2(self, other)

    arctan2 = atan2

    def hypot(self, other):
        """√(self² + other²) elementwise (torch.hypot)."""
        return _math.hypot(self, other)

    def lerp(self, end, weight):
        """self + weight · (end - self) (torch.lerp)."""
        return _math.lerp(self, end, weight)

    def addcmul(self, tensor1, tensor2, *, value=1):
        """self + value · tensor1 · tensor2 (torch.addcmul)."""
        return _math.addcmul(self, tensor1, tensor2, value=value)

    def addcdiv(self, tensor1, tensor2, *, value=1):
        """self + value · tensor1 / tensor2 (torch.addcdiv)."""
        return _math.addcdiv(self, tensor1, tensor2, value=value)

    def any(self, dim=None, keepdim=False):
        """Whether any element is nonzero, over dim or all, a bool tensor (torch.any)."""
        return _math.any(self, dim, keepdim)

    def all(self, dim=None, keepdim=False):
        """Whether every element is nonzero, over dim or all, a bool tensor (torch.all)."""
        return _math.all(self, dim, keepdim)

    def neg(self):
        """-self elementwise (torch.neg)."""
        return _math.neg(self)

    def negative(self):
        """-self elementwise (alias of neg)."""
        return _math.negative(self)

    def reciprocal(self):
        """1 / self elementwise; integers give float32."""
        return _math.reciprocal(self)

    def square(self):
        """self² elementwise."""
        return _math.square(self)

    def rsqrt(self):
        """1 / √self elementwise."""
        return _math.rsqrt(self)

    def sign(self):
        """-1, 0 or 1 by the sign of each element."""
        return _math.sign(self)

    def floor(self):
        """The largest integer ≤ each element."""
        return _math.floor(self)

    def ceil(self):
        """The smallest integer ≥ each element."""
        return _math.ceil(self)

    def trunc(self):
        """Each element rounded toward zero."""
        return _math.trunc(self)

    def fix(self):
        """Each element rounded toward zero (alias of trunc)."""
        return _math.fix(self)

    def frac(self):
        """self - trunc(self): the fractional part."""
        return _math.frac(self)

    def exp2(self):
        """2 ** self elementwise."""
        return _math.exp2(self)

    def expm1(self):
        """e ** self - 1 elementwise."""
        return _math.expm1(self)

    def log2(self):
        """Base-2 logarithm elementwise."""
        return _math.log2(self)

    def log10(self):
        """Base-10 logarithm elementwise."""
        return _math.log10(self)

    def erf(self):
        """The error function elementwise."""
        return _math.erf(self)

    def sinh(self):
        """Hyperbolic sine elementwise."""
        return _math.sinh(self)

    def cosh(self):
        """Hyperbolic cosine elementwise."""
        return _math.cosh(self)

    def asin(self):
        """Arcsine elementwise."""
        return _math.asin(self)

    def acos(self):
        """Arccosine elementwise."""
        return _math.acos(self)

    def atan(self):
        """Arctangent elementwise."""
        return _math.atan(self)

    def arcsin(self):
        """Arcsine elementwise (alias of asin)."""
        return _math.arcsin(self)

    def arccos(self):
        """Arccosine elementwise (alias of acos)."""
        return _math.arccos(self)

    def arctan(self):
        """Arctangent elementwise (alias of atan)."""
        return _math.arctan(self)

    def isnan(self):
        """Whether each element is NaN, a bool tensor."""
        return _math.isnan(self)

    def isinf(self):
        """Whether each element is +inf or -inf, a bool tensor."""
        return _math.isinf(self)

    def isfinite(self):
        """Whether each element is neither inf nor NaN, a bool tensor."""
        return _math.isfinite(self)

    def neg_(self):
        """neg, in place (torch.Tensor.neg_)."""
        return _inplace_unary(self, _math.neg, "neg_")

    def negative_(self):
        """negative, in place (torch.Tensor.negative_)."""
        return _inplace_unary(self, _math.negative, "negative_")

    def reciprocal_(self):
        """reciprocal, in place (torch.Tensor.reciprocal_)."""
        return _inplace_unary(self, _math.reciprocal, "reciprocal_")

    def square_(self):
        """square, in place (torch.Tensor.square_)."""
        return _inplace_unary(self, _math.square, "square_")

    def rsqrt_(self):
        """rsqrt, in place (torch.Tensor.rsqrt_)."""
        return _inplace_unary(self, _math.rsqrt, "rsqrt_")

    def sign_(self):
        """sign, in place (torch.Tensor.sign_)."""
        return _inplace_unary(self, _math.sign, "sign_")

    def floor_(self):
        """floor, in place (torch.Tensor.floor_)."""
        return _inplace_unary(self, _math.floor, "floor_")

    def ceil_(self):
        """ceil, in place (torch.Tensor.ceil_)."""
        return _inplace_unary(self, _math.ceil, "ceil_")

    def trunc_(self):
        """trunc, in place (torch.Tensor.trunc_)."""
        return _inplace_unary(self, _math.trunc, "trunc_")

    def fix_(self):
        """fix, in place (torch.Tensor.fix_)."""
        return _inplace_unary(self, _math.fix, "fix_")

    def frac_(self):
        """frac, in place (torch.Tensor.frac_)."""
        return _inplace_unary(self, _math.frac, "frac_")

    def exp2_(self):
        """exp2, in place (torch.Tensor.exp2_)."""
        return _inplace_unary(self, _math.exp2, "exp2_")

    def expm1_(self):
        """expm1, in place (torch.Tensor.expm1_)."""
        return _inplace_unary(self, _math.expm1, "expm1_")

    def log2_(self):
        """log2, in place (torch.Tensor.log2_)."""
        return _inplace_unary(self, _math.log2, "log2_")

    def log10_(self):
        """log10, in place (torch.Tensor.log10_)."""
        return _inplace_unary(self, _math.log10, "log10_")

    def erf_(self):
        """erf, in place (torch.Tensor.erf_)."""
        return _inplace_unary(self, _math.erf, "erf_")

    def sinh_(self):
        """sinh, in place (torch.Tensor.sinh_)."""
        return _inplace_unary(self, _math.sinh, "sinh_")

    def cosh_(self):
        """cosh, in place (torch.Tensor.cosh_)."""
        return _inplace_unary(self, _math.cosh, "cosh_")

    def asin_(self):
        """asin, in place (torch.Tensor.asin_)."""
        return _inplace_unary(self, _math.asin, "asin_")

    def acos_(self):
        """acos, in place (torch.Tensor.acos_)."""
        return _inplace_unary(self, _math.acos, "acos_")

    def atan_(self):
        """atan, in place (torch.Tensor.atan_)."""
        return _inplace_unary(self, _math.atan, "atan_")

    def arcsin_(self):
        """arcsin, in place (torch.Tensor.arcsin_)."""
        return _inplace_unary(self, _math.arcsin, "arcsin_")

    def arccos_(self):
        """arccos, in place (torch.Tensor.arccos_)."""
        return _inplace_unary(self, _math.arccos, "arccos_")

    def arctan_(self):
        """arctan, in place (torch.Tensor.arctan_)."""
        return _inplace_unary(self, _math.arctan, "arctan_")

    def remainder_(self, other):
        """remainder, in place (torch.Tensor.remainder_)."""
        return _inplace_unary(self, lambda t: _math.remainder(t, other), "remainder_", other)

    def fmod_(self, other):
        """fmod, in place (torch.Tensor.fmod_)."""
        return _inplace_unary(self, lambda t: _math.fmod(t, other), "fmod_", other)

    def lerp_(self, end, weight):
        """lerp, in place (torch.Tensor.lerp_)."""
        return _inplace_unary(self, lambda t: _math.lerp(t, end, weight), "lerp_", end, weight)

    def addcmul_(self, tensor1, tensor2, *, value=1):
        """addcmul, in place (torch.Tensor.addcmul_)."""
        return _inplace_unary(self, lambda t: _math.addcmul(t, tensor1, tensor2, value=value),
                              "addcmul_", tensor1, tensor2)

    def addcdiv_(self, tensor1, tensor2, *, value=1):
        """addcdiv, in place (torch.Tensor.addcdiv_)."""
        return _inplace_unary(self, lambda t: _math.addcdiv(t, tensor1, tensor2, value=value),
                              "addcdiv_", tensor1, tensor2)

    def unsqueeze(self, dim):
        """A new dimension of size 1 at dim."""
        return _shape.unsqueeze(self, dim)

    def squeeze(self, dim=None):
        """Dimensions of size 1 removed (all, or those of dim)."""
        return _shape.squeeze(self, dim)

    def view_as(self, other):
        """Reshaped to other's shape."""
        return _shape.view_as(self, other)

    def expand(self, *sizes):
        """Broadcast to sizes without copying; -1 keeps a dimension."""
        return _shape.expand(self, *sizes)

    def expand_as(self, other):
        """Broadcast to other's shape."""
        return _shape.expand_as(self, other)

    def repeat(self, *repeats):
        """Tiled repeats[i] times along each dimension."""
        return _shape.repeat(self, *repeats)

    def t(self):
        """The transpose of a matrix (torch.t)."""
        return _shape.t(self)

    def clone(self):
        """A copy that stays in the graph."""
        return _shape.clone(self)

    def contiguous(self):
        """Itself when C-contiguous, else a contiguous copy."""
        return _shape.contiguous(self)

    def bmm(self, mat2):
        """Batched matrix product with mat2 (torch.bmm)."""
        return _linalg.bmm(self, mat2)

    def dot(self, tensor):
        """Inner product of two vectors (torch.dot)."""
        return _linalg.dot(self, tensor)

    def mv(self, vec):
        """Matrix times vector (torch.mv)."""
        return _linalg.mv(self, vec)

    def outer(self, vec2):
        """Outer product of two vectors (torch.outer)."""
        return _linalg.outer(self, vec2)

    ger = outer

    def addmm(self, mat1, mat2, *, beta=1, alpha=1):
        """beta * self + alpha * (mat1 @ mat2) (torch.addmm)."""
        return _linalg.addmm(self, mat1, mat2, beta=beta, alpha=alpha)

    def baddbmm(self, batch1, batch2, *, beta=1, alpha=1):
        """beta * self + alpha * bmm(batch1, batch2) (torch.baddbmm)."""
        return _linalg.baddbmm(self, batch1, batch2, beta=beta, alpha=alpha)

    def addmv(self, mat, vec, *, beta=1, alpha=1):
        """beta * self + alpha * (mat @ vec) (torch.addmv)."""
        return _linalg.addmv(self, mat, vec, beta=beta, alpha=alpha)

    def addr(self, vec1, vec2, *, beta=1, alpha=1):
        """beta * self + alpha * outer(vec1, vec2) (torch.addr)."""
        return _linalg.addr(self, vec1, vec2, beta=beta, alpha=alpha)

    def inner(self, other):
        """Sum of products over the last dimension (torch.inner)."""
        return _linalg.inner(self, other)

    def cross(self, other, dim=None):
        """Cross product of 3-vectors along `dim` (torch.Tensor.cross)."""
        return _linalg.cross(self, other, dim)

    def kron(self, other):
        """Kronecker product (torch.Tensor.kron)."""
        return _linalg.kron(self, other)

    def tril(self, diagonal=0):
        """Lower triangle, zeros above `diagonal` (torch.tril)."""
        return _shape.tril(self, diagonal)

    def triu(self, diagonal=0):
        """Upper triangle, zeros below `diagonal` (torch.triu)."""
        return _shape.triu(self, diagonal)

    def diag(self, diagonal=0):
        """A vector's diagonal matrix or a matrix's diagonal (torch.diag)."""
        return _shape.diag(self, diagonal)

    def diagonal(self, offset=0, dim1=0, dim2=1):
        """The diagonal of the matrices over dim1 and dim2, a copy (torch.diagonal)."""
        return _shape.diagonal(self, offset, dim1, dim2)

    def trace(self):
        """Sum of a matrix's main diagonal (torch.trace)."""
        return _shape.trace(self)

    def flip(self, *dims):
        """Elements reversed along dims, copied (torch.flip)."""
        return _shape.flip(self, dims[0] if len(dims) == 1 else dims)

    def fliplr(self):
        """Columns reversed, copied (torch.fliplr)."""
        return _shape.fliplr(self)

    def flipud(self):
        """Rows reversed, copied (torch.flipud)."""
        return _shape.flipud(self)

    def movedim(self, source, destination):
        """Dimensions source moved to destination (torch.movedim)."""
        return _shape.movedim(self, source, destination)

    moveaxis = movedim

    def swapaxes(self, axis0, axis1):
        """Dimensions axis0 and axis1 exchanged (torch.swapaxes)."""
        return _shape.swapaxes(self, axis0, axis1)

    def swapdims(self, dim0, dim1):
        """Dimensions dim0 and dim1 exchanged (torch.swapdims)."""
        return _shape.swapdims(self, dim0, dim1)

    def tile(self, *dims):
        """Repeated dims[i] times along each dimension (torch.tile)."""
        return _shape.tile(self, dims[0] if len(dims) == 1 else dims)

    def unflatten(self, dim, sizes):
        """Dimension dim split into sizes (torch.unflatten)."""
        return _shape.unflatten(self, dim, sizes)


    def roll(self, shifts, dims=None):
        """Elements rotated by shifts along dims (torch.roll)."""
        return _shape.roll(self, shifts, dims)

    def narrow(self, dim, start, length):
        """length elements from start along dim (torch.narrow)."""
        return _shape.narrow(self, dim, start, length)

    def split(self, split_size, dim=0):
        """Pieces of split_size elements (or of the listed sizes) along dim (torch.split)."""
        return _shape.split(self, split_size, dim)

    def chunk(self, chunks, dim=0):
        """chunks pieces of equal size along dim (torch.chunk)."""
        return _shape.chunk(self, chunks, dim)

    def broadcast_to(self, size):
        """Expanded to size by broadcasting (torch.broadcast_to)."""
        return _shape.broadcast_to(self, size)

    def prod(self, dim=None, keepdim=False, *, dtype=None):
        """Product over dim, or of all elements."""
        return _reduce.prod(self, dim, keepdim, dtype=dtype)

    def norm(self, p="fro", dim=None, keepdim=False):
        """The vector p-norm over dim (all elements by default)."""
        return _reduce.norm(self, p, dim, keepdim)

    def var(self, dim=None, unbiased=None, keepdim=False, *, correction=None):
        """Variance over dim, unbiased by default."""
        return _reduce.var(self, dim, unbiased, keepdim, correction=correction)

    def std(self, dim=None, unbiased=None, keepdim=False, *, correction=None):
        """Standard deviation over dim, unbiased by default."""
        return _reduce.std(self, dim, unbiased, keepdim, correction=correction)

    def max(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        """max(): the largest element; max(dim, keepdim) -> (values, indices); max(other):
        elementwise; max(axis=, keepdims=) as NumPy's."""
        if axis is not None or keepdims is not None:
            return _ops.Max.apply(self, axis, bool(keepdims))
        return _reduce.max(self, dim, keepdim)

    def min(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        """min(): the smallest element; min(dim, keepdim) -> (values, indices); min(other):
        elementwise; min(axis=, keepdims=) as NumPy's."""
        if axis is not None or keepdims is not None:
            return _reduce.Min.apply(self, _reduce.normalize_dims(axis, self.ndim, "axis"),
                                     bool(keepdims))
        return _reduce.min(self, dim, keepdim)

    def argmax(self, dim: Any = None, keepdim: bool = False) -> "Tensor":
        """Index of the largest element, of the flattened tensor or along dim."""
        return _reduce.argmax(self, dim, keepdim)

    def argmin(self, dim=None, keepdim=False):
        """Index of the smallest element, of the flattened tensor or along dim."""
        return _reduce.argmin(self, dim, keepdim)

    def logsumexp(self, dim, keepdim=False):
        """log(sum(exp(self))) over dim, computed stably (torch.Tensor.logsumexp)."""
        return _reduce.logsumexp(self, dim, keepdim)

    def cumsum(self, dim, *, dtype=None):
        """The running sums along dim (torch.Tensor.cumsum)."""
        return _reduce.cumsum(self, dim, dtype=dtype)

    def cumprod(self, dim, *, dtype=None):
        """The running products along dim (torch.Tensor.cumprod)."""
        return _reduce.cumprod(self, dim, dtype=dtype)

    def diff(self, n=1, dim=-1, prepend=None, append=None):
        """The n-th forward difference along dim (torch.Tensor.diff)."""
        return _reduce.diff(self, n, dim, prepend, append)

    def sort(self, dim=-1, descending=False, *, stable=False):
        """(values, indices) sorted along dim (torch.Tensor.sort)."""
        return _sort.sort(self, dim, descending, stable=stable)

    def argsort(self, dim=-1, descending=False, *, stable=False):
        """The indices that sort self along dim (torch.Tensor.argsort)."""
        return _sort.argsort(self, dim, descending, stable=stable)

    def topk(self, k, dim=-1, largest=True, sorted=True):
        """(values, indices) of the k largest (or smallest) along dim (torch.Tensor.topk)."""
        return _sort.topk(self, k, dim, largest, sorted)

    def kthvalue(self, k, dim=-1, keepdim=False):
        """(values, indices) of the k-th smallest along dim (torch.Tensor.kthvalue)."""
        return _sort.kthvalue(self, k, dim, keepdim)

    def median(self, dim=None, keepdim=False):
        """The lower median of all elements, or (values, indices) along dim
        (torch.Tensor.median)."""
        return _sort.median(self, dim, keepdim)

    def mode(self, dim=-1, keepdim=False):
        """(values, indices) of the most frequent value along dim (torch.Tensor.mode)."""
        return _sort.mode(self, dim, keepdim)

    def gather(self, dim, index, *, sparse_grad=False):
        """The elements at index along dim (torch.Tensor.gather)."""
        return _scatter.gather(self, dim, index, sparse_grad=sparse_grad)

    def index_select(self, dim, index):
        """The slices at the positions in index along dim (torch.Tensor.index_select)."""
        return _scatter.index_select(self, dim, index)

    def masked_select(self, mask):
        """The elements where mask is True, as a 1-d tensor (torch.Tensor.masked_select)."""
        return _scatter.masked_select(self, mask)

    def nonzero(self, *, as_tuple=False):
        """The positions of the nonzero elements (torch.Tensor.nonzero)."""
        return _scatter.nonzero(self, as_tuple=as_tuple)

    # memory layout, in PyTorch's terms (elements, not bytes)
    def stride(self, dim=None):
        """The step in elements between neighbours along each dimension, or along dim
        (torch.Tensor.stride)."""
        steps = tuple(s // self._data.itemsize for s in self._data.strides)
        if dim is None:
            return steps
        if self.ndim == 0:
            raise IndexError(f"stride: dim {dim!r} given for a 0-d tensor, which has no dimensions")
        return steps[_shape.normalize_dim(dim, self.ndim, "stride: dim")]

    def is_contiguous(self, memory_format=None):
        """Whether the elements lie in row-major order without gaps (torch.Tensor.is_contiguous)."""
        return bool(self._data.flags.c_contiguous)

    def nelement(self):
        """The number of elements (alias of numel)."""
        return self._data.size

    def element_size(self):
        """The size of one element in bytes (torch.Tensor.element_size)."""
        return self._data.itemsize

    def data_ptr(self):
        """The memory address of the first element, an int (torch.Tensor.data_ptr)."""
        return self._data.ctypes.data

    def storage_offset(self):
        """How many elements into the memory this tensor shares with the tensor it is a view
        of the first element lies; 0 for a tensor that owns its memory."""
        owner = self._data
        while isinstance(owner.base, np.ndarray):
            owner = owner.base
        return (self._data.ctypes.data - owner.ctypes.data) // self._data.itemsize

    mT = property(lambda self: _shape.transpose(self, -2, -1) if self.ndim >= 2 else
                  _raise(ValueError(f"mT: needs at least 2 dimensions, got {self.ndim}")),
                  doc="The transpose of the last two dimensions (torch.Tensor.mT).")

    def type_as(self, other):
        """self cast to other's dtype (torch.Tensor.type_as)."""
        return self.to(other.dtype)

    def reshape_as(self, other):
        """self reshaped to other's shape (torch.Tensor.reshape_as)."""
        return _shape.reshape(self, tuple(other.shape))

    def select(self, dim, index):
        """The slice at index along dim, without that dimension (torch.Tensor.select)."""
        return _shape.select(self, dim, index)

    def unbind(self, dim=0):
        """The slices along dim, as a tuple (torch.Tensor.unbind)."""
        return _shape.unbind(self, dim)

    def softmax(self, dim, dtype=None):
        """exp(self) / sum(exp(self)) along dim (torch.Tensor.softmax)."""
        from .nn import functional
        return functional.softmax(self, dim, dtype)

    def log_softmax(self, dim, dtype=None):
        """log(softmax(self)) along dim, computed stably (torch.Tensor.log_softmax)."""
        from .nn import functional
        return functional.log_softmax(self, dim, dtype)

    # reductions
    def amax(self, dim=(), keepdim=False):
        """The largest element over dim (all by default) (torch.Tensor.amax)."""
        return _reduce.amax(self, dim, keepdim)

    def amin(self, dim=(), keepdim=False):
        """The smallest element over dim (all by default) (torch.Tensor.amin)."""
        return _reduce.amin(self, dim, keepdim)

    def aminmax(self, *, dim=None, keepdim=False):
        """(min, max) over dim, or of all elements (torch.Tensor.aminmax)."""
        return _reduce.aminmax(self, dim=dim, keepdim=keepdim)

    def count_nonzero(self, dim=None):
        """The number of nonzero elements over dim (torch.Tensor.count_nonzero)."""
        return _reduce.count_nonzero(self, dim)

    # elementwise
    def nan_to_num(self, nan=0.0, posinf=None, neginf=None):
        """NaN, +inf and -inf replaced by numbers (torch.Tensor.nan_to_num)."""
        return _math.nan_to_num(self, nan, posinf, neginf)

    def nan_to_num_(self, nan=0.0, posinf=None, neginf=None):
        """nan_to_num, in place (torch.Tensor.nan_to_num_)."""
        return _inplace_unary(self, lambda t: _math.nan_to_num(t, nan, posinf, neginf),
                              "nan_to_num_")

    def clamp_min(self, min):
        """Each element raised to at least min (torch.Tensor.clamp_min)."""
        return _math.clamp_min(self, min)

    def clamp_max(self, max):
        """Each element lowered to at most max (torch.Tensor.clamp_max)."""
        return _math.clamp_max(self, max)

    def clamp_min_(self, min):
        """clamp_min, in place (torch.Tensor.clamp_min_)."""
        return _inplace_unary(self, lambda t: _math.clamp_min(t, min), "clamp_min_", min)

    def clamp_max_(self, max):
        """clamp_max, in place (torch.Tensor.clamp_max_)."""
        return _inplace_unary(self, lambda t: _math.clamp_max(t, max), "clamp_max_", max)

    # writing at positions
    def index_add(self, dim, index, source, *, alpha=1):
        """A copy with alpha · source added at index along dim (torch.Tensor.index_add)."""
        return _scatter.index_add(self, dim, index, source, alpha=alpha)

    def index_add_(self, dim, index, source, *, alpha=1):
        """index_add, in place (torch.Tensor.index_add_)."""
        return _inplace_unary(self, lambda t: _scatter.index_add(t, dim, index, source,
                                                                 alpha=alpha),
                              "index_add_", source)

    def scatter_add(self, dim, index, src):
        """A copy with src added at index along dim (torch.Tensor.scatter_add)."""
        return _scatter.scatter_add(self, dim, index, src)

    def scatter_add_(self, dim, index, src):
        """scatter_add, in place (torch.Tensor.scatter_add_)."""
        return _inplace_unary(self, lambda t: _scatter.scatter_add(t, dim, index, src),
                              "scatter_add_", src)

    def index_fill(self, dim, index, value):
        """A copy with the slices at index along dim set to value (torch.Tensor.index_fill)."""
        return _scatter.index_fill(self, dim, index, value)

    def index_fill_(self, dim, index, value):
        """index_fill, in place (torch.Tensor.index_fill_)."""
        return _inplace_unary(self, lambda t: _scatter.index_fill(t, dim, index, value),
                              "index_fill_", value)

    def masked_scatter(self, mask, source):
        """A copy whose elements where mask is True take source's, in order
        (torch.Tensor.masked_scatter)."""
        return _scatter.masked_scatter(self, mask, source)

    def masked_scatter_(self, mask, source):
        """masked_scatter, in place (torch.Tensor.masked_scatter_)."""
        return _inplace_unary(self, lambda t: _scatter.masked_scatter(t, mask, source),
                              "masked_scatter_", source)

    # counting and binning (no gradients)
    def bincount(self, weights=None, minlength=0):
        """How often each non-negative integer occurs (torch.Tensor.bincount)."""
        return _bins.bincount(self, weights, minlength)

    def histc(self, bins=100, min=0, max=0):
        """A histogram in equal-width bins (torch.Tensor.histc)."""
        return _bins.histc(self, bins, min, max)

    def unique_consecutive(self, return_inverse=False, return_counts=False, dim=None):
        """Each run of equal consecutive values kept once (torch.Tensor.unique_consecutive)."""
        return _bins.unique_consecutive(self, return_inverse, return_counts, dim)

    # in-place forms of the elementwise ops: outside the graph (PyTorch's in-place rules)
    def abs_(self):
        """abs, in place (torch.Tensor.abs_)."""
        return _inplace_unary(self, _math.abs, "abs_")
    def cos_(self):
        """cos, in place (torch.Tensor.cos_)."""
        return _inplace_unary(self, _math.cos, "cos_")
    def sin_(self):
        """sin, in place (torch.Tensor.sin_)."""
        return _inplace_unary(self, _math.sin, "sin_")
    def exp_(self):
        """exp, in place (torch.Tensor.exp_)."""
        return _inplace_unary(self, _math.exp, "exp_")
    def log_(self):
        """log, in place (torch.Tensor.log_)."""
        return _inplace_unary(self, _math.log, "log_")
    def log1p_(self):
        """log1p, in place (torch.Tensor.log1p_)."""
        return _inplace_unary(self, _math.log1p, "log1p_")
    def sqrt_(self):
        """sqrt, in place (torch.Tensor.sqrt_)."""
        return _inplace_unary(self, _math.sqrt, "sqrt_")
    def relu_(self):
        """relu, in place (torch.Tensor.relu_)."""
        return _inplace_unary(self, lambda t: t.relu(), "relu_")
    def sigmoid_(self):
        """sigmoid, in place (torch.Tensor.sigmoid_)."""
        return _inplace_unary(self, lambda t: t.sigmoid(), "sigmoid_")
    def tanh_(self):
        """tanh, in place (torch.Tensor.tanh_)."""
        return _inplace_unary(self, lambda t: t.tanh(), "tanh_")
    def round_(self, decimals=0):
        """round, in place (torch.Tensor.round_)."""
        return _inplace_unary(self, lambda t: _math.round(t, decimals), "round_")

    def clip_(self, min=None, max=None):
        """clamp_, in place (alias of clamp_)."""
        return self.clamp_(min, max)
    def atan2_(self, other):
        """atan2, in place (torch.Tensor.atan2_)."""
        return _inplace_unary(self, lambda t: _math.atan2(t, other), "atan2_", other)
    def arctan2_(self, other):
        """arctan2, in place (torch.Tensor.arctan2_)."""
        return _inplace_unary(self, lambda t: _math.atan2(t, other), "arctan2_", other)
    def multiply_(self, other):
        """multiply, in place (torch.Tensor.multiply_)."""
        return _inplace_unary(self, lambda t: _math.mul(t, other), "multiply_", other)
    def true_divide_(self, other):
        """true_divide, in place (torch.Tensor.true_divide_)."""
        return _inplace_unary(self, lambda t: _math.true_divide(t, other), "true_divide_", other)
    def floor_divide_(self, other):
        """floor_divide, in place (torch.Tensor.floor_divide_)."""
        return _inplace_unary(self, lambda t: _math.floor_divide(t, other), "floor_divide_", other)
    def hypot_(self, other):
        """hypot, in place (torch.Tensor.hypot_)."""
        return _inplace_unary(self, lambda t: _math.hypot(t, other), "hypot_", other)
    def pow_(self, other):
        """pow, in place (torch.Tensor.pow_)."""
        return _inplace_unary(self, lambda t: _math.pow(t, other), "pow_", other)
    def eq_(self, other):
        """eq, in place (torch.Tensor.eq_)."""
        return _inplace_unary(self, lambda t: _math.eq(t, other), "eq_", other)
    def ne_(self, other):
        """ne, in place (torch.Tensor.ne_)."""
        return _inplace_unary(self, lambda t: _math.ne(t, other), "ne_", other)
    def lt_(self, other):
        """lt, in place (torch.Tensor.lt_)."""
        return _inplace_unary(self, lambda t: _math.lt(t, other), "lt_", other)
    def le_(self, other):
        """le, in place (torch.Tensor.le_)."""
        return _inplace_unary(self, lambda t: _math.le(t, other), "le_", other)
    def gt_(self, other):
        """gt, in place (torch.Tensor.gt_)."""
        return _inplace_unary(self, lambda t: _math.gt(t, other), "gt_", other)
    def ge_(self, other):
        """ge, in place (torch.Tensor.ge_)."""
        return _inplace_unary(self, lambda t: _math.ge(t, other), "ge_", other)
    def subtract_(self, other, *, alpha=1):
        """sub_, in place (alias of sub_)."""
        return self.sub_(other, alpha)

    def divide_(self, other, *, rounding_mode=None):
        """div_, in place (alias of div_)."""
        return self.div_(other, rounding_mode=rounding_mode)

    def masked_fill_(self, mask, value):
        """masked_fill, in place (torch.Tensor.masked_fill_)."""
        return _inplace_unary(self, lambda t: _math.masked_fill(t, mask, value), "masked_fill_",
                              value)

    def cumsum_(self, dim, *, dtype=None):
        """cumsum, in place (torch.Tensor.cumsum_)."""
        return _inplace_unary(self, lambda t: _reduce.cumsum(t, dim, dtype=dtype), "cumsum_")

    def cumprod_(self, dim, *, dtype=None):
        """cumprod, in place (torch.Tensor.cumprod_)."""
        return _inplace_unary(self, lambda t: _reduce.cumprod(t, dim, dtype=dtype), "cumprod_")

    # in-place shape changes: the tensor takes the new view of its values
    def squeeze_(self, dim=None):
        """squeeze, in place (torch.Tensor.squeeze_)."""
        return _inplace_view(self, lambda t: _shape.squeeze(t, dim), "squeeze_")

    def unsqueeze_(self, dim):
        """unsqueeze, in place (torch.Tensor.unsqueeze_)."""
        return _inplace_view(self, lambda t: _shape.unsqueeze(t, dim), "unsqueeze_")

    def transpose_(self, dim0, dim1):
        """transpose, in place (torch.Tensor.transpose_)."""
        return _inplace_view(self, lambda t: _shape.transpose(t, dim0, dim1), "transpose_")

    def t_(self):
        """t, in place (torch.Tensor.t_)."""
        return _inplace_view(self, _shape.t, "t_")

    def detach_(self):
        """Cuts this tensor from the graph, in place: no grad_fn, no longer requiring grad
        (torch.Tensor.detach_)."""
        self.grad_fn = None
        self.requires_grad = False
        return self


def _set_grad(t, value):
    """t.grad = value: a Tensor (or array) of t's shape and dtype, shared, or None."""
    if value is None:
        t._grad = t._grad_view = None
        return
    g = value._data if isinstance(value, Tensor) else value
    if not isinstance(g, np.ndarray):
        raise TypeError(f"assigned grad must be a Tensor or None, got {type(value).__name__}")
    if g.shape != t._data.shape:
        raise RuntimeError(f"assigned grad has shape {g.shape}, but the tensor has shape "
                           f"{t._data.shape}")
    if g.dtype != t._data.dtype:
        raise TypeError(f"assigned grad has dtype {g.dtype}, but the tensor has dtype "
                        f"{t._data.dtype}")
    t._grad = g
    t._grad_view = value if isinstance(value, Tensor) else None


def _raise(error):
    """Raises error (for a lambda, which cannot hold a raise statement)."""
    raise error


def _values(x):
    """The array (or number) behind a Tensor argument."""
    return x._data if isinstance(x, Tensor) else x


def _unwrap_index(idx):
    if isinstance(idx, tuple):
        return tuple(_unwrap_index(i) for i in idx)
    return idx._data if isinstance(idx, Tensor) else idx


def _check_inplace(t, other):
    """PyTorch's rules for changing t in place. Returns True when the change must be recorded
    in the graph (grad mode on and other requires grad, t being a leaf that does not)."""
    if not _mode.enabled:
        return False
    other_needs = isinstance(other, Tensor) and other.requires_grad
    if not (t.requires_grad or other_needs):
        return False
    if t.requires_grad and t.grad_fn is None:
        raise RuntimeError("a leaf tensor that requires grad is being used in an in-place "
                           "operation; wrap the update in `with fastgrad.no_grad():`")
    if t.grad_fn is not None:
        raise RuntimeError("in-place operation on a tensor that is part of the graph "
                           "(it requires grad and was made by an op) is not supported; use the "
                           "out-of-place form (x = x + y) instead")
    return True


def _inplace(t, ufunc, method, other):
    """t (op)= other in place: the arithmetic of += -= *= /= and add_ sub_ mul_ div_."""
    if _check_inplace(t, other):
        return _rebase(t, lambda s: getattr(s, method)(other))
    data, o = t._data, _values(other)
    try:
        ufunc(data, o, out=data, casting="same_kind")
    except (TypeError, ValueError):
        _explain_inplace_failure(data, o, ufunc, method)
        raise
    _engine.modified(t)
    return t


def _inplace_unary(t, function, what, *others):
    """t = function(t) in place, outside the graph: PyTorch's in-place rules (_check_inplace),
    then the result written into t's array in t's dtype (_write). An operand requiring grad
    under grad mode would need the change recorded, which these methods do not do."""
    for other in others:
        if _mode.enabled and isinstance(other, Tensor) and other.requires_grad:
            raise RuntimeError(f"{what}: an operand requires grad; use the out-of-place form")
    _check_inplace(t, None)
    with _grad_mode.no_grad():
        result = function(t)
    _write(t, result._data, what)
    return t


def _inplace_view(t, function, what):
    """t takes the shape (and strides) of function(t), a view of the same values, outside the
    graph under PyTorch's in-place rules (_check_inplace)."""
    _check_inplace(t, None)
    with _grad_mode.no_grad():
        t._data = function(t)._data
    _engine.modified(t)
    return t


def _explain_inplace_failure(data, o, ufunc, what):
    """Raises PyTorch's error for an in-place op that cannot store its result in data: a
    result of another kind (float into an integer tensor) or of a larger shape."""
    try:
        result = ufunc(data, o)
    except (TypeError, ValueError):
        return  # the operands themselves do not go together: NumPy's error stands
    if not np.can_cast(result.dtype, data.dtype, "same_kind"):
        raise RuntimeError(f"{what} in place: result type {result.dtype} can't be cast to the "
                           f"tensor's dtype {data.dtype}") from None
    if result.shape != data.shape:
        raise RuntimeError(f"{what} in place: an operand of shape {np.shape(o)} gives a result "
                           f"of shape {result.shape}, not the tensor's shape {data.shape}") from None


def _write(t, result, what, other=None):
    """Stores result into t's array (cast to t's dtype as PyTorch does; a float result into an
    integer tensor is refused) and counts the change."""
    data = t._data
    result = np.asarray(result)
    if result.shape != data.shape:
        shape = np.shape(_values(other)) if other is not None else result.shape
        raise RuntimeError(f"{what} in place: the result of shape {result.shape} (from shapes "
                           f"{data.shape} and {shape}) does not fit the tensor's shape "
                           f"{data.shape}")
    if not np.can_cast(result.dtype, data.dtype, "same_kind"):
        raise RuntimeError(f"{what} in place: result type {result.dtype} can't be cast to the "
                           f"tensor's dtype {data.dtype}")
    np.copyto(data, result, casting="same_kind")
    _engine.modified(t)


def _engine_copy(s, src):
    """copy_ recorded in the graph: the result is src (broadcast to s's shape, in s's dtype)."""
    from .ops import Cast
    out = src if isinstance(src, Tensor) else Tensor(src)
    out = out + s * 0  # broadcasts to s's shape; d(out)/d(src) = 1, as copy_'s derivative
    return out if out.dtype == s.dtype else Cast.apply(out, s.dtype)


def _rebase(t, op):
    """Records an in-place change of a leaf that does not require grad: t becomes the output
    of op applied to its old values (a snapshot, as the op may save them for backward)."""
    out = op(Tensor(t._data.copy()))
    _write(t, out._data, "in-place operation")
    t.grad_fn = out.grad_fn
    t.requires_grad = out.requires_grad
    return t


def _run_hooks(t, g):
    """t's gradient after its hooks: each receives it as a Tensor and may return a
    replacement of the same shape (a real-valued Tensor or array)."""
    for hook in t._hooks or ():
        replaced = hook(_engine.new_tensor(g, None))
        if replaced is None:
            continue
        r = np.asarray(replaced._data if isinstance(replaced, Tensor) else replaced)
        if r.shape != g.shape:
            raise RuntimeError(f"hook {getattr(hook, '__name__', hook)!r} has changed the size "
                               f"of the gradient: expected shape {g.shape}, got {r.shape}")
        if r.dtype.kind not in "biuf":
            raise TypeError(f"hook {getattr(hook, '__name__', hook)!r} returned a gradient of "
                            f"dtype {r.dtype}; gradients hold real numbers")
        g = r if r.dtype == g.dtype else r.astype(g.dtype)
    return g


class _HookHandle:
    __slots__ = ("_hooks", "_hook")

    def __init__(self, hooks, hook):
        self._hooks, self._hook = hooks, hook

    def remove(self):
        """Unregisters the hook."""
        if self._hook in self._hooks:
            self._hooks.remove(self._hook)


def tensor(data: Any, requires_grad: bool = False, dtype: Any = None,
           device: Any = None) -> "Tensor":
    """fg.tensor(data): a new leaf tensor holding a copy of data (torch.tensor)."""
    _device.check(device, "tensor: device")
    return Tensor(_to_array(data, dtype, copy=True), requires_grad=requires_grad, dtype=dtype)


from . import _engine  # noqa: E402  (the engine and the ops need Tensor first)
from . import random as _random  # noqa: E402
from . import ops as _ops  # noqa: E402

_ops.install_tensor_methods(Tensor)
Tensor.grad = _engine.GradAttribute()
Tensor.backward = _engine.backward  # type: ignore[method-assign]
for _name, _ufunc, _method in (("__iadd__", np.add, "__add__"), ("__isub__", np.subtract, "__sub__"),
                               ("__imul__", np.multiply, "__mul__"),
                               ("__itruediv__", np.true_divide, "__truediv__")):
    setattr(Tensor, _name, _engine.inplace_operator(
        _ufunc, lambda t, other, u=_ufunc, m=_method: _inplace(t, u, m, other)))

from . import device as _device  # noqa: E402  (the parity-ops methods above call these)
from . import dtypes as _dtypes  # noqa: E402
from . import factory as _factory  # noqa: E402
from . import ops_math as _math  # noqa: E402
from . import ops_linalg as _linalg  # noqa: E402
from . import ops_reduce as _reduce  # noqa: E402
from . import ops_shape as _shape  # noqa: E402
from . import ops_scatter as _scatter  # noqa: E402
from . import ops_sort as _sort  # noqa: E402
from . import ops_bins as _bins  # noqa: E402
from .size import Size as _Size  # noqa: E402
