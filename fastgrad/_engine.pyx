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
cimport cython
cimport numpy as cnp
from cpython.object cimport PyObject
from cpython.ref cimport Py_INCREF, Py_XDECREF
from cpython.weakref cimport PyWeakref_NewRef
from fastgrad._kernels cimport scaled

cdef extern from "Python.h":
    ctypedef struct PyThreadState
    ctypedef struct PyInterpreterState
    PyThreadState *PyThreadState_Get()
    PyInterpreterState *PyThreadState_GetInterpreter(PyThreadState *)
    PyThreadState *PyInterpreterState_ThreadHead(PyInterpreterState *)
    PyThreadState *PyThreadState_Next(PyThreadState *)
    int __builtin_ctzll(unsigned long long) nogil
from cpython.pythread cimport (NOWAIT_LOCK, WAIT_LOCK, PyThread_acquire_lock,
                               PyThread_allocate_lock, PyThread_get_thread_ident,
                               PyThread_release_lock, PyThread_tss_create, PyThread_tss_get,
                               PyThread_tss_set, PyThread_type_lock)

import numpy as np

from . import _final_callbacks, _grad_mode, _kernels
from .functions._arrays import float_contiguous
from .tensor import Tensor, _run_hooks, _set_grad

cnp.import_array()

cdef object _mode = _grad_mode.state  # thread-local; read through, never cached per thread


# ---- a Tensor's slots, read and written directly ------------------------------------------------
# Tensor keeps its fields in __slots__. Reading one from here through Python's attribute lookup
# costs about 150 machine instructions (the type's attribute cache, the descriptor, its getter)
# and the walk and the ops read a few per tensor, about a hundred a small training step. For a
# Tensor or a Parameter, whose slots nothing overrides, the field sits at a fixed offset in the
# object, which these helpers read (and write) in a few instructions. Any other type, such as
# a user's subclass that may turn a field into a property, goes through the attribute lookup.

cdef extern from "structmember.h":
    ctypedef struct PyMemberDef:
        Py_ssize_t offset

cdef extern from "Python.h":
    ctypedef struct PyMemberDescrObject:
        PyMemberDef *d_member


cdef Py_ssize_t _slot_offset(name) except -1:
    """Where Tensor's slot `name` sits in a Tensor object."""
    descr = Tensor.__dict__[name]
    if type(descr).__name__ != "member_descriptor":
        raise TypeError(f"Tensor.{name} is not a slot")
    return (<PyMemberDescrObject *><PyObject *>descr).d_member.offset


cdef Py_ssize_t _DATA = _slot_offset("_data"), _GRAD = _slot_offset("_grad")
cdef Py_ssize_t _GRAD_FN = _slot_offset("grad_fn"), _HOOKS = _slot_offset("_hooks")
cdef Py_ssize_t _REQUIRES_GRAD = _slot_offset("requires_grad")
cdef Py_ssize_t _RETAINS_GRAD = _slot_offset("_retains_grad")
cdef type _parameter_type = Tensor  # nn.Parameter once registered (it adds no slot)
cdef tuple _SLOT_NAMES = ("_data", "_grad", "grad_fn", "_hooks", "requires_grad", "_retains_grad")


def register_parameter_type(cls):
    """Makes cls (nn.Parameter, a Tensor subclass that overrides none of its slots) a type
    whose slots are read directly; refuses a class that would be read wrongly that way."""
    global _parameter_type
    if not (issubclass(cls, Tensor) and cls.__basicsize__ == Tensor.__basicsize__
            and all(getattr(cls, name) is Tensor.__dict__[name] for name in _SLOT_NAMES)):
        raise TypeError(f"{cls.__name__} adds or overrides Tensor's slots: its fields cannot "
                        "be read at Tensor's offsets")
    _parameter_type = cls


cdef inline object _field(t, Py_ssize_t offset, str name):
    """t.<name>, read at its offset when t is a Tensor or a Parameter."""
    cdef type tp = type(t)
    cdef PyObject *value
    if tp is Tensor or tp is _parameter_type:
        value = (<PyObject **>(<char *><PyObject *>t + offset))[0]
        if value != NULL:
            return <object>value
    return getattr(t, name)  # also raises AttributeError for a slot never set


cdef inline int _set_field(t, Py_ssize_t offset, str name, value) except -1:
    """t.<name> = value, written at its offset when t is a Tensor or a Parameter."""
    cdef type tp = type(t)
    cdef PyObject **where
    cdef PyObject *old
    if tp is Tensor or tp is _parameter_type:
        where = <PyObject **>(<char *><PyObject *>t + offset)
        old = where[0]
        Py_INCREF(value)
        where[0] = <PyObject *>value
        Py_XDECREF(old)
        return 0
    setattr(t, name, value)
    return 0


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
    cdef public bint _tensor_level  # a user's autograd.Function: Tensors in and out
    # A node that fused layers onto another's output at forward (functions/dense.py): the
    # intermediate tensors it computes inside, as (weak reference, layer, place); else None.
    cdef public tuple swallowed
    # What a dense-stack node keeps besides its arrays (functions/dense.py): each layer's
    # activation code and parameter, and the shape of the stack's input. Fields rather than
    # __dict__ entries, as every Linear of every step records one.
    cdef public object acts, params, x_shape
    # What a loss node keeps besides its saved derivative (functions/loss.py): the reduction
    # and the 'mean' denominator. Fields, as every step's loss records one.
    cdef public object reduction, count
    cdef unsigned long long _saved_at  # the in-place epoch when forward saved its tensors
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
        self._tensor_level = False
        self.swallowed = None
        self.acts = self.params = self.x_shape = None
        self.reduction = self.count = None
        self._saved_at = _epoch

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
        self._saved_at = _epoch

    cpdef tuple backward(self, grad, output=None):
        """The op's local derivative times grad: one gradient per input (None for none).
        output, the tensor this node made, is checked too when it was saved."""
        if self._released:
            raise RuntimeError(f"{self.name}: trying to backward through the graph a second "
                               "time; pass retain_graph=True to the first backward()")
        if _epoch != self._saved_at and self.saved_tensors:  # something changed in place since
            self._check_saved(output)
        if self._tensor_level:
            return self._tensor_backward(grad)
        grads = self.fn.backward(self, grad)
        if type(grads) is tuple:
            return grads
        return tuple(grads) if isinstance(grads, tuple) else (grads,)

    cdef _check_saved(self, output):
        """Raises if a tensor forward saved was changed in place after it was saved: its
        last change is later than the save (PyTorch's version check)."""
        if self._tensor_level:
            changed = [t for t in self.saved_tensors
                       if isinstance(t, Tensor) and getattr(t, "_version", 0) > self._saved_at]
        else:
            candidates = [p for p in self.parents if p is not None]
            if output is not None:
                candidates.append(output)
            for entry in self.swallowed or ():  # a fused node saved its intermediates too
                t = entry[0]()
                if t is not None:
                    candidates.append(t)
            changed = [t for t in candidates if getattr(t, "_version", 0) > self._saved_at
                       and _saved(self.saved_tensors, t._data)]
        if changed:
            t = changed[0]
            raise RuntimeError(
                "one of the variables needed for gradient computation has been modified by an "
                f"in-place operation: a {t.dtype} tensor of shape {tuple(t.shape)} that "
                f"{self.name} saved was changed after forward; compute the gradient first, "
                "or change a copy (x = x + y instead of x += y)")

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
        self._released = True


