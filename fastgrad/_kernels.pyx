# cython: language_level=3
"""fastgrad._kernels: the one binding between Python and the C kernels of csrc/fastgrad.h.

Every function takes NumPy arrays, validates them completely (the C side trusts its inputs),
then calls C without the GIL (the optimizer's group steps, sgd_step_group and adam_step_group,
read the arrays from a parameter group's tensors and state themselves). Outputs are passed in
by the caller, except in the dense-stack calls, which allocate each layer's activations and
gradients (they run a whole stack in one call). All float arrays of one call share one dtype, float32 or float64 (targets of
cross_entropy are int64).

Errors: TypeError for a non-array or a wrong dtype; ValueError for shapes, non-contiguous or
misaligned arrays, read-only outputs, outputs overlapping inputs, and bad scalar arguments;
IndexError for an out-of-range class label.

What C reads without the GIL belongs to the call: its arrays are held by the call's own
references (lists of arrays are copied into tuples), and values that index memory (the class
labels of cross_entropy) are copied before they are checked, so another thread that writes an
argument meanwhile can change results but never make a kernel read or write out of bounds.

Activations are named and numbered by the C table (csrc/activation.h): ACTIVATIONS maps each
name to its code, ACTIVATION_READS says which saved tensor its derivative reads (x, the input or
pre-activation Z; y, the output Y), and ACT_<NAME> is each code.

The C declarations are in _kernels.pxd. Arrays are pulled apart with PyArray_DATA and
friends rather than typed memoryviews, which cost more to acquire than the smallest kernels
take to run (docs/KERNEL-NOTES.md).
"""
import operator

cimport numpy as cnp
from cpython.mem cimport PyMem_Malloc, PyMem_Free
from libc.stdint cimport int64_t, INT64_MAX
from cpython.long cimport PyLong_AsLongLongAndOverflow
from libc.limits cimport INT_MAX
from libc.string cimport memcpy

cnp.import_array()

ACTIVATIONS = {fg_act_name(a).decode("ascii"): a for a in range(FG_ACT_COUNT)}
"""Every activation of the kernels, by name: its code, the act argument of the calls below."""
ACTIVATION_READS = {name: ("nothing", "x", "y", "x or y")[fg_act_reads(code)]
                    for name, code in ACTIVATIONS.items()}
"""What each activation's derivative reads: its input x, its output y, either, or nothing."""
SOFTPLUS_THRESHOLD = float(FG_SOFTPLUS_THRESHOLD)
"""softplus is linear where beta * x exceeds this (PyTorch's default threshold)."""
for _name, _code in ACTIVATIONS.items():  # ACT_RELU, ...: the codes by name
    globals()["ACT_" + _name.upper()] = _code
del _name, _code

cdef enum:
    F32 = cnp.NPY_FLOAT32
    F64 = cnp.NPY_FLOAT64


# ---- validation helpers: each raises with a message naming the function and the argument ----

cdef inline object _sh(object a):
    return a.shape  # through object: Cython types cnp.ndarray.shape as a C pointer


cdef inline object _st(object a):
    return a.strides

cdef inline int _float_type(object a, str fn, str name) except -1:
    """The dtype of the call, taken from its first float array."""
    if not cnp.PyArray_Check(a):
        raise TypeError(f"{fn}: {name} must be a numpy.ndarray, got {type(a).__name__}")
    cdef int t = cnp.PyArray_TYPE(<cnp.ndarray>a)
    if (t != F32 and t != F64) or not cnp.PyArray_ISNOTSWAPPED(<cnp.ndarray>a):
        raise TypeError(f"{fn}: {name} must have dtype float32 or float64, got {a.dtype}")
    return t


cdef inline cnp.ndarray _array(object a, str fn, str name, int typenum, str ref, bint out,
                               bint contiguous=True):
    """a as an ndarray of dtype `typenum` (that of argument `ref`), aligned, C-contiguous
    unless told otherwise, and writable when it is an output. Inline: an accepted array costs
    a few flag tests; _array_error finds and words the fault."""
    if (cnp.PyArray_Check(a) and cnp.PyArray_TYPE(<cnp.ndarray>a) == typenum
            and cnp.PyArray_ISNOTSWAPPED(<cnp.ndarray>a)
            and (not contiguous or cnp.PyArray_IS_C_CONTIGUOUS(<cnp.ndarray>a))
            and cnp.PyArray_ISALIGNED(<cnp.ndarray>a)
            and (not out or cnp.PyArray_ISWRITEABLE(<cnp.ndarray>a))):
        return <cnp.ndarray>a
    return _array_error(a, fn, name, typenum, ref, out, contiguous)


cdef cnp.ndarray _array_error(object a, str fn, str name, int typenum, str ref, bint out,
                              bint contiguous):
    """Raises for the first fault of a that _array refused."""
    if not cnp.PyArray_Check(a):
        raise TypeError(f"{fn}: {name} must be a numpy.ndarray, got {type(a).__name__}")
    cdef cnp.ndarray arr = <cnp.ndarray>a
    if cnp.PyArray_TYPE(arr) != typenum or not cnp.PyArray_ISNOTSWAPPED(arr):
        want = "int64" if typenum == cnp.NPY_INT64 else ("float32" if typenum == F32 else "float64")
        if ref is None:
            raise TypeError(f"{fn}: {name} must have dtype {want}, got {arr.dtype}")
        raise TypeError(f"{fn}: {name} has dtype {arr.dtype} but {ref} has dtype {want}; "
                        f"all float arrays of one call must share one dtype")
    if contiguous and not cnp.PyArray_IS_C_CONTIGUOUS(arr):
        raise ValueError(f"{fn}: {name} must be C-contiguous, got shape {_sh(arr)} with "
                         f"strides {_st(arr)}; pass numpy.ascontiguousarray({name})")
    if not cnp.PyArray_ISALIGNED(arr):
        raise ValueError(f"{fn}: {name} is not aligned to its itemsize")
    if out and not cnp.PyArray_ISWRITEABLE(arr):
        raise ValueError(f"{fn}: {name} is read-only, but it is an output")
    return arr


cdef inline cnp.ndarray _optional(object a, str fn, str name, int typenum, str ref, bint out):
    return None if a is None else _array(a, fn, name, typenum, ref, out)


cdef inline void *_ptr(cnp.ndarray a):
    return NULL if a is None else cnp.PyArray_DATA(a)


cdef inline int _shape(cnp.ndarray a, int nd, Py_ssize_t d0, Py_ssize_t d1, str fn, str name,
                       str r1name, cnp.ndarray r1, str r2name=None,
                       cnp.ndarray r2=None) except -1:
    """a must be 1-D (d0,) or 2-D (d0, d1); a negative d means any. The message shows a's shape
    and the shapes of the reference arrays the expected sizes came from."""
    if a is None or (cnp.PyArray_NDIM(a) == nd and (d0 < 0 or cnp.PyArray_DIM(a, 0) == d0)
                     and (nd == 1 or d1 < 0 or cnp.PyArray_DIM(a, 1) == d1)):
        return 0
    return _shape_error(a, nd, d0, d1, fn, name, r1name, r1, r2name, r2)


cdef int _shape_error(cnp.ndarray a, int nd, Py_ssize_t d0, Py_ssize_t d1, str fn, str name,
                      str r1name, cnp.ndarray r1, str r2name, cnp.ndarray r2) except -1:
    """Raises for the shape _shape refused."""
    dims = [d0] if nd == 1 else [d0, d1]
    want = "(" + ", ".join("any" if d < 0 else str(d) for d in dims) + ("," if nd == 1 else "") + ")"
    refs = f"{r1name} of shape {_sh(r1)}" if r1 is not None else ""
    if r2 is not None:
        refs += f" and {r2name} of shape {_sh(r2)}"
    raise ValueError(f"{fn}: {name} has shape {_sh(a)}, expected {want}"
                     + (f" to match {refs}" if refs else ""))


cdef int _same_size(cnp.ndarray a, str aname, cnp.ndarray b, str bname, str fn) except -1:
    if b is None or cnp.PyArray_SIZE(a) == cnp.PyArray_SIZE(b):
        return 0
    raise ValueError(f"{fn}: {aname} has shape {_sh(a)} and {bname} has shape {_sh(b)}; "
                     f"they must have the same number of elements")


cdef void _extent(cnp.ndarray a, char **lo, char **hi) noexcept:
    """[lo, hi): the bytes a can touch, whatever its strides."""
    cdef char *l = cnp.PyArray_BYTES(a)
    cdef char *h = l + cnp.PyArray_ITEMSIZE(a)
    cdef int d
    cdef Py_ssize_t step
    for d in range(cnp.PyArray_NDIM(a)):
        if cnp.PyArray_DIM(a, d) == 0:
            lo[0] = hi[0] = l
            return
        step = (cnp.PyArray_DIM(a, d) - 1) * cnp.PyArray_STRIDE(a, d)
        if step < 0:
            l += step
        else:
            h += step
    lo[0] = l
    hi[0] = h


cdef inline void _extent_or_null(object a, char **lo, char **hi) noexcept:
    """_extent of a checked ndarray; NULL, NULL for None."""
    if a is None:
        lo[0] = hi[0] = NULL
    else:
        _extent(<cnp.ndarray>a, lo, hi)


