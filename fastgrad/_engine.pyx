# cython: language_level=3
"""fastgrad._engine: the autograd core, compiled: the graph node, recording an op, the walk back.

This is the bookkeeping every op of every step goes through, so it is Cython rather than
Python: recording a one-input op costs about 0.75 us here against 1.7 in Python, and a T
training step (README) went from 26 to 21 us. It holds no kernels and no maths: each op's
forward and local derivative stay in Python beside each other (ops.py, nn/), and Tensor, its
checks and its hooks stay in tensor.py.

    Context        one node of the graph: the op, its input tensors, what it saved
    apply          runs an op's forward and, when a gradient will be wanted, records its node
    run_backward   the chain rule: from the output back to every leaf, summing over paths
"""
cimport numpy as cnp

import numpy as np

from . import _grad_mode
from .tensor import Tensor, _run_hooks

cnp.import_array()

cdef object _mode = _grad_mode.state  # thread-local; read through, never cached per thread


cdef class Context:
    """One node of the graph: the op (fn), its inputs (parents, None where an argument was
    not a tensor), which of them want a gradient, and what forward saved for backward.
    Forward may also set any attribute of its own on it (ctx.reduction = ...)."""

    cdef public object fn
    cdef public tuple parents
    cdef public tuple needs_input_grad
    cdef public tuple saved_tensors
    cdef public bint _released
    cdef dict __dict__

    def __init__(self, fn, parents, needs_input_grad):
        self._start(fn, tuple(parents), tuple(needs_input_grad))

    cdef _start(self, fn, tuple parents, tuple needs_input_grad):
        """Every field set: __init__'s work, also for apply's Context.__new__ (which skips the
        Python-level call of __init__)."""
        self.fn = fn
        self.parents = parents
        self.needs_input_grad = needs_input_grad
        self.saved_tensors = ()
        self._released = False

    @property
    def name(self):
        return self.fn.__name__ + "Backward"

    def save_for_backward(self, *arrays):
        self.saved_tensors = arrays

    cpdef tuple backward(self, grad):
        """The op's local derivative times grad: one gradient per input (None for none)."""
        if self._released:
            raise RuntimeError(f"{self.name}: trying to backward through the graph a second "
                               "time; pass retain_graph=True to the first backward()")
        grads = self.fn.backward(self, grad)
        # A user's backward may return one gradient bare, or Tensors (unwrapped by the walk).
        if type(grads) is tuple:
            return grads
        return tuple(grads) if isinstance(grads, tuple) else (grads,)

    cpdef release(self):
        """Frees what forward saved once backward has used it (PyTorch's retain_graph=False)."""
        self.saved_tensors = ()
        self._released = True


cpdef object new_tensor(object data, object grad_fn):
    """A Tensor around an array that is already what a tensor holds (no conversion): the
    constructor of every op's output."""
    t = Tensor.__new__(Tensor)
    t.data = data
    t.grad = None
    t.grad_fn = grad_fn
    t.requires_grad = grad_fn is not None
    t._retains_grad = False
    t._hooks = None
    return t


def apply(cls, *args):
    """Function.apply: forward on the arrays inside the tensor arguments (other arguments are
    passed as they are); the output records a Context when grad mode is on, some input
    requires grad and the output is floating point."""
    cdef Py_ssize_t n = len(args), i
    cdef list parents = [None] * n
    cdef list needs = [False] * n
    cdef list inputs = list(args)
    cdef bint wanted = False
    for i in range(n):
        a = args[i]
        if isinstance(a, Tensor):
            parents[i] = a
            inputs[i] = a.data
            if a.requires_grad:
                needs[i] = wanted = True
    cdef Context ctx = Context.__new__(Context)
    ctx._start(cls, tuple(parents), tuple(needs))
    out = cls.forward(ctx, *inputs)
    if not cnp.PyArray_Check(out):
        out = np.asarray(out)
    if wanted and cnp.PyArray_ISFLOAT(<cnp.ndarray>out) and _mode.enabled:
        return new_tensor(out, ctx)
    return new_tensor(out, None)