cdef bint _saved(tuple saved, data):
    """Whether forward saved the array data or a view of its memory (a 3-d input reshaped to
    rows, say), directly or inside a saved list or tuple (a stack of layers saves its weights).
    A view counts as PyTorch's views share their base's version counter."""
    for s in saved:
        if type(s) is list or type(s) is tuple:
            for item in s:
                if _same_memory(item, data):
                    return True
        elif _same_memory(s, data):
            return True
    return False


cdef bint _same_memory(a, b):
    return a is b or (type(a) is np.ndarray and type(b) is np.ndarray
                      and np.may_share_memory(a, b))


cdef bint _holds(seq, obj):
    for item in seq:
        if item is obj:
            return True
    return False


# ---- in-place changes ----------------------------------------------------------------------------
# Every in-place change of a tensor takes the next value of one process-wide counter (its
# "epoch") and stores it as the tensor's _version. A node remembers the epoch when forward saved
# its tensors: if the counter has not moved since, nothing can have changed (one comparison per
# node, the usual case); if it has, a saved tensor whose _version is later was changed after
# being saved, and backward raises instead of using the changed values.

cdef unsigned long long _epoch = 0


cpdef modified(t):
    """Records that t's values were just changed in place."""
    global _epoch
    _epoch += 1
    t._version = _epoch


def modified_all(tensors):
    """modified() for each of tensors (an optimizer step changes every parameter)."""
    global _epoch
    _epoch += 1
    for t in tensors:
        t._version = _epoch


cpdef Context node_like(Context like, fn, tuple parents, tuple needs_input_grad):
    """A new node for fn that counts as having saved its tensors when `like` did, so an
    in-place change since then makes its backward raise: for a node built from another's saved
    arrays (functions/dense.py)."""
    cdef Context ctx = Context.__new__(Context)
    ctx._start(fn, parents, needs_input_grad)
    ctx._saved_at = like._saved_at
    return ctx


cpdef bint unchanged_since(Context ctx):
    """Whether no tensor has been changed in place since ctx saved its tensors."""
    return _epoch == ctx._saved_at


cpdef object new_tensor(object data, object grad_fn):
    """A Tensor around an array that is already what a tensor holds (no conversion): the
    constructor of every op's output."""
    t = Tensor.__new__(Tensor)
    _set_field(t, _DATA, "_data", data)
    _set_field(t, _GRAD, "_grad", None)
    _set_field(t, _GRAD_FN, "grad_fn", grad_fn)
    _set_field(t, _REQUIRES_GRAD, "requires_grad", grad_fn is not None)
    _set_field(t, _RETAINS_GRAD, "_retains_grad", False)
    _set_field(t, _HOOKS, "_hooks", None)
    return t


# ---- the arithmetic operators' fast paths ----------------------------------------------------------

cpdef object binary(op, ufunc, a, b, bint reflected):
    """a (op) b, or b (op) a when reflected, for a Tensor a, when no type promotion is needed:
    b a Python number and a floating point, or b a Tensor of a's dtype. Without a gradient to
    record, an elementwise op is its ufunc alone (no graph node: updates by hand, evaluation).
    None when promotion is needed (the caller promotes)."""
    cdef cnp.ndarray ad = a._data
    if type(b) is float or type(b) is int:
        if not cnp.PyArray_ISFLOAT(ad):
            return None
        if ufunc is not None and not (a.requires_grad and _mode.enabled):
            return _result(ufunc(b, ad) if reflected else ufunc(ad, b))
        return op.apply(b, a) if reflected else op.apply(a, b)
    if reflected or not isinstance(b, Tensor):
        return None
    bd = b._data
    if cnp.PyArray_TYPE(ad) != cnp.PyArray_TYPE(<cnp.ndarray?>bd):
        return None
    if ufunc is not None and not ((a.requires_grad or b.requires_grad) and _mode.enabled):
        return _result(ufunc(ad, bd))
    return op.apply(a, b)


cdef class GradAttribute:
    """The accumulated gradient as a Tensor sharing memory with it, or None (torch.Tensor.grad);
    the same Tensor while the gradient array is the same. Assign a Tensor of the tensor's shape
    and dtype, or None."""

    def __get__(self, t, owner):
        if t is None:
            return self
        g = t._grad
        if g is None:
            return None
        view = getattr(t, "_grad_view", None)
        if view is None or view._data is not g:
            view = new_tensor(g, None)
            t._grad_view = view
        return view

    def __set__(self, t, value):
        _set_grad(t, value)


def operator(op, ufunc, bint reflected, promote):
    """The Tensor method for a (op) b (b (op) a when reflected), compiled as every step runs
    it: binary's fast path, else the operands promoted as PyTorch does (promote(x, y))."""
    def method(a, b):
        out = binary(op, ufunc, a, b, reflected)
        if out is not None:
            return out
        return op.apply(*(promote(b, a) if reflected else promote(a, b)))
    return method


def inplace_operator(ufunc, fallback):
    """The Tensor method for a (op)= b, compiled: inplace's fast path, else
    fallback(a, b) (PyTorch's rules, recording, errors)."""
    def method(a, b):
        done = inplace(a, b, ufunc)
        return done if done is not None else fallback(a, b)
    return method


cdef inline object _result(out):
    """A ufunc's result as a tensor (NumPy gives a scalar for 0-d operands)."""
    return new_tensor(out if cnp.PyArray_CheckExact(out) else np.asarray(out), None)


cpdef object inplace(t, other, ufunc):
    """t (op)= other in place when nothing is to be recorded and the result fits t; None
    otherwise (the caller applies PyTorch's rules, records the op or explains the error)."""
    if _mode.enabled and (t.requires_grad or isinstance(other, Tensor) and other.requires_grad):
        return None
    data = t._data
    try:
        ufunc(data, other._data if isinstance(other, Tensor) else other, data)  # out=data
    except (TypeError, ValueError):
        return None
    modified(t)
    return t


def apply(cls, *args):
    """Function.apply for fastgrad's own ops: forward on the arrays inside the tensor
    arguments (other arguments are passed as they are); the output records a Context when
    grad mode is on, some input requires grad and the output is floating point."""
    return _apply(cls, args)


