"""Property-based fuzzing of every entry point of fastgrad._kernels.

Each test draws shapes, values, a dtype and scalar arguments, builds a valid call, then maybe
breaks it one way: a different memory layout (Fortran, negative or gapped strides, transposed,
unaligned, read-only), a wrong dtype (float16, int, byte-swapped, mixed), a wrong shape, a list
instead of an array, or an output aliasing an input. The binding documents what it accepts;
for each call the test works out from NumPy's own flags whether that call is valid, and then:
  valid   -> the outputs equal a float64 NumPy reference (within rounding bounds);
  invalid -> the documented exception (TypeError / ValueError / IndexError), outputs untouched.
The optimizers' _many versions (a list of parameters in one call) and the dense-stack calls (a
list of layers) are checked against their single versions instead, which the tests above check
against NumPy.
Nothing may crash; tools/sanitize.sh runs this file under ASan + UBSan too.

Runs are repeatable (derandomize=True) and total FUZZ_CASES examples, >= 10,000 per run.
"""
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fastgrad import _kernels as K

from reference import ref_act, ref_act_grad, ref_adam, ref_cross_entropy, ref_sgd

EXAMPLES_PER_ENTRY_POINT = 950
ENTRY_POINTS = 15
FUZZ_CASES = EXAMPLES_PER_ENTRY_POINT * ENTRY_POINTS  # 14,250
FUZZ = settings(max_examples=EXAMPLES_PER_ENTRY_POINT, deadline=None, derandomize=True,
                database=None, print_blob=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.filter_too_much])
# NaN, inf and dtype casts of them are drawn on purpose; NumPy's warnings about them are noise.
pytestmark = [pytest.mark.slow,  # hypothesis runs each kernel hundreds of times: ~50 s
              pytest.mark.filterwarnings("ignore::RuntimeWarning")]
UNIT = {np.float32: 2.0 ** -24, np.float64: 2.0 ** -53}
ACT_NAMES = {v: k for k, v in K.ACTIVATIONS.items()}


def test_enough_cases_per_run():
    assert FUZZ_CASES >= 10_000


# ---- building blocks: values, layouts, mutations ----------------------------------------------

def values(data, shape, dtype, nan=False):
    """Normal values at a random scale; with nan=True, maybe a NaN or an inf among them."""
    seed = data.draw(st.integers(0, 2 ** 32 - 1), label="seed")
    scale = 10.0 ** data.draw(st.floats(-2, 1.5), label="log10 scale")
    r = np.random.default_rng(seed)
    a = (r.standard_normal(shape) * scale).astype(dtype)
    if nan and a.size and data.draw(st.integers(0, 4)) == 0:
        a.flat[int(r.integers(a.size))] = data.draw(st.sampled_from([np.nan, np.inf, -np.inf]))
    return a


def relayout(a, kind):
    """The same values as a, laid out in memory as `kind` says."""
    if kind == "fortran":
        return np.asfortranarray(a)
    if kind == "reversed":  # negative strides on every axis
        return np.flip(np.flip(a).copy())
    if kind == "strided":  # a gap after every element of the last axis
        big = np.zeros(a.shape[:-1] + (2 * a.shape[-1],), a.dtype)
        big[..., ::2] = a
        return big[..., ::2]
    if kind == "transposed":
        return np.ascontiguousarray(a.T).T
    if kind == "unaligned":  # one byte past an aligned address
        buf = np.zeros(a.nbytes + 1, np.uint8)
        v = buf[1:].view(a.dtype).reshape(a.shape)
        v[...] = a
        return v
    if kind == "readonly":
        v = a.copy()
        v.flags.writeable = False
        return v
    raise KeyError(kind)


LAYOUTS = ["fortran", "reversed", "strided", "transposed", "unaligned", "readonly"]


def accepted_layout(a, is_output, any_strides=False, rows_contiguous=False):
    """What the binding accepts, from NumPy's flags (the module docstring of _kernels.pyx)."""
    if a.size == 0:  # no bytes are read or written
        return not is_output or a.flags.writeable
    if not a.flags.aligned or (is_output and not a.flags.writeable):
        return False
    if any_strides:
        return True
    if rows_contiguous:  # gemm's C: unit column stride, rows that do not overlap
        item = a.itemsize
        cols_ok = a.shape[1] <= 1 or a.strides[1] == item
        rows_ok = a.shape[0] <= 1 or a.shape[1] == 0 or abs(a.strides[0]) >= a.shape[1] * item
        return cols_ok and rows_ok
    return a.flags.c_contiguous


