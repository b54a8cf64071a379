"""PyTorch's arithmetic functions in fastgrad (fg.add, fg.div, fg.remainder, fg.erf, ...):
values and result dtypes against PyTorch 2.13 for float32, float64 and int64 inputs with
broadcasting, gradients in float64 against PyTorch's autograd and against finite differences
(fg.gradcheck), out=, the rounding modes, and the errors PyTorch raises."""
import numpy as np
import pytest

import fastgrad as fg
from conftest import torch_or_skip

torch = torch_or_skip()

DTYPES = {"float32": (np.float32, torch.float32), "float64": (np.float64, torch.float64),
          "int64": (np.int64, torch.int64)}


def data(shape, dtype, seed, domain="any"):
    """Values of `domain`: 'any' (both signs), 'nonzero' (|x| >= 0.5, or nonzero integers),
    'positive', or 'unit' (inside (-1, 1))."""
    rng = np.random.default_rng(seed)
    if np.dtype(dtype).kind == "i":
        low = 1 if domain == "positive" else -5
        x = rng.integers(low, 6, shape)
        if domain in ("nonzero", "positive"):
            x[x == 0] = 3
        return x.astype(dtype)
    if domain == "positive":
        x = rng.uniform(0.2, 3.0, shape)
    elif domain == "unit":
        x = rng.uniform(-0.9, 0.9, shape)
    else:
        x = rng.uniform(-3.0, 3.0, shape)
        if domain == "nonzero":
            x = np.where(np.abs(x) < 0.5, x + np.sign(x + 1e-9) * 0.5, x)
    return x.astype(dtype)


def assert_same(got, want, rtol=1e-5, atol=1e-6):
    """got (fastgrad) has want's (PyTorch's) shape, dtype and values."""
    want = want.detach()
    assert isinstance(got, fg.Tensor)
    assert got.shape == tuple(want.shape)
    assert str(got.dtype) == str(want.dtype).replace("torch.", "")
    np.testing.assert_allclose(got.numpy().astype(np.float64), want.numpy().astype(np.float64),
                               rtol=rtol, atol=atol, equal_nan=True)


# ---- binary functions: values and dtypes --------------------------------------------------------

