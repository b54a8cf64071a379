"""The PyTorch Tensor methods fastgrad adds (ops_math, ops_shape, ops_reduce): each op's value
and gradient against PyTorch 2.13 in float64, written once for both libraries, and its
derivative against float64 finite differences (fg.gradcheck)."""
import math

import numpy as np
import pytest

import fastgrad as fg
from conftest import torch_or_skip

torch = torch_or_skip()

# (id, fn(lib, *tensors), input shapes, input domain). fn is called with lib = torch or fastgrad,
# so each case is the same source code run by both.
POS, ANY = "positive", "any"
CASES = [
    ("sin", lambda L, x: x.sin(), [(3, 4)], ANY),
    ("cos", lambda L, x: x.cos(), [(3, 4)], ANY),
    ("log1p", lambda L, x: x.log1p(), [(3, 4)], POS),
    ("exp", lambda L, x: L.exp(x), [(3, 4)], ANY),
    ("log", lambda L, x: L.log(x), [(3, 4)], POS),
    ("sqrt", lambda L, x: L.sqrt(x), [(3, 4)], POS),
    ("abs", lambda L, x: L.abs(x), [(3, 4)], ANY),
    ("pow_int", lambda L, x: x.pow(3), [(3, 4)], ANY),
    ("pow_float", lambda L, x: x.pow(2.5), [(3, 4)], POS),
    ("pow_tensor_broadcast", lambda L, a, b: a.pow(b), [(3, 4), (4,)], POS),
    ("fg_pow", lambda L, x: L.pow(x, 2), [(3, 4)], ANY),
    ("clamp_both", lambda L, x: x.clamp(min=-0.5, max=0.5), [(3, 4)], ANY),
    ("clamp_min", lambda L, x: x.clamp(min=0), [(3, 4)], ANY),
    ("clamp_max_positional", lambda L, x: x.clamp(None, 0.3), [(3, 4)], ANY),
    ("clip", lambda L, x: x.clip(-0.2, 0.2), [(3, 4)], ANY),
    ("clamp_tensor_bounds", lambda L, x, lo, hi: L.clamp(x, lo, hi + 1), [(3, 4), (4,), (3, 1)],
     ANY),
    ("where_broadcast", lambda L, x, y: L.where(x > 0, x, y), [(3, 4), (1, 4)], ANY),
    ("where_scalar", lambda L, x: L.where(x > 0, x, 0.0), [(3, 4)], ANY),
    ("tensor_where", lambda L, x, y: x.where(x < 0, y), [(3, 4), (3, 4)], ANY),
    ("masked_fill", lambda L, x: x.masked_fill(x > 0.5, -1.0), [(3, 4)], ANY),
    ("masked_fill_broadcast_mask", lambda L, x: x.masked_fill(x[0] > 0, 2.0), [(3, 4)], ANY),
    ("maximum", lambda L, a, b: L.maximum(a, b), [(3, 4), (4,)], ANY),
    ("minimum", lambda L, a, b: L.minimum(a, b), [(3, 4), (3, 1)], ANY),
    ("max_other", lambda L, a, b: a.max(b), [(3, 4), (3, 4)], ANY),
    ("min_other", lambda L, a, b: L.min(a, b), [(3, 4), (3, 4)], ANY),
    ("unsqueeze0", lambda L, x: x.unsqueeze(0) * 2, [(3, 4)], ANY),
    ("unsqueeze_neg", lambda L, x: x.unsqueeze(-1) * 2, [(3, 4)], ANY),
    ("fg_unsqueeze", lambda L, x: L.unsqueeze(x, 1) * 2, [(3, 4)], ANY),
    ("squeeze_all", lambda L, x: x.squeeze() * 2, [(3, 1, 4, 1)], ANY),
    ("squeeze_dim", lambda L, x: x.squeeze(1) * 2, [(3, 1, 4, 1)], ANY),
    ("squeeze_neg_dim", lambda L, x: x.squeeze(-1) * 2, [(3, 1, 4, 1)], ANY),
    ("squeeze_non1_dim_noop", lambda L, x: x.squeeze(0) * 2, [(3, 1, 4, 1)], ANY),
    ("squeeze_tuple", lambda L, x: x.squeeze((1, 3)) * 2, [(3, 1, 4, 1)], ANY),
    ("view", lambda L, x: x.view(-1, 2) * 2, [(3, 4)], ANY),
    ("view_as", lambda L, x, y: x.view_as(y) * y, [(3, 4), (2, 6)], ANY),
    ("flatten", lambda L, x: x.flatten(1) * 2, [(2, 3, 4)], ANY),
    ("expand", lambda L, x: x.expand(2, 3, 4) * 2, [(3, 1)], ANY),
    ("expand_minus_one", lambda L, x: x.expand(5, -1) * 2, [(1, 4)], ANY),
    ("expand_as", lambda L, x, y: x.expand_as(y) * y, [(1, 4), (3, 4)], ANY),
    ("repeat", lambda L, x: x.repeat(2, 1, 3), [(3, 4)], ANY),
    ("repeat_same_rank", lambda L, x: x.repeat(2, 2), [(3, 4)], ANY),
    ("t", lambda L, x: x.t() * 2, [(3, 4)], ANY),
    ("t_vector", lambda L, x: x.t() * 2, [(4,)], ANY),
    ("mm", lambda L, a, b: a.mm(b), [(3, 4), (4, 2)], ANY),
    ("fg_mm", lambda L, a, b: L.mm(a, b), [(3, 4), (4, 2)], ANY),
    ("matmul_batched", lambda L, a, b: L.matmul(a, b), [(2, 3, 4), (4, 5)], ANY),
    ("matmul_vector", lambda L, a, b: a.matmul(b), [(3, 4), (4,)], ANY),
    ("cat0", lambda L, a, b: L.cat([a, b]), [(2, 4), (3, 4)], ANY),
    ("cat_neg", lambda L, a, b, c: L.cat((a, b, c), dim=-1), [(2, 1), (2, 3), (2, 2)], ANY),
    ("stack0", lambda L, a, b: L.stack([a, b]), [(2, 4), (2, 4)], ANY),
    ("stack_last", lambda L, a, b: L.stack([a, b], dim=-1), [(2, 4), (2, 4)], ANY),
    ("stack1", lambda L, a, b, c: L.stack([a, b, c], 1), [(2, 4), (2, 4), (2, 4)], ANY),
    ("clone", lambda L, x: x.clone() * x, [(3, 4)], ANY),
    ("fg_clone", lambda L, x: L.clone(x) * 2, [(3, 4)], ANY),
    ("contiguous", lambda L, x: x.t().contiguous() * 2, [(3, 4)], ANY),
    ("sum_dim_keepdim", lambda L, x: x.sum(dim=1, keepdim=True) * 2, [(3, 4, 2)], ANY),
    ("sum_dims", lambda L, x: x.sum(dim=(0, 2)), [(3, 4, 2)], ANY),
    ("fg_sum_neg", lambda L, x: L.sum(x, -1), [(3, 4, 2)], ANY),
    ("fg_sum_all", lambda L, x: L.sum(x), [(3, 4)], ANY),
    ("sum_neg_keepdim", lambda L, x: x.sum(-1, keepdim=True), [(3, 4, 2)], ANY),
    ("sum_neg_dims", lambda L, x: x.sum((-1, 0)), [(3, 4, 2)], ANY),
    ("mean_dim", lambda L, x: x.mean(1), [(3, 4, 2)], ANY),
    ("mean_neg_dims_keepdim", lambda L, x: x.mean((0, -1), keepdim=True), [(3, 4, 2)], ANY),
    ("mean_dim_kw", lambda L, x: x.mean(dim=-2), [(3, 4, 2)], ANY),
    ("fg_mean_dims_keepdim", lambda L, x: L.mean(x, (0, -1), keepdim=True), [(3, 4, 2)], ANY),
    ("prod_all", lambda L, x: x.prod(), [(3, 4)], ANY),
    ("prod_dim", lambda L, x: x.prod(1), [(3, 4)], ANY),
    ("prod_neg_keepdim", lambda L, x: x.prod(-1, keepdim=True), [(2, 3, 4)], ANY),
    ("prod_with_zero", lambda L, x: (x * (x > -0.3)).prod(0), [(5, 3)], ANY),
    ("norm", lambda L, x: x.norm(), [(3, 4)], ANY),
    ("norm_dim", lambda L, x: x.norm(dim=1), [(3, 4)], ANY),
    ("norm_p1", lambda L, x: x.norm(p=1, dim=0), [(3, 4)], ANY),
    ("norm_inf", lambda L, x: x.norm(p=math.inf), [(3, 4)], ANY),
    ("norm_minus_inf", lambda L, x: x.norm(p=-math.inf, dim=1), [(3, 4)], ANY),
    ("norm_p_minus1", lambda L, x: x.norm(p=-1), [(3, 4)], ANY),
    ("norm_p3_keepdim", lambda L, x: x.norm(p=3, dim=-1, keepdim=True), [(3, 4)], ANY),
    ("std", lambda L, x: x.std(), [(3, 4)], ANY),
    ("std_dim", lambda L, x: x.std(0), [(3, 4)], ANY),
    ("std_keepdim", lambda L, x: x.std(1, keepdim=True), [(3, 4)], ANY),
    ("std_biased", lambda L, x: x.std(unbiased=False), [(3, 4)], ANY),
    ("var", lambda L, x: x.var(), [(3, 4)], ANY),
    ("var_dims", lambda L, x: x.var(dim=(0, 1)), [(3, 4, 2)], ANY),
    ("var_correction0", lambda L, x: x.var(-1, correction=0), [(3, 4)], ANY),
    ("max_all", lambda L, x: x.max(), [(3, 4)], ANY),
    ("max_dim", lambda L, x: x.max(1), [(3, 4)], ANY),
    ("max_neg_keepdim", lambda L, x: x.max(-1, keepdim=True), [(2, 3, 4)], ANY),
    ("max_dim_kw", lambda L, x: x.max(dim=0), [(3, 4)], ANY),
    ("min_all", lambda L, x: x.min(), [(3, 4)], ANY),
    ("min_dim", lambda L, x: x.min(0), [(3, 4)], ANY),
    ("fg_max_dim", lambda L, x: L.max(x, 1, keepdim=True), [(3, 4)], ANY),
    ("fg_min_all", lambda L, x: L.min(x), [(3, 4)], ANY),
    ("fg_sigmoid", lambda L, x: L.sigmoid(x), [(3, 4)], ANY),
    ("fg_tanh", lambda L, x: L.tanh(x), [(3, 4)], ANY),
    ("fg_relu", lambda L, x: L.relu(x), [(3, 4)], ANY),
    ("fg_softmax", lambda L, x: L.softmax(x, dim=1), [(3, 4)], ANY),
    ("fg_log_softmax", lambda L, x: L.log_softmax(x, dim=-1), [(3, 4)], ANY),
    # 0-d tensors stay 0-d and take dim 0 / -1, as in PyTorch
    ("zero_dim_sin", lambda L, x: x.sin(), [()], ANY),
    ("zero_dim_clamp", lambda L, x: x.clamp(min=0.1, max=0.2), [()], ANY),
    ("zero_dim_pow", lambda L, x: L.pow(x, 3), [()], ANY),
    ("zero_dim_unsqueeze", lambda L, x: x.unsqueeze(0) * 2, [()], ANY),
    ("zero_dim_squeeze", lambda L, x: x.squeeze(0) * 2, [()], ANY),
    ("zero_dim_expand", lambda L, x: x.expand(3) * 2, [()], ANY),
    ("zero_dim_repeat", lambda L, x: x.repeat(2, 3), [()], ANY),
    ("zero_dim_max_dim", lambda L, x: x.max(0), [()], ANY),
    ("zero_dim_min", lambda L, x: x.min(), [()], ANY),
    ("zero_dim_prod_dim", lambda L, x: x.prod(-1), [()], ANY),
    ("zero_dim_norm", lambda L, x: x.norm(), [()], ANY),
    ("zero_dim_sum_dim", lambda L, x: L.sum(x, 0), [()], ANY),
    ("zero_dim_stack", lambda L, a, b: L.stack([a, b]), [(), ()], ANY),
    ("zero_dim_where", lambda L, x, y: L.where(x > 0, x, y), [(), (3,)], ANY),
    ("to_float32_and_back", lambda L, x: x.to(L.float32).double() * 2, [(3, 4)], ANY),
]
IDS = [c[0] for c in CASES]


