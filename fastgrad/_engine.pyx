# cython: language_level=3
"""fastgrad._engine: the autograd core, compiled: the graph node, recording an op, the walk back.

This is the bookkeeping every op of every step goes through, so it is Cython rather than
Python: recording a one-input op costs about 0.75 us here against 1.7 in Python, and a T
training step (README) went from 26 to 21 us. It holds no kernels and no maths: each op's
forward and local derivative stay in Python beside each other (ops.py, nn/), and Tensor, its
checks and its hooks stay in tensor.py.

    Context         one node of the graph: the op, its input tensors, what it saved
    apply           runs an op's forward on arrays and, when a gradient will be wanted,
                    records its node (fastgrad's own ops)
    apply_tensors   the same for a user's autograd.Function, on Tensors as in PyTorch
    run_backward    the chain rule: from the output back to every leaf, summing over paths

Gradients land in leaves under a lock (one of a few stripes, chosen by the tensor), so two
threads calling backward() through shared parameters both land their contributions.
"""
cimport numpy as cnp

import threading

import numpy as np

from . import _grad_mode
from .tensor import Tensor, _run_hooks

cnp.import_array()

cdef object _mode = _grad_mode.state  # thread-local; read through, never cached per thread


cdef class Context:
    """One node of the graph (what `t.grad_fn` is): the op (fn), its inputs (parents, None
    where an argument was not a tensor), which of them want a gradient, and what forward
    saved for backward. Forward may also set any attribute of its own on it
    (ctx.reduction = ...)."""

    cdef public object fn
    cdef public tuple parents
    cdef public tuple needs_input_grad
    cdef public tuple saved_tensors
    cdef public bint _released
    cdef public bint _recording     # the output will be recorded: saved tensors are versioned
    cdef public bint _tensor_level  # a user's autograd.Function: Tensors in and out
    cdef public list _saved_versions  # (tensor, its version when saved), checked by backward
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
        self._recording = False
        self._tensor_level = False
        self._saved_versions = None

    @property
    def name(self):
        """PyTorch's name for the node of this op, e.g. AddBackward0."""
        name = self.fn.__name__
        if name.endswith("Function") and len(name) > 8:
            name = name[:len(name) - 8]
        return name + "Backward0"

    def __repr__(self):
        return f"<{self.name} object at {id(self):#x}>"

    def save_for_backward(self, *tensors):
        """Keeps what backward needs (ctx.saved_tensors). A tensor saved here and changed in
        place before backward() makes backward raise, as in PyTorch."""
        self.saved_tensors = tensors
        if not self._recording:
            return
        if self._tensor_level:
            self._saved_versions = [(t, t._version) for t in tensors if isinstance(t, Tensor)]
        else:
            self._saved_versions = _saved_inputs(self.parents, tensors)

    cpdef tuple backward(self, grad):
        """The op's local derivative times grad: one gradient per input (None for none)."""
        if self._released:
            raise RuntimeError(f"{self.name}: trying to backward through the graph a second "
                               "time; pass retain_graph=True to the first backward()")
        if self._saved_versions is not None:
            self._check_versions()
        if self._tensor_level:
            return self._tensor_backward(grad)
        grads = self.fn.backward(self, grad)
        if type(grads) is tuple:
            return grads
        return tuple(grads) if isinstance(grads, tuple) else (grads,)

    cdef _check_versions(self):
        for t, version in self._saved_versions:
            if t._version != version:
                raise RuntimeError(
                    "one of the variables needed for gradient computation has been modified by "
                    f"an in-place operation: [{t.dtype} tensor of shape {tuple(t.shape)}], an "
                    f"input or output of {self.name}, is at version {t._version}; expected "
                    f"version {version} instead")

    cdef tuple _tensor_backward(self, grad):
        """A user's backward: receives the gradient as a Tensor, returns one gradient (Tensor
        or None) per argument of forward; the arrays go back to the walk."""
        grads = self.fn.backward(self, new_tensor(grad, None))
        if not isinstance(grads, tuple):
            grads = (grads,)
        cdef Py_ssize_t expected = len(self.parents), got = len(grads), i
        if got < expected or any(g is not None for g in grads[expected:]):
            raise RuntimeError(f"function {self.name} returned an incorrect number of gradients "
                               f"(expected {expected}, got {got})")
        out = []
        for i in range(expected):
            g = grads[i]
            if g is None:
                out.append(None)
                continue
            if self.parents[i] is None:
                raise RuntimeError(f"function {self.name} returned a gradient other than None "
                                   f"at position {i + 1}, but forward's argument there is not "
                                   "a tensor")
            out.append(g._data if isinstance(g, Tensor) else np.asarray(g))
        return tuple(out)

    cpdef release(self):
        """Frees what forward saved once backward has used it (PyTorch's retain_graph=False)."""
        self.saved_tensors = ()
        self._saved_versions = None
        self._released = True