class Call:
    """The arguments of one kernel call and what the binding says about each."""

    def __init__(self, args, outputs, *, any_strides=(), rows_contiguous=(), size_only=False,
                 alias_pairs=(), same_ok=(), int_args=()):
        self.args = args
        self.outputs = set(outputs)
        self.any_strides, self.rows_contiguous = set(any_strides), set(rows_contiguous)
        self.size_only, self.alias_pairs, self.same_ok = size_only, alias_pairs, set(same_ok)
        self.int_args = set(int_args)

    def arrays(self):
        return [k for k, v in self.args.items() if isinstance(v, np.ndarray)]

    def float_arrays(self):
        return [k for k in self.arrays() if k not in self.int_args]


def mutate(data, call):
    """Maybe breaks the call in one way; returns the exception now expected, or None."""
    kinds = ["valid", "valid", "valid", "layout", "layout", "dtype", "shape", "list", "alias"]
    kind = data.draw(st.sampled_from(kinds), label="mutation")
    names = call.arrays()
    if kind == "valid" or not names:
        return None
    if kind == "alias":
        pairs = [(o, i) for o, i in call.alias_pairs
                 if isinstance(call.args.get(o), np.ndarray) and isinstance(call.args.get(i), np.ndarray)
                 and call.args[o].shape == call.args[i].shape
                 and call.args[o].dtype == call.args[i].dtype]
        if not pairs:
            return None
        out, inp = data.draw(st.sampled_from(pairs), label="alias")
        call.args[out] = call.args[inp]
        shares_bytes = call.args[inp].size > 0  # empty arrays overlap nothing
        return None if (out, inp) in call.same_ok or not shares_bytes else ValueError
    name = data.draw(st.sampled_from(names), label="argument")
    a = call.args[name]
    if kind == "layout":
        layout = data.draw(st.sampled_from(LAYOUTS), label="layout")
        call.args[name] = v = relayout(a, layout)
        ok = accepted_layout(v, name in call.outputs, name in call.any_strides,
                             name in call.rows_contiguous)
        return None if ok else ValueError
    if kind == "dtype":
        if name in call.int_args:
            choices = [np.int32, np.float64, np.uint64, np.dtype(np.int64).newbyteorder()]
        else:
            choices = [np.float16, np.int64, a.dtype.newbyteorder()]
            if len(call.float_arrays()) > 1:  # one float64 among float32s is a mix
                choices.append(np.float64 if a.dtype == np.float32 else np.float32)
        call.args[name] = a.astype(data.draw(st.sampled_from(choices), label="dtype"))
        return TypeError
    if kind == "shape":
        if call.size_only:
            call.args[name] = np.append(a.ravel(), a.dtype.type(0))
        else:
            call.args[name] = a[None]
        return ValueError
    call.args[name] = a.tolist()  # kind == "list"
    return TypeError


def run(call, kernel, expected, check, scalar_error=None):
    """Calls the kernel and checks the outcome. scalar_error: the exception a bad scalar
    argument raises. With a broken array too, either exception is right: which check comes
    first is the binding's business."""
    before = {k: np.copy(v) for k, v in call.args.items() if isinstance(v, np.ndarray)}
    errors = tuple(e for e in (expected, scalar_error) if e is not None)
    if errors:
        with pytest.raises(errors):
            kernel(**call.args)
        for k in call.outputs:  # validation happens before any write
            if isinstance(call.args.get(k), np.ndarray):
                np.testing.assert_array_equal(call.args[k], before[k])
        return
    result = kernel(**call.args)
    check(before, call.args, result)


def close(actual, ref, bound):
    """|actual - ref| <= bound elementwise, NaN where the reference is NaN."""
    actual, ref = np.asarray(actual, np.float64), np.asarray(ref, np.float64)
    assert actual.shape == ref.shape, (actual.shape, ref.shape)
    nan = np.isnan(ref)
    assert np.array_equal(np.isnan(actual), nan), "NaN in different places"
    ok = (actual == ref) | (np.abs(actual - ref) <= bound)
    assert np.all(ok[~nan]), np.max(np.where(nan, 0, np.abs(actual - ref) - bound))


def dims(data, low=0, high=9, label="dim"):
    return data.draw(st.integers(low, high), label=label)


def dtype_of(data):
    return data.draw(st.sampled_from([np.float32, np.float64]), label="dtype")


def act_and_param(data):
    act = data.draw(st.integers(-1, len(K.ACTIVATIONS)), label="act")
    param = data.draw(st.sampled_from([0.1, 0.7, 1.3, 2.0]), label="param")
    bad = None if 0 <= act < len(K.ACTIVATIONS) else ValueError
    return act, param, bad


# ---- GEMM ---------------------------------------------------------------------------------------