def _inputs(shapes, domain, seed):
    rng = np.random.default_rng(seed)
    arrays = [np.asarray(rng.standard_normal(s)) for s in shapes]
    return [np.abs(a) + 0.5 if domain == POS else a for a in arrays]


def _run(lib, fn, arrays):
    """fn's outputs (values, and indices for max/min(dim)) and each input's gradient under a
    fixed upstream gradient, all as float64 NumPy arrays."""
    ts = [lib.tensor(a.copy(), dtype=lib.float64, requires_grad=True) for a in arrays]
    out = fn(lib, *ts)
    values, extra = (out[0], out[1]) if isinstance(out, tuple) else (out, None)
    upstream = np.cos(np.arange(values.numel(), dtype=np.float64)).reshape(tuple(values.shape))
    values.backward(upstream if lib is fg else torch.tensor(upstream))
    grads = [np.zeros(a.shape) if t.grad is None else _numpy(t.grad) for t, a in zip(ts, arrays)]
    return (_numpy(values), None if extra is None else _numpy(extra), grads, tuple(values.shape))


def _numpy(t):
    return np.array(t.detach().numpy() if hasattr(t, "detach") else t)


@pytest.mark.parametrize("name, fn, shapes, domain", CASES, ids=IDS)
def test_value_and_gradient_match_torch(name, fn, shapes, domain):
    arrays = _inputs(shapes, domain, seed=len(name))
    fv, fi, fgrads, fshape = _run(fg, fn, arrays)
    tv, ti, tgrads, tshape = _run(torch, fn, arrays)
    assert fshape == tshape
    np.testing.assert_allclose(fv, tv, rtol=1e-12, atol=1e-14)
    if ti is not None:
        np.testing.assert_array_equal(fi, ti)
    for fgr, tgr in zip(fgrads, tgrads):
        np.testing.assert_allclose(fgr, tgr, rtol=1e-10, atol=1e-13)