cdef object _apply(cls, tuple args):
    """apply's body, called without a Python call by what already holds the arguments."""
    cdef Py_ssize_t n = len(args), i
    cdef list parents = [None] * n
    cdef list needs = [False] * n
    cdef list inputs = list(args)
    cdef bint wanted = False
    for i in range(n):
        a = args[i]
        if isinstance(a, Tensor):
            parents[i] = a
            inputs[i] = _field(a, _DATA, "_data")
            if _field(a, _REQUIRES_GRAD, "requires_grad"):
                needs[i] = wanted = True
    cdef Context ctx = Context.__new__(Context)
    ctx._start(cls, tuple(parents), tuple(needs))
    out = cls.forward(ctx, *inputs)
    if not cnp.PyArray_Check(out):
        out = np.asarray(out)
    if wanted and cnp.PyArray_ISFLOAT(<cnp.ndarray>out) and _mode.enabled:
        return new_tensor(out, ctx)
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
    if not (wanted and recording and cnp.PyArray_ISFLOAT(<cnp.ndarray>out._data)):
        return out if out.grad_fn is None else new_tensor(out._data, None)
    if out.grad_fn is None and not out.requires_grad and not _holds(args, out):
        out.grad_fn = ctx  # a new tensor forward made: it becomes the node's output
        out.requires_grad = True
        return out
    return new_tensor(out._data, ctx)


# ---- gradients into leaves, under a lock --------------------------------------------------------
# A leaf's .grad is guarded by one of 64 locks, chosen by the tensor's identity: two threads
# landing gradients in the same parameter take turns; two models rarely share a lock. The locks
# are C-level (re-entrant per thread), as every training step takes one per parameter.

cdef enum:
    N_STRIPES = 64

cdef PyThread_type_lock _locks[N_STRIPES]
cdef unsigned long _owner[N_STRIPES]
cdef int _depth[N_STRIPES]
for _k in range(N_STRIPES):
    _locks[_k] = PyThread_allocate_lock()
    if _locks[_k] == NULL:
        raise MemoryError("fastgrad._engine: cannot allocate the gradient locks")


cdef inline int _stripe(t):
    return (<Py_ssize_t><void *>t >> 4) & (N_STRIPES - 1)


cdef void _acquire(int k):
    """Takes lock k, waiting without the GIL if another thread holds it."""
    cdef unsigned long me = PyThread_get_thread_ident()
    if _depth[k] and _owner[k] == me:
        _depth[k] += 1
        return
    if not PyThread_acquire_lock(_locks[k], NOWAIT_LOCK):
        with nogil:
            PyThread_acquire_lock(_locks[k], WAIT_LOCK)
    _owner[k] = me
    _depth[k] = 1


cdef void _release(int k):
    _depth[k] -= 1
    if _depth[k] == 0:
        PyThread_release_lock(_locks[k])


cdef inline bint _threads() noexcept:
    """Whether another Python thread exists: with none, no other backward() can run
    meanwhile (only this thread could start one), and the locks are skipped."""
    cdef PyThreadState *head = PyInterpreterState_ThreadHead(
        PyThreadState_GetInterpreter(PyThreadState_Get()))
    return head != NULL and PyThreadState_Next(head) != NULL


cpdef accumulate_leaf(t, g):
    """t.grad += g (a new array the first time), under t's lock."""
    if not _threads():
        t._accumulate_grad(g)
        return
    cdef int k = _stripe(t)
    _acquire(k)
    try:
        t._accumulate_grad(g)
    finally:
        _release(k)


cdef Py_tss_t _walk_key  # the _Walk of the backward() running in this thread, if any
if PyThread_tss_create(&_walk_key) != 0:
    raise MemoryError("fastgrad._engine: cannot create thread-specific storage")


cdef class _Walk:
    """What one backward() has done that must be undone or released: the locks an op that
    writes into leaves' .grad holds while it runs, and the .grad arrays made on the way (set
    back to None if the walk fails, so no half-written gradient is left)."""

    cdef unsigned long long held  # bit k: lock k is held for the running op
    cdef list created  # the tensors whose .grad this walk made
    cdef bint capture  # autograd.grad: gradients are returned, no leaf's .grad is written

    cdef release_held(self):
        cdef int k
        while self.held:
            k = __builtin_ctzll(self.held)
            self.held &= self.held - 1
            _release(k)

    cdef rollback(self):
        if self.created is not None:
            for t in self.created:
                t._grad = None


cpdef run_backward(root, gradient, bint retain_graph, tuple inputs=None):
    """Propagates gradient (d out / d root) from root, a tensor made by an op, into every leaf
    it depends on: each node's backward turns the gradient of its output into those of its
    inputs, and a tensor reached along several paths gets their sum.

    With inputs (autograd.grad), no leaf's .grad changes: the walk runs only the nodes that
    lead to one of inputs and returns a dict, id -> the gradient of each input reached."""
    # Gradient w.r.t. each tensor reached so far, keyed by id: a tensor's == is elementwise,
    # so tensors never serve as dict keys themselves.
    cdef dict grads = {id(root): gradient}
    cdef dict leaves = {}  # the leaves reached, in the order their first gradient arrived
    cdef dict captured = None  # with inputs: id -> the gradient of each input reached
    cdef set wanted = None, runs = None  # with inputs: their ids; the nodes that lead to them
    cdef Context ctx
    cdef tuple parents, input_grads
    cdef Py_ssize_t i, n
    cdef _Walk walk = _Walk.__new__(_Walk)
    cdef list fused = None  # the fused nodes run, whose swallowed nodes are released at the end
    cdef list order = topological_order(root)
    if inputs is not None:
        captured = {}
        walk.capture = True
        wanted = {id(t) for t in inputs}
        order, runs = _leading_to(order, wanted)
    cdef void *outer = PyThread_tss_get(&_walk_key)
    PyThread_tss_set(&_walk_key, <void *>walk)
    recording = _mode.enabled
    _mode.enabled = False  # the derivatives' own arithmetic records no graph
    try:
        for t in order:
            g = grads.pop(id(t), None)
            if g is None:  # every op on the way here returned None for it: no gradient
                continue
            if _field(t, _HOOKS, "_hooks"):
                g = _run_hooks(t, g)
            if _field(t, _RETAINS_GRAD, "_retains_grad"):
                accumulate_leaf(t, g)
            if wanted is not None:
                if id(t) in wanted:
                    captured[id(t)] = g
                if id(t) not in runs:
                    continue
            ctx = _field(t, _GRAD_FN, "grad_fn")
            try:
                input_grads = ctx.backward(g, t)  # the local derivative times the upstream gradient
            finally:
                walk.release_held()
            if not retain_graph:
                ctx.release()
                if ctx.swallowed is not None:
                    if fused is None:
                        fused = []
                    fused.append(ctx)
            parents = ctx.parents
            n = min(len(parents), len(input_grads))
            for i in range(n):
                pg = input_grads[i]
                parent = parents[i]
                if (pg is None or parent is None
                        or not _field(parent, _REQUIRES_GRAD, "requires_grad")):
                    continue
                if not cnp.PyArray_CheckExact(pg) or not cnp.PyArray_ISFLOAT(<cnp.ndarray>pg):
                    pg = _real_gradient(pg, ctx)
                if pg.shape != _field(parent, _DATA, "_data").shape:
                    raise RuntimeError(f"{ctx.name}.backward returned a gradient of shape "
                                       f"{pg.shape} for an input of shape {parent.shape}")
                key = id(parent)
                prev = grads.get(key)
                grads[key] = pg if prev is None else prev + pg  # sum over every path
                if prev is None and parent.grad_fn is None:
                    leaves[key] = parent
        if fused is not None:
            _release_swallowed(fused)
        if captured is not None:
            for key, leaf in leaves.items():
                if key in wanted:
                    captured[key] = _run_hooks(leaf, grads[key])
            return captured
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
        PyThread_tss_set(&_walk_key, outer)


