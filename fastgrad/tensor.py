"""Tensor: a NumPy array that remembers how it was made, so the chain rule can run backwards.

A tensor produced by an operation keeps that operation's context (`grad_fn`): which op, which
input tensors, and whatever the op saved for its derivative. `backward()` walks those links from
the output back to every leaf, multiplying each op's local derivative into the gradient that
arrives from above, and summing where a tensor feeds several ops. The ops themselves, each
forward beside its derivative, live in ops.py; the graph node and the walk, which every op of
every step goes through, are compiled in _engine.pyx.
"""
import numpy as np

_FLOAT_TYPES = (np.float32, np.float64)


def _as_dtype(dtype):
    """dtype= takes NumPy dtypes or their names; only float32/float64 tensors carry gradients."""
    try:
        return np.dtype(dtype)
    except TypeError:
        raise TypeError(f"dtype must be a NumPy dtype or its name, got {dtype!r}") from None


def _to_array(data, dtype=None):
    """Converts user data to the array a tensor holds: float32 by default, float64 kept,
    integers kept as int64 (class labels), C-contiguous."""
    if isinstance(data, Tensor):
        data = data.data
    if dtype is not None:
        return np.ascontiguousarray(data, dtype=_as_dtype(dtype))
    arr = np.asarray(data)
    kind = arr.dtype.kind
    if kind == "f":  # Python floats become float32; a float64 NumPy array stays float64
        keep64 = arr.dtype == np.float64 and isinstance(data, (np.ndarray, np.floating))
        target = np.float64 if keep64 else np.float32
    elif kind in "iu":
        target = np.int64
    elif kind == "b":
        target = np.bool_
    else:
        raise TypeError(f"cannot make a tensor from data of dtype {arr.dtype}")
    return np.ascontiguousarray(arr, dtype=target)