# A round trip through float32 is exact only to float32's precision, which finite differences
# with eps = 1e-6 cannot resolve; its gradient is checked against PyTorch's above.
NO_FINITE_DIFFERENCES = {"to_float32_and_back"}


@pytest.mark.parametrize("name, fn, shapes, domain",
                         [c for c in CASES if c[0] not in NO_FINITE_DIFFERENCES],
                         ids=[i for i in IDS if i not in NO_FINITE_DIFFERENCES])
def test_gradient_matches_finite_differences(name, fn, shapes, domain):
    arrays = _inputs(shapes, domain, seed=len(name) + 1)
    inputs = [fg.tensor(a, requires_grad=True) for a in arrays]

    def first(*ts):
        out = fn(fg, *ts)
        return out[0] if isinstance(out, tuple) else out
    assert fg.gradcheck(first, inputs)


def test_round_is_half_to_even_with_zero_gradient_as_torch():
    values = np.array([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 0.49, 1.2345])
    x = fg.tensor(values, requires_grad=True)
    r = fg.round(x)
    r.sum().backward()
    np.testing.assert_array_equal(r.numpy(), torch.round(torch.tensor(values)).numpy())
    np.testing.assert_array_equal(np.asarray(x.grad), np.zeros(8))
    np.testing.assert_allclose(x.round(decimals=2).numpy(),
                               torch.tensor(values).round(decimals=2).numpy())


