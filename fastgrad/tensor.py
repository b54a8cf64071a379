"""Tensor: a NumPy array that remembers how it was made, so the chain rule can run backwards.

A tensor produced by an operation keeps that operation's context (`grad_fn`): which op, which
input tensors, and whatever the op saved for its derivative. `backward()` walks those links from
the output back to every leaf, multiplying each op's local derivative into the gradient that
arrives from above, and summing where a tensor feeds several ops. The ops themselves, each
forward beside its derivative, live in ops.py.
"""
import numpy as np

from . import _grad_mode

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

    @classmethod
    def _from_op(cls, data, grad_fn):
        """The ops' fast constructor: data is already a proper array, no conversion."""
        t = object.__new__(cls)
        t.data = data
        t.grad = None
        t.grad_fn = grad_fn
        t.requires_grad = grad_fn is not None
        t._retains_grad = False
        t._hooks = None
        return t

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
        return Tensor._from_op(self.data, None)

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

        # Gradient of the output w.r.t. each tensor reached so far, keyed by id: a tensor's ==
        # is elementwise, so tensors never serve as dict keys themselves.
        grads = {id(self): gradient}
        leaves = {}  # the leaves reached, in the order their first gradient arrived
        mode = _grad_mode.state  # the derivatives' own arithmetic records no graph
        recording, mode.enabled = mode.enabled, False
        try:
            for t in _topological_order(self):
                g = grads.pop(id(t), None)
                if g is None:  # every op on the way here returned None for it: no gradient
                    continue
                if t._hooks:
                    g = _run_hooks(t, g)
                if t._retains_grad:
                    t._accumulate_grad(g)
                # Local derivative x upstream gradient, one input at a time.
                ctx = t.grad_fn
                input_grads = ctx.backward(g)
                if not retain_graph:
                    ctx.release()
                for parent, pg in zip(ctx.parents, input_grads):
                    if pg is None or parent is None or not parent.requires_grad:
                        continue
                    if type(pg) is not np.ndarray:
                        pg = np.asarray(pg.data if isinstance(pg, Tensor) else pg)
                    if pg.shape != parent.data.shape:
                        raise RuntimeError(f"{ctx.name}.backward returned a gradient of shape "
                                           f"{pg.shape} for an input of shape {parent.shape}")
                    key = id(parent)
                    prev = grads.get(key)
                    # Sum over every path from the output to this tensor.
                    grads[key] = pg if prev is None else prev + pg
                    if prev is None and parent.grad_fn is None:
                        leaves[key] = parent
            # A leaf has no inputs, so its gradient is complete once every op has run.
            for key, leaf in leaves.items():
                leaf._accumulate_grad(_run_hooks(leaf, grads[key]))
        finally:
            mode.enabled = recording

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


def _topological_order(root):
    """The op outputs reachable from root (leaves left out), each after every tensor that
    consumes it (outputs first).

    Iterative depth-first search, so deep graphs never hit Python's recursion limit; parents
    are visited in argument order, so the order and hence the float sums are deterministic.
    """
    # The usual graph, a model's output through a loss, is a chain: each op has one op input.
    order, t = [root], root
    while True:
        ops = [p for p in t.grad_fn.parents if p is not None and p.grad_fn is not None]
        if not ops:
            return order
        if len(ops) > 1:
            break  # branches or joins: the general search below
        t = ops[0]
        order.append(t)

    order, visited = [], set()  # visited holds ids; the order list keeps the tensors alive
    stack = [(root, False)]
    while stack:
        t, expanded = stack.pop()
        if expanded:  # all of t's inputs are in order already: t finishes after them
            order.append(t)
            continue
        if id(t) in visited:
            continue
        visited.add(id(t))
        stack.append((t, True))
        for parent in reversed(t.grad_fn.parents):
            if parent is not None and parent.grad_fn is not None and id(parent) not in visited:
                stack.append((parent, False))
    order.reverse()
    return order


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


from . import ops as _ops  # noqa: E402  (ops needs Tensor defined first)

_ops.install_tensor_methods(Tensor)