@FUZZ
@given(st.data())
def test_gemm(data):
    t = dtype_of(data)
    M, N, Kd = dims(data, high=24), dims(data, high=24), dims(data, high=24)
    alpha = data.draw(st.sampled_from([1.0, -0.5, 2.0, 0.0]), label="alpha")
    beta = data.draw(st.sampled_from([0.0, 1.0, -1.5]), label="beta")
    A, B = values(data, (M, Kd), t, nan=True), values(data, (Kd, N), t)
    C = np.full((M, N), np.nan, t) if beta == 0 else values(data, (M, N), t)  # beta 0: unread
    call = Call(dict(A=A, B=B, C=C, alpha=alpha, beta=beta), ["C"], any_strides=["A", "B"],
                rows_contiguous=["C"], alias_pairs=[("C", "A"), ("C", "B")])
    expected = mutate(data, call)

    def check(before, after, _):
        A64, B64 = before["A"].astype(np.float64), before["B"].astype(np.float64)
        C0 = before["C"].astype(np.float64) if beta != 0 else 0.0
        with np.errstate(invalid="ignore", over="ignore"):
            ref = alpha * (A64 @ B64) + beta * C0
            bound = 2 * (Kd + 2) * UNIT[t] * (abs(alpha) * np.abs(A64) @ np.abs(B64)
                                             + abs(beta) * np.abs(C0)) + 1e-30
        close(after["C"], ref, bound)

    run(call, K.gemm, expected, check)


# ---- the dense layer -----------------------------------------------------------------------------

def _dense_bound(X, W, b, t):
    """Rounding bound on X W^T + b, times 4 for what an activation can amplify."""
    scale = np.abs(X.astype(np.float64)) @ np.abs(W.astype(np.float64)).T
    if b is not None:
        scale = scale + np.abs(b.astype(np.float64))
    return 4 * (X.shape[1] + 3) * UNIT[t] * (scale + 1) + 1e-30


@FUZZ
@given(st.data())
def test_dense_forward(data):
    t = dtype_of(data)
    M, N, Kd = dims(data, high=16), dims(data, high=16), dims(data, high=16)
    act, param, bad_act = act_and_param(data)
    X, W = values(data, (M, Kd), t), values(data, (N, Kd), t)
    b = values(data, (N,), t) if data.draw(st.booleans(), label="bias") else None
    Z = np.empty((M, N), t) if data.draw(st.booleans(), label="keep z") else None
    call = Call(dict(X=X, W=W, b=b, act=act, param=param, Z=Z, Y=np.empty((M, N), t)),
                ["Z", "Y"], alias_pairs=[("Y", "X"), ("Y", "Z"), ("Z", "X")])
    expected = mutate(data, call)

    def check(before, after, _):
        z = before["X"].astype(np.float64) @ before["W"].astype(np.float64).T
        if before.get("b") is not None:
            z = z + before["b"]
        bound = _dense_bound(before["X"], before["W"], before.get("b"), t)
        if after["Z"] is not None:
            close(after["Z"], z, bound)
        close(after["Y"], ref_act(ACT_NAMES[act], z, param),
              bound * max(1.0, param) + 8 * UNIT[t] * np.abs(z))

    run(call, K.dense_forward, expected, check, bad_act)


@FUZZ
@given(st.data())
def test_dense_backward(data):
    t = dtype_of(data)
    M, N, Kd = dims(data, high=12), dims(data, high=12), dims(data, high=12)
    act, param, bad_act = act_and_param(data)
    name = ACT_NAMES.get(act, "none")
    X, W = values(data, (M, Kd), t), values(data, (N, Kd), t)
    Z = values(data, (M, N), t)
    Y = ref_act(name, Z, param).astype(t)  # the saved output belongs to the saved input
    accumulate = data.draw(st.booleans(), label="accumulate")
    outs = {k: (values(data, shape, t) if data.draw(st.booleans(), label=k) else None)
            for k, shape in (("dX", (M, Kd)), ("dW", (N, Kd)), ("db", (N,)))}
    saved = data.draw(st.sampled_from(["both", "Z", "Y", "neither"]), label="saved")
    call = Call(dict(X=X, W=W, Z=Z if saved in ("both", "Z") else None,
                     Y=Y if saved in ("both", "Y") else None, act=act, param=param,
                     dY=values(data, (M, N), t), accumulate=accumulate, **outs),
                ["dY", "dX", "dW", "db"],
                alias_pairs=[("dX", "X"), ("dW", "W"), ("dY", "Z"), ("dY", "Y"), ("dX", "dW")])
    no_z, no_y = call.args["Z"] is None, call.args["Y"] is None
    missing = {"nothing": False, "x or y": no_z and no_y, "y": no_y,
               "x": no_z}[K.ACTIVATION_READS[name]]  # x: the pre-activation Z
    scalar_error = bad_act or (ValueError if missing else None)
    expected = mutate(data, call)

    def check(before, after, _):
        X64, W64 = before["X"].astype(np.float64), before["W"].astype(np.float64)
        dz = before["dY"] * ref_act_grad(name, Z.astype(np.float64), param)
        tol_dz = 16 * UNIT[t] * (np.abs(dz) + np.abs(before["dY"])) + _grad_conditioning(
            name, Z, param, before["dY"], t)
        close(after["dY"], dz, tol_dz)
        slack = np.abs(before["dY"]).max(initial=0) * 16 * UNIT[t]
        if after.get("dX") is not None:
            close(after["dX"], dz @ W64, 2 * (N + 3) * (UNIT[t] * np.abs(dz) @ np.abs(W64)
                                                       + slack * np.abs(W64).sum(0)) + 1e-30)
        for k, ref, scale, n in (("dW", dz.T @ X64, np.abs(dz).T @ np.abs(X64), M),
                                 ("db", dz.sum(0), np.abs(dz).sum(0), M)):
            if after.get(k) is not None:
                base = before[k].astype(np.float64) if accumulate else 0.0
                bound = 2 * (n + 3) * UNIT[t] * (scale + np.abs(base)) + slack * (n + 1) * (
                    np.abs(X64).sum(0)[None, :] if k == "dW" else 1) + 1e-30
                close(after[k], ref + base, bound)

    run(call, K.dense_backward, expected, check, scalar_error)