cdef list _saved_inputs(tuple parents, tuple saved):
    """(input, version) for each input tensor whose array is among the saved ones (or inside a
    saved list or tuple, as a stack of layers saves its weights)."""
    cdef list found = None
    for p in parents:
        if p is None:
            continue
        data = p._data
        for s in saved:
            if s is data or ((type(s) is list or type(s) is tuple) and _holds(s, data)):
                if found is None:
                    found = []
                found.append((p, p._version))
                break
    return found


cdef bint _holds(seq, obj):
    for item in seq:
        if item is obj:
            return True
    return False


cpdef object new_tensor(object data, object grad_fn):
    """A Tensor around an array that is already what a tensor holds (no conversion): the
    constructor of every op's output."""
    t = Tensor.__new__(Tensor)
    t._data = data
    t._grad = None
    t._grad_view = None
    t.grad_fn = grad_fn
    t.requires_grad = grad_fn is not None
    t._retains_grad = False
    t._hooks = None
    t._version = 0
    return t


def apply(cls, *args):
    """Function.apply for fastgrad's own ops: forward on the arrays inside the tensor
    arguments (other arguments are passed as they are); the output records a Context when
    grad mode is on, some input requires grad and the output is floating point."""
    cdef Py_ssize_t n = len(args), i
    cdef list parents = [None] * n
    cdef list needs = [False] * n
    cdef list inputs = list(args)
    cdef bint wanted = False
    for i in range(n):
        a = args[i]
        if isinstance(a, Tensor):
            parents[i] = a
            inputs[i] = a._data
            if a.requires_grad:
                needs[i] = wanted = True
    cdef Context ctx = Context.__new__(Context)
    ctx._start(cls, tuple(parents), tuple(needs))
    ctx._recording = wanted and _mode.enabled
    out = cls.forward(ctx, *inputs)
    if not cnp.PyArray_Check(out):
        out = np.asarray(out)
    if ctx._recording and cnp.PyArray_ISFLOAT(<cnp.ndarray>out):
        t = new_tensor(out, ctx)
        if ctx.saved_tensors and _holds(ctx.saved_tensors, out):  # saved its own output
            if ctx._saved_versions is None:
                ctx._saved_versions = []
            ctx._saved_versions.append((t, 0))
        return t
    return new_tensor(out, None)


def apply_tensors(cls, *args):
    """Function.apply for a user's autograd.Function, as PyTorch's: forward receives the
    arguments as given (Tensors) and runs without recording; its output Tensor records one
    Context when grad mode is on and some input requires grad."""
    cdef Py_ssize_t n = len(args), i
    cdef list parents = [None] * n
    cdef list needs = [False] * n
    cdef bint wanted = False
    for i in range(n):
        a = args[i]
        if isinstance(a, Tensor):
            parents[i] = a
            if a.requires_grad:
                needs[i] = wanted = True
    cdef Context ctx = Context.__new__(Context)
    ctx._start(cls, tuple(parents), tuple(needs))
    ctx._tensor_level = True
    recording = _mode.enabled
    ctx._recording = wanted and recording
    _mode.enabled = False
    try:
        out = cls.forward(ctx, *args)
    finally:
        _mode.enabled = recording
    if isinstance(out, (tuple, list)):
        raise TypeError(f"{cls.__name__}.forward returned {len(out)} outputs; fastgrad's "
                        "autograd.Function supports one output Tensor")
    if not isinstance(out, Tensor):
        out = new_tensor(np.asarray(out), None)
    if not (ctx._recording and cnp.PyArray_ISFLOAT(<cnp.ndarray>out._data)):
        return out if out.grad_fn is None else new_tensor(out._data, None)
    if out.grad_fn is None and not out.requires_grad and not _holds(args, out):
        out.grad_fn = ctx  # a new tensor forward made: it becomes the node's output
        out.requires_grad = True
        return out
    return new_tensor(out._data, ctx)