cdef tuple _leading_to(list order, set wanted):
    """For autograd.grad: the tensors of order (outputs first) that are wanted or lead to one
    that is, and the ids of those whose node must run (an input of it leads to one)."""
    cdef set leads = set(), runs = set()
    for t in reversed(order):  # each tensor after its inputs
        for p in (<Context>t.grad_fn).parents:
            if p is not None and (id(p) in wanted or id(p) in leads):
                runs.add(id(t))
                break
        if id(t) in runs or id(t) in wanted:
            leads.add(id(t))
    return [t for t in order if id(t) in leads], runs


def backward(self, gradient=None, retain_graph=False, create_graph=False, inputs=None):
    """Propagates d(self)/d(leaf) into every leaf's .grad (accumulating with +=):
    Tensor.backward, compiled as every step calls it. gradient defaults to 1 for a tensor of
    one element; it is taken in self's dtype, as PyTorch does. With inputs (a tensor or a
    sequence of them), only their .grad changes (autograd.backward)."""
    if create_graph or inputs is not None:
        from fastgrad.autograd import backward as backward_from
        backward_from(self, gradient, retain_graph, create_graph, inputs)
        return
    gradient = seed_gradient(self, gradient)
    if self.grad_fn is None:
        accumulate_leaf(self, _run_hooks(self, gradient))
        return
    walk_from(self, gradient, retain_graph)


cpdef object seed_gradient(t, gradient, what="backward()", arg="backward(gradient)"):
    """The array the walk starts from at t: gradient checked and taken in t's dtype, or 1
    when t holds one element and gradient is None. what and arg name the call and the
    argument in errors (autograd.grad passes its own)."""
    if not _field(t, _REQUIRES_GRAD, "requires_grad"):
        raise RuntimeError(f"{what} on a tensor that does not require grad (did the graph get "
                           "built under no_grad, or from detached data?)")
    data = _field(t, _DATA, "_data")
    cdef cnp.ndarray one
    if gradient is None:
        if cnp.PyArray_SIZE(<cnp.ndarray?>data) != 1:
            raise RuntimeError(f"{what} without a gradient needs a scalar output; got shape "
                               f"{t.shape}")
        if cnp.PyArray_NDIM(data) == 0 and cnp.PyArray_TYPE(data) == cnp.NPY_FLOAT32:
            one = cnp.PyArray_EMPTY(0, NULL, cnp.NPY_FLOAT32, 0)  # a training step's loss
            (<float *>cnp.PyArray_DATA(one))[0] = 1
            return one
        if cnp.PyArray_NDIM(data) == 0 and cnp.PyArray_TYPE(data) == cnp.NPY_FLOAT64:
            one = cnp.PyArray_EMPTY(0, NULL, cnp.NPY_FLOAT64, 0)
            (<double *>cnp.PyArray_DATA(one))[0] = 1
            return one
        return (np.array(1, data.dtype) if cnp.PyArray_NDIM(data) == 0
                else np.ones(data.shape, data.dtype))
    gradient = np.asarray(gradient._data if isinstance(gradient, Tensor) else gradient)
    if gradient.dtype.kind not in "biuf":
        raise TypeError(f"{arg}: the gradient must hold real numbers, got dtype "
                        f"{gradient.dtype}")
    if gradient.shape != data.shape:
        raise ValueError(f"{arg}: gradient shape {gradient.shape} does not match tensor "
                         f"shape {data.shape}")
    return gradient.astype(data.dtype, copy=False)


cpdef walk_from(root, gradient, bint retain_graph):
    """run_backward from root, inside a queue of final callbacks when some are in use
    (DistributedDataParallel averages the gradients there once every one is in place)."""
    if not _final_callbacks.active:
        run_backward(root, gradient, retain_graph)
        return
    _final_callbacks.begin()
    ran_to_end = False
    try:
        run_backward(root, gradient, retain_graph)
        ran_to_end = True
    finally:
        _final_callbacks.finish(ran_to_end)


def module_call(self, *args, **kwargs):
    """module(*args, **kwargs): self.forward(*args, **kwargs), as nn.Module.__call__ (there
    are no module hooks). Compiled as every layer of every step passes through it: about 600
    machine instructions a call fewer than the same line as a Python method."""
    return self.forward(*args, **kwargs)


# ---- Sequential's forward and the optimizer's entry points ------------------------------------
# The Python left on a small step's path once the nodes and the walk were compiled: each of
# these runs once a step, and each costs a few hundred machine instructions less here than as
# the same lines of Python (an interpreted frame, its loop and its attribute lookups).

cdef object _module_class = None  # nn.Module, registered by nn/layers.py (its generation)


def register_module(cls):
    """Makes cls (nn.Module) the class whose `generation` tells a Sequential's plan is stale."""
    global _module_class
    _module_class = cls


def linear_forward(self, x):
    """Linear.forward: x @ weight.T + bias (F.linear's own call)."""
    return dense_layer(x, self.weight, self.bias, _NONE, 0.0)


cdef class DenseRun:
    """Consecutive (Linear, fused activation) pairs of a Sequential, called as one
    DenseStackFunction node: acts and params (lists) the activations' codes and parameters,
    weights (a tuple) each layer's weight and bias in turn."""

    cdef readonly list acts, params
    cdef readonly tuple weights

    def __init__(self, list acts, list params, tuple weights):
        self.acts, self.params, self.weights = acts, params, weights

    def __call__(self, x):
        return self.forward(x)

    cdef forward(self, x):
        return _apply(_dense_function, (x, self.acts, self.params) + self.weights)


def sequential_forward(self, x):
    """Sequential.forward: x through the plan (nn/layers.py's _build_plan), rebuilt first when
    any module changed since it was built (Module.generation)."""
    if self.__dict__.get("_plan_generation") != _module_class.generation:
        self._build_plan()
    for step in self._plan:
        if type(step) is DenseRun:  # the usual step: the node without a Python call
            x = (<DenseRun>step).forward(x)
        else:
            x = step(x)
    return x