def _grad_conditioning(name, x, param, dy, t):
    """How much act'(x) moves when x moves by a few roundings: the error a correct kernel may
    make where the derivative's terms cancel (GELU's near its minimum, say)."""
    x = x.astype(np.float64)
    d = 8 * UNIT[t] * (np.abs(x) + 1e-30)
    with np.errstate(all="ignore"):
        spread = np.abs(ref_act_grad(name, x + d, param) - ref_act_grad(name, x - d, param))
    # plus the size of the terms that cancel: GELU-tanh's derivative has an x^3 term
    terms = 8 * UNIT[t] * np.minimum((1 + np.abs(x)) ** 3, 1e6)
    return np.abs(dy) * (np.nan_to_num(spread) + terms)


def stack_layers(data):
    """A dense stack's arguments: 1-3 layers of drawn widths, maybe one of them broken."""
    t = dtype_of(data)
    L = data.draw(st.integers(1, 3), label="layers")
    widths = [dims(data, 0, 9, "width") for _ in range(L + 1)]
    M = dims(data, 0, 6, "batch")
    X = values(data, (M, widths[0]), t)
    Ws = [values(data, (b, a), t) for a, b in zip(widths[:-1], widths[1:])]
    bs = [values(data, (b,), t) if data.draw(st.booleans(), label="bias") else None
          for b in widths[1:]]
    acts = [data.draw(st.integers(0, len(K.ACTIVATIONS) - 1), label="act") for _ in range(L)]
    params = [data.draw(st.sampled_from([0.1, 1.3]), label="param") for _ in range(L)]
    return t, X, Ws, bs, acts, params


def break_one(data, arrays, allowed, outputs=False):
    """Maybe replaces one array of the list with a wrong shape, dtype or layout; returns the
    exception the call must raise, or None (a layout the binding accepts)."""
    kind = data.draw(st.sampled_from(["valid", "valid", "shape", "dtype", "layout"]),
                     label="break")
    slots = [i for i, a in enumerate(arrays) if a is not None and a.size and i in allowed]
    if kind == "valid" or not slots:
        return None
    i = data.draw(st.sampled_from(slots), label="which")
    a = arrays[i]
    if kind == "shape":
        arrays[i] = a[None]
        return ValueError
    if kind == "dtype":
        arrays[i] = a.astype(np.float16)
        return TypeError
    arrays[i] = v = relayout(a, data.draw(st.sampled_from(LAYOUTS), label="layout"))
    return None if accepted_layout(v, outputs) else ValueError


@FUZZ
@given(st.data())
def test_dense_stack_forward(data):
    t, X, Ws, bs, acts, params = stack_layers(data)
    expected = break_one(data, Ws, range(len(Ws)))
    keep_z = data.draw(st.booleans(), label="keep z")
    if expected:
        with pytest.raises(expected):
            K.dense_stack_forward(X, Ws, bs, acts, params, keep_z)
        return
    ys, zs = K.dense_stack_forward(X, Ws, bs, acts, params, keep_z)
    h = X
    for W, b, act, p, y, z in zip(Ws, bs, acts, params, ys, zs):
        ref_z, ref_y = np.empty((len(X), len(W)), t), np.empty((len(X), len(W)), t)
        K.dense_forward(h, W, b, act, p, ref_z, ref_y)
        np.testing.assert_array_equal(y, ref_y)
        if z is not None:
            np.testing.assert_array_equal(z, ref_z)
        h = ref_y