def test_comparisons_match_torch():
    rng = np.random.default_rng(0)
    a = rng.integers(0, 3, (3, 4)).astype(np.float32)
    b = rng.integers(0, 3, (4,)).astype(np.float32)
    for name in ["eq", "ne", "lt", "le", "gt", "ge"]:
        fa, ta = fg.tensor(a), torch.tensor(a)
        np.testing.assert_array_equal(getattr(fa, name)(fg.tensor(b)).numpy(),
                                      getattr(ta, name)(torch.tensor(b)).numpy())
        np.testing.assert_array_equal(getattr(fa, name)(1.0).numpy(),
                                      getattr(ta, name)(1.0).numpy())
        np.testing.assert_array_equal(getattr(fg, name)(fa, fg.tensor(b)).numpy(),
                                      getattr(torch, name)(ta, torch.tensor(b)).numpy())


@pytest.mark.parametrize("dim, keepdim", [(None, False), (0, False), (1, True), (-1, False)])
def test_argmax_argmin_match_torch(dim, keepdim):
    a = np.random.default_rng(3).standard_normal((3, 5)).astype(np.float32)
    for name in ["argmax", "argmin"]:
        f = getattr(fg.tensor(a), name)(dim=dim, keepdim=keepdim)
        t = getattr(torch.tensor(a), name)(dim=dim, keepdim=keepdim)
        assert f.dtype == fg.long
        np.testing.assert_array_equal(f.numpy(), t.numpy())
        np.testing.assert_array_equal(getattr(fg, name)(fg.tensor(a), dim).numpy(),
                                      getattr(torch, name)(torch.tensor(a), dim).numpy())