# ---- gradients into leaves, under a lock --------------------------------------------------------

cdef tuple _stripes = tuple(threading.RLock() for _ in range(64))


cdef object _stripe(t):
    """The lock guarding t's .grad: one of a fixed set, chosen by the tensor's identity."""
    return _stripes[(id(t) >> 4) & 63]


cpdef accumulate_leaf(t, g):
    """t.grad += g (a new array the first time), under t's lock."""
    lock = _stripe(t)
    lock.acquire()
    try:
        t._accumulate_grad(g)
    finally:
        lock.release()


class _WalkState(threading.local):
    walk = None  # the _Walk of the backward() running in this thread, if any


cdef object _current = _WalkState()


cdef class _Walk:
    """What one backward() has done that must be undone or released: the locks an op that
    writes into leaves' .grad holds while it runs, and the .grad arrays made on the way (set
    back to None if the walk fails, so no half-written gradient is left)."""

    cdef list held
    cdef list created

    def __init__(self):
        self.held = []
        self.created = []

    cdef release_held(self):
        while self.held:
            self.held.pop().release()

    cdef rollback(self):
        for t, g in self.created:
            if t._grad is g:
                t._grad = None


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
    cdef _Walk walk = _Walk()
    outer = _current.walk
    _current.walk = walk
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
                accumulate_leaf(t, g)
            ctx = t.grad_fn
            try:
                input_grads = ctx.backward(g)  # the local derivative times the upstream gradient
            finally:
                walk.release_held()
            if not retain_graph:
                ctx.release()
            parents = ctx.parents
            n = min(len(parents), len(input_grads))
            for i in range(n):
                pg = input_grads[i]
                parent = parents[i]
                if pg is None or parent is None or not parent.requires_grad:
                    continue
                if not cnp.PyArray_CheckExact(pg) or not cnp.PyArray_ISFLOAT(<cnp.ndarray>pg):
                    pg = _real_gradient(pg, ctx)
                if pg.shape != parent._data.shape:
                    raise RuntimeError(f"{ctx.name}.backward returned a gradient of shape "
                                       f"{pg.shape} for an input of shape {parent.shape}")
                key = id(parent)
                prev = grads.get(key)
                grads[key] = pg if prev is None else prev + pg  # sum over every path
                if prev is None and parent.grad_fn is None:
                    leaves[key] = parent
        # A leaf has no inputs, so its gradient is complete once every op has run. Its hooks
        # all run before any .grad changes, so a failing hook leaves every .grad as it was.
        finished = [(leaf, _run_hooks(leaf, grads[key])) for key, leaf in leaves.items()]
        for leaf, g in finished:
            accumulate_leaf(leaf, g)
    except BaseException:
        walk.rollback()
        raise
    finally:
        _mode.enabled = recording
        _current.walk = outer


cdef object _real_gradient(pg, Context ctx):
    """An op's gradient as a real array: a Tensor unwrapped, integers made float; complex or
    object values refused (they would be silently coerced)."""
    pg = np.asarray(pg._data if isinstance(pg, Tensor) else pg)
    if pg.dtype.kind in "biu":
        return pg.astype(np.float32)
    if pg.dtype.kind != "f":
        raise TypeError(f"{ctx.name}.backward returned a gradient of dtype {pg.dtype}; "
                        "gradients hold real numbers")
    return pg