@FUZZ
@given(st.data())
def test_dense_stack_backward(data):
    t, X, Ws, bs, acts, params = stack_layers(data)
    ys, zs = K.dense_stack_forward(X, Ws, bs, acts, params, True)
    L = len(Ws)
    dY = values(data, ys[-1].shape, t)
    dWs = [values(data, W.shape, t) if data.draw(st.booleans(), label="dW") else None for W in Ws]
    dbs = [values(data, (len(W),), t) if data.draw(st.booleans(), label="db") else None
           for W in Ws]
    accumulate = [data.draw(st.booleans(), label="accumulate") for _ in range(L)]
    need_dx = data.draw(st.booleans(), label="need dX")
    grads = dWs + dbs
    expected = break_one(data, grads, range(len(grads)), outputs=True)
    dWs, dbs = grads[:L], grads[L:]
    before = [None if g is None else g.copy() for g in grads]
    dy = dY.copy()
    if expected:
        with pytest.raises(expected):
            K.dense_stack_backward(X, ys, zs, Ws, acts, params, dy, need_dx, dWs, dbs,
                                   accumulate)
        np.testing.assert_array_equal(dy, dY)  # every layer is checked before any runs
        for g, b in zip(grads, before):
            if g is not None:
                np.testing.assert_array_equal(g, b)
        return
    dX = K.dense_stack_backward(X, ys, zs, Ws, acts, params, dy, need_dx, dWs, dbs, accumulate)
    ref = [None if b is None else b.copy() for b in before]
    g = dY.copy()
    for l in reversed(range(L)):
        h = X if l == 0 else ys[l - 1]
        dx = np.empty_like(h) if l > 0 or need_dx else None
        K.dense_backward(h, Ws[l], zs[l] if zs[l] is not None else None, ys[l], acts[l],
                         params[l], g, dx, ref[l], ref[L + l], accumulate[l])
        g = dx
    if need_dx:
        np.testing.assert_array_equal(dX, g)
    else:
        assert dX is None
    for got, want in zip(grads, ref):
        if want is not None:
            np.testing.assert_array_equal(got, want)


# ---- elementwise ----------------------------------------------------------------------------------

def any_shape(data):
    ndim = data.draw(st.integers(1, 3), label="ndim")
    return tuple(data.draw(st.integers(0, 7), label="extent") for _ in range(ndim))


@FUZZ
@given(st.data())
def test_act_forward(data):
    t = dtype_of(data)
    shape = any_shape(data)
    act, param, bad_act = act_and_param(data)
    call = Call(dict(act=act, param=param, x=values(data, shape, t, nan=True),
                     y=np.empty(shape, t)), ["y"], size_only=True, alias_pairs=[("y", "x")],
                same_ok=[("y", "x")])
    expected = mutate(data, call)

    def check(before, after, _):
        ref = ref_act(ACT_NAMES[act], before["x"], param)
        close(after["y"], ref.reshape(after["y"].shape),
              8 * UNIT[t] * (np.abs(ref) + np.abs(before["x"]) + 1e-6).reshape(after["y"].shape))

    run(call, K.act_forward, expected, check, bad_act)


@FUZZ
@given(st.data())
def test_act_backward(data):
    t = dtype_of(data)
    shape = any_shape(data)
    act, param, bad_act = act_and_param(data)
    name = ACT_NAMES.get(act, "none")
    x = values(data, shape, t)
    call = Call(dict(act=act, param=param, x=x, y=ref_act(name, x, param).astype(t),
                     dy=values(data, shape, t), dx=np.empty(shape, t)),
                ["dx"], size_only=True, alias_pairs=[("dx", "dy"), ("dx", "x"), ("dx", "y")],
                same_ok=[("dx", "dy")])
    expected = mutate(data, call)

    def check(before, after, _):
        ref = before["dy"] * ref_act_grad(name, x, param)
        bound = 16 * UNIT[t] * (np.abs(ref) + np.abs(before["dy"]) + 1e-6) + _grad_conditioning(
            name, x, param, before["dy"], t)
        close(after["dx"], ref.reshape(after["dx"].shape), bound.reshape(after["dx"].shape))

    run(call, K.act_backward, expected, check, bad_act)


# ---- losses and reductions --------------------------------------------------------------------