def kernel_step_group(self, group):
    """_step_group of an optimizer with a C kernel over a whole group (SGD, Adam): the kernel
    (the class's _group_kernel), else, when the kernel declines the group (first steps,
    maximize, ...), the class's _general_step_group."""
    done = self._group_kernel(group, self.state)
    if done is not None:
        modified_all(done)
        return
    self._general_step_group(group)


def optimizer_zero_grad(self, set_to_none=True):
    """Optimizer.zero_grad: every parameter's gradient to None (the default) or to zeros in
    place."""
    if set_to_none:
        for group in self.param_groups:
            for p in group["params"]:
                _set_field(p, _GRAD, "_grad", None)  # storing is cheaper than asking first
        return
    for group in self.param_groups:
        for p in group["params"]:
            grad = _field(p, _GRAD, "_grad")
            if cnp.PyArray_Check(grad):
                grad.fill(0)  # a third cheaper than grad[...] = 0
            elif grad is not None:
                grad[...] = 0


def optimizer_step(self, closure=None):
    """Optimizer.step: closure() first when given (its loss is returned), then each parameter
    group's update (the subclass's _step_group)."""
    loss = None
    if closure is not None:
        loss = closure()
    step_group = self._step_group
    for group in self.param_groups:
        step_group(group)
    return loss


cdef _release_swallowed(list fused):
    """Releases the nodes of the intermediates each fused node computed inside it (those still
    alive), as the walk releases every node it passes: a second backward() from such an
    intermediate then raises as it would without fusion. Done after the walk, which may still
    have had to run one of them for an intermediate that is used elsewhere too."""
    for ctx in fused:
        for entry in (<Context>ctx).swallowed or ():
            t = entry[0]()
            if t is not None and t.grad_fn is not None:
                (<Context?>t.grad_fn).release()
        (<Context>ctx).swallowed = None


