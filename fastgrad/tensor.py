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
    size = property(lambda self: self.data.size)
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
        _final_callbacks.begin()
        ran_to_end = False
        try:
            _engine.run_backward(self, gradient, retain_graph)
            ran_to_end = True
        finally:
            _final_callbacks.finish(ran_to_end)  # e.g. DistributedDataParallel's averaging

    def _accumulate_grad(self, g):
        if self.grad is None:
            # Copy: g may be shared with another input of the same op (e.g. both sides of +).
            self.grad = np.array(g, dtype=self.data.dtype, copy=True)
        else:
            self.grad += g


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


def tensor(data, requires_grad=False, dtype=None):
    """fg.tensor(data): a new leaf tensor holding a copy of data."""
    arr = data.data if isinstance(data, Tensor) else data
    return Tensor(np.array(arr, copy=True), requires_grad=requires_grad, dtype=dtype)


from . import _engine, _final_callbacks  # noqa: E402  (the engine and the ops need Tensor defined first)
from . import ops as _ops  # noqa: E402

_ops.install_tensor_methods(Tensor)