@FUZZ
@given(st.data())
def test_cross_entropy(data):
    t = dtype_of(data)
    M, C = dims(data, high=12), dims(data, high=12)
    ignore_index = data.draw(st.sampled_from([-100, -1, 0, 3]), label="ignore_index")
    target = np.array([data.draw(st.integers(-2, C + 1), label="label") for _ in range(M)],
                      np.int64)
    bad_label = any(v != ignore_index and not 0 <= v < C for v in target)
    smoothing = data.draw(st.sampled_from([0.0, 0.1, 1.0, -0.1, 1.5]), label="label_smoothing")
    scalar_error = ValueError if not 0 <= smoothing <= 1 else (IndexError if bad_label else None)
    dX = np.empty((M, C), t) if data.draw(st.booleans(), label="with dX") else None
    call = Call(dict(X=values(data, (M, C), t), target=target, ignore_index=ignore_index,
                     label_smoothing=smoothing, loss=np.empty(M, t), dX=dX),
                ["loss", "dX"], int_args=["target"], alias_pairs=[("dX", "X")])
    expected = mutate(data, call)

    def check(before, after, result):
        if C == 0:  # valid only when every row is ignored: loss 0, no gradient entries
            loss, grad = np.zeros(M), np.zeros((M, 0))
        else:
            loss, grad = ref_cross_entropy(before["X"], before["target"], ignore_index, smoothing)
        X64 = before["X"].astype(np.float64)
        spread = (X64.max(1, initial=0) - X64.min(1, initial=0)) if C else np.zeros(M)
        close(after["loss"], loss, 8 * (C + 3) * UNIT[t] * (np.abs(loss) + spread + 1))
        if after["dX"] is not None:
            close(after["dX"], grad, 8 * (C + 3) * UNIT[t] * (spread[:, None] + 1))
        total, counted = result
        assert total == K.sum_all(after["loss"]) or math.isnan(total)  # sum()'s additions exactly
        assert counted == int(np.sum(before["target"] != ignore_index))

    run(call, K.cross_entropy, expected, check, scalar_error)


@FUZZ
@given(st.data())
def test_mse(data):
    t = dtype_of(data)
    shape = any_shape(data)
    outs = {k: (np.empty(shape, t) if data.draw(st.booleans(), label=f"with {k}") else None)
            for k in ("sq", "dX")}
    call = Call(dict(pred=values(data, shape, t, nan=True), target=values(data, shape, t),
                     **outs), ["sq", "dX"], size_only=True,
                alias_pairs=[("sq", "pred"), ("sq", "target"), ("dX", "pred"), ("dX", "target"),
                             ("dX", "sq")],
                same_ok=[("sq", "pred"), ("sq", "target"), ("dX", "pred"), ("dX", "target")])
    expected = mutate(data, call)

    def check(before, after, total):
        d = before["pred"].astype(np.float64) - before["target"].astype(np.float64)
        if after["dX"] is not None:  # 2 times one rounding of the exact difference
            close(after["dX"], 2 * d, 2 * UNIT[t] * np.abs(d))
        if after["sq"] is not None:  # the rounded difference squared, rounded again
            close(after["sq"], d * d, 3 * UNIT[t] * d * d)
            assert total == K.sum_all(after["sq"]) or math.isnan(total)  # the same additions
        ref = float((d * d).sum())
        close(total, ref, 4 * (d.size + 3) * UNIT[t] * abs(ref) + 1e-300)

    run(call, K.mse, expected, check)


@FUZZ
@given(st.data())
def test_sum(data):
    t = dtype_of(data)
    x = values(data, any_shape(data), t, nan=True)
    call = Call(dict(x=x), [], size_only=True)
    kind = data.draw(st.sampled_from(["valid", "valid", "layout", "dtype", "list"]), label="how")
    expected = None
    if kind == "layout":  # the one argument: mutate() would also try shapes (any is fine here)
        call.args["x"] = relayout(x, data.draw(st.sampled_from(LAYOUTS), label="layout"))
        expected = None if accepted_layout(call.args["x"], False) else ValueError
    elif kind == "dtype":
        call.args["x"] = x.astype(data.draw(st.sampled_from(
            [np.float16, np.int64, x.dtype.newbyteorder()]), label="dtype"))
        expected = TypeError
    elif kind == "list":
        call.args["x"] = x.tolist()
        expected = TypeError

    def check(before, after, total):
        x64 = before["x"].astype(np.float64)
        with np.errstate(invalid="ignore"):
            close(total, x64.sum(), (x64.size + 2) * 2.0 ** -52 * np.abs(x64).sum() + 1e-300)

    run(call, K.sum_all, expected, check)


# ---- optimizers ------------------------------------------------------------------------------------