# (id, fn(lib, a, b), domain of b). fn runs with lib = torch or fastgrad: the same source.
BINARY = [
    ("add", lambda L, a, b: L.add(a, b), "any"),
    ("add_alpha", lambda L, a, b: L.add(a, b, alpha=3), "any"),
    ("sub", lambda L, a, b: L.sub(a, b), "any"),
    ("subtract_alpha", lambda L, a, b: L.subtract(a, b, alpha=-2), "any"),
    ("mul", lambda L, a, b: L.mul(a, b), "any"),
    ("multiply", lambda L, a, b: L.multiply(a, b), "any"),
    ("div", lambda L, a, b: L.div(a, b), "nonzero"),
    ("divide", lambda L, a, b: L.divide(a, b), "nonzero"),
    ("true_divide", lambda L, a, b: L.true_divide(a, b), "nonzero"),
    ("div_trunc", lambda L, a, b: L.div(a, b, rounding_mode="trunc"), "nonzero"),
    ("div_floor", lambda L, a, b: L.div(a, b, rounding_mode="floor"), "nonzero"),
    ("remainder", lambda L, a, b: L.remainder(a, b), "nonzero"),
    ("fmod", lambda L, a, b: L.fmod(a, b), "nonzero"),
    ("atan2", lambda L, a, b: L.atan2(a, b), "any"),
    ("method_add", lambda L, a, b: a.add(b, alpha=2), "any"),
    ("method_sub", lambda L, a, b: a.sub(b), "any"),
    ("method_mul", lambda L, a, b: a.mul(b), "any"),
    ("method_div_floor", lambda L, a, b: a.div(b, rounding_mode="floor"), "nonzero"),
    ("method_remainder", lambda L, a, b: a.remainder(b), "nonzero"),
    ("method_fmod", lambda L, a, b: a.fmod(b), "nonzero"),
    ("method_atan2", lambda L, a, b: a.atan2(b), "any"),
    ("floor_divide", lambda L, a, b: L.floor_divide(a, b), "nonzero"),
    ("operator_floordiv", lambda L, a, b: a // b, "nonzero"),
    ("operator_mod", lambda L, a, b: a % b, "nonzero"),
]
SHAPES = [((3, 4), (3, 4)), ((3, 4), (4,)), ((3, 1), (1, 4)), ((2, 3, 4), (3, 1))]
DTYPE_PAIRS = [("float32", "float32"), ("float64", "float64"), ("int64", "int64"),
               ("float32", "float64"), ("int64", "float32"), ("float64", "int64")]


@pytest.mark.parametrize("name, fn, domain", BINARY, ids=[c[0] for c in BINARY])
@pytest.mark.parametrize("dtypes", DTYPE_PAIRS, ids=["-".join(p) for p in DTYPE_PAIRS])
def test_binary_values_and_dtypes(name, fn, domain, dtypes):
    for i, (sa, sb) in enumerate(SHAPES):
        a = data(sa, DTYPES[dtypes[0]][0], i)
        b = data(sb, DTYPES[dtypes[1]][0], 100 + i, domain)
        got = fn(fg, fg.tensor(a), fg.tensor(b))
        want = fn(torch, torch.tensor(a), torch.tensor(b))
        assert_same(got, want)


def test_hypot_values_and_its_refusal_of_integers():
    for dt in ("float32", "float64"):
        a, b = data((3, 4), DTYPES[dt][0], 1), data((4,), DTYPES[dt][0], 2)
        assert_same(fg.hypot(fg.tensor(a), fg.tensor(b)),
                    torch.hypot(torch.tensor(a), torch.tensor(b)))
    with pytest.raises(TypeError, match="hypot"):
        fg.hypot(fg.tensor([1, 2]), fg.tensor([3, 4]))


# (id, fn(lib, t)) with a Python number on one side: PyTorch's scalar promotion
SCALAR = [
    ("add_int", lambda L, t: L.add(t, 2)),
    ("add_float", lambda L, t: L.add(t, 2.5)),
    ("sub_float_alpha", lambda L, t: L.sub(t, 0.5, alpha=2)),
    ("mul_float", lambda L, t: L.mul(t, 1.5)),
    ("div_int", lambda L, t: L.div(t, 2)),
    ("div_float_floor", lambda L, t: L.div(t, 2.5, rounding_mode="floor")),
    ("div_int_trunc", lambda L, t: L.div(t, -3, rounding_mode="trunc")),
    ("remainder_float", lambda L, t: L.remainder(t, 2.5)),
    ("remainder_number_by_tensor", lambda L, t: L.remainder(7, t)),
    ("fmod_int", lambda L, t: L.fmod(t, -3)),
    ("add_number_first", lambda L, t: L.add(2, t)),
    ("mul_numpy_scalar", lambda L, t: L.mul(t, np.float64(2.0))),
    ("addcmul_value", lambda L, t: L.addcmul(t, t, t, value=2)),
    ("rmod", lambda L, t: 7 % t),
    ("rfloordiv", lambda L, t: -7 // t),
]


@pytest.mark.parametrize("name, fn", SCALAR, ids=[c[0] for c in SCALAR])
@pytest.mark.parametrize("dtype", list(DTYPES))
def test_with_a_number_operand(name, fn, dtype):
    x = data((3, 4), DTYPES[dtype][0], 7, "nonzero")
    assert_same(fn(fg, fg.tensor(x)), fn(torch, torch.tensor(x)))


def test_zero_dim_tensor_promotes_as_in_pytorch():
    """A 0-d float64 tensor does not widen a float32 tensor; a 0-d float does lift int64."""
    a = data((3, 4), np.float32, 1)
    for lib_b in (np.array(2.0), np.array(3)):
        assert_same(fg.add(fg.tensor(a), fg.tensor(lib_b)),
                    torch.add(torch.tensor(a), torch.tensor(lib_b)))
    i = data((3, 4), np.int64, 2)
    assert_same(fg.mul(fg.tensor(i), fg.tensor(np.array(0.5))),
                torch.mul(torch.tensor(i), torch.tensor(np.array(0.5))))


# ---- rounding modes -----------------------------------------------------------------------------

@pytest.mark.parametrize("mode", [None, "trunc", "floor"])
@pytest.mark.parametrize("dtype", list(DTYPES))
def test_rounding_modes_on_mixed_signs(mode, dtype):
    a = np.array([7, -7, 7, -7, 6, -6, 0, 1], dtype=DTYPES[dtype][0])
    b = np.array([2, 2, -2, -2, 4, 4, 3, -8], dtype=DTYPES[dtype][0])
    if dtype != "int64":
        a, b = a + 0.25, b * 0.75
    assert_same(fg.div(fg.tensor(a), fg.tensor(b), rounding_mode=mode),
                torch.div(torch.tensor(a), torch.tensor(b), rounding_mode=mode))


@pytest.mark.parametrize("mode", [None, "trunc", "floor"])
def test_float_division_by_zero_follows_pytorch(mode):
    a = np.array([1.0, -1.0, 0.0, 2.5])
    got = fg.div(fg.tensor(a), 0.0, rounding_mode=mode)
    assert_same(got, torch.div(torch.tensor(a), 0.0, rounding_mode=mode))


@pytest.mark.parametrize("fn", [
    lambda L, a, b: L.div(a, b, rounding_mode="trunc"),
    lambda L, a, b: L.div(a, b, rounding_mode="floor"),
    lambda L, a, b: L.remainder(a, b),
    lambda L, a, b: L.fmod(a, b)], ids=["trunc", "floor", "remainder", "fmod"])
def test_integer_division_by_zero_raises_as_pytorch(fn):
    a, b = np.array([7, -7]), np.array([2, 0])
    with pytest.raises(RuntimeError, match="ZeroDivisionError"):
        fn(torch, torch.tensor(a), torch.tensor(b))
    with pytest.raises(ZeroDivisionError):
        fn(fg, fg.tensor(a), fg.tensor(b))


def test_true_division_of_integers_by_zero_gives_inf():
    a, b = np.array([7, -7, 0]), np.array([0, 0, 0])
    assert_same(fg.div(fg.tensor(a), fg.tensor(b)), torch.div(torch.tensor(a), torch.tensor(b)))


def test_bad_rounding_mode_names_the_argument():
    with pytest.raises(RuntimeError, match="rounding_mode"):
        torch.div(torch.ones(2), torch.ones(2), rounding_mode="round")
    with pytest.raises(ValueError, match="rounding_mode"):
        fg.div(fg.ones(2), fg.ones(2), rounding_mode="round")
    with pytest.raises(ValueError, match="rounding_mode"):
        fg.ones(2).div(2, rounding_mode="Floor")


# ---- unary functions: values and dtypes ---------------------------------------------------------

# (id, fn(lib, x), domain, whether PyTorch takes int64: frac refuses it, tested below)
UNARY = [
    ("neg", lambda L, x: L.neg(x), "any", True),
    ("negative", lambda L, x: x.negative(), "any", True),
    ("reciprocal", lambda L, x: L.reciprocal(x), "nonzero", True),
    ("square", lambda L, x: L.square(x), "any", True),
    ("rsqrt", lambda L, x: L.rsqrt(x), "positive", True),
    ("sign", lambda L, x: L.sign(x), "any", True),
    ("floor", lambda L, x: L.floor(x), "any", True),
    ("ceil", lambda L, x: x.ceil(), "any", True),
    ("trunc", lambda L, x: L.trunc(x), "any", True),
    ("frac", lambda L, x: L.frac(x), "any", False),
    ("exp2", lambda L, x: L.exp2(x), "any", True),
    ("expm1", lambda L, x: x.expm1(), "any", True),
    ("log2", lambda L, x: L.log2(x), "positive", True),
    ("log10", lambda L, x: x.log10(), "positive", True),
    ("erf", lambda L, x: L.erf(x), "any", True),
    ("sinh", lambda L, x: L.sinh(x), "any", True),
    ("cosh", lambda L, x: x.cosh(), "any", True),
    ("asin", lambda L, x: L.asin(x), "unit", True),
    ("acos", lambda L, x: x.acos(), "unit", True),
    ("atan", lambda L, x: L.atan(x), "any", True),
]


@pytest.mark.parametrize("name, fn, domain, dtype", [
    pytest.param(name, fn, domain, dtype, id=f"{name}-{dtype}")
    for name, fn, domain, ints in UNARY for dtype in DTYPES if ints or dtype != "int64"])
def test_unary_values_and_dtypes(name, fn, domain, dtype):
    x = data((3, 4), DTYPES[dtype][0], 3, domain)  # integers in "unit": mostly outside, nan
    assert_same(fn(fg, fg.tensor(x)), fn(torch, torch.tensor(x)))


def test_unary_functions_at_special_values():
    x = np.array([0.0, -0.0, 1.0, -1.0, 2.5, -2.5, np.inf, -np.inf, np.nan, 1e-8])
    for name, fn, _, _ in UNARY:
        with np.errstate(all="ignore"):
            assert_same(fn(fg, fg.tensor(x)), fn(torch, torch.tensor(x)), rtol=1e-12, atol=0)


def test_isnan_isinf_isfinite():
    x = np.array([[0.0, np.nan, np.inf], [-np.inf, -1.5, 3.0]], dtype=np.float32)
    for name in ("isnan", "isinf", "isfinite"):
        assert_same(getattr(fg, name)(fg.tensor(x)), getattr(torch, name)(torch.tensor(x)))
        assert_same(getattr(fg.tensor(x), name)(), getattr(torch.tensor(x), name)())
    ints = np.array([1, -2, 3])
    assert_same(fg.isfinite(fg.tensor(ints)), torch.isfinite(torch.tensor(ints)))


@pytest.mark.parametrize("name", ["any", "all"])
@pytest.mark.parametrize("kwargs", [{}, {"dim": 0}, {"dim": 1, "keepdim": True}, {"dim": -1},
                                    {"dim": (0, 2)}, {"dim": (1,), "keepdim": True}])
@pytest.mark.parametrize("dtype", ["bool", "float32", "int64"])
def test_any_all(name, kwargs, dtype):
    rng = np.random.default_rng(5)
    x = (rng.random((3, 4, 2)) < 0.7).astype(dtype)
    x[0] = x[0] > 2  # a row of zeros, so any and all differ somewhere
    assert_same(getattr(fg, name)(fg.tensor(x), **kwargs),
                getattr(torch, name)(torch.tensor(x), **kwargs))
    assert_same(getattr(fg.tensor(x), name)(**kwargs),
                getattr(torch.tensor(x), name)(**kwargs))


def test_any_all_bad_dim():
    with pytest.raises(IndexError, match="dim"):
        fg.any(fg.ones(2, 3), dim=2)


# ---- lerp, addcmul, addcdiv ---------------------------------------------------------------------

@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_lerp_addcmul_addcdiv_values(dtype):
    dt = DTYPES[dtype][0]
    a, b, w = data((3, 4), dt, 1), data((4,), dt, 2), data((3, 1), dt, 3, "unit")
    d = data((3, 4), dt, 4, "nonzero")
    for fn in (lambda L, a, b, w, d: L.lerp(a, b, 0.3),
               lambda L, a, b, w, d: L.lerp(a, b, 1.0),  # exactly b, as PyTorch
               lambda L, a, b, w, d: L.lerp(a, b, w),
               lambda L, a, b, w, d: a.lerp(b, w),
               lambda L, a, b, w, d: L.addcmul(a, b, w),
               lambda L, a, b, w, d: L.addcmul(a, b, w, value=-0.5),
               lambda L, a, b, w, d: a.addcmul(b, w, value=2),
               lambda L, a, b, w, d: L.addcdiv(a, b, d),
               lambda L, a, b, w, d: a.addcdiv(w, d, value=0.25)):
        got = fn(fg, *(fg.tensor(v) for v in (a, b, w, d)))
        want = fn(torch, *(torch.tensor(v) for v in (a, b, w, d)))
        assert_same(got, want)


def test_addcmul_of_integers_and_addcdiv_refusal():
    i = data((2, 3), np.int64, 1)
    assert_same(fg.addcmul(fg.tensor(i), fg.tensor(i), fg.tensor(i), value=3),
                torch.addcmul(torch.tensor(i), torch.tensor(i), torch.tensor(i), value=3))
    with pytest.raises(RuntimeError, match="addcdiv"):
        fg.addcdiv(fg.tensor(i), fg.tensor(i), fg.tensor(i))


def test_lerp_refuses_mixed_dtypes_as_pytorch():
    with pytest.raises(RuntimeError):
        torch.lerp(torch.zeros(2), torch.ones(2, dtype=torch.float64), 0.5)
    with pytest.raises(TypeError, match="lerp"):
        fg.lerp(fg.zeros(2), fg.ones(2, dtype=fg.float64), 0.5)


# ---- gradients ----------------------------------------------------------------------------------

# (id, fn(lib, *tensors), shapes, domains): every input requires grad, float64.
GRAD = [
    ("add_alpha", lambda L, a, b: L.add(a, b, alpha=-1.5), [(3, 4), (4,)], ["any", "any"]),
    ("sub_alpha", lambda L, a, b: L.sub(a, b, alpha=2), [(3, 1), (1, 4)], ["any", "any"]),
    ("mul", lambda L, a, b: L.mul(a, b), [(2, 3, 4), (3, 1)], ["any", "any"]),
    ("div", lambda L, a, b: L.div(a, b), [(3, 4), (4,)], ["any", "nonzero"]),
    ("div_trunc", lambda L, a, b: L.div(a, b, rounding_mode="trunc") * a,
     [(3, 4), (4,)], ["any", "nonzero"]),
    ("div_floor", lambda L, a, b: L.div(a, b, rounding_mode="floor") * a,
     [(3, 4), (3, 1)], ["any", "nonzero"]),
    ("remainder", lambda L, a, b: L.remainder(a, b), [(3, 4), (4,)], ["any", "nonzero"]),
    ("fmod", lambda L, a, b: L.fmod(a, b), [(3, 4), (3, 1)], ["any", "nonzero"]),
    ("atan2", lambda L, a, b: L.atan2(a, b), [(3, 4), (4,)], ["any", "nonzero"]),
    ("hypot", lambda L, a, b: L.hypot(a, b), [(3, 4), (3, 1)], ["nonzero", "nonzero"]),
    ("lerp_tensor_weight", lambda L, a, b, w: L.lerp(a, b, w), [(3, 4), (4,), (3, 1)],
     ["any", "any", "unit"]),
    ("lerp_number_weight", lambda L, a, b: a.lerp(b, 0.7), [(3, 4), (3, 4)], ["any", "any"]),
    ("addcmul", lambda L, a, b, c: L.addcmul(a, b, c, value=0.5), [(3, 4), (4,), (3, 1)],
     ["any", "any", "any"]),
    ("addcdiv", lambda L, a, b, c: L.addcdiv(a, b, c, value=-2), [(3, 4), (3, 4), (4,)],
     ["any", "any", "nonzero"]),
    ("neg", lambda L, a: L.neg(a), [(3, 4)], ["any"]),
    ("reciprocal", lambda L, a: L.reciprocal(a), [(3, 4)], ["nonzero"]),
    ("square", lambda L, a: L.square(a), [(3, 4)], ["any"]),
    ("rsqrt", lambda L, a: L.rsqrt(a), [(3, 4)], ["positive"]),
    ("sign", lambda L, a: L.sign(a) * a, [(3, 4)], ["nonzero"]),
    ("floor", lambda L, a: L.floor(a) * a, [(3, 4)], ["any"]),
    ("ceil", lambda L, a: L.ceil(a) * a, [(3, 4)], ["any"]),
    ("trunc", lambda L, a: L.trunc(a) * a, [(3, 4)], ["any"]),
    ("frac", lambda L, a: L.frac(a), [(3, 4)], ["any"]),
    ("exp2", lambda L, a: L.exp2(a), [(3, 4)], ["any"]),
    ("expm1", lambda L, a: L.expm1(a), [(3, 4)], ["any"]),
    ("log2", lambda L, a: L.log2(a), [(3, 4)], ["positive"]),
    ("log10", lambda L, a: L.log10(a), [(3, 4)], ["positive"]),
    ("erf", lambda L, a: L.erf(a), [(3, 4)], ["any"]),
    ("sinh", lambda L, a: L.sinh(a), [(3, 4)], ["any"]),
    ("cosh", lambda L, a: L.cosh(a), [(3, 4)], ["any"]),
    ("asin", lambda L, a: L.asin(a), [(3, 4)], ["unit"]),
    ("acos", lambda L, a: L.acos(a), [(3, 4)], ["unit"]),
    ("atan", lambda L, a: L.atan(a), [(3, 4)], ["any"]),
]


def _grad_inputs(shapes, domains, seed=11):
    return [data(s, np.float64, seed + i, d) for i, (s, d) in enumerate(zip(shapes, domains))]


@pytest.mark.parametrize("name, fn, shapes, domains", GRAD, ids=[c[0] for c in GRAD])
def test_gradients_match_pytorch(name, fn, shapes, domains):
    arrays = _grad_inputs(shapes, domains)
    xs = [fg.tensor(a, requires_grad=True) for a in arrays]
    ts = [torch.tensor(a, requires_grad=True) for a in arrays]
    out, tout = fn(fg, *xs), fn(torch, *ts)
    assert_same(out, tout, rtol=1e-12, atol=1e-12)
    weights = data(tout.shape, np.float64, 99)  # a non-uniform upstream gradient
    out.backward(fg.tensor(weights))
    tout.backward(torch.tensor(weights))
    for x, t in zip(xs, ts):
        np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name, fn, shapes, domains", GRAD, ids=[c[0] for c in GRAD])
def test_gradients_against_finite_differences(name, fn, shapes, domains):
    xs = [fg.tensor(a, requires_grad=True) for a in _grad_inputs(shapes, domains)]
    assert fg.gradcheck(lambda *ts: fn(fg, *ts), xs)


def test_float32_gradients_keep_float32():
    x = fg.tensor(data((3, 4), np.float32, 1, "positive"), requires_grad=True)
    w = fg.tensor(data((4,), np.float32, 2, "unit"), requires_grad=True)
    y = fg.rsqrt(x) + fg.erf(x) + fg.lerp(x, x * 2, w) + fg.exp2(x) + fg.log2(x) + fg.div(x, 3)
    y.sum().backward()
    assert y.dtype == np.float32 and x.grad.dtype == np.float32 and w.grad.dtype == np.float32


# ---- out= ---------------------------------------------------------------------------------------

OUT = [
    ("add", lambda L, a, b, **o: L.add(a, b, alpha=2, **o)),
    ("sub", lambda L, a, b, **o: L.sub(a, b, **o)),
    ("mul", lambda L, a, b, **o: L.mul(a, b, **o)),
    ("div", lambda L, a, b, **o: L.div(a, b, **o)),
    ("div_floor", lambda L, a, b, **o: L.div(a, b, rounding_mode="floor", **o)),
    ("true_divide", lambda L, a, b, **o: L.true_divide(a, b, **o)),
    ("remainder", lambda L, a, b, **o: L.remainder(a, b, **o)),
    ("fmod", lambda L, a, b, **o: L.fmod(a, b, **o)),
    ("atan2", lambda L, a, b, **o: L.atan2(a, b, **o)),
    ("hypot", lambda L, a, b, **o: L.hypot(a, b, **o)),
    ("lerp", lambda L, a, b, **o: L.lerp(a, b, 0.25, **o)),
    ("addcmul", lambda L, a, b, **o: L.addcmul(a, a, b, **o)),
    ("addcdiv", lambda L, a, b, **o: L.addcdiv(a, a, b, **o)),
    ("matmul", lambda L, a, b, **o: L.matmul(a, b.T, **o)),
    ("mm", lambda L, a, b, **o: L.mm(a.T, b, **o)),
]


@pytest.mark.parametrize("name, fn", OUT, ids=[c[0] for c in OUT])
def test_out_receives_the_result_and_is_returned(name, fn):
    a, b = data((3, 4), np.float32, 1), data((3, 4), np.float32, 2, "nonzero")
    want = fn(torch, torch.tensor(a), torch.tensor(b))
    out = fg.full(tuple(want.shape), 7.0)
    before = out.numpy()
    got = fn(fg, fg.tensor(a), fg.tensor(b), out=out)
    assert got is out and out.numpy() is before  # written into out's own memory
    assert_same(out, want)
    empty = fg.empty(0)  # an empty out takes the result's shape (PyTorch)
    assert_same(fn(fg, fg.tensor(a), fg.tensor(b), out=empty), want)


def test_out_casts_as_pytorch_allows():
    a, b = np.array([1.5, -2.0]), np.array([2.0, 4.0])
    # a float64 result into a float32 out, an int64 one into a float64 out: cast
    out = fg.zeros(2)
    tout = torch.zeros(2)
    fg.mul(fg.tensor(a), fg.tensor(b), out=out)
    torch.mul(torch.tensor(a), torch.tensor(b), out=tout)
    assert_same(out, tout)
    out = fg.zeros(2, dtype=fg.float64)
    fg.add(fg.tensor([1, 2]), fg.tensor([3, 4]), out=out)
    np.testing.assert_array_equal(out.numpy(), [4.0, 6.0])
    # a float result into an int64 out: refused by both
    with pytest.raises(RuntimeError, match="can't be cast"):
        torch.div(torch.tensor([1, 2]), 2, out=torch.zeros(2, dtype=torch.int64))
    with pytest.raises(RuntimeError, match="can't be cast"):
        fg.div(fg.tensor([1, 2]), 2, out=fg.zeros(2, dtype=fg.int64))


def test_out_of_another_shape_is_refused():
    with pytest.raises(RuntimeError, match="shape"):
        fg.add(fg.ones(3), fg.ones(3), out=fg.zeros(2))
    with pytest.raises(RuntimeError, match="shape"):
        fg.matmul(fg.ones(2, 3), fg.ones(3, 2), out=fg.zeros(3, 3))


@pytest.mark.parametrize("name, fn", OUT, ids=[c[0] for c in OUT])
def test_out_with_an_input_requiring_grad_raises_as_pytorch(name, fn):
    a, b = data((3, 4), np.float32, 1), data((3, 4), np.float32, 2, "nonzero")
    want = fn(torch, torch.tensor(a), torch.tensor(b))
    with pytest.raises(RuntimeError, match="out=... arguments don't support automatic"):
        fn(torch, torch.tensor(a, requires_grad=True), torch.tensor(b),
           out=torch.zeros(want.shape))
    x = fg.tensor(a, requires_grad=True)
    out = fg.zeros(*want.shape)
    with pytest.raises(RuntimeError, match="out=... arguments don't support automatic"):
        fn(fg, x, fg.tensor(b), out=out)
    np.testing.assert_array_equal(out.numpy(), 0)  # nothing written
    with pytest.raises(RuntimeError, match="out=... arguments don't support automatic"):
        fn(fg, fg.tensor(a), fg.tensor(b), out=fg.zeros(*want.shape, requires_grad=True))
    with fg.no_grad():  # allowed there, and out stays outside the graph
        got = fn(fg, x, fg.tensor(b), out=out)
    assert got is out and out.grad_fn is None and not out.requires_grad
    assert_same(out, want)


def test_out_must_be_a_tensor():
    with pytest.raises(TypeError, match="out"):
        fg.mul(fg.ones(2), fg.ones(2), out=np.zeros(2))


# ---- errors -------------------------------------------------------------------------------------

@pytest.mark.parametrize("fn", [fg.add, fg.sub])
def test_alpha_must_be_a_number(fn):
    with pytest.raises(TypeError, match="alpha"):
        torch.add(torch.ones(2), torch.ones(2), alpha="2")
    with pytest.raises(TypeError, match="alpha"):
        fn(fg.ones(2), fg.ones(2), alpha="2")
    with pytest.raises(TypeError, match="alpha"):
        fn(fg.ones(2), fg.ones(2), alpha=[2])
    with pytest.raises(TypeError, match="alpha"):
        fn(fg.ones(2), fg.ones(2), alpha=1j)


def test_alpha_kind_must_suit_the_result():
    with pytest.raises(RuntimeError, match="alpha"):
        torch.add(torch.tensor([1, 2]), torch.tensor([1, 2]), alpha=1.5)
    with pytest.raises(RuntimeError, match="alpha"):
        fg.add(fg.tensor([1, 2]), fg.tensor([1, 2]), alpha=1.5)
    with pytest.raises(RuntimeError, match="alpha"):
        fg.sub(fg.ones(2), fg.ones(2), alpha=True)
    # a float alpha with an integer tensor and a float one is fine: the result is float
    assert_same(fg.add(fg.tensor([1, 2]), fg.tensor([0.5, 1.0]), alpha=1.5),
                torch.add(torch.tensor([1, 2]), torch.tensor([0.5, 1.0]), alpha=1.5))


BOOL_REFUSED = [
    lambda L, t: L.neg(t),
    lambda L, t: L.sub(t, t),
    lambda L, t: L.sub(L.ones(2), t),
    lambda L, t: L.sub(L.ones(2), True),
    lambda L, t: L.sub(t, 1),
    lambda L, t: L.remainder(t, t),
    lambda L, t: L.fmod(t, True),
    lambda L, t: L.div(t, t, rounding_mode="floor"),
]


@pytest.mark.parametrize("fn", BOOL_REFUSED)
def test_bool_negation_subtraction_and_division_are_refused_as_pytorch(fn):
    with pytest.raises(RuntimeError):
        fn(torch, torch.tensor([True, False]))
    with pytest.raises(RuntimeError, match="bool"):
        fn(fg, fg.tensor([True, False]))


@pytest.mark.parametrize("dtype", ["int32", "uint8", "bool"])
def test_unary_functions_on_other_integer_dtypes(dtype):
    a = np.array([1, 0, 1, 3]).astype(dtype)
    for name, fn, _, _ in UNARY + [("any", lambda L, x: L.any(x), "", 0),
                                   ("all", lambda L, x: x.all(), "", 0)]:
        try:
            want = fn(torch, torch.tensor(a))
        except (RuntimeError, NotImplementedError):
            with pytest.raises((RuntimeError, TypeError), match="bool|frac"):
                fn(fg, fg.tensor(a, dtype=a.dtype))
            continue
        assert_same(fn(fg, fg.tensor(a, dtype=a.dtype)), want)


def test_other_integer_dtypes_keep_their_dtype():
    for dt in ("int32", "uint8"):
        a, b = np.array([7, 2, 9], dtype=dt), np.array([2, 3, 4], dtype=dt)
        for fn in (lambda L, a, b: L.add(a, b), lambda L, a, b: L.mul(a, 3),
                   lambda L, a, b: L.remainder(a, b), lambda L, a, b: L.div(a, b),
                   lambda L, a, b: L.div(a, b, rounding_mode="floor")):
            assert_same(fn(fg, fg.tensor(a, dtype=a.dtype), fg.tensor(b, dtype=b.dtype)),
                        fn(torch, torch.tensor(a), torch.tensor(b)))


def test_frac_of_integers_is_refused():
    with pytest.raises(NotImplementedError):
        torch.frac(torch.tensor([1, 2]))
    with pytest.raises(TypeError, match="frac"):
        fg.frac(fg.tensor([1, 2]))


def test_operand_that_is_not_a_number_names_the_argument():
    with pytest.raises(TypeError, match="other"):
        fg.mul(fg.ones(2), "x")
    with pytest.raises(TypeError, match="input"):
        fg.reciprocal("x")


# ---- in place -----------------------------------------------------------------------------------

INPLACE = ["neg_", "reciprocal_", "square_", "rsqrt_", "sign_", "floor_", "ceil_", "trunc_",
           "frac_", "exp2_", "expm1_", "log2_", "log10_", "erf_", "sinh_", "cosh_", "atan_"]


@pytest.mark.parametrize("name", INPLACE)
def test_inplace_unary(name):
    x = data((3, 4), np.float32, 4, "positive")
    t, tt = fg.tensor(x), torch.tensor(x)
    assert getattr(t, name)() is t
    getattr(tt, name)()
    assert_same(t, tt)


def test_inplace_binary_and_rules():
    a, b = data((3, 4), np.float64, 1), data((4,), np.float64, 2, "nonzero")
    for name, args in (("remainder_", (b,)), ("fmod_", (2.5,)), ("lerp_", (b, 0.3)),
                       ("addcmul_", (b, b)), ("addcdiv_", (b, b))):
        t, tt = fg.tensor(a), torch.tensor(a)
        getattr(t, name)(*(fg.tensor(v) if isinstance(v, np.ndarray) else v for v in args))
        getattr(tt, name)(*(torch.tensor(v) if isinstance(v, np.ndarray) else v for v in args))
        assert_same(t, tt)
    leaf = fg.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf"):
        leaf.neg_()
    with fg.no_grad():
        leaf.neg_()
    np.testing.assert_array_equal(leaf.numpy(), -1)
    t, tt = fg.tensor([7, -7, 5]), torch.tensor([7, -7, 5])
    t.div_(2, rounding_mode="trunc")
    tt.div_(2, rounding_mode="trunc")
    assert_same(t, tt)
    ints = fg.tensor([1, 2])
    with pytest.raises(RuntimeError, match="can't be cast"):
        ints.reciprocal_()  # a float result does not fit an integer tensor (PyTorch)