cdef int _disjoint(cnp.ndarray out, str oname, cnp.ndarray a, str aname, str fn,
                   bint same_ok=False) except -1:
    """An output must not share memory with another argument (judged by address ranges, as
    numpy.may_share_memory does). same_ok admits the exact same buffer, for elementwise
    kernels documented as in-place safe."""
    if out is None or a is None:
        return 0
    cdef char *lo1
    cdef char *hi1
    cdef char *lo2
    cdef char *hi2
    _extent(out, &lo1, &hi1)
    _extent(a, &lo2, &hi2)
    if lo1 >= hi2 or lo2 >= hi1:
        return 0
    if same_ok and lo1 == lo2 and hi1 == hi2:
        return 0
    raise ValueError(f"{fn}: {oname} overlaps {aname} in memory"
                     + ("" if not same_ok else " (only the exact same buffer is allowed)")
                     + f"; pass a separate output array")


cdef int _no_overlaps(tuple arrays, tuple names, int n_writes, str fn) except -1:
    """No array written (the first n_writes of `arrays`, None entries skipped) may overlap any
    other array: _disjoint for every such pair, with the address comparisons done in C and
    only a suspect pair going through _disjoint for its verdict and message."""
    cdef char *lo[8]
    cdef char *hi[8]
    cdef Py_ssize_t n = len(arrays), i, j
    assert n <= 8
    for i in range(n):
        a = arrays[i]
        if a is None:
            lo[i] = hi[i] = NULL
        else:
            _extent(<cnp.ndarray>a, &lo[i], &hi[i])
    for i in range(n_writes):
        if lo[i] == NULL:
            continue
        for j in range(i + 1, n):
            if lo[j] != NULL and lo[i] < hi[j] and lo[j] < hi[i]:
                _disjoint(arrays[i], names[i], arrays[j], names[j], fn)
    return 0


cdef inline int _act(int act, str fn) except -1:
    if act < 0 or act >= FG_ACT_COUNT:
        raise ValueError(f"{fn}: unknown activation {act}; expected one of "
                         f"{sorted(ACTIVATIONS.values())} (see ACTIVATIONS)")
    return act


cdef int _check_saved(int act, object x, object y, str fn, str xname, str yname) except -1:
    cdef int needs = fg_act_reads(act)
    if needs == FG_READS_X and x is None:
        raise ValueError(f"{fn}: the {_act_name(act)} backward needs the activation input "
                         f"{xname}, got None")
    if needs == FG_READS_Y and y is None:
        raise ValueError(f"{fn}: the {_act_name(act)} backward needs the activation output "
                         f"{yname}, got None")
    if needs == FG_READS_X_OR_Y and x is None and y is None:
        raise ValueError(f"{fn}: the {_act_name(act)} backward needs {xname} or {yname}, "
                         f"got None for both")
    return 0


cdef str _act_name(int act):
    return fg_act_name(act).decode("ascii")


cdef inline fg_idx _elem_stride(cnp.ndarray a, int d, str fn, str name) except? -1:
    """Stride of axis d in elements; 0 for an axis of length <= 1, whose stride is never used."""
    if cnp.PyArray_DIM(a, d) <= 1:
        return 0
    cdef Py_ssize_t s = cnp.PyArray_STRIDE(a, d), isz = cnp.PyArray_ITEMSIZE(a)
    if s % isz != 0:
        raise ValueError(f"{fn}: {name} has strides {_st(a)}, not multiples of its "
                         f"itemsize {isz}")
    return s // isz


# ---- GEMM and the dense layer ---------------------------------------------------------------

def gemm(A, B, C, double alpha=1.0, double beta=0.0):
    """C[M,N] = alpha * A[M,K] @ B[K,N] + beta * C. A and B may have any strides (transposed
    views, negative steps, slices); C needs contiguous rows. beta == 0 ignores C's contents."""
    fn = "gemm"
    cdef int t = _float_type(A, fn, "A")
    cdef cnp.ndarray a = _array(A, fn, "A", t, "A", False, False)
    cdef cnp.ndarray b = _array(B, fn, "B", t, "A", False, False)
    cdef cnp.ndarray c = _array(C, fn, "C", t, "A", True, False)
    _shape(a, 2, -1, -1, fn, "A", None, None)
    cdef fg_idx M = cnp.PyArray_DIM(a, 0), K = cnp.PyArray_DIM(a, 1)
    _shape(b, 2, K, -1, fn, "B", "A", a)
    cdef fg_idx N = cnp.PyArray_DIM(b, 1)
    _shape(c, 2, M, N, fn, "C", "A", a, "B", b)
    cdef fg_idx rsa = _elem_stride(a, 0, fn, "A"), csa = _elem_stride(a, 1, fn, "A")
    cdef fg_idx rsb = _elem_stride(b, 0, fn, "B"), csb = _elem_stride(b, 1, fn, "B")
    cdef fg_idx ldc = _elem_stride(c, 0, fn, "C"), csc = _elem_stride(c, 1, fn, "C")
    if csc > 1 or csc < 0 or (M > 1 and N > 0 and (ldc if ldc >= 0 else -ldc) < N):
        raise ValueError(f"{fn}: C must have contiguous, non-overlapping rows "
                         f"(strides[1] == itemsize), got shape {_sh(c)} with strides {_st(c)}")
    _disjoint(c, "C", a, "A", fn)
    _disjoint(c, "C", b, "B", fn)
    cdef void *pa = cnp.PyArray_DATA(a)
    cdef void *pb = cnp.PyArray_DATA(b)
    cdef void *pc = cnp.PyArray_DATA(c)
    with nogil:
        if t == F32:
            fg_gemm_f32(M, N, K, <float>alpha, <float *>pa, rsa, csa, <float *>pb, rsb, csb,
                        <float>beta, <float *>pc, ldc)
        else:
            fg_gemm_f64(M, N, K, alpha, <double *>pa, rsa, csa, <double *>pb, rsb, csb,
                        beta, <double *>pc, ldc)


def dense_forward(X, W, b, int act, double param, Z, Y):
    """Y[M,N] = act(X[M,K] @ W[N,K]^T + b[N]); b may be None; Z (or None) receives the
    pre-activation. All arrays C-contiguous."""
    _dense_forward("dense_forward", X, W, b, act, param, Z, Y)


cdef int _dense_forward(str fn, X, W, b, int act, double param, Z, Y) except -1:
    _act(act, fn)
    cdef int t = _float_type(X, fn, "X")
    cdef cnp.ndarray x = _array(X, fn, "X", t, "X", False)
    cdef cnp.ndarray w = _array(W, fn, "W", t, "X", False)
    cdef cnp.ndarray bb = _optional(b, fn, "b", t, "X", False)
    cdef cnp.ndarray z = _optional(Z, fn, "Z", t, "X", True)
    cdef cnp.ndarray y = _array(Y, fn, "Y", t, "X", True)
    _shape(x, 2, -1, -1, fn, "X", None, None)
    cdef fg_idx M = cnp.PyArray_DIM(x, 0), K = cnp.PyArray_DIM(x, 1)
    _shape(w, 2, -1, K, fn, "W", "X", x)
    cdef fg_idx N = cnp.PyArray_DIM(w, 0)
    _shape(bb, 1, N, 0, fn, "b", "W", w)
    _shape(z, 2, M, N, fn, "Z", "X", x, "W", w)
    _shape(y, 2, M, N, fn, "Y", "X", x, "W", w)
    _no_overlaps((y, z, x, w, bb), ("Y", "Z", "X", "W", "b"), 2, fn)
    cdef void *px = _ptr(x)
    cdef void *pw = _ptr(w)
    cdef void *pb = _ptr(bb)
    cdef void *pz = _ptr(z)
    cdef void *py = _ptr(y)
    with nogil:
        if t == F32:
            fg_dense_forward_f32(M, N, K, <float *>px, <float *>pw, <float *>pb, act, param,
                                 <float *>pz, <float *>py)
        else:
            fg_dense_forward_f64(M, N, K, <double *>px, <double *>pw, <double *>pb, act, param,
                                 <double *>pz, <double *>py)
    return 0


def dense_backward(X, W, Z, Y, int act, double param, dY, dX, dW, db, bint accumulate):
    """Overwrites dY with dZ = dY * act'(Z, Y), then writes dX = dZ @ W, dW (+)= dZ^T @ X and
    db (+)= column sums of dZ for those of dX, dW, db that are not None ("+=" when
    accumulate; dX is always overwritten)."""
    cdef DenseBackward e
    _dense_backward_check(&e, "dense_backward", X, W, Z, Y, act, param, dY, dX, dW, db,
                          accumulate)
    with nogil:
        _dense_backward_run(&e)


cdef struct DenseBackward:  # one checked dense_backward call, ready to run without the GIL
    fg_idx M, N, K
    void *x
    void *w
    void *z
    void *y
    void *dy
    void *dx
    void *dw
    void *db
    int act, accumulate, t
    double param