@FUZZ
@given(st.data())
def test_sgd_step(data):
    t = dtype_of(data)
    shape = any_shape(data)
    momentum = data.draw(st.sampled_from([0.0, 0.5, 0.9]), label="momentum")
    with_buf = data.draw(st.booleans(), label="with buf") or momentum != 0
    missing_buf = momentum != 0 and data.draw(st.integers(0, 9), label="drop buf") == 0
    kw = dict(lr=data.draw(st.sampled_from([0.1, 1e-3, 1.0]), label="lr"), momentum=momentum,
              dampening=data.draw(st.sampled_from([0.0, 0.3]), label="dampening"),
              weight_decay=data.draw(st.sampled_from([0.0, 0.01]), label="weight_decay"),
              nesterov=data.draw(st.booleans(), label="nesterov"),
              first=data.draw(st.booleans(), label="first"))
    buf = values(data, shape, t) if with_buf and not missing_buf else None
    call = Call(dict(p=values(data, shape, t), g=values(data, shape, t, nan=True), buf=buf, **kw),
                ["p", "buf"], size_only=True, alias_pairs=[("p", "g"), ("buf", "g"), ("p", "buf")])
    expected = mutate(data, call)

    def check(before, after, _):
        p = before["p"].astype(np.float64)
        b = before["buf"].astype(np.float64) if before.get("buf") is not None else None
        g = before["g"].astype(np.float64).reshape(p.shape)
        ref_sgd(p, g, b, kw["lr"], momentum, kw["dampening"], kw["weight_decay"],
                kw["nesterov"], kw["first"])
        scale = np.abs(before["p"]) + kw["lr"] * 4 * (np.abs(g) + (np.abs(b) if b is not None else 0)) + 1e-30
        close(after["p"], p, 8 * UNIT[t] * scale)
        if momentum != 0:
            close(after["buf"], b, 8 * UNIT[t] * (np.abs(b) + np.abs(g) + np.abs(before["buf"]) + 1e-30))

    run(call, K.sgd_step, expected, check, ValueError if missing_buf else None)


def adam_settings(data):
    return dict(lr=data.draw(st.sampled_from([1e-3, 0.1]), label="lr"),
                beta1=data.draw(st.sampled_from([0.9, 0.0]), label="beta1"),
                beta2=data.draw(st.sampled_from([0.999, 0.5]), label="beta2"),
                eps=data.draw(st.sampled_from([1e-8, 1e-3]), label="eps"),
                weight_decay=data.draw(st.sampled_from([0.0, 0.1]), label="weight_decay"),
                decoupled=data.draw(st.booleans(), label="decoupled"))


@FUZZ
@given(st.data())
def test_adam_step(data):
    t = dtype_of(data)
    shape = any_shape(data)
    step = data.draw(st.sampled_from([1, 2, 10, 1000, 0, -1]), label="step")
    kw = adam_settings(data)
    v = np.abs(values(data, shape, t))
    vmax = (v + np.abs(values(data, shape, t))) if data.draw(st.booleans(), label="amsgrad") else None
    call = Call(dict(p=values(data, shape, t), g=values(data, shape, t), m=values(data, shape, t),
                     v=v, vmax=vmax, step=step, **kw),
                ["p", "m", "v", "vmax"], size_only=True,
                alias_pairs=[("p", "g"), ("m", "v"), ("v", "vmax"), ("m", "g"), ("p", "m")])
    expected = mutate(data, call)

    def check(before, after, _):
        p, g, m, v = (before[k].astype(np.float64).reshape(shape) for k in "pgmv")
        vm = before["vmax"].astype(np.float64).reshape(shape) if before.get("vmax") is not None else None
        p0 = p.copy()
        ref_adam(p, g, m, v, vm, kw["lr"], kw["beta1"], kw["beta2"], kw["eps"],
                 kw["weight_decay"], kw["decoupled"], step)
        change = np.abs(p - p0)
        close(after["p"].reshape(shape), p, 64 * UNIT[t] * (np.abs(p0) + change) + 1e-30)
        close(after["m"].reshape(shape), m, 8 * UNIT[t] * (np.abs(m) + np.abs(g) + np.abs(before["m"].reshape(shape))))
        close(after["v"].reshape(shape), v, 8 * UNIT[t] * (np.abs(v) + g * g + np.abs(before["v"].reshape(shape))))

    run(call, K.adam_step, expected, check, ValueError if step < 1 else None)


# ---- optimizers over a list of parameters -------------------------------------------------------
# Each entry is drawn as above, with its own dtype and shape; one entry may then be broken. A
# valid call must equal, bit for bit, the single version run on each entry in order; an invalid
# one raises the documented exception and writes no entry. The entries' arrays must match in
# shape, not only in size (size_only=False).

def entry_count(data):
    return data.draw(st.integers(0, 3), label="entries")