class Tensor:
    """An n-dimensional array with autograd; `data` is a NumPy array, `grad` one or None."""

    __slots__ = ("data", "grad", "requires_grad", "grad_fn", "_retains_grad", "_hooks",
                 "__weakref__")
    __array_priority__ = 1000  # ndarray (op) Tensor defers to Tensor's reflected operators

    def __init__(self, data, requires_grad=False, dtype=None):
        self.data = _to_array(data, dtype)
        if requires_grad and self.data.dtype.type not in _FLOAT_TYPES:
            raise TypeError("only float32 and float64 tensors can require gradients, "
                            f"not {self.data.dtype}")
        self.requires_grad = bool(requires_grad)
        self.grad = None
        self.grad_fn = None  # the Context of the op that made this tensor; None for a leaf
        self._retains_grad = False
        self._hooks = None

    # ---- NumPy interop ------------------------------------------------------------------------
    shape = property(lambda self: self.data.shape)
    ndim = property(lambda self: self.data.ndim)
    dtype = property(lambda self: self.data.dtype)
    is_leaf = property(lambda self: self.grad_fn is None)

    def numel(self):
        return self.data.size

    def dim(self):
        return self.data.ndim

    def numpy(self):
        return self.data

    def item(self):
        if self.data.size != 1:
            raise ValueError(f"item() needs a tensor with one element, not shape {self.shape}")
        return self.data.item()

    def tolist(self):
        return self.data.tolist()

    def __array__(self, dtype=None, copy=None):
        if dtype is None or np.dtype(dtype) == self.data.dtype:
            return self.data.copy() if copy else self.data
        return self.data.astype(dtype)

    def __len__(self):
        if self.data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return len(self.data)

    def __repr__(self):
        body = np.array2string(self.data, separator=", ", prefix="tensor(")
        extra = f", dtype={self.data.dtype}" if self.data.dtype != np.float32 else ""
        if self.grad_fn is not None:
            extra += f", grad_fn=<{self.grad_fn.name}>"
        elif self.requires_grad:
            extra += ", requires_grad=True"
        return f"tensor({body}{extra})"

    def __bool__(self):
        return bool(self.data)

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    __hash__ = object.__hash__  # == is elementwise (see ops.py), yet tensors stay hashable

    # ---- graph bookkeeping ---------------------------------------------------------------------
    def detach(self):
        """The same data, cut from the graph."""
        return _engine.new_tensor(self.data, None)

    def requires_grad_(self, requires_grad=True):
        if requires_grad and self.data.dtype.type not in _FLOAT_TYPES:
            raise TypeError(f"only float tensors can require gradients, not {self.data.dtype}")
        if not requires_grad and self.grad_fn is not None:
            raise RuntimeError("requires_grad can only be changed on leaf tensors; use detach()")
        self.requires_grad = bool(requires_grad)
        return self

    def zero_grad(self):
        self.grad = None

    def retain_grad(self):
        """Keep .grad on a non-leaf tensor too (leaves always keep theirs)."""
        if not self.requires_grad:
            raise RuntimeError("can't retain_grad on a tensor that does not require grad")
        self._retains_grad = True

    def register_hook(self, hook):
        """hook(grad) runs when this tensor's gradient is computed; a non-None return replaces
        the gradient. Returns a handle whose remove() unregisters it."""
        if not self.requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that does not require grad")
        if self._hooks is None:
            self._hooks = []
        self._hooks.append(hook)
        return _HookHandle(self._hooks, hook)

    # ---- the chain rule -----------------------------------------------------------------------
    def backward(self, gradient=None, retain_graph=False):
        """Propagates d(self)/d(leaf) into every leaf's .grad (accumulating with +=)."""
        if not self.requires_grad:
            raise RuntimeError("backward() on a tensor that does not require grad "
                               "(did the graph get built under no_grad, or from detached data?)")
        if gradient is None:
            if self.data.size != 1:
                raise RuntimeError("backward() without a gradient needs a scalar output; got "
                                   f"shape {self.shape}")
            gradient = (np.array(1, self.data.dtype) if self.data.ndim == 0
                        else np.ones(self.data.shape, self.data.dtype))
        else:
            gradient = np.asarray(gradient.data if isinstance(gradient, Tensor) else gradient)
            if gradient.shape != self.data.shape:
                raise ValueError(f"backward(gradient): gradient shape {gradient.shape} does not "
                                 f"match tensor shape {self.data.shape}")
            gradient = gradient.astype(self.data.dtype, copy=False)
        if self.grad_fn is None:
            self._accumulate_grad(_run_hooks(self, gradient))
            return
        _engine.run_backward(self, gradient, retain_graph)

    def _accumulate_grad(self, g):
        if self.grad is None:
            # Copy: g may be shared with another input of the same op (e.g. both sides of +).
            self.grad = np.array(g, dtype=self.data.dtype, copy=True)
        else:
            self.grad += g


    # ---- PyTorch Tensor methods (parity-ops) ---------------------------------------------------
    # Doors into the modules where each op is written once, for both t.<name>(...) and
    # fg.<name>(t, ...): ops_math (elementwise), ops_shape, ops_reduce, dtypes, device.
    def size(self, dim=None):
        """The shape as fg.Size, or the length of one dimension (torch.Tensor.size)."""
        if dim is None:
            return _Size(self.data.shape)
        return self.data.shape[_shape.normalize_dim(dim, self.data.ndim, "size: dim")]

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
        if dtype is None or dtype == self.data.dtype:
            return _shape.clone(self) if copy else self
        return _ops.Cast.apply(self, dtype)

    def type(self, dtype=None):
        """type() is PyTorch's type string ('torch.FloatTensor'); type(dtype) casts."""
        if dtype is None:
            return _dtypes.type_name(self.data.dtype)
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
        return self.data.dtype.kind == "f"

    def __format__(self, spec):
        # As PyTorch: a 0-d tensor formats as its number (f"{loss:.4f}"); others only plainly.
        if self.data.ndim == 0:
            return format(self.data.item(), spec)
        return object.__format__(self, spec)

    def __index__(self):
        # As PyTorch: a one-element integer tensor can index a list (classes[t.argmax()]).
        if self.data.dtype.kind not in "iu" or self.data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an "
                            f"index, not dtype {self.data.dtype} of shape {self.data.shape}")
        return int(self.data.reshape(-1)[0])

    def pow(self, exponent):
        """self ** exponent (torch.pow)."""
        return _math.pow(self, exponent)

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
            return _reduce.Min.apply(self, _reduce.normalize_dims(axis, self.data.ndim, "axis"),
                                     bool(keepdims))
        return _reduce.min(self, dim, keepdim)

    def argmax(self, dim=None, keepdim=False):
        """Index of the largest element, of the flattened tensor or along dim."""
        return _reduce.argmax(self, dim, keepdim)

    def argmin(self, dim=None, keepdim=False):
        """Index of the smallest element, of the flattened tensor or along dim."""
        return _reduce.argmin(self, dim, keepdim)


def _run_hooks(t, g):
    """t's gradient after its hooks: each sees the current one and may replace it."""
    for hook in t._hooks or ():
        replaced = hook(g)
        if replaced is not None:
            g = np.asarray(getattr(replaced, "data", replaced))
    return g


class _HookHandle:
    __slots__ = ("_hooks", "_hook")

    def __init__(self, hooks, hook):
        self._hooks, self._hook = hooks, hook

    def remove(self):
        if self._hook in self._hooks:
            self._hooks.remove(self._hook)


def tensor(data, requires_grad=False, dtype=None, device=None):
    """fg.tensor(data): a new leaf tensor holding a copy of data."""
    _device.check(device, "tensor: device")
    arr = data.data if isinstance(data, Tensor) else data
    return Tensor(np.array(arr, copy=True), requires_grad=requires_grad, dtype=dtype)


from . import _engine  # noqa: E402  (the engine and the ops need Tensor defined first)
from . import ops as _ops  # noqa: E402

_ops.install_tensor_methods(Tensor)

from . import device as _device  # noqa: E402  (the parity-ops methods above call these)
from . import dtypes as _dtypes  # noqa: E402
from . import ops_math as _math  # noqa: E402
from . import ops_reduce as _reduce  # noqa: E402
from . import ops_shape as _shape  # noqa: E402
from .size import Size as _Size  # noqa: E402