cdef int _dense_backward_check(DenseBackward *e, str fn, X, W, Z, Y, int act, double param,
                               dY, dX, dW, db, bint accumulate, int in_stack=0) except -1:
    """Checks one dense_backward call into e. in_stack: 0 for dense_backward; 1 for the top
    layer of dense_stack_backward, 2 for a layer below it, whose dY is the stack's own (dY is
    ignored, the caller sets e.dy). Within a stack, overlaps are left to the caller, which
    compares the arrays of all layers at once."""
    _act(act, fn)
    cdef int t = _float_type(X, fn, "X")
    cdef cnp.ndarray x = _array(X, fn, "X", t, "X", False)
    cdef cnp.ndarray w = _array(W, fn, "W", t, "X", False)
    cdef cnp.ndarray z = _optional(Z, fn, "Z", t, "X", False)
    cdef cnp.ndarray y = _optional(Y, fn, "Y", t, "X", False)
    cdef cnp.ndarray dy = None if in_stack == 2 else _array(dY, fn, "dY", t, "X", True)
    cdef cnp.ndarray dx = _optional(dX, fn, "dX", t, "X", True)
    cdef cnp.ndarray dw = _optional(dW, fn, "dW", t, "X", True)
    cdef cnp.ndarray dbb = _optional(db, fn, "db", t, "X", True)
    _check_saved(act, z, y, fn, "Z", "Y")
    _shape(x, 2, -1, -1, fn, "X", None, None)
    cdef fg_idx M = cnp.PyArray_DIM(x, 0), K = cnp.PyArray_DIM(x, 1)
    _shape(w, 2, -1, K, fn, "W", "X", x)
    cdef fg_idx N = cnp.PyArray_DIM(w, 0)
    _shape(dy, 2, M, N, fn, "dY", "X", x, "W", w)
    _shape(z, 2, M, N, fn, "Z", "X", x, "W", w)
    _shape(y, 2, M, N, fn, "Y", "X", x, "W", w)
    _shape(dx, 2, M, K, fn, "dX", "X", x)
    _shape(dw, 2, N, K, fn, "dW", "W", w)
    _shape(dbb, 1, N, 0, fn, "db", "W", w)
    if in_stack == 0:
        _layer_overlaps(fn, dy, dx, dw, dbb, x, w, z, y)
    e.M, e.N, e.K = M, N, K
    e.x, e.w, e.z, e.y = _ptr(x), _ptr(w), _ptr(z), _ptr(y)
    e.dy, e.dx, e.dw, e.db = _ptr(dy), _ptr(dx), _ptr(dw), _ptr(dbb)
    e.act, e.param, e.accumulate, e.t = act, param, accumulate, t
    return 0


cdef int _layer_overlaps(str fn, dy, dx, dw, db, x, w, z, y) except -1:
    # dY is written (in place) and so are the gradients: none may overlap anything else.
    _no_overlaps((dy, dx, dw, db, x, w, z, y), ("dY", "dX", "dW", "db", "X", "W", "Z", "Y"), 4,
                 fn)
    return 0


cdef void _dense_backward_run(const DenseBackward *e) noexcept nogil:
    if e.t == F32:
        fg_dense_backward_f32(e.M, e.N, e.K, <float *>e.x, <float *>e.w, <float *>e.z,
                              <float *>e.y, e.act, e.param, <float *>e.dy, <float *>e.dx,
                              <float *>e.dw, <float *>e.db, e.accumulate)
    else:
        fg_dense_backward_f64(e.M, e.N, e.K, <double *>e.x, <double *>e.w, <double *>e.z,
                              <double *>e.y, e.act, e.param, <double *>e.dy, <double *>e.dx,
                              <double *>e.dw, <double *>e.db, e.accumulate)


cdef struct DenseForward:  # one checked layer of dense_stack_forward, ready to run without the GIL
    fg_idx M, N, K
    void *x
    void *w
    void *b
    void *z
    void *y
    int act, t
    double param


cdef void _dense_forward_run(const DenseForward *e) noexcept nogil:
    if e.t == F32:
        fg_dense_forward_f32(e.M, e.N, e.K, <float *>e.x, <float *>e.w, <float *>e.b, e.act,
                             e.param, <float *>e.z, <float *>e.y)
    else:
        fg_dense_forward_f64(e.M, e.N, e.K, <double *>e.x, <double *>e.w, <double *>e.b, e.act,
                             e.param, <double *>e.z, <double *>e.y)


def dense_stack_forward(X, Ws, bs, acts, params, bint keep_z):
    """A stack of dense layers in one call: H_0 = X, H_l = act_l(H_(l-1) W_l^T + b_l) for
    l = 1..L, bs[l] None for a layer without bias; Ws, bs, acts and params are lists or tuples,
    one entry per layer. Allocates and returns (ys, zs): every layer's output, and its
    pre-activation where keep_z and the activation's derivative reads it
    (ACTIVATION_READS[name] == "x"), else None."""
    fn = "dense_stack_forward"
    Ws, bs = _entries(fn, "Ws", Ws, -1), _entries(fn, "bs", bs, -1)
    acts, params = _sequence(fn, "acts", acts), _sequence(fn, "params", params)
    cdef Py_ssize_t L = len(Ws), l
    if L == 0 or len(bs) != L or len(acts) != L or len(params) != L:
        raise ValueError(f"{fn}: Ws, bs, acts and params must be equally long and not empty, "
                         f"got {L}, {len(bs)}, {len(acts)} and {len(params)}")
    cdef int t = _float_type(X, fn, "X")
    cdef cnp.ndarray h = _array(X, fn, "X", t, "X", False)
    cdef cnp.ndarray w, bb
    cdef cnp.npy_intp dims[2]
    cdef int act
    cdef double param
    # Every layer is checked and its outputs allocated first, then all run in one nogil block.
    # The outputs are new arrays, so they cannot overlap an input: no overlap check is needed.
    # The call's own references keep every array alive meanwhile: X, the tuples Ws and bs,
    # and the lists ys and zs.
    cdef DenseForward stack[8]
    cdef DenseForward *es = stack
    if L > 8:
        es = <DenseForward *>PyMem_Malloc(L * sizeof(DenseForward))
        if es == NULL:
            raise MemoryError()
    ys, zs = [], []
    try:
        for l in range(L):
            act = acts[l]
            try:  # names in messages are the layer's own (X, W, b), the layer index appended
                w = _array(Ws[l], fn, "W", t, "X", False)
                _shape(h, 2, -1, -1, fn, "X", None, None)
                _shape(w, 2, -1, -1, fn, "W", None, None)
                _act(act, fn)
                param = params[l]
                bb = _optional(bs[l], fn, "b", t, "X", False)
                _shape(w, 2, -1, cnp.PyArray_DIM(h, 1), fn, "W", "X", h)
                _shape(bb, 1, cnp.PyArray_DIM(w, 0), 0, fn, "b", "W", w)
            except (TypeError, ValueError) as e:
                raise type(e)(f"{e} (layer {l})") from None
            dims[0] = cnp.PyArray_DIM(h, 0)
            dims[1] = cnp.PyArray_DIM(w, 0)
            y = cnp.PyArray_EMPTY(2, dims, t, 0)
            z = (cnp.PyArray_EMPTY(2, dims, t, 0)
                 if keep_z and fg_act_reads(act) == FG_READS_X else None)
            es[l].M, es[l].N, es[l].K = dims[0], dims[1], cnp.PyArray_DIM(h, 1)
            es[l].x, es[l].w, es[l].b = _ptr(h), _ptr(w), _ptr(bb)
            es[l].z, es[l].y = _ptr(<cnp.ndarray>z), _ptr(<cnp.ndarray>y)
            es[l].act, es[l].param, es[l].t = act, param, t
            ys.append(y)
            zs.append(z)
            h = <cnp.ndarray>y
        with nogil:
            for l in range(L):
                _dense_forward_run(&es[l])
    finally:
        if es != stack:
            PyMem_Free(es)
    return ys, zs