def run_many(calls, call_many, call_single, expected):
    """call_many() runs the _many version on the entries' current arguments; call_single(i,
    args) runs the single version on entry i's arguments (copies, for the reference)."""
    before = [{k: np.copy(v) for k, v in c.args.items() if isinstance(v, np.ndarray)}
              for c in calls]
    if expected:
        with pytest.raises(expected):
            call_many()
        for c, b in zip(calls, before):  # every entry is validated before any is written
            for k in c.outputs:
                if isinstance(c.args.get(k), np.ndarray):
                    np.testing.assert_array_equal(c.args[k], b[k])
        return
    reference = [{k: (np.copy(v) if isinstance(v, np.ndarray) else v) for k, v in c.args.items()}
                 for c in calls]
    for i, args in enumerate(reference):
        call_single(i, args)
    call_many()
    for c, ref in zip(calls, reference):
        for k in c.outputs:
            if isinstance(c.args.get(k), np.ndarray):
                np.testing.assert_array_equal(c.args[k], ref[k])


@FUZZ
@given(st.data())
def test_sgd_step_many(data):
    momentum = data.draw(st.sampled_from([0.0, 0.5, 0.9]), label="momentum")
    kw = dict(lr=data.draw(st.sampled_from([0.1, 1e-3, 1.0]), label="lr"), momentum=momentum,
              dampening=data.draw(st.sampled_from([0.0, 0.3]), label="dampening"),
              weight_decay=data.draw(st.sampled_from([0.0, 0.01]), label="weight_decay"),
              nesterov=data.draw(st.booleans(), label="nesterov"))
    calls, firsts, missing_buf = [], [], False
    for _ in range(entry_count(data)):
        t, shape = dtype_of(data), any_shape(data)
        with_buf = data.draw(st.booleans(), label="with buf") or momentum != 0
        drop = momentum != 0 and data.draw(st.integers(0, 19), label="drop buf") == 0
        missing_buf |= drop
        calls.append(Call(dict(p=values(data, shape, t), g=values(data, shape, t, nan=True),
                               buf=values(data, shape, t) if with_buf and not drop else None),
                          ["p", "buf"], alias_pairs=[("p", "g"), ("buf", "g"), ("p", "buf")]))
        firsts.append(data.draw(st.booleans(), label="first"))
    broken = mutate(data, data.draw(st.sampled_from(calls), label="broken")) if calls else None
    no_bufs = all(c.args["buf"] is None for c in calls) and data.draw(st.booleans(), label="None")
    if data.draw(st.booleans(), label="one first flag for all"):
        first = data.draw(st.booleans(), label="first")
        firsts = [first] * len(firsts)
    else:
        first = firsts

    def call_many():
        K.sgd_step_many([c.args["p"] for c in calls], [c.args["g"] for c in calls],
                        None if no_bufs else [c.args["buf"] for c in calls], first=first, **kw)

    def call_single(i, args):
        K.sgd_step(args["p"], args["g"], args["buf"], first=firsts[i], **kw)

    expected = tuple(e for e in (broken, ValueError if missing_buf else None) if e)
    run_many(calls, call_many, call_single, expected)


@FUZZ
@given(st.data())
def test_adam_step_many(data):
    kw = adam_settings(data)
    amsgrad = data.draw(st.booleans(), label="amsgrad")
    calls, steps = [], []
    for _ in range(entry_count(data)):
        t, shape = dtype_of(data), any_shape(data)
        v = np.abs(values(data, shape, t))
        calls.append(Call(dict(p=values(data, shape, t), g=values(data, shape, t, nan=True),
                               m=values(data, shape, t), v=v,
                               vmax=v + np.abs(values(data, shape, t)) if amsgrad else None),
                          ["p", "m", "v", "vmax"],
                          alias_pairs=[("p", "g"), ("m", "v"), ("v", "vmax"), ("m", "g"),
                                       ("p", "m")]))
        steps.append(data.draw(st.sampled_from([1, 2, 10, 1000, 1, 2, 0, -1]), label="step"))
    broken = mutate(data, data.draw(st.sampled_from(calls), label="broken")) if calls else None

    def call_many():
        K.adam_step_many([c.args["p"] for c in calls], [c.args["g"] for c in calls],
                         [c.args["m"] for c in calls], [c.args["v"] for c in calls],
                         [c.args["vmax"] for c in calls] if amsgrad else None, steps=steps, **kw)

    def call_single(i, args):
        K.adam_step(args["p"], args["g"], args["m"], args["v"], args["vmax"], step=steps[i], **kw)

    expected = tuple(e for e in (broken, ValueError if min(steps, default=1) < 1 else None) if e)
    run_many(calls, call_many, call_single, expected)