def run_backward(root, gradient, bint retain_graph):
    """Propagates gradient (d out / d root) from root, a tensor made by an op, into every leaf
    it depends on: each node's backward turns the gradient of its output into those of its
    inputs, and a tensor reached along several paths gets their sum."""
    # Gradient w.r.t. each tensor reached so far, keyed by id: a tensor's == is elementwise,
    # so tensors never serve as dict keys themselves.
    cdef dict grads = {id(root): gradient}
    cdef dict leaves = {}  # the leaves reached, in the order their first gradient arrived
    cdef Context ctx
    cdef tuple parents, input_grads
    cdef Py_ssize_t i, n
    recording = _mode.enabled
    _mode.enabled = False  # the derivatives' own arithmetic records no graph
    try:
        for t in topological_order(root):
            g = grads.pop(id(t), None)
            if g is None:  # every op on the way here returned None for it: no gradient
                continue
            if t._hooks:
                g = _run_hooks(t, g)
            if t._retains_grad:
                t._accumulate_grad(g)
            ctx = t.grad_fn
            input_grads = ctx.backward(g)  # the local derivative times the upstream gradient
            if not retain_graph:
                ctx.release()
            parents = ctx.parents
            n = min(len(parents), len(input_grads))
            for i in range(n):
                pg = input_grads[i]
                parent = parents[i]
                if pg is None or parent is None or not parent.requires_grad:
                    continue
                if not cnp.PyArray_CheckExact(pg):
                    pg = np.asarray(pg.data if isinstance(pg, Tensor) else pg)
                if pg.shape != parent.data.shape:
                    raise RuntimeError(f"{ctx.name}.backward returned a gradient of shape "
                                       f"{pg.shape} for an input of shape {parent.shape}")
                key = id(parent)
                prev = grads.get(key)
                grads[key] = pg if prev is None else prev + pg  # sum over every path
                if prev is None and parent.grad_fn is None:
                    leaves[key] = parent
        # A leaf has no inputs, so its gradient is complete once every op has run.
        for key, leaf in leaves.items():
            leaf._accumulate_grad(_run_hooks(leaf, grads[key]))
    finally:
        _mode.enabled = recording


cpdef list topological_order(root):
    """The op outputs reachable from root (leaves left out), each after every tensor that
    consumes it (outputs first).

    Iterative depth-first search, so deep graphs never hit a recursion limit; parents are
    visited in argument order, so the order and hence the float sums are deterministic.
    """
    # The usual graph, a model's output through a loss, is a chain: each op has one op input.
    cdef list order = [root], ops
    t = root
    while True:
        ops = [p for p in (<Context?>t.grad_fn).parents if p is not None and p.grad_fn is not None]
        if not ops:
            return order
        if len(ops) > 1:
            break  # branches or joins: the general search below
        t = ops[0]
        order.append(t)

    order = []
    cdef set visited = set()  # ids; the order list keeps the tensors alive
    cdef list stack = [(root, False)]
    while stack:
        t, expanded = stack.pop()
        if expanded:  # all of t's inputs are in order already: t finishes after them
            order.append(t)
            continue
        if id(t) in visited:
            continue
        visited.add(id(t))
        stack.append((t, True))
        for parent in reversed((<Context?>t.grad_fn).parents):
            if parent is not None and parent.grad_fn is not None and id(parent) not in visited:
                stack.append((parent, False))
    order.reverse()
    return order


def grad_targets(tensors, needs, list grads):
    """Where an op that writes its inputs' gradients itself should write each one, and
    whether to add to what is there: two lists, (array or None, 0 or 1) per tensor.

    A plain leaf (no grad_fn, no hooks) gets its gradient written straight into its .grad, as
    the walk would have accumulated it: added to (1) when .grad is an array of the right
    shape and dtype that may be written, else into a new .grad (0). Any other tensor that
    wants a gradient gets a new array, also stored in grads[i] for the op to return to the
    walk. A tensor that wants none gets None.

    Entries are settled last to first, the order a stack's backward writes them (top layer
    first): a tensor passed twice gets a new .grad at its last entry and "+=" at the others.
    """
    cdef Py_ssize_t n = len(tensors), i
    cdef list targets = [None] * n
    cdef list accumulate = [0] * n
    cdef cnp.ndarray data, g
    for i in reversed(range(n)):
        if not needs[i]:
            continue
        t = tensors[i]
        data = t.data
        if t.grad_fn is None and not t._hooks:
            old = t.grad
            if old is None:
                t.grad = targets[i] = _empty_like(data)
                continue
            if cnp.PyArray_CheckExact(old):
                g = old
                if (cnp.PyArray_TYPE(g) == cnp.PyArray_TYPE(data)
                        and cnp.PyArray_ISNOTSWAPPED(g) == cnp.PyArray_ISNOTSWAPPED(data)
                        and cnp.PyArray_IS_C_CONTIGUOUS(g) and cnp.PyArray_ISWRITEABLE(g)
                        and cnp.PyArray_SAMESHAPE(g, data)):
                    targets[i] = g
                    accumulate[i] = 1
                    continue
        grads[i] = targets[i] = _empty_like(data)
    return targets, accumulate


cdef inline cnp.ndarray _empty_like(cnp.ndarray a):
    """A new C-contiguous array of a's shape and dtype, uninitialised."""
    return cnp.PyArray_EMPTY(cnp.PyArray_NDIM(a), cnp.PyArray_DIMS(a), cnp.PyArray_TYPE(a), 0)