def test_max_min_pick_nan_as_torch():
    a = np.array([[1.0, np.nan, 3.0], [2.0, 0.0, -1.0]], dtype=np.float32)
    for name in ["max", "min"]:
        fv, fi = getattr(fg.tensor(a), name)(1)
        tv, ti = getattr(torch.tensor(a), name)(1)
        np.testing.assert_array_equal(fv.numpy(), tv.numpy())
        np.testing.assert_array_equal(fi.numpy(), ti.numpy())
        assert np.isnan(getattr(fg.tensor(a), name)().item())


def test_max_dim_result_has_values_and_indices_fields():
    a = np.random.default_rng(5).standard_normal((3, 4))
    f, t = fg.tensor(a).max(dim=1), torch.tensor(a).max(dim=1)
    np.testing.assert_array_equal(f.values.numpy(), t.values.numpy())
    np.testing.assert_array_equal(f.indices.numpy(), t.indices.numpy())


@pytest.mark.parametrize("kwargs", [{}, {"return_inverse": True}, {"return_counts": True},
                                    {"return_inverse": True, "return_counts": True}, {"dim": 0}])
def test_unique_matches_torch(kwargs):
    a = np.array([[3, 1, 2], [1, 3, 3], [3, 1, 2]])
    f, t = fg.unique(fg.tensor(a), **kwargs), torch.unique(torch.tensor(a), **kwargs)
    f, t = (f, t) if isinstance(t, tuple) else ((f,), (t,))
    assert len(f) == len(t)
    for x, y in zip(f, t):
        np.testing.assert_array_equal(x.numpy(), y.numpy())


@pytest.mark.parametrize("expr", [
    "x.clamp(min=0.5)", "x.clamp(0.1, 0.2)", "x.pow(2)", "L.where(x > 0, x, 0.0)",
    "x.masked_fill(x > 0, 1.5)", "L.cat([x, x])", "L.stack([x, x])", "x.prod()", "x.norm()",
    "x.std(0)", "x.var()", "x.max(0)[0]", "x.min()", "x.repeat(2, 1)", "x.expand(2, 2, 3)",
    "x.sin()", "x.log1p()", "L.maximum(x, x)", "x.round()"])
def test_float32_stays_float32_as_torch(expr):
    a = np.abs(np.random.default_rng(2).standard_normal((2, 3))).astype(np.float32)
    f = eval(expr, {"L": fg, "x": fg.tensor(a)})
    t = eval(expr, {"L": torch, "x": torch.tensor(a)})
    assert f.dtype == fg.float32 and t.dtype == torch.float32
    np.testing.assert_allclose(f.numpy(), t.numpy(), rtol=1e-6)


def test_where_with_one_argument_gives_indices_as_torch():
    a = np.array([[0, 1], [1, 1]])
    f, t = fg.where(fg.tensor(a) > 0), torch.where(torch.tensor(a) > 0)
    assert len(f) == len(t)
    for x, y in zip(f, t):
        np.testing.assert_array_equal(x.numpy(), y.numpy())


def test_cat_skips_empty_accumulator_as_torch():
    x = np.ones((2, 3), np.float32)
    f = fg.cat([fg.tensor([]), fg.tensor(x)])
    t = torch.cat([torch.tensor([]), torch.tensor(x)])
    assert tuple(f.shape) == tuple(t.shape)