def dense_stack_backward(X, ys, zs, Ws, acts, params, dY, bint need_dx, dWs, dbs,
                         accumulate):
    """The chain rule down a stack run by dense_stack_forward, top layer first: dZ_l = dY_l *
    act_l'(Z_l, Y_l) (written over dY_l), dW_l (+)= dZ_l^T H_(l-1), db_l (+)= the column sums
    of dZ_l, dY_(l-1) = dZ_l W_l. dY, the top layer's, is overwritten; dWs[l] or dbs[l] may be
    None (not wanted), accumulate[l] says "+=" for both. ys, zs, Ws, acts, params, dWs, dbs
    and accumulate are lists or tuples, one entry per layer. No array written (dY, dWs, dbs)
    may overlap any other array of the call, in any layer, except that layers may share one
    dW (or one db) buffer exactly, as layers that share a weight do. Every layer is checked
    before any is run, so a refused call writes nothing. Returns dX (allocated) when need_dx,
    else None."""
    fn = "dense_stack_backward"
    # The arrays in tuples of their own: the kernels run without the GIL, and another thread
    # could empty the caller's lists meanwhile and free the arrays they hold.
    cdef tuple ys_ = _entries(fn, "ys", ys, -1), zs_ = _entries(fn, "zs", zs, -1)
    cdef tuple Ws_ = _entries(fn, "Ws", Ws, -1)
    acts_, params_ = _sequence(fn, "acts", acts), _sequence(fn, "params", params)
    cdef tuple dWs_ = _entries(fn, "dWs", dWs, -1), dbs_ = _entries(fn, "dbs", dbs, -1)
    acc_ = _sequence(fn, "accumulate", accumulate)
    cdef Py_ssize_t L = len(Ws_), l
    if (L == 0 or len(ys_) != L or len(zs_) != L or len(acts_) != L or len(params_) != L
            or len(dWs_) != L or len(dbs_) != L or len(acc_) != L):
        raise ValueError(f"{fn}: ys, zs, Ws, acts, params, dWs, dbs and accumulate must be "
                         f"equally long and not empty")
    cdef int t = _float_type(X, fn, "X")
    cdef cnp.ndarray h
    cdef cnp.npy_intp dims[2]
    cdef DenseBackward stack[8]
    cdef DenseBackward *es = stack
    cdef size_t offset = 0, itemsize = 4 if t == F32 else 8
    cdef cnp.npy_intp size = 64
    cdef char *between = NULL
    if L > 8:
        es = <DenseBackward *>PyMem_Malloc(L * sizeof(DenseBackward))
        if es == NULL:
            raise MemoryError()
    dx = None
    try:
        for l in range(L - 1, -1, -1):
            try:  # names in messages are the layer's own (X, W, dY, ...), its index appended
                h = _array(X if l == 0 else ys_[l - 1], fn, "X", t, "X", False)
                _shape(h, 2, -1, -1, fn, "X", None, None)
                if l == 0 and need_dx:
                    dims[0] = cnp.PyArray_DIM(h, 0)
                    dims[1] = cnp.PyArray_DIM(h, 1)
                    dx = cnp.PyArray_EMPTY(2, dims, t, 0)
                _dense_backward_check(&es[l], fn, h, Ws_[l], zs_[l], ys_[l], acts_[l],
                                      params_[l], dY, dx, dWs_[l], dbs_[l], acc_[l],
                                      1 if l == L - 1 else 2)
            except (TypeError, ValueError) as e:
                raise type(e)(f"{e} (layer {l})") from None
        if _stack_disjoint(fn, X, ys_, zs_, Ws_, dY, dWs_, dbs_, False):
            _stack_overlap_error(fn, X, ys_, zs_, Ws_, dY, dWs_, dbs_)
        # The gradient each layer passes down (its dX, the dY of the layer below) is the
        # call's own: one buffer holds them all, each at a 64-byte boundary. A NumPy array,
        # so that a large one gets NumPy's huge-page hint as the per-layer arrays did.
        for l in range(1, L):
            size += (<size_t>es[l].M * <size_t>es[l].K * itemsize + 63) // 64 * 64
        if L > 1:
            buffer = cnp.PyArray_EMPTY(1, &size, cnp.NPY_UINT8, 0)
            between = <char *>((<size_t>cnp.PyArray_DATA(buffer) + 63) // 64 * 64)
        for l in range(L - 1, 0, -1):
            es[l].dx = es[l - 1].dy = between + offset
            offset += (<size_t>es[l].M * <size_t>es[l].K * itemsize + 63) // 64 * 64
        with nogil:
            for l in range(L - 1, -1, -1):
                _dense_backward_run(&es[l])
    finally:
        if es != stack:
            PyMem_Free(es)
    return dx


cdef object _stack_array(Py_ssize_t i, Py_ssize_t L, object X, tuple ys, tuple zs, tuple Ws,
                         object dY, tuple dWs, tuple dbs):
    """Entry i of the arrays _stack_disjoint compares: dY, dWs, dbs (written), X, then each
    layer's ys, zs and Ws entries; _stack_name names them."""
    if i == 0:
        return dY
    if i <= L:
        return dWs[i - 1]
    if i <= 2 * L:
        return dbs[i - 1 - L]
    if i == 2 * L + 1:
        return X
    i -= 2 * L + 2
    return ys[i // 3] if i % 3 == 0 else (zs[i // 3] if i % 3 == 1 else Ws[i // 3])


cdef int _stack_disjoint(str fn, object X, tuple ys, tuple zs, tuple Ws, object dY,
                         tuple dWs, tuple dbs, bint raise_) except -1:
    """Across layers: what dense_stack_backward writes (dY, dWs, dbs) overlaps nothing else,
    except one dW buffer shared by several layers (or one db), written by each in turn. The
    arrays are the checked ndarrays or None. Address ranges are compared in C; a pair that
    overlaps makes the call return 1, or with raise_, goes through _disjoint for its verdict
    and message."""
    cdef Py_ssize_t L = len(Ws), i, j, n_w = 1 + 2 * L, n = 2 + 5 * L
    cdef char *stack[128]
    cdef char **lo = stack
    if n > 64:
        lo = <char **>PyMem_Malloc(2 * n * sizeof(char *))
        if lo == NULL:
            raise MemoryError()
    cdef char **hi = lo + n
    cdef bint shared_ok
    try:
        # In _stack_array's order: dY, dWs, dbs, X, then ys, zs and Ws layer by layer.
        _extent_or_null(dY, &lo[0], &hi[0])
        for i in range(L):
            _extent_or_null(dWs[i], &lo[1 + i], &hi[1 + i])
            _extent_or_null(dbs[i], &lo[1 + L + i], &hi[1 + L + i])
            _extent_or_null(ys[i], &lo[n_w + 1 + 3 * i], &hi[n_w + 1 + 3 * i])
            _extent_or_null(zs[i], &lo[n_w + 2 + 3 * i], &hi[n_w + 2 + 3 * i])
            _extent_or_null(Ws[i], &lo[n_w + 3 + 3 * i], &hi[n_w + 3 + 3 * i])
        _extent_or_null(X, &lo[n_w], &hi[n_w])
        for i in range(n_w):
            if lo[i] == NULL:
                continue
            for j in range(i + 1, n):
                if lo[j] == NULL or not (lo[i] < hi[j] and lo[j] < hi[i]):
                    continue
                # dWs with dWs, dbs with dbs: the same buffer is a shared parameter's gradient
                shared_ok = (1 <= i <= L and 1 <= j <= L) or (L < i < n_w and L < j < n_w)
                if not raise_:
                    if not (shared_ok and lo[i] == lo[j] and hi[i] == hi[j]):
                        return 1
                    continue
                _disjoint(_stack_array(i, L, X, ys, zs, Ws, dY, dWs, dbs), _stack_name(i, L),
                          _stack_array(j, L, X, ys, zs, Ws, dY, dWs, dbs), _stack_name(j, L),
                          fn, shared_ok)
    finally:
        if lo != stack:
            PyMem_Free(lo)
    return 0


cdef int _stack_overlap_error(str fn, object X, tuple ys, tuple zs, tuple Ws, object dY,
                              tuple dWs, tuple dbs) except -1:
    """Raises for the overlap _stack_disjoint found, worded as a layer's own check words it
    when it lies within one layer (top layer first), else as across layers."""
    cdef Py_ssize_t L = len(Ws), l
    for l in range(L - 1, -1, -1):
        try:
            _layer_overlaps(fn, dY if l == L - 1 else None, None, dWs[l], dbs[l],
                            X if l == 0 else ys[l - 1], Ws[l], zs[l], ys[l])
        except ValueError as e:
            raise ValueError(f"{e} (layer {l})") from None
    _stack_disjoint(fn, X, ys, zs, Ws, dY, dWs, dbs, True)
    raise AssertionError(f"{fn}: an overlap was found but not worded")


cdef str _stack_name(Py_ssize_t i, Py_ssize_t L):
    """The name of entry i of _stack_disjoint's arrays, for its message."""
    if i == 0:
        return "dY"
    if i <= L:
        return f"dWs[{i - 1}]"
    if i <= 2 * L:
        return f"dbs[{i - 1 - L}]"
    if i == 2 * L + 1:
        return "X"
    i -= 2 * L + 2
    return f"{('ys', 'zs', 'Ws')[i % 3]}[{i // 3}]"


# ---- elementwise ------------------------------------------------------------------------------

def act_forward(int act, double param, x, y):
    """y = act(x) elementwise; any shapes with the same size; y may be x itself."""
    fn = "act_forward"
    _act(act, fn)
    cdef int t = _float_type(x, fn, "x")
    cdef cnp.ndarray xa = _array(x, fn, "x", t, "x", False)
    cdef cnp.ndarray ya = _array(y, fn, "y", t, "x", True)
    _same_size(xa, "x", ya, "y", fn)
    _disjoint(ya, "y", xa, "x", fn, True)
    cdef fg_idx n = cnp.PyArray_SIZE(xa)
    cdef void *px = _ptr(xa)
    cdef void *py = _ptr(ya)
    with nogil:
        if t == F32:
            fg_act_forward_f32(n, act, param, <float *>px, <float *>py)
        else:
            fg_act_forward_f64(n, act, param, <double *>px, <double *>py)


def act_backward(int act, double param, x, y, dy, dx):
    """dx = dy * act'(x) elementwise, reading x (the input) or y (the output) as the activation
    requires (ACTIVATION_READS); the other may be None. dx may be dy itself."""
    fn = "act_backward"
    _act(act, fn)
    cdef int t = _float_type(dy, fn, "dy")
    cdef cnp.ndarray dya = _array(dy, fn, "dy", t, "dy", False)
    cdef cnp.ndarray dxa = _array(dx, fn, "dx", t, "dy", True)
    cdef cnp.ndarray xa = _optional(x, fn, "x", t, "dy", False)
    cdef cnp.ndarray ya = _optional(y, fn, "y", t, "dy", False)
    _check_saved(act, xa, ya, fn, "x", "y")
    _same_size(dya, "dy", dxa, "dx", fn)
    _same_size(dya, "dy", xa, "x", fn)
    _same_size(dya, "dy", ya, "y", fn)
    _disjoint(dxa, "dx", dya, "dy", fn, True)
    _disjoint(dxa, "dx", xa, "x", fn)
    _disjoint(dxa, "dx", ya, "y", fn)
    cdef fg_idx n = cnp.PyArray_SIZE(dya)
    cdef void *px = _ptr(xa)
    cdef void *py = _ptr(ya)
    cdef void *pdy = _ptr(dya)
    cdef void *pdx = _ptr(dxa)
    with nogil:
        if t == F32:
            fg_act_backward_f32(n, act, param, <float *>px, <float *>py, <float *>pdy,
                                <float *>pdx)
        else:
            fg_act_backward_f64(n, act, param, <double *>px, <double *>py, <double *>pdy,
                                <double *>pdx)


def erf(x, y):
    """y = erf(x) elementwise (float32 or float64); any shapes with the same size; y may be x
    itself."""
    fn = "erf"
    cdef int t = _float_type(x, fn, "x")
    cdef cnp.ndarray xa = _array(x, fn, "x", t, "x", False)
    cdef cnp.ndarray ya = _array(y, fn, "y", t, "x", True)
    _same_size(xa, "x", ya, "y", fn)
    _disjoint(ya, "y", xa, "x", fn, True)
    cdef fg_idx n = cnp.PyArray_SIZE(xa)
    cdef void *px = _ptr(xa)
    cdef void *py = _ptr(ya)
    with nogil:
        if t == F32:
            fg_erf_f32(n, <float *>px, <float *>py)
        else:
            fg_erf_f64(n, <double *>px, <double *>py)


# ---- losses and reductions ------------------------------------------------------------------

def cross_entropy(X, target, int64_t ignore_index, double label_smoothing, loss, dX):
    """Per row i of X[M,C]: loss[i] = -sum_c q_ic log softmax(X_i)_c and dX[i] = softmax(X_i)
    - q_i, where q is the one-hot target smoothed as PyTorch does; rows whose target equals
    ignore_index get loss 0 and gradient 0. dX may be None (loss only). Returns (sum of loss
    as a Python float, as sum(loss) gives it; the number of rows not ignored), what a 'sum' or
    'mean' reduction needs."""
    fn = "cross_entropy"
    cdef int t = _float_type(X, fn, "X")
    cdef cnp.ndarray x = _array(X, fn, "X", t, "X", False)
    cdef cnp.ndarray tg = _array(target, fn, "target", cnp.NPY_INT64, None, False)
    cdef cnp.ndarray l = _array(loss, fn, "loss", t, "X", True)
    cdef cnp.ndarray dx = _optional(dX, fn, "dX", t, "X", True)
    if not (0.0 <= label_smoothing <= 1.0):
        raise ValueError(f"{fn}: label_smoothing must be in [0, 1], got {label_smoothing}")
    _shape(x, 2, -1, -1, fn, "X", None, None)
    cdef fg_idx M = cnp.PyArray_DIM(x, 0), C = cnp.PyArray_DIM(x, 1)
    _shape(tg, 1, M, 0, fn, "target", "X", x)
    _shape(l, 1, M, 0, fn, "loss", "X", x)
    _shape(dx, 2, M, C, fn, "dX", "X", x)
    for out, oname in ((l, "loss"), (dx, "dX")):
        _disjoint(out, oname, x, "X", fn)
        _disjoint(out, oname, tg, "target", fn)
    _disjoint(l, "loss", dx, "dX", fn)
    # The labels are copied, then checked and used from the copy: the caller's array may be
    # written by another thread while the kernel runs without the GIL, and a label changed
    # between the check and the kernel's read would index out of bounds.
    cdef const int64_t *src = <const int64_t *>cnp.PyArray_DATA(tg)
    cdef int64_t *pt = <int64_t *>PyMem_Malloc((M if M > 0 else 1) * sizeof(int64_t))
    if pt == NULL:
        raise MemoryError()
    cdef fg_idx i, counted = 0
    cdef void *px = _ptr(x)
    cdef void *pl = _ptr(l)
    cdef void *pdx = _ptr(dx)
    cdef double total
    try:
        memcpy(pt, src, M * sizeof(int64_t))
        for i in range(M):
            if pt[i] == ignore_index:
                continue
            if pt[i] < 0 or pt[i] >= C:
                raise IndexError(f"{fn}: target[{i}] = {pt[i]} is out of range for {C} classes "
                                 f"(expected 0 <= target < {C} or target == ignore_index "
                                 f"= {ignore_index})")
            counted += 1
        with nogil:
            if t == F32:
                fg_cross_entropy_f32(M, C, <float *>px, pt, ignore_index, label_smoothing,
                                     <float *>pl, <float *>pdx)
                total = fg_sum_f32(M, <float *>pl)
            else:
                fg_cross_entropy_f64(M, C, <double *>px, pt, ignore_index, label_smoothing,
                                     <double *>pl, <double *>pdx)
                total = fg_sum_f64(M, <double *>pl)
    finally:
        PyMem_Free(pt)
    return total, counted


def mse(pred, target, sq, dX):
    """Returns sum((pred - target)**2) as a Python float (each square rounded to the dtype, then
    accumulated in double in sum()'s order, so it equals sum(sq)); writes sq = (pred - target)**2
    and dX = 2 * (pred - target), each unless None. pred and target: same shape; sq and dX: the
    same number of elements, each separate from the other (either may be pred or target itself)."""
    fn = "mse"
    cdef int t = _float_type(pred, fn, "pred")
    cdef cnp.ndarray p = _array(pred, fn, "pred", t, "pred", False)
    cdef cnp.ndarray tg = _array(target, fn, "target", t, "pred", False)
    cdef cnp.ndarray q = _optional(sq, fn, "sq", t, "pred", True)
    cdef cnp.ndarray d = _optional(dX, fn, "dX", t, "pred", True)
    if not cnp.PyArray_SAMESHAPE(p, tg):
        raise ValueError(f"{fn}: pred has shape {_sh(p)} but target has shape {_sh(tg)}; "
                         f"they must match (no broadcasting)")
    for out, oname in ((q, "sq"), (d, "dX")):
        _same_size(p, "pred", out, oname, fn)
        _disjoint(out, oname, p, "pred", fn, True)
        _disjoint(out, oname, tg, "target", fn, True)
    _disjoint(q, "sq", d, "dX", fn)
    cdef fg_idx n = cnp.PyArray_SIZE(p)
    cdef void *pp = _ptr(p)
    cdef void *pt = _ptr(tg)
    cdef void *pq = _ptr(q)
    cdef void *pd = _ptr(d)
    cdef double s
    with nogil:
        if t == F32:
            s = fg_mse_f32(n, <float *>pp, <float *>pt, <float *>pq, <float *>pd)
        else:
            s = fg_mse_f64(n, <double *>pp, <double *>pt, <double *>pq, <double *>pd)
    return s


cdef object scaled(object dX, double s):
    """A new array dX * s, s rounded to dX's dtype first (NumPy's dX * dtype.type(s)): the
    backward of a reduced loss, for the engine's loss node. Unchecked, by design: dX is the
    C-contiguous float32 or float64 derivative that node's forward made with mse or
    cross_entropy above, which checked everything they were given."""
    cdef cnp.ndarray d = <cnp.ndarray>dX
    cdef int t = cnp.PyArray_TYPE(d)
    cdef cnp.ndarray y = cnp.PyArray_EMPTY(cnp.PyArray_NDIM(d), cnp.PyArray_DIMS(d), t, 0)
    cdef fg_idx n = cnp.PyArray_SIZE(d)
    cdef void *pd = _ptr(d)
    cdef void *py = _ptr(y)
    if t == F32:
        fg_scale_f32(n, <float *>pd, <float>s, <float *>py)
    else:
        fg_scale_f64(n, <double *>pd, s, <double *>py)
    return y


def sum_all(x):
    """Deterministic sum of all elements of x, accumulated in double; a Python float."""
    fn = "sum_all"
    cdef int t = _float_type(x, fn, "x")
    cdef cnp.ndarray xa = _array(x, fn, "x", t, "x", False)
    cdef fg_idx n = cnp.PyArray_SIZE(xa)
    cdef void *px = _ptr(xa)
    cdef double s
    with nogil:
        if t == F32:
            s = fg_sum_f32(n, <float *>px)
        else:
            s = fg_sum_f64(n, <double *>px)
    return s


# ---- optimizers -------------------------------------------------------------------------------
# Each optimizer has a single version (one parameter) and a _many version (lists of arrays,
# one entry per parameter: a whole parameter group in one call, as optimizer.step() wants, for
# the Python of a call costs more than the update of a small parameter). Both check an entry
# with the same cdef function, which also records its pointers; the _many version checks every
# entry before it writes anything, then runs the entries in order in one nogil block. The one
# dtype per call of the module docstring holds per entry: entries may differ in dtype.


cdef enum:
    STACK_ENTRIES = 32  # parameter lists up to this long need no heap allocation


cdef struct SgdEntry:
    fg_idx n
    void *p
    void *g
    void *buf
    int t
    int first


cdef struct AdamEntry:
    fg_idx n
    void *p
    void *g
    void *m
    void *v
    void *vmax
    int t
    int64_t step


cdef int _same_extent(cnp.ndarray a, str aname, cnp.ndarray b, str bname, str fn,
                      bint same_shape) except -1:
    """The single versions need only equal sizes; the _many versions need equal shapes, so that
    a gradient of the right size but another shape is refused rather than applied flat."""
    if not same_shape or b is None:
        return _same_size(a, aname, b, bname, fn)
    if cnp.PyArray_SAMESHAPE(a, b):
        return 0
    raise ValueError(f"{fn}: {aname} has shape {_sh(a)} and {bname} has shape {_sh(b)}; "
                     f"they must have the same shape")


cdef int _sgd_entry(SgdEntry *e, str fn, object p, object g, object buf, double momentum,
                    bint same_shape, str pname, str gname, str bname) except -1:
    cdef int t = _float_type(p, fn, pname)
    cdef cnp.ndarray pa = _array(p, fn, pname, t, pname, True)
    cdef cnp.ndarray ga = _array(g, fn, gname, t, pname, False)
    cdef cnp.ndarray ba = _optional(buf, fn, bname, t, pname, True)
    if ba is None and momentum != 0:
        raise ValueError(f"{fn}: {bname} (the momentum buffer) is required when momentum != 0")
    _same_extent(pa, pname, ga, gname, fn, same_shape)
    _same_extent(pa, pname, ba, bname, fn, same_shape)
    _disjoint(pa, pname, ga, gname, fn)
    _disjoint(pa, pname, ba, bname, fn)
    _disjoint(ba, bname, ga, gname, fn)
    e.n = cnp.PyArray_SIZE(pa)
    e.p = _ptr(pa)
    e.g = _ptr(ga)
    e.buf = _ptr(ba)
    e.t = t
    return 0


cdef int _adam_entry(AdamEntry *e, str fn, object p, object g, object m, object v, object vmax,
                     object step_number, bint same_shape, str pname, str gname, str mname,
                     str vname, str vmname, str sname) except -1:
    cdef int64_t step
    try:
        step = step_number  # as an int64_t argument converts: an int, or a float truncated
    except (TypeError, OverflowError) as err:
        raise type(err)(f"{fn}: {sname} must be an int64 step count, got {step_number!r}") from None
    if step < 1:
        raise ValueError(f"{fn}: {sname} is 1-based and must be >= 1, got {step}")
    cdef int t = _float_type(p, fn, pname)
    cdef cnp.ndarray pa = _array(p, fn, pname, t, pname, True)
    cdef cnp.ndarray ga = _array(g, fn, gname, t, pname, False)
    cdef cnp.ndarray ma = _array(m, fn, mname, t, pname, True)
    cdef cnp.ndarray va = _array(v, fn, vname, t, pname, True)
    cdef cnp.ndarray vm = _optional(vmax, fn, vmname, t, pname, True)
    _same_extent(pa, pname, ga, gname, fn, same_shape)
    _same_extent(pa, pname, ma, mname, fn, same_shape)
    _same_extent(pa, pname, va, vname, fn, same_shape)
    _same_extent(pa, pname, vm, vmname, fn, same_shape)
    _no_overlaps((pa, ma, va, vm, ga), (pname, mname, vname, vmname, gname), 4, fn)
    e.n = cnp.PyArray_SIZE(pa)
    e.p = _ptr(pa)
    e.g = _ptr(ga)
    e.m = _ptr(ma)
    e.v = _ptr(va)
    e.vmax = _ptr(vm)
    e.t = t
    e.step = step
    return 0


cdef void _sgd_run(const SgdEntry *e, double lr, double momentum, double dampening,
                   double weight_decay, int nesterov) noexcept nogil:
    if e.t == F32:
        fg_sgd_step_f32(e.n, <float *>e.p, <float *>e.g, <float *>e.buf, lr, momentum,
                        dampening, weight_decay, nesterov, e.first)
    else:
        fg_sgd_step_f64(e.n, <double *>e.p, <double *>e.g, <double *>e.buf, lr, momentum,
                        dampening, weight_decay, nesterov, e.first)


cdef void _adam_run(const AdamEntry *es, Py_ssize_t count, double lr, double beta1,
                    double beta2, double eps, double weight_decay, int decoupled) noexcept nogil:
    """The entries in order; entries at the same step as the one before share its bias
    corrections (two pow calls, which cost more than a small parameter's update)."""
    cdef double bc[2]
    cdef int64_t last_step = -1
    cdef Py_ssize_t i
    for i in range(count):
        e = &es[i]
        if e.step != last_step:
            fg_adam_bias_corrections(beta1, beta2, e.step, bc)
            last_step = e.step
        if e.t == F32:
            fg_adam_step_f32(e.n, <float *>e.p, <float *>e.g, <float *>e.m, <float *>e.v,
                             <float *>e.vmax, lr, beta1, beta2, eps, weight_decay, decoupled,
                             bc[0], bc[1])
        else:
            fg_adam_step_f64(e.n, <double *>e.p, <double *>e.g, <double *>e.m, <double *>e.v,
                             <double *>e.vmax, lr, beta1, beta2, eps, weight_decay, decoupled,
                             bc[0], bc[1])


cdef inline object _sequence(str fn, str name, object seq):
    """seq itself, refused unless a list or tuple: for entries that are numbers, each converted
    to C under the GIL as it is read, so nothing of seq is read without the GIL."""
    if not isinstance(seq, (list, tuple)):
        raise TypeError(f"{fn}: {name} must be a list or tuple (one entry per "
                        f"{'layer' if fn.startswith('dense_stack') else 'parameter'}), "
                        f"got {type(seq).__name__}")
    return seq


cdef tuple _entries(str fn, str name, object seq, Py_ssize_t count):
    """seq as a tuple of `count` entries (count < 0: any length). A tuple, because the caller
    keeps its arrays alive through it while C runs without the GIL."""
    _sequence(fn, name, seq)
    cdef tuple entries = tuple(seq)
    if count >= 0 and len(entries) != count:
        raise ValueError(f"{fn}: {name} has {len(entries)} entries but params has {count}; "
                         f"they must have one entry per parameter")
    return entries


def sgd_step(p, g, buf, double lr, double momentum, double dampening, double weight_decay,
             bint nesterov, bint first):
    """One torch.optim.SGD step on one parameter; buf is the momentum buffer (None allowed
    only when momentum == 0); first: the buffer is initialised from this gradient."""
    cdef SgdEntry e
    _sgd_entry(&e, "sgd_step", p, g, buf, momentum, False, "p", "g", "buf")
    e.first = first
    with nogil:
        _sgd_run(&e, lr, momentum, dampening, weight_decay, nesterov)


def sgd_step_many(params, grads, bufs, double lr, double momentum, double dampening,
                  double weight_decay, bint nesterov, first):
    """sgd_step on each entry of the lists params, grads and bufs (bufs None: no buffers, for
    momentum == 0), in order, as successive sgd_step calls would: the result is the same bit
    for bit. first: one flag for all entries, or a list of one per entry. Every entry is
    checked as sgd_step checks it, and also its arrays must share params[i]'s shape; entries
    may differ in dtype. Nothing is written unless every entry is valid."""
    fn = "sgd_step_many"
    cdef tuple ps = _entries(fn, "params", params, -1)
    cdef Py_ssize_t n = len(ps), i
    cdef tuple gs = _entries(fn, "grads", grads, n)
    cdef tuple bs = None if bufs is None else _entries(fn, "bufs", bufs, n)
    cdef tuple fs = None
    cdef bint all_first = False
    if isinstance(first, (list, tuple)):
        fs = _entries(fn, "first", first, n)
    else:
        all_first = first
    err = None
    cdef SgdEntry stack[STACK_ENTRIES]
    cdef SgdEntry *es = stack
    if n > STACK_ENTRIES:
        es = <SgdEntry *>PyMem_Malloc(n * sizeof(SgdEntry))
        if es == NULL:
            raise MemoryError()
    try:
        try:
            for i in range(n):
                _sgd_entry(&es[i], fn, ps[i], gs[i], None if bs is None else bs[i], momentum,
                           True, "p", "g", "buf")
                es[i].first = all_first if fs is None else bool(fs[i])
        except (TypeError, ValueError) as e:
            err = e
        if err is not None:  # again, naming the entry: too dear to format on every call
            _sgd_entry(&es[i], fn, ps[i], gs[i], None if bs is None else bs[i], momentum, True,
                       f"params[{i}]", f"grads[{i}]", f"bufs[{i}]")
            raise err
        with nogil:
            for i in range(n):
                _sgd_run(&es[i], lr, momentum, dampening, weight_decay, nesterov)
    finally:
        if es != stack:
            PyMem_Free(es)


def adam_step(p, g, m, v, vmax, double lr, double beta1, double beta2, double eps,
              double weight_decay, bint decoupled, int64_t step):
    """One torch.optim.Adam (decoupled=False) or AdamW (decoupled=True) step on one parameter
    at 1-based `step`; m, v and (amsgrad only, else None) vmax are updated in place."""
    cdef AdamEntry e
    _adam_entry(&e, "adam_step", p, g, m, v, vmax, step, False, "p", "g", "m", "v", "vmax",
                "step")
    with nogil:
        _adam_run(&e, 1, lr, beta1, beta2, eps, weight_decay, decoupled)


def adam_step_many(params, grads, ms, vs, vmaxs, double lr, double beta1, double beta2,
                   double eps, double weight_decay, bint decoupled, steps):
    """adam_step on each entry of the lists params, grads, ms, vs, vmaxs (None: no amsgrad)
    and steps (1-based, one per entry), in order, as successive adam_step calls would: the
    result is the same bit for bit. Every entry is checked as adam_step checks it, and also its
    arrays must share params[i]'s shape; entries may differ in dtype. Nothing is written unless
    every entry is valid."""
    fn = "adam_step_many"
    cdef tuple ps = _entries(fn, "params", params, -1)
    cdef Py_ssize_t n = len(ps), i
    cdef tuple gs = _entries(fn, "grads", grads, n)
    cdef tuple mts = _entries(fn, "ms", ms, n)
    cdef tuple vts = _entries(fn, "vs", vs, n)
    cdef tuple vms = None if vmaxs is None else _entries(fn, "vmaxs", vmaxs, n)
    cdef tuple sts = _entries(fn, "steps", steps, n)
    err = None
    cdef AdamEntry stack[STACK_ENTRIES]
    cdef AdamEntry *es = stack
    if n > STACK_ENTRIES:
        es = <AdamEntry *>PyMem_Malloc(n * sizeof(AdamEntry))
        if es == NULL:
            raise MemoryError()
    try:
        try:
            for i in range(n):
                _adam_entry(&es[i], fn, ps[i], gs[i], mts[i], vts[i],
                            None if vms is None else vms[i], sts[i], True,
                            "p", "g", "m", "v", "vmax", "step")
        except (TypeError, ValueError, OverflowError) as e:
            err = e
        if err is not None:  # again, naming the entry: too dear to format on every call
            _adam_entry(&es[i], fn, ps[i], gs[i], mts[i], vts[i], None if vms is None else vms[i],
                        sts[i], True, f"params[{i}]", f"grads[{i}]", f"ms[{i}]", f"vs[{i}]",
                        f"vmaxs[{i}]", f"steps[{i}]")
            raise err
        with nogil:
            _adam_run(es, n, lr, beta1, beta2, eps, weight_decay, decoupled)
    finally:
        if es != stack:
            PyMem_Free(es)


# ---- a parameter group's step, read straight from its tensors ------------------------------
# What optimizer.step() runs every training step (fastgrad.optim.SGD and Adam): the group's
# tensors are read here, each array checked with the C-API macros the kernels' contract needs
# (dtype, size, shape, layout, writability, no overlaps), so a small model's step is not the
# Python of gathering lists. Nothing is cached between calls: every array is read again from
# its tensor and state dict, so no assignment a user makes (p.grad, p.data, a state buffer, a
# hyper-parameter) can be missed. Anything this path does not take as it is returns None
# having written nothing, and the optimizer takes its general path, which converts, starts
# state, or raises with a message: the first step, maximize, a gradient of another dtype or
# layout, overlapping arrays, a step count that is not an int.

cdef enum:
    NOGIL_ELEMENTS = 16384  # a smaller group updates in less time than the GIL takes to pass


cdef inline bint _usable(object a, int t, cnp.ndarray like, bint out) noexcept:
    """a is an ndarray a kernel takes as it is: dtype t, like's shape, C-contiguous, aligned,
    native byte order, and writable when it is an output."""
    if not cnp.PyArray_Check(a):
        return False
    cdef cnp.ndarray arr = <cnp.ndarray>a
    return (cnp.PyArray_TYPE(arr) == t and cnp.PyArray_ISNOTSWAPPED(arr)
            and cnp.PyArray_IS_C_CONTIGUOUS(arr) and cnp.PyArray_ISALIGNED(arr)
            and (not out or cnp.PyArray_ISWRITEABLE(arr))
            and (arr is like or cnp.PyArray_SAMESHAPE(arr, like)))


cdef inline bint _apart(void *a, void *b, size_t nbytes) noexcept:
    """Two buffers of nbytes each (a NULL one is absent) share no byte."""
    return (a == NULL or b == NULL or <char *>a + nbytes <= <char *>b
            or <char *>b + nbytes <= <char *>a)


cdef bint _all_apart(void **ptrs, int count, size_t nbytes) noexcept:
    cdef int i, j
    for i in range(count):
        for j in range(i + 1, count):
            if not _apart(ptrs[i], ptrs[j], nbytes):
                return False
    return True


cdef inline object _param_data(object p, int *t):
    """p._data when it is a writable float array a kernel takes as it is, else None."""
    data = getattr(p, "_data")
    if not cnp.PyArray_Check(data):
        return None
    t[0] = cnp.PyArray_TYPE(<cnp.ndarray>data)
    if (t[0] != F32 and t[0] != F64) or not _usable(data, t[0], <cnp.ndarray>data, True):
        return None
    return data


def sgd_step_group(group, state):
    """torch.optim.SGD's step over one parameter group (a dict of fastgrad.optim.SGD's
    param_groups): each tensor of group["params"] whose `_grad` is not None is updated as
    sgd_step_many would with the group's hyper-parameters, its momentum buffer read from
    state[p]["momentum_buffer"] (momentum != 0). Returns the list of tensors updated, or None,
    having written nothing, when the group needs the optimizer's general path (maximize, a
    buffer not yet made, a gradient the kernel cannot take as it is, overlapping arrays, a
    hyper-parameter that is not a number)."""
    cdef double lr, momentum, dampening, weight_decay
    cdef bint nesterov
    if not isinstance(group, dict):
        return None
    try:
        params = group["params"]
        if group["maximize"]:
            return None
        lr, momentum, dampening = group["lr"], group["momentum"], group["dampening"]
        weight_decay, nesterov = group["weight_decay"], group["nesterov"]
    except (KeyError, TypeError, ValueError):
        return None
    if type(params) is not list or (momentum != 0 and not isinstance(state, dict)):
        return None
    cdef Py_ssize_t n = len(<list>params), i, k = 0
    cdef SgdEntry stack[STACK_ENTRIES]
    cdef SgdEntry *es = stack
    cdef void *ptrs[3]
    cdef int t = 0
    cdef Py_ssize_t total = 0
    cdef list updated = []
    cdef list keep = [None] * (3 * n)  # every array C reads, held until it is done
    if n > STACK_ENTRIES:
        es = <SgdEntry *>PyMem_Malloc(n * sizeof(SgdEntry))
        if es == NULL:
            raise MemoryError()
    try:
        for i in range(n):
            p = (<list>params)[i]
            grad = getattr(p, "_grad")
            if grad is None:
                continue
            data = _param_data(p, &t)
            if data is None or not _usable(grad, t, <cnp.ndarray>data, False):
                return None
            buf = None
            if momentum != 0:
                s = (<dict>state).get(p)
                if type(s) is not dict:
                    return None
                buf = (<dict>s).get("momentum_buffer")
                if buf is None or not _usable(buf, t, <cnp.ndarray>data, True):
                    return None
            es[k].n = cnp.PyArray_SIZE(<cnp.ndarray>data)
            es[k].p = ptrs[0] = cnp.PyArray_DATA(<cnp.ndarray>data)
            es[k].g = ptrs[1] = cnp.PyArray_DATA(<cnp.ndarray>grad)
            es[k].buf = ptrs[2] = NULL if buf is None else cnp.PyArray_DATA(<cnp.ndarray>buf)
            es[k].t = t
            es[k].first = False
            if not _all_apart(ptrs, 3, es[k].n * cnp.PyArray_ITEMSIZE(<cnp.ndarray>data)):
                return None
            updated.append(p)
            keep[3 * k], keep[3 * k + 1], keep[3 * k + 2] = data, grad, buf
            total += es[k].n
            k += 1
        if total < NOGIL_ELEMENTS:
            for i in range(k):
                _sgd_run(&es[i], lr, momentum, dampening, weight_decay, nesterov)
        else:
            with nogil:
                for i in range(k):
                    _sgd_run(&es[i], lr, momentum, dampening, weight_decay, nesterov)
        return updated
    finally:
        if es != stack:
            PyMem_Free(es)


def adam_step_group(group, state):
    """torch.optim.Adam's step (AdamW's when group["decoupled_weight_decay"]) over one
    parameter group (a dict of fastgrad.optim.Adam's param_groups): each tensor of
    group["params"] whose `_grad` is not None is updated as adam_step_many would with the
    group's hyper-parameters and state[p]'s buffers (exp_avg, exp_avg_sq, max_exp_avg_sq when
    amsgrad) at step state[p]["step"] + 1, which is stored back. Returns the list of tensors
    updated, or None, having written nothing, when the group needs the optimizer's general
    path (maximize, no state yet, a gradient or buffer the kernel cannot take as it is,
    overlapping arrays, a step count that is not an int, a hyper-parameter that is not a
    number)."""
    cdef double lr, beta1, beta2, eps, weight_decay
    cdef bint decoupled, amsgrad
    if not isinstance(group, dict):
        return None
    try:
        params = group["params"]
        if group["maximize"]:
            return None
        lr, (beta1, beta2), eps = group["lr"], group["betas"], group["eps"]
        weight_decay, decoupled = group["weight_decay"], group["decoupled_weight_decay"]
        amsgrad = group["amsgrad"]
    except (KeyError, TypeError, ValueError):
        return None
    if type(params) is not list or not isinstance(state, dict):
        return None
    cdef Py_ssize_t n = len(<list>params), i, k = 0
    cdef AdamEntry stack[STACK_ENTRIES]
    cdef AdamEntry *es = stack
    cdef void *ptrs[5]
    cdef int t = 0
    cdef Py_ssize_t total = 0
    cdef list updated = [], states = []
    cdef list keep = [None] * (5 * n)  # every array C reads, held until it is done
    cdef long long step_count
    cdef int overflow
    if n > STACK_ENTRIES:
        es = <AdamEntry *>PyMem_Malloc(n * sizeof(AdamEntry))
        if es == NULL:
            raise MemoryError()
    try:
        for i in range(n):
            p = (<list>params)[i]
            grad = getattr(p, "_grad")
            if grad is None:
                continue
            data = _param_data(p, &t)
            s = (<dict>state).get(p)
            if (data is None or type(s) is not dict
                    or not _usable(grad, t, <cnp.ndarray>data, False)):
                return None
            m = (<dict>s).get("exp_avg")
            v = (<dict>s).get("exp_avg_sq")
            vmax = (<dict>s).get("max_exp_avg_sq") if amsgrad else None
            step = (<dict>s).get("step")
            if type(step) is not int:
                return None
            step_count = PyLong_AsLongLongAndOverflow(step, &overflow)
            if (overflow or not 0 <= step_count < INT64_MAX
                    or not _usable(m, t, <cnp.ndarray>data, True)
                    or not _usable(v, t, <cnp.ndarray>data, True)
                    or (amsgrad and not _usable(vmax, t, <cnp.ndarray>data, True))):
                return None
            es[k].n = cnp.PyArray_SIZE(<cnp.ndarray>data)
            es[k].p = ptrs[0] = cnp.PyArray_DATA(<cnp.ndarray>data)
            es[k].g = ptrs[1] = cnp.PyArray_DATA(<cnp.ndarray>grad)
            es[k].m = ptrs[2] = cnp.PyArray_DATA(<cnp.ndarray>m)
            es[k].v = ptrs[3] = cnp.PyArray_DATA(<cnp.ndarray>v)
            es[k].vmax = ptrs[4] = NULL if vmax is None else cnp.PyArray_DATA(<cnp.ndarray>vmax)
            es[k].t = t
            es[k].step = step_count + 1
            if not _all_apart(ptrs, 5, es[k].n * cnp.PyArray_ITEMSIZE(<cnp.ndarray>data)):
                return None
            updated.append(p)
            states.append(s)
            keep[5 * k], keep[5 * k + 1], keep[5 * k + 2] = data, grad, m
            keep[5 * k + 3], keep[5 * k + 4] = v, vmax
            total += es[k].n
            k += 1
        if total < NOGIL_ELEMENTS:
            _adam_run(es, k, lr, beta1, beta2, eps, weight_decay, decoupled)
        else:
            with nogil:
                _adam_run(es, k, lr, beta1, beta2, eps, weight_decay, decoupled)
        for i in range(k):
            (<dict>states[i])["step"] = es[i].step
        return updated
    finally:
        if es != stack:
            PyMem_Free(es)


# ---- threads and dispatch ---------------------------------------------------------------------

def set_num_threads(n):
    """Number of threads the kernels may use: an int >= 1."""
    if isinstance(n, bool):
        raise TypeError("set_num_threads: n must be an int, got bool")
    try:
        n = operator.index(n)
    except TypeError:
        raise TypeError(f"set_num_threads: n must be an int, got {type(n).__name__}") from None
    if n < 1 or n > INT_MAX:
        raise ValueError(f"set_num_threads: n must be in [1, {INT_MAX}], got {n}")
    fg_set_num_threads(<int>n)


def get_num_threads():
    """Threads the kernels may use (FASTGRAD_NUM_THREADS, else OMP_NUM_THREADS, else the CPUs
    in this process' affinity mask, unless set_num_threads was called)."""
    return fg_get_num_threads()


def isa():
    """The GEMM code path in use: "avx512", "avx2" or "generic"."""
    return fg_isa_name().decode("ascii")


def set_isa(name):
    """Switch the GEMM path to "avx512", "avx2" or "generic" (for tests and benchmarks).
    Returns True when this CPU runs it; otherwise nothing changes and it returns False."""
    if not isinstance(name, str):
        raise TypeError(f"set_isa: name must be a str, got {type(name).__name__}")
    if name not in ("avx512", "avx2", "generic"):
        raise ValueError(f"set_isa: name must be 'avx512', 'avx2' or 'generic', got {name!r}")
    cdef bytes b = name.encode("ascii")
    return fg_set_isa(b) == 1


def gemm_blocking(dtype):
    """The active GEMM path's blocking for float32 or float64: dict of MR, NR, KC, MC, NC and
    MR_DIRECT (the tile height of the direct path, which reads small operands in place)."""
    import numpy as np
    dt = np.dtype(dtype)
    if dt != np.float32 and dt != np.float64:
        raise TypeError(f"gemm_blocking: dtype must be float32 or float64, got {dt}")
    cdef fg_idx out[6]
    fg_gemm_blocking(<int>dt.itemsize, out)
    return {"MR": out[0], "NR": out[1], "KC": out[2], "MC": out[3], "NC": out[4],
            "MR_DIRECT": out[5]}


# ---- softmax ----------------------------------------------------------------------------------

cdef int _softmax_axis(cnp.ndarray a, int axis, str fn, fg_idx *outer, fg_idx *n,
                       fg_idx *inner) except -1:
    """Splits a's shape around `axis` into (outer, n, inner)."""
    cdef int nd = cnp.PyArray_NDIM(a), d
    if nd == 0:
        if axis != 0 and axis != -1:
            raise IndexError(f"{fn}: axis {axis} is out of range for a 0-d array")
        outer[0] = n[0] = inner[0] = 1
        return 0
    if not -nd <= axis < nd:
        raise IndexError(f"{fn}: axis {axis} is out of range for an array of shape {_sh(a)}")
    if axis < 0:  # C division semantics here (cdivision): no Python modulo
        axis += nd
    outer[0] = inner[0] = 1
    for d in range(axis):
        outer[0] *= cnp.PyArray_DIM(a, d)
    for d in range(axis + 1, nd):
        inner[0] *= cnp.PyArray_DIM(a, d)
    n[0] = cnp.PyArray_DIM(a, axis)
    return 0


def softmax_forward(x, y, int axis, bint log_softmax):
    """y = softmax(x) along axis (log_softmax: its logarithm); y has x's shape and may be x."""
    fn = "softmax_forward"
    cdef int t = _float_type(x, fn, "x")
    cdef cnp.ndarray xa = _array(x, fn, "x", t, "x", False)
    cdef cnp.ndarray ya = _array(y, fn, "y", t, "x", True)
    if not cnp.PyArray_SAMESHAPE(xa, ya):
        raise ValueError(f"{fn}: x has shape {_sh(xa)} but y has shape {_sh(ya)}; they must match")
    _disjoint(ya, "y", xa, "x", fn, True)
    cdef fg_idx outer, n, inner
    _softmax_axis(xa, axis, fn, &outer, &n, &inner)
    cdef void *px = _ptr(xa)
    cdef void *py = _ptr(ya)
    cdef int lg = log_softmax
    with nogil:
        if t == F32:
            fg_softmax_forward_f32(outer, n, inner, <float *>px, <float *>py, lg)
        else:
            fg_softmax_forward_f64(outer, n, inner, <double *>px, <double *>py, lg)


def softmax_backward(y, dy, dx, int axis, bint log_softmax):
    """dx from the saved output y of softmax_forward (same axis and flag); y, dy, dx share one
    shape; dx may be dy itself."""
    fn = "softmax_backward"
    cdef int t = _float_type(y, fn, "y")
    cdef cnp.ndarray ya = _array(y, fn, "y", t, "y", False)
    cdef cnp.ndarray dya = _array(dy, fn, "dy", t, "y", False)
    cdef cnp.ndarray dxa = _array(dx, fn, "dx", t, "y", True)
    for a, name in ((dya, "dy"), (dxa, "dx")):
        if not cnp.PyArray_SAMESHAPE(ya, a):
            raise ValueError(f"{fn}: y has shape {_sh(ya)} but {name} has shape {_sh(a)}; "
                             f"they must match")
    _disjoint(dxa, "dx", dya, "dy", fn, True)
    _disjoint(dxa, "dx", ya, "y", fn)
    cdef fg_idx outer, n, inner
    _softmax_axis(ya, axis, fn, &outer, &n, &inner)
    cdef void *py = _ptr(ya)
    cdef void *pdy = _ptr(dya)
    cdef void *pdx = _ptr(dxa)
    cdef int lg = log_softmax
    with nogil:
        if t == F32:
            fg_softmax_backward_f32(outer, n, inner, <float *>py, <float *>pdy, <float *>pdx, lg)
        else:
            fg_softmax_backward_f64(outer, n, inner, <double *>py, <double *>pdy,
                                    <double *>pdx, lg)