cpdef list topological_order(root):
    """The op outputs reachable from root (leaves left out), each after every tensor that
    consumes it (outputs first).

    Iterative depth-first search, so deep graphs never hit a recursion limit; parents are
    visited in argument order, so the order and hence the float sums are deterministic. A
    cycle (only possible by editing a node's parents by hand) raises.
    """
    # The usual graph, a model's output through a loss, is a chain: each op has one op input.
    cdef list order = [root], ops
    cdef set seen = {id(root)}
    t = root
    while True:
        ops = [p for p in (<Context?>t.grad_fn).parents if p is not None and p.grad_fn is not None]
        if not ops:
            return order
        if len(ops) > 1:
            break  # branches or joins: the general search below
        t = ops[0]
        if id(t) in seen:
            _cycle(t)
        seen.add(id(t))
        order.append(t)

    order = []
    cdef dict state = {}  # id -> 1 while its inputs are being searched, 2 once it is placed
    cdef list stack = [(root, False)]
    while stack:
        t, expanded = stack.pop()
        if expanded:  # all of t's inputs are in order already: t finishes after them
            state[id(t)] = 2
            order.append(t)
            continue
        s = state.get(id(t), 0)
        if s == 2:
            continue
        if s == 1:  # reached again from its own inputs
            _cycle(t)
        state[id(t)] = 1
        stack.append((t, True))
        for parent in reversed((<Context?>t.grad_fn).parents):
            if parent is not None and parent.grad_fn is not None:
                s = state.get(id(parent), 0)
                if s == 1:
                    _cycle(parent)
                if s == 0:
                    stack.append((parent, False))
    order.reverse()
    return order


cdef _cycle(t):
    raise RuntimeError(f"the graph has a cycle through a tensor made by {t.grad_fn.name} "
                       f"(shape {tuple(t.shape)}): a node's parents were set to one of its "
                       "own consumers")


def grad_targets(tensors, needs, list grads):
    """Where an op that writes its inputs' gradients itself should write each one, and
    whether to add to what is there: two lists, (array or None, 0 or 1) per tensor.

    A plain leaf (no grad_fn, no hooks) gets its gradient written straight into its .grad, as
    the walk would have accumulated it: added to (1) when .grad is an array of the right
    shape and dtype that may be written, else into a new .grad (0). Any other tensor that
    wants a gradient gets a new array, also stored in grads[i] for the op to return to the
    walk. A tensor that wants none gets None.

    Inside backward(), the leaves' locks are taken here and released by the walk once the op
    has returned, so another thread's backward cannot write the same .grad meanwhile; a new
    .grad made here is set back to None if the walk fails.

    Entries are settled last to first, the order a stack's backward writes them (top layer
    first): a tensor passed twice gets a new .grad at its last entry and "+=" at the others.
    """
    cdef Py_ssize_t n = len(tensors), i
    cdef list targets = [None] * n
    cdef list accumulate = [0] * n
    cdef cnp.ndarray data, g
    cdef _Walk walk = _current.walk
    if walk is not None:
        _lock_leaves(walk, tensors, needs)
    for i in reversed(range(n)):
        if not needs[i]:
            continue
        t = tensors[i]
        data = t._data
        if t.grad_fn is None and not t._hooks:
            old = t._grad
            if old is None:
                t._grad = targets[i] = _empty_like(data)
                if walk is not None:
                    walk.created.append((t, targets[i]))
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


cdef _lock_leaves(_Walk walk, tensors, needs):
    """Takes the locks of the leaves among tensors, in one global order (no deadlock)."""
    cdef Py_ssize_t i
    cdef list idx = []
    for i in range(len(tensors)):
        if needs[i]:
            t = tensors[i]
            if t.grad_fn is None:
                idx.append((id(t) >> 4) & 63)
    for k in sorted(set(idx)):
        lock = _stripes[k]
        lock.acquire()
        walk.held.append(lock)


cdef inline cnp.ndarray _empty_like(cnp.ndarray a):
    """A new C-contiguous array of a's shape and dtype, uninitialised."""
    return cnp.PyArray_EMPTY(cnp.PyArray_NDIM(a), cnp.PyArray_DIMS(a), cnp.PyArray_TYPE(a), 0)