cdef _split_if_asked(Context ctx):
    """A fused node computes intermediate tensors inside it (ctx.swallowed). One that has since
    asked for its gradient (register_hook, retain_grad) must receive it: the node gives up its
    part below the topmost such tensor (its op's split), taking that tensor as its input, so the
    walk reaches it and its own node computes the rest, as without fusion."""
    if ctx._released:
        return
    cdef tuple swallowed = ctx.swallowed
    cdef Py_ssize_t i
    for i in range(len(swallowed) - 1, -1, -1):
        t = swallowed[i][0]()
        if t is not None and (t._hooks or t._retains_grad):
            ctx.fn.split(ctx, i, t)
            return


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
    cycle (only possible by editing a node's parents by hand) raises. A fused node is split
    before its inputs are read when an intermediate inside it wants its gradient.
    """
    # The usual graph, a model's output through a loss, is a chain: each op has one op input.
    cdef list order = [root], ops
    cdef set seen = None  # a chain longer than any real one is checked for a cycle
    cdef Context ctx
    t = root
    while True:
        ctx = <Context?>_field(t, _GRAD_FN, "grad_fn")
        if ctx.swallowed is not None:
            _split_if_asked(ctx)
        ops = [p for p in ctx.parents
               if p is not None and _field(p, _GRAD_FN, "grad_fn") is not None]
        if not ops:
            return order
        if len(ops) > 1:
            break  # branches or joins: the general search below
        t = ops[0]
        if len(order) >= 100_000:
            if seen is None:
                seen = set()
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
        ctx = <Context?>t.grad_fn
        if ctx.swallowed is not None:
            _split_if_asked(ctx)
        for parent in reversed(ctx.parents):
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
    the walk would have accumulated it (except under autograd.grad, which writes no .grad): added to (1) when .grad is an array of the right
    shape and dtype that may be written, else into a new .grad (0). Any other tensor that
    wants a gradient gets a new array, also stored in grads[i] for the op to return to the
    walk. A tensor that wants none gets None.

    Inside backward(), the leaves' locks are taken here and released by the walk once the op
    has returned, so another thread's backward cannot write the same .grad meanwhile; a new
    .grad made here is set back to None if the walk fails.

    Entries are settled last to first, the order a stack's backward writes them (top layer
    first): a tensor passed twice gets a new .grad at its last entry and "+=" at the others.
    """
    return _grad_targets(tensors, needs, grads)


cdef tuple _grad_targets(tensors, needs, list grads):
    """grad_targets, called from C (the dense-stack node's backward)."""
    cdef Py_ssize_t n = len(tensors), i
    cdef list targets = [None] * n
    cdef list accumulate = [0] * n
    cdef cnp.ndarray data, g
    cdef void *running = PyThread_tss_get(&_walk_key)
    cdef _Walk walk = <_Walk>running if running != NULL else None
    cdef bint capture = walk is not None and walk.capture
    if walk is not None and not capture and _threads():
        _lock_leaves(walk, tensors, needs)
    for i in reversed(range(n)):
        if not needs[i]:
            continue
        t = tensors[i]
        data = _field(t, _DATA, "_data")
        if (_field(t, _GRAD_FN, "grad_fn") is None and not _field(t, _HOOKS, "_hooks")
                and not capture):
            old = _field(t, _GRAD, "_grad")
            if old is None:
                targets[i] = _empty_like(data)
                _set_field(t, _GRAD, "_grad", targets[i])
                if walk is not None:
                    if walk.created is None:
                        walk.created = []
                    walk.created.append(t)
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
    cdef unsigned long long want = 0
    cdef int k
    for i in range(len(tensors)):
        if needs[i]:
            t = tensors[i]
            if t.grad_fn is None:
                want |= 1ULL << _stripe(t)
    want &= ~walk.held
    for k in range(N_STRIPES):
        if want >> k & 1:
            _acquire(k)
            walk.held |= 1ULL << k


cdef inline cnp.ndarray _empty_like(cnp.ndarray a):
    """A new C-contiguous array of a's shape and dtype, uninitialised."""
    return cnp.PyArray_EMPTY(cnp.PyArray_NDIM(a), cnp.PyArray_DIMS(a), cnp.PyArray_TYPE(a), 0)


# ---- the dense-stack node --------------------------------------------------------------------
# The bookkeeping of functions/dense.py's DenseStackFunction (a run of Linear (+activation)
# layers as one node; its module docstring has the chain rule), compiled because every Linear
# and activation of every small step passes through it. The maths is the two binding calls,
# _kernels.dense_stack_forward/backward; this section only shapes their arguments, saves what
# backward reads, and builds the node a further layer fuses onto (fusing at forward time: see
# dense.py). It negative-indexes lists, hence wraparound on for each function here.

cdef object _dense_function = None  # DenseStackFunction, registered by functions/dense.py
cdef object _explain_shapes = None  # dense.py's _explain_shapes: a refused call in layer terms
cdef object _activation_function = None  # ActivationFunction, registered by activation.py
cdef tuple _WEIGHT_TYPES = (Tensor, np.ndarray)
cdef dict _ACT = _kernels.ACTIVATIONS
cdef object _NONE = _kernels.ACTIVATIONS["none"]
cdef frozenset _READS_X = frozenset(code for name, code in _kernels.ACTIVATIONS.items()
                                    if _kernels.ACTIVATION_READS[name] == "x")
cdef int PRE = 0, POST = 1  # where a fused node's intermediate sits in its layer


def register_dense(fn, explain_shapes):
    """Makes fn (DenseStackFunction) the op whose nodes this section builds and runs."""
    global _dense_function, _explain_shapes
    _dense_function, _explain_shapes = fn, explain_shapes


def register_activation(fn):
    """Makes fn (ActivationFunction) the op activate records where it cannot fuse."""
    global _activation_function
    _activation_function = fn


def dense_layer(input, weight, bias, act, param):
    """F.linear/F.dense's node, by the activation's code: on the output of a dense-stack node
    the layer joins that node (dense_extend_linear), else a DenseStackFunction of one layer.
    weight and bias (or None) must be Tensors or arrays."""
    if not (isinstance(weight, _WEIGHT_TYPES)
            and (bias is None or isinstance(bias, _WEIGHT_TYPES))):
        for name, value in (("weight", weight), ("bias", bias)):
            if not (value is None and name == "bias" or isinstance(value, _WEIGHT_TYPES)):
                raise TypeError(f"linear: {name} must be a Tensor, got {type(value).__name__}")
    if isinstance(input, Tensor) and _field(input, _GRAD_FN, "grad_fn") is not None:
        out = dense_extend_linear(input, weight, bias, act, param)
        if out is not None:
            return out
    return _dense_function.apply(input, [act], [param], weight, bias)


cpdef object activate(x, act, param):
    """act(x) for a Tensor x, by the activation's code: recorded in x's dense-stack node when x
    is a stack's output (dense_extend_activation: one node for Linear -> activation, as in a
    Sequential), else as an ActivationFunction node. Every activation entry point comes here
    (F.relu, Tensor.relu, nn.ReLU ...)."""
    if _field(x, _GRAD_FN, "grad_fn") is not None:
        y = dense_extend_activation(x, act, param)
        if y is not None:
            return y
    return _activation_function.apply(x, act, param)


cdef inline bint _same_dtype(cnp.ndarray a, dtype):
    return <object>cnp.PyArray_DESCR(a) is dtype or a.dtype == dtype


@cython.wraparound(True)
def dense_forward(Context ctx, x, acts, params, *weights):
    """DenseStackFunction.forward: x (..., in) through the layers; acts, params: each layer's
    activation code and parameter (lists, one entry per layer); weights: W_1, b_1, W_2, b_2,
    ... with None for a missing bias. Complex or object input is refused (it would silently
    lose its imaginary part or turn into NaN)."""
    if not (cnp.PyArray_CheckExact(x) and cnp.PyArray_ISFLOAT(<cnp.ndarray>x)):
        x = np.asarray(x)
        if x.dtype.kind not in "biuf":
            raise TypeError(f"linear: input must hold real numbers, got dtype {x.dtype}")
    cdef cnp.ndarray xa = x
    cdef int ndim = cnp.PyArray_NDIM(xa)
    Ws, bs = list(weights[0::2]), list(weights[1::2])
    dtype = Ws[0].dtype
    if ndim == 0:
        raise ValueError("linear: input must have at least one dimension")
    h = xa if ndim == 2 else xa.reshape(-1, xa.shape[ndim - 1])
    if not (_same_dtype(h, dtype) and cnp.PyArray_IS_C_CONTIGUOUS(<cnp.ndarray>h)):
        h = np.ascontiguousarray(h, dtype=dtype)
    keep_z = True in ctx.needs_input_grad and _mode.enabled
    try:
        ys, zs = _kernels.dense_stack_forward(h, Ws, bs, acts, params, keep_z)
    except (TypeError, ValueError):
        _explain_shapes(xa, Ws, bs)  # the same fault in the words of the layers
        raise
    ctx.saved_tensors = (h, ys, zs, Ws)
    ctx._saved_at = _epoch
    ctx.acts, ctx.params, ctx.x_shape = acts, params, x.shape
    out = ys[-1]
    return out if ndim == 2 else out.reshape(x.shape[:-1] + (out.shape[1],))


@cython.wraparound(True)
cpdef tuple dense_backward(Context ctx, g):
    """DenseStackFunction.backward: the kernel writes the weights' and biases' gradients
    straight into the leaves' .grad where it can (grad_targets), and returns dx."""
    h, ys, zs, Ws = ctx.saved_tensors
    cdef tuple needs = ctx.needs_input_grad  # x, acts, params, then one entry per weight
    cdef list grads = [None] * (len(needs) - 3)
    cdef list targets, acc
    targets, acc = _grad_targets(ctx.parents[3:], needs[3:], grads)
    cdef Py_ssize_t L = len(targets) // 2, l
    cdef list dWs = targets[0::2], dbs = targets[1::2], accumulate = [0] * L
    for l in range(L):
        dW, db, acc_W, acc_b = dWs[l], dbs[l], acc[2 * l], acc[2 * l + 1]
        if acc_W != acc_b and dW is not None and db is not None:
            # The kernel takes one accumulate flag a layer: give the new one a zeroed target.
            (db if acc_W else dW)[...] = 0
        accumulate[l] = acc_W or acc_b
    # A copy: the kernel overwrites dY with dZ, and g may be shared with another node.
    top = ys[-1]
    dy = (g.reshape(top.shape).copy() if g.dtype == top.dtype
          else g.reshape(top.shape).astype(top.dtype, order="C"))
    dx = _kernels.dense_stack_backward(h, ys, zs, Ws, ctx.acts, ctx.params, dy, needs[0],
                                       dWs, dbs, accumulate)
    dx = dx.reshape(ctx.x_shape) if dx is not None else None
    return (dx, None, None) + tuple(grads)


@cython.wraparound(True)
cdef Context _stack_output(t):
    """The stack node that made t, when a further step may be fused onto it: grad mode is on,
    t is the node's output, nothing was changed in place since the node saved its arrays, and
    t wants no gradient of its own (hook, retain_grad); else None."""
    cdef Context ctx = _field(t, _GRAD_FN, "grad_fn")
    if (ctx is None or ctx.fn is not _dense_function or _field(t, _HOOKS, "_hooks")
            or _field(t, _RETAINS_GRAD, "_retains_grad") or ctx._released
            or not _mode.enabled or _epoch != ctx._saved_at):
        return None
    top = ctx.saved_tensors[1][-1]
    data = _field(t, _DATA, "_data")
    return ctx if data is top or data.base is top else None


cdef list _with_top(seq, item):
    """A copy of the list seq with its last entry (the top layer's) replaced by item."""
    cdef list out = list(seq)
    out[len(out) - 1] = item
    return out


@cython.wraparound(True)
cpdef object dense_extend_activation(h, act, param):
    """act(h) recorded in h's stack node when h (which has a grad_fn) is the output of a stack
    whose top layer has no activation yet: that layer takes this one. None where it cannot be
    (the caller records an activation node as usual)."""
    cdef Context stack = _stack_output(h)
    if stack is None or stack.acts[-1] != _NONE:
        return None
    x, ys, zs, Ws = stack.saved_tensors
    cdef cnp.ndarray z = ys[-1]
    cdef cnp.ndarray y = _empty_like(z)  # z is C-contiguous (the kernel made it)
    _kernels.act_forward(act, param, z, y)  # ActivationFunction's own call
    cdef Context ctx = node_like(stack, _dense_function, stack.parents, stack.needs_input_grad)
    ctx.saved_tensors = (x, _with_top(ys, y), _with_top(zs, z if act in _READS_X else None),
                         Ws)
    ctx.acts, ctx.params = _with_top(stack.acts, act), _with_top(stack.params, param)
    ctx.x_shape = stack.x_shape
    ctx.swallowed = (stack.swallowed or ()) + ((PyWeakref_NewRef(h, None), len(Ws) - 1, PRE),)
    data = _field(h, _DATA, "_data")
    return new_tensor(y if data is z else y.reshape(data.shape), ctx)


@cython.wraparound(True)
cpdef object dense_extend_linear(x, weight, bias, act, param):
    """dense(x, weight, bias, act) recorded as one more layer of x's stack node when x (which
    has a grad_fn) is a stack's output of the weight's dtype; None where it cannot be (the
    caller applies DenseStackFunction as usual, which also words any error)."""
    cdef Context stack = _stack_output(x)
    if stack is None:
        return None
    h, ys, zs, Ws = stack.saved_tensors
    cdef cnp.ndarray top = ys[-1]
    if isinstance(weight, Tensor):
        W = _field(weight, _DATA, "_data")
        need_W = _field(weight, _REQUIRES_GRAD, "requires_grad")
    else:
        W, need_W, weight = weight, False, None  # an array: no gradient, no parent
    if isinstance(bias, Tensor):
        b = _field(bias, _DATA, "_data")
        need_b = _field(bias, _REQUIRES_GRAD, "requires_grad")
    else:
        b, need_b, bias = bias, False, None
    if not _same_dtype(top, W.dtype):
        return None
    try:  # DenseStackFunction.forward's own call on the same array
        new_ys, new_zs = _kernels.dense_stack_forward(top, (W,), (b,), (act,), (param,), True)
    except (TypeError, ValueError):
        return None
    cdef Context ctx = node_like(stack, _dense_function, stack.parents + (weight, bias),
                                 stack.needs_input_grad + (need_W, need_b))
    ctx.saved_tensors = (h, ys + new_ys, zs + new_zs, Ws + [W])
    ctx.acts, ctx.params = stack.acts + [act], stack.params + [param]
    ctx.x_shape = stack.x_shape
    ctx.swallowed = (stack.swallowed or ()) + ((PyWeakref_NewRef(x, None), len(Ws) - 1, POST),)
    out = new_ys[0]
    shape = _field(x, _DATA, "_data").shape
    return new_tensor(out if len(shape) == 2 else out.reshape(shape[:-1] + (out.shape[1],)),
                      ctx)


def elementwise(x, name, param=0.0):
    """activate by the activation's name in the kernels' table, for a Tensor x or anything
    Tensor() takes (F.relu's input)."""
    if not isinstance(x, Tensor):
        x = Tensor(x)
    return activate(x, _ACT[name], float(param))


# ---- the loss node --------------------------------------------------------------------------
# The bookkeeping of functions/loss.py's MSEFunction and CrossEntropyFunction, compiled because
# every step's loss passes through it. The maths is the binding's fused C passes: forward
# (_kernels.mse, _kernels.cross_entropy) writes each element's local derivative beside the loss,
# saved as the node's one array; backward only scales it by the upstream gradient
# (_kernels.scaled, one multiply per element). mse_loss and cross_entropy_loss are the
# functionals' entry points for the usual arguments: they record the node without apply's
# generic loop over the arguments.

cdef object _mse_function = None  # MSEFunction, registered by functions/loss.py
cdef object _cross_entropy_function = None  # CrossEntropyFunction, the same
cdef tuple _REDUCTIONS = ("mean", "sum", "none")
cdef object _INT64_MIN = int(np.iinfo(np.int64).min), _INT64_MAX = int(np.iinfo(np.int64).max)


def register_losses(mse, cross_entropy):
    """Makes mse and cross_entropy (MSEFunction, CrossEntropyFunction) the ops whose nodes this
    section records."""
    global _mse_function, _cross_entropy_function
    _mse_function, _cross_entropy_function = mse, cross_entropy


cdef object _loss_node(Context ctx, out, bint wanted):
    """The loss as a tensor, with ctx its node when a gradient is wanted (apply's rule)."""
    if wanted and _mode.enabled:
        return new_tensor(out, ctx)
    return new_tensor(out, None)


cdef object _total(double total, reduction, count, cnp.ndarray like):
    """A loss summed in double (the kernel's Python float) as the 0-d result of 'sum' or
    'mean' of like's dtype, rounded once, after the division (NaN for a mean of nothing, as
    PyTorch)."""
    if reduction == "mean":
        total = total / <double>count if count else np.nan
    cdef cnp.ndarray out = cnp.PyArray_EMPTY(0, NULL, cnp.PyArray_TYPE(like), 0)
    if cnp.PyArray_TYPE(like) == cnp.NPY_FLOAT32:
        (<float *>cnp.PyArray_DATA(out))[0] = <float>total
    else:
        (<double *>cnp.PyArray_DATA(out))[0] = total
    return out


cdef object _reduced_backward(Context ctx, g):
    """The saved derivative times what the upstream gradient g contributes to each element: g
    for 'sum', g / count for 'mean', g[i] per row or element for 'none' (loss.py's _scale)."""
    cdef cnp.ndarray d = ctx.saved_tensors[0]
    reduction = ctx.reduction
    if reduction == "none":
        per = g.astype(d.dtype, copy=False)
        return d * (per[:, None] if per.ndim < d.ndim else per)
    count = ctx.count
    if not (cnp.PyArray_CheckExact(g) and cnp.PyArray_NDIM(<cnp.ndarray>g) == 0
            and (cnp.PyArray_TYPE(<cnp.ndarray>g) == cnp.NPY_FLOAT32
                 or cnp.PyArray_TYPE(<cnp.ndarray>g) == cnp.NPY_FLOAT64)):
        # Another dtype (float16, long double) or not 0-d: the same rules in NumPy's types.
        if reduction == "sum":
            return d * d.dtype.type(g)
        return d * d.dtype.type(float(g) / float(g.dtype.type(count)) if count else 0)
    cdef double s = float(g)
    cdef double c
    if reduction == "mean":
        if not count:
            # Nothing counted (every row ignored, or an empty batch): each element's gradient
            # is 0, as PyTorch gives, not 0 * (g / 0) = NaN.
            s = 0.0
        else:
            # g / count as NumPy rounds it for a 0-d g: count to g's dtype (through double, as
            # NumPy converts a Python int), then a division rounded to the loss's dtype (the
            # double quotient of two float32 values rounds to the float32 one).
            c = <double>count
            if cnp.PyArray_TYPE(<cnp.ndarray>g) == cnp.NPY_FLOAT32:
                c = <float>c
            s = s / c
    return scaled(d, s)  # which rounds s to d's dtype first, as dtype.type(s) does


def mse_forward(Context ctx, x, t, reduction):
    """MSEFunction.forward: (x - t)^2 reduced, its derivative 2 (x - t) saved; x and t arrays
    of one float dtype and shape (the functional has checked)."""
    if cnp.PyArray_NDIM(<cnp.ndarray?>x):  # (np.ascontiguousarray would make a 0-d array 1-d)
        if not cnp.PyArray_IS_C_CONTIGUOUS(<cnp.ndarray>x):
            x = np.ascontiguousarray(x)
        if not cnp.PyArray_IS_C_CONTIGUOUS(<cnp.ndarray?>t):
            t = np.ascontiguousarray(t)
    cdef cnp.ndarray dx = _empty_like(x)
    ctx.saved_tensors = (dx,)
    ctx.reduction = reduction
    if reduction == "none":
        sq = _empty_like(x)
        _kernels.mse(x, t, sq, dx)
        return sq
    ctx.count = cnp.PyArray_SIZE(dx)
    return _total(_kernels.mse(x, t, None, dx), reduction, ctx.count, dx)


cpdef tuple mse_backward(Context ctx, g):
    """MSEFunction.backward: the saved 2 (x - t) scaled; the negative for t."""
    gx = _reduced_backward(ctx, g)
    return gx, (-gx if ctx.needs_input_grad[1] else None)


def mse_loss(input, target, reduction):
    """F.mse_loss's node for the usual arguments: a Tensor input of a float dtype, a target
    (Tensor or array) of its dtype and shape, a known reduction. None for anything else (the
    functional converts and checks, then applies MSEFunction)."""
    if type(input) is not Tensor:
        return None
    x = _field(input, _DATA, "_data")
    if type(target) is Tensor:
        t = _field(target, _DATA, "_data")
        need_t = _field(target, _REQUIRES_GRAD, "requires_grad")
    elif type(target) is np.ndarray:
        t, need_t, target = target, False, None
    else:
        return None
    if not (cnp.PyArray_ISFLOAT(<cnp.ndarray>x) and cnp.PyArray_TYPE(<cnp.ndarray>x)
            == cnp.PyArray_TYPE(<cnp.ndarray>t) and cnp.PyArray_SAMESHAPE(x, t)
            and reduction in _REDUCTIONS):
        return None
    need_x = _field(input, _REQUIRES_GRAD, "requires_grad")
    cdef Context ctx = Context.__new__(Context)
    ctx._start(_mse_function, (input, target, None), (need_x, need_t, False))
    return _loss_node(ctx, mse_forward(ctx, x, t, reduction), need_x or need_t)


def cross_entropy_forward(Context ctx, logits, target, ignore_index, label_smoothing,
                          reduction):
    """CrossEntropyFunction.forward: softmax and NLL of each row in one C pass, which also
    writes the derivative softmax(x) - q, saved; logits (M, C) and int64 targets (M,)."""
    x = logits
    if not (cnp.PyArray_CheckExact(x) and cnp.PyArray_IS_C_CONTIGUOUS(<cnp.ndarray>x)
            and (cnp.PyArray_TYPE(<cnp.ndarray>x) == cnp.NPY_FLOAT32
                 or cnp.PyArray_TYPE(<cnp.ndarray>x) == cnp.NPY_FLOAT64)):
        x = float_contiguous(x)
    if not (cnp.PyArray_CheckExact(target)
            and cnp.PyArray_IS_C_CONTIGUOUS(<cnp.ndarray>target)):
        target = np.ascontiguousarray(target)
    cdef cnp.ndarray xa = x
    loss = (cnp.PyArray_EMPTY(1, cnp.PyArray_DIMS(xa), cnp.PyArray_TYPE(xa), 0)
            if cnp.PyArray_NDIM(xa) else np.empty(xa.shape[0], dtype=xa.dtype))  # (raises)
    cdef cnp.ndarray dx = _empty_like(xa)
    total, count = _kernels.cross_entropy(x, target, ignore_index, label_smoothing, loss, dx)
    ctx.saved_tensors = (dx,)
    ctx.reduction, ctx.count = reduction, count
    return loss if reduction == "none" else _total(total, reduction, count, dx)


cpdef tuple cross_entropy_backward(Context ctx, g):
    """CrossEntropyFunction.backward: the saved softmax(x) - q scaled."""
    return (_reduced_backward(ctx, g),)


def cross_entropy_loss(input, labels, ignore_index, label_smoothing, reduction):
    """F.cross_entropy's node for a training step's arguments: a Tensor of rows (M, C) of a
    float dtype, an int64 array of M labels, an int ignore_index, a float label_smoothing, a
    known reduction (the binding checks each label and label_smoothing). None for anything else
    (the functional converts and checks)."""
    if not (type(input) is Tensor and type(labels) is np.ndarray
            and type(ignore_index) is int and type(label_smoothing) is float
            and reduction in _REDUCTIONS):
        return None
    cdef cnp.ndarray x = _field(input, _DATA, "_data")
    cdef cnp.ndarray t = labels
    if not (cnp.PyArray_NDIM(x) == 2 and cnp.PyArray_ISFLOAT(x) and cnp.PyArray_NDIM(t) == 1
            and cnp.PyArray_TYPE(t) == cnp.NPY_INT64
            and cnp.PyArray_DIM(t, 0) == cnp.PyArray_DIM(x, 0)
            and _INT64_MIN <= ignore_index <= _INT64_MAX):
        return None
    need_x = _field(input, _REQUIRES_GRAD, "requires_grad")
    cdef Context ctx = Context.__new__(Context)
    ctx._start(_cross_entropy_function, (input, None, None, None, None),
               (need_x, False, False, False, False))
    out = cross_entropy_forward(ctx, x, t, ignore_index, label_smoothing, reduction)
    return _loss_node(ctx, out, need_x)