@pytest.mark.parametrize("expr", [
    "L.clamp(i, min=0.5)", "L.clamp(i, min=f)", "L.clamp(f, min=i)", "L.clamp(i, 0, 2)",
    "L.where(i > 1, i, 0.5)", "L.where(i > 1, d, i)", "L.where(f > 1, f, i)",
    "L.where(f > 1, f, L.ones(3, dtype=L.float64).sum())", "L.maximum(i, f)", "L.minimum(f, d)",
    "L.pow(f, i)", "f.pow(i)", "L.pow(i, 0.5)", "L.pow(2, f)", "i.pow(2)", "f.pow(np.float64(2))",
    "L.cat([i, f])", "L.stack([f, d])", "L.cat([i, i])", "i.clamp(max=np.float64(1.5))",
    "L.where(i > 1, i, np.int64(7))", "i.masked_fill(i > 1, 2.7)", "f.masked_fill(f > 1, 7)",
])
def test_mixed_dtypes_promote_as_torch(expr):
    """PyTorch's promotion (r10): category before size, scalars never widen a tensor."""
    def env(L):
        return {"L": L, "np": np, "i": L.tensor(np.array([1, 2, 3])),
                "f": L.tensor(np.array([1.0, 2.0, 3.0], np.float32)),
                "d": L.tensor(np.array([1.5, 0.5, 4.0]))}
    f, t = eval(expr, env(fg)), eval(expr, env(torch))
    assert f.dtype == t.numpy().dtype, (f.dtype, t.dtype)
    np.testing.assert_allclose(f.numpy(), t.numpy(), rtol=1e-6)


@pytest.mark.parametrize("expr", [
    "L.flatten(x, 1)", "L.flatten(x)", "L.reshape(x, (4, -1))", "L.transpose(x, 0, -1)",
    "L.permute(x, (2, 0, 1))", "L.isclose(x, x + 1e-7)", "L.isclose(x, x + 1e-3, atol=1e-2)"])
def test_module_level_shape_and_closeness_functions_match_torch(expr):
    a = np.random.default_rng(9).standard_normal((2, 3, 4)).astype(np.float32)
    f, t = eval(expr, {"L": fg, "x": fg.tensor(a)}), eval(expr, {"L": torch, "x": torch.tensor(a)})
    assert tuple(f.shape) == tuple(t.shape) and f.dtype == t.numpy().dtype
    np.testing.assert_array_equal(f.numpy(), t.numpy())


@pytest.mark.parametrize("other", ["x", "x + 1e-7", "x + 1e-3", "x[:1]", "x.double()"])
def test_allclose_and_equal_answer_as_torch(other):
    a = np.random.default_rng(9).standard_normal((2, 3)).astype(np.float32)
    for name in ["allclose", "equal"]:
        results = []
        for L in (fg, torch):
            x = L.tensor(a)
            try:
                results.append(getattr(L, name)(x, eval(other, {"x": x})))
            except RuntimeError:  # torch refuses mismatched shapes or dtypes here
                results.append(None)
        if results[1] is not None:
            assert results[0] == results[1]


def test_changing_a_mask_after_the_op_does_not_change_its_gradient():
    x = fg.tensor(np.array([1.0, -2.0, 3.0]), requires_grad=True)
    mask = x.detach() > 0
    y = x.masked_fill(mask, 0.0) + fg.where(mask, x, 0.0) * 2
    mask[0] = False  # in place, after the ops recorded it
    y.sum().backward()
    t = torch.tensor([1.0, -2.0, 3.0], dtype=torch.float64, requires_grad=True)
    tm = t.detach() > 0
    (t.masked_fill(tm, 0.0) + torch.where(tm, t, 0.0) * 2).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), t.grad.numpy())


@pytest.mark.parametrize("expr", ["x.sin()", "x.cos()", "x.log1p()", "x.prod()", "x.norm()",
                                  "L.maximum(x, x * 2)", "x.max(0)[0] * x"])
def test_changing_a_saved_input_in_place_raises_at_backward_as_torch(expr):
    for L in (fg, torch):
        x = L.tensor(np.array([0.5, 1.5, 2.5]), requires_grad=True)
        h = x * 1  # a non-leaf, so it may be changed in place
        y = eval(expr, {"L": L, "x": h})
        with L.no_grad():
            h.add_(1)
        with pytest.raises(RuntimeError, match=r"modified by an in-?place operation"):
            y.sum().backward()


@pytest.mark.parametrize("name", ["max", "min"])
def test_max_min_dim_print_as_torch_return_types(name):
    a = np.arange(6.0).reshape(2, 3)
    f, t = getattr(fg.tensor(a), name)(1), getattr(torch.tensor(a), name)(1)
    assert repr(f).split("(")[0].replace("fastgrad", "torch") == repr(t).split("(")[0]
    assert repr(f).count("values=") == repr(f).count("indices=") == 1
