"""amax, amin, aminmax, count_nonzero, var_mean, std_mean, nan_to_num, clamp_min/max,
softmax and log_softmax as methods, select, unbind, index_add, scatter_add, index_fill,
masked_scatter, bincount, histc, searchsorted, bucketize, unique_consecutive, the memory-layout
methods (stride, storage_offset, data_ptr, ...) and the in-place forms: values, indices and
dtypes against PyTorch 2.13 in float32, float64 and int64, gradients in float64 against
PyTorch's autograd and float64 finite differences (fg.gradcheck), and bad arguments."""
import numpy as np
import pytest

import fastgrad as fg
from conftest import torch_or_skip

torch = torch_or_skip()

ROWS = [[0, 4, 0], [1, 1, 1], [2, 3, 4], [0, 0, 0]]  # scatter_add positions along dim 1

# (id, fn(lib, x)): the same source run with lib = torch and lib = fastgrad on a 4 x 5 input
# without ties. The ops that write take their source from x, so its gradient is checked too.
CASES = [
    ("amax_all", lambda L, x: L.amax(x)),
    ("amax_dim", lambda L, x: x.amax(1)),
    ("amax_dims_keepdim", lambda L, x: L.amax(x, (0, -1), keepdim=True)),
    ("amax_empty_list_is_all", lambda L, x: x.amax([], keepdim=True)),
    ("amin_all", lambda L, x: x.amin()),
    ("amin_neg_dim_keepdim", lambda L, x: L.amin(x, dim=-2, keepdim=True)),
    ("aminmax_all", lambda L, x: L.aminmax(x)),
    ("aminmax_dim", lambda L, x: x.aminmax(dim=1)),
    ("aminmax_keepdim", lambda L, x: L.aminmax(x, dim=-1, keepdim=True)),
    ("clamp_min", lambda L, x: L.clamp_min(x, 1.05)),
    ("clamp_max_method", lambda L, x: x.clamp_max(-2.05)),
    ("select", lambda L, x: L.select(x, 1, -2)),
    ("select_method", lambda L, x: x.select(0, 3)),
    ("select_tensor_index", lambda L, x: x.select(-1, L.tensor(2))),
    ("unbind", lambda L, x: L.unbind(x, 1)),
    ("unbind_method", lambda L, x: x.unbind()),
    ("reshape_as", lambda L, x: x.reshape_as(L.zeros(5, 2, 2))),
    ("mT", lambda L, x: x.mT),
    ("index_add", lambda L, x: L.index_add(x, 1, L.tensor([0, 4, 0]), x[:, :3] * 2)),
    ("index_add_alpha_dim0", lambda L, x: x.index_add(0, L.tensor([3, 3]), x[:2], alpha=3)),
    ("scatter_add", lambda L, x: L.scatter_add(x, 1, L.tensor(ROWS), x[:, 1:4] * 2)),
    ("scatter_add_src_larger", lambda L, x: x.scatter_add(0, L.tensor([[3, 0], [1, 1]]), x)),
    ("index_fill", lambda L, x: x.index_fill(1, L.tensor([0, -1]), -2)),
    ("index_fill_tensor_value", lambda L, x: L.index_fill(x, 0, L.tensor([2]), L.tensor(5))),
    ("masked_scatter", lambda L, x: x.masked_scatter(x > 0.05, x * 3)),
    ("masked_scatter_broadcast", lambda L, x: L.masked_scatter(
        x, L.tensor([True, False, True, False, True]), x[::-1].contiguous() if L is fg
        else x.flip(0))),
]
FLOAT_CASES = CASES + [
    ("var_mean", lambda L, x: L.var_mean(x)),
    ("var_mean_dim", lambda L, x: L.var_mean(x, 1)),
    ("var_mean_dims_keepdim_correction", lambda L, x: L.var_mean(x, (0, 1), keepdim=True,
                                                                 correction=0)),
    ("var_mean_unbiased_positional", lambda L, x: L.var_mean(x, -1, False, True)),
    ("std_mean", lambda L, x: L.std_mean(x)),
    ("std_mean_dim_unbiased", lambda L, x: L.std_mean(x, 0, unbiased=False)),
    ("std_mean_correction", lambda L, x: L.std_mean(x, dim=1, correction=2)),
    ("softmax_method", lambda L, x: x.softmax(1)),
    ("log_softmax_method", lambda L, x: x.log_softmax(dim=-2)),
    ("softmax_dtype", lambda L, x: x.softmax(0, dtype=L.float64)),
    ("clamp_min_tensor", lambda L, x: x.clamp_min(L.tensor([0.0, -1, 0.5, 2, 0], dtype=x.dtype))),
    ("index_add_float_alpha", lambda L, x: x.index_add(-1, L.tensor([1, 1]), x[:, 3:], alpha=0.5)),
    ("nan_to_num_finite", lambda L, x: L.nan_to_num(x)),
]


def _distinct(seed, dtype, shape=(4, 5)):
    """Values with no ties: a shuffled, signed range, scaled (integers keep the range)."""
    rng = np.random.default_rng(seed)
    values = rng.permutation(np.prod(shape)).reshape(shape) - np.prod(shape) // 2
    return values.astype(dtype) if dtype == np.int64 else (values / 7.0).astype(dtype)


def _numpy(t):
    return np.array(t.detach().numpy())


def _outputs(out):
    """Every tensor an op returns, as NumPy arrays."""
    return [_numpy(o) for o in (out if isinstance(out, tuple) else (out,))]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name, fn", FLOAT_CASES, ids=[c[0] for c in FLOAT_CASES])
def test_values_match_torch(name, fn, dtype):
    x = _distinct(len(name), dtype)
    ours, theirs = fn(fg, fg.tensor(x)), fn(torch, torch.tensor(x))
    assert isinstance(ours, tuple) == isinstance(theirs, tuple)
    for o, t in zip(_outputs(ours), _outputs(theirs), strict=True):
        assert o.shape == t.shape and o.dtype == t.dtype
        tol = 1e-6 if dtype == np.float32 else 1e-13
        np.testing.assert_allclose(o, t, rtol=tol, atol=tol)


@pytest.mark.parametrize("name, fn", CASES, ids=[c[0] for c in CASES])
def test_int64_values_match_torch(name, fn):
    x = _distinct(len(name), np.int64)
    for o, t in zip(_outputs(fn(fg, fg.tensor(x))), _outputs(fn(torch, torch.tensor(x))),
                    strict=True):
        assert o.dtype == t.dtype and o.shape == t.shape
        np.testing.assert_array_equal(o, t)


def _grads(lib, fn, array):
    """The input's gradient under a fixed upstream gradient of every output."""
    x = lib.tensor(array.copy(), dtype=lib.float64, requires_grad=True)
    out = fn(lib, x)
    total = 0
    for k, o in enumerate(out if isinstance(out, tuple) else (out,)):
        upstream = np.cos(np.arange(o.numel(), dtype=np.float64) + k).reshape(tuple(o.shape))
        total = total + (o * lib.tensor(upstream)).sum()
    total.backward()
    return _numpy(x.grad)


@pytest.mark.parametrize("name, fn", FLOAT_CASES, ids=[c[0] for c in FLOAT_CASES])
def test_gradients_match_torch_and_finite_differences(name, fn):
    x = _distinct(len(name) + 1, np.float64)
    if name != "scatter_add_src_larger":  # torch 2.13's backward fails for a src larger than index
        np.testing.assert_allclose(_grads(fg, fn, x), _grads(torch, fn, x), rtol=1e-12,
                                   atol=1e-14)

    def first(t):
        out = fn(fg, t)
        return out[0] if isinstance(out, tuple) else out
    assert fg.gradcheck(first, [fg.tensor(x, requires_grad=True)])


def test_amax_amin_share_the_gradient_evenly_among_ties_as_torch():
    x = np.array([[3.0, 1.0, 3.0, 3.0], [2.0, 2.0, 0.0, 0.0]])
    for fn in (lambda L, t: L.amax(t, 1), lambda L, t: L.amin(t, 1), lambda L, t: L.amax(t),
               lambda L, t: L.aminmax(t, dim=0)[0], lambda L, t: t.aminmax()[1]):
        xf, xt = fg.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        (fn(fg, xf) * 1.5).sum().backward()
        (fn(torch, xt) * 1.5).sum().backward()
        np.testing.assert_allclose(xf.grad.numpy(), xt.grad.numpy(), rtol=1e-15)


def test_aminmax_fields_and_count_nonzero_match_torch():
    x = np.array([[0, 2, 0, -1], [0, 0, 5, 0], [3, 0, 0, 0]], dtype=np.int64)
    ours, theirs = fg.tensor(x).aminmax(dim=0), torch.tensor(x).aminmax(dim=0)
    np.testing.assert_array_equal(ours.min.numpy(), theirs.min.numpy())
    np.testing.assert_array_equal(ours.max.numpy(), theirs.max.numpy())
    for dtype in (np.int64, np.float32, np.float64):
        for dim in (None, 0, -1, (0, 1)):
            o = fg.count_nonzero(fg.tensor(x.astype(dtype)), dim)
            t = torch.count_nonzero(torch.tensor(x.astype(dtype)), dim)
            assert o.numpy().dtype == t.numpy().dtype == np.int64
            np.testing.assert_array_equal(o.numpy(), t.numpy())
    assert fg.tensor(x).count_nonzero(1).tolist() == torch.tensor(x).count_nonzero(1).tolist()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_nan_to_num_values_and_gradient_match_torch(dtype):
    x = np.array([np.nan, np.inf, -np.inf, 1.5, -2.0], dtype=dtype)
    for kwargs in ({}, {"nan": 2.0}, {"posinf": 9.0, "neginf": -9.0}, {"nan": -1, "posinf": 3}):
        o, t = fg.nan_to_num(fg.tensor(x), **kwargs), torch.nan_to_num(torch.tensor(x), **kwargs)
        assert o.numpy().dtype == t.numpy().dtype
        np.testing.assert_array_equal(o.numpy(), t.numpy())
        np.testing.assert_array_equal(fg.tensor(x).nan_to_num(**kwargs).numpy(), t.numpy())
    xf = fg.tensor(x.astype(np.float64), requires_grad=True)
    xt = torch.tensor(x.astype(np.float64), requires_grad=True)
    upstream = np.array([1.0, 2, 3, 4, 5])  # given to backward: the replaced maxima overflow a sum
    fg.nan_to_num(xf).backward(upstream)
    torch.nan_to_num(xt).backward(torch.tensor(upstream))
    np.testing.assert_array_equal(xf.grad.numpy(), xt.grad.numpy())
    ints = np.array([1, -3, 0])
    assert fg.nan_to_num(fg.tensor(ints)).tolist() == torch.nan_to_num(torch.tensor(ints)).tolist()


def test_clamp_min_max_of_integers_with_a_float_bound_promote_as_torch():
    x = np.array([1, 5, -3])
    for fn in (lambda L, t: L.clamp_min(t, 2.5), lambda L, t: t.clamp_max(0.5),
               lambda L, t: L.clamp_max(t, 2)):
        o, t = fn(fg, fg.tensor(x)), fn(torch, torch.tensor(x))
        assert o.numpy().dtype == t.numpy().dtype
        np.testing.assert_array_equal(o.numpy(), t.numpy())


def test_index_and_scatter_writes_give_source_gradients_as_torch():
    base, src = _distinct(1, np.float64, (3, 4)), _distinct(2, np.float64, (3, 4))
    mask = np.array([[True, False, True, True], [False, False, True, False],
                     [True, True, False, False]])
    index = np.array([[2, 0, 2, 1], [2, 2, 0, 0], [1, 1, 1, 1]])
    for fn in (lambda L, a, s: L.index_add(a, 0, L.tensor([2, 0, 2]), s, alpha=-1.5),
               lambda L, a, s: a.scatter_add(0, L.tensor(index), s),
               lambda L, a, s: a.masked_scatter(L.tensor(mask), s * 2)):
        grads = []
        for lib in (fg, torch):
            a = lib.tensor(base, requires_grad=True)
            s = lib.tensor(src, requires_grad=True)
            out = fn(lib, a, s)
            (out * lib.tensor(np.sin(np.arange(12.0)).reshape(3, 4))).sum().backward()
            grads.append((_numpy(a.grad), _numpy(s.grad)))
        for o, t in zip(grads[0], grads[1]):
            np.testing.assert_allclose(o, t, rtol=1e-14, atol=1e-15)
        assert fg.gradcheck(lambda a, s, f=fn: f(fg, a, s), [fg.tensor(base, requires_grad=True),
                                                             fg.tensor(src, requires_grad=True)])


# ---- in place ---------------------------------------------------------------------------------

INPLACE = [
    ("nan_to_num_", lambda t: t.nan_to_num_(posinf=7.0)),
    ("clamp_min_", lambda t: t.clamp_min_(0.5)),
    ("clamp_max_", lambda t: t.clamp_max_(-0.5)),
    ("index_add_", lambda t: t.index_add_(1, torch_like(t).tensor([3, 0]), t[:, :2] * 1,
                                           alpha=2)),
    ("scatter_add_", lambda t: t.scatter_add_(0, torch_like(t).tensor([[1, 0, 2, 2]]),
                                              t[:1] * 1)),
    ("index_fill_", lambda t: t.index_fill_(0, torch_like(t).tensor([0, 2]), 4.0)),
    ("masked_scatter_", lambda t: t.masked_scatter_(t > 0, t * 5)),
]


def torch_like(t):
    return fg if isinstance(t, fg.Tensor) else torch


@pytest.mark.parametrize("name, fn", INPLACE, ids=[c[0] for c in INPLACE])
def test_inplace_forms_change_the_tensor_as_torch(name, fn):
    x = _distinct(len(name), np.float64, (3, 4))
    x[0, 0], x[1, 1] = np.inf, np.nan if name == "nan_to_num_" else x[1, 1]
    ours, theirs = fg.tensor(x), torch.tensor(x)
    assert fn(ours) is ours and fn(theirs) is theirs
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


UNARY_INPLACE = ["abs_", "cos_", "sin_", "exp_", "log_", "log1p_", "sqrt_", "relu_", "sigmoid_",
                 "tanh_", "round_", "neg_", "floor_", "ceil_", "trunc_", "frac_", "square_",
                 "reciprocal_", "rsqrt_", "exp2_", "expm1_", "log2_", "log10_", "erf_", "sinh_",
                 "cosh_", "asin_", "acos_", "atan_", "zero_", "nan_to_num_"]
# (name, args given as fn(lib)): torch takes a tensor where `other` must be one
BINARY_INPLACE = [
    ("atan2_", lambda L: (L.tensor(0.7, dtype=L.float64),)),
    ("arctan2_", lambda L: (L.tensor([1.0, -2, 3], dtype=L.float64),)),
    ("hypot_", lambda L: (L.tensor(2.0, dtype=L.float64),)),
    ("pow_", lambda L: (2,)),
    ("multiply_", lambda L: (1.5,)),
    ("subtract_", lambda L: (0.25,)),
    ("divide_", lambda L: (4.0,)),
    ("true_divide_", lambda L: (3.0,)),
    ("floor_divide_", lambda L: (0.3,)),
    ("eq_", lambda L: (0.5,)),
    ("ne_", lambda L: (0.5,)),
    ("lt_", lambda L: (0.5,)),
    ("le_", lambda L: (0.5,)),
    ("gt_", lambda L: (0.5,)),
    ("ge_", lambda L: (0.5,)),
    ("clip_", lambda L: (0.1, 0.6)),
    ("masked_fill_", lambda L: (L.tensor([True, False, True]), -1.0)),
    ("cumsum_", lambda L: (1,)),
    ("cumprod_", lambda L: (0,)),
]


@pytest.mark.parametrize("name", UNARY_INPLACE)
def test_unary_inplace_methods_and_functions_match_torch(name):
    x = np.array([[0.5, 0.25, 0.75], [0.1, 0.9, 0.3]])
    a, b, c = fg.tensor(x), torch.tensor(x), fg.tensor(x)
    assert getattr(a, name)() is a and getattr(fg, name)(c) is c
    getattr(b, name)()
    np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-14)
    np.testing.assert_array_equal(c.numpy(), a.numpy())


@pytest.mark.parametrize("name, args", BINARY_INPLACE, ids=[c[0] for c in BINARY_INPLACE])
def test_binary_inplace_methods_match_torch(name, args):
    x = np.array([[0.5, -1.25, 0.75], [2.0, 0.9, -0.3]])
    a, b = fg.tensor(x), torch.tensor(x)
    assert getattr(a, name)(*args(fg)) is a
    getattr(b, name)(*args(torch))
    np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-14)


@pytest.mark.parametrize("call", [lambda t: t.squeeze_(), lambda t: t.squeeze_(-1),
                                  lambda t: t.unsqueeze_(1), lambda t: t.transpose_(0, -1),
                                  lambda t: t[:, :, 0].t_()],
                         ids=["squeeze_", "squeeze_dim", "unsqueeze_", "transpose_", "t_"])
def test_inplace_shape_changes_match_torch(call):
    x = np.arange(6.0).reshape(2, 3, 1)
    ours, theirs = call(fg.tensor(x)), call(torch.tensor(x))
    assert ours.shape == tuple(theirs.shape) and ours.stride() == theirs.stride()
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    with pytest.raises(RuntimeError, match="leaf|graph"):  # torch records the graph case
        call(fg.tensor(x, requires_grad=True))


def test_detach_inplace_cuts_the_tensor_from_the_graph_as_torch():
    for lib in (fg, torch):
        y = lib.tensor([1.0, 2.0], requires_grad=True) * 2
        assert y.detach_() is y
        assert y.grad_fn is None and not y.requires_grad
    z = fg.tensor([1.0], requires_grad=True) * 3
    assert fg.detach_(z) is z and z.grad_fn is None


def test_inplace_forms_refuse_a_leaf_that_requires_grad():
    x = fg.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf"):
        x.clamp_min_(1.5)
    with pytest.raises(RuntimeError, match="leaf"):
        x.index_add_(0, fg.tensor([0]), fg.tensor([1.0]))


# ---- counting and binning ----------------------------------------------------------------------

def _same(ours, theirs):
    ours = ours if isinstance(ours, tuple) else (ours,)
    theirs = theirs if isinstance(theirs, tuple) else (theirs,)
    assert len(ours) == len(theirs)
    for o, t in zip(ours, theirs):
        assert o.numpy().dtype == t.numpy().dtype and o.shape == tuple(t.shape)
        np.testing.assert_array_equal(o.numpy(), t.numpy())


BINS = [
    ("bincount", lambda L: L.bincount(L.tensor([1, 1, 3, 0, 7, 3]))),
    ("bincount_minlength", lambda L: L.tensor([2, 2]).bincount(minlength=5)),
    ("bincount_empty", lambda L: L.bincount(L.tensor([], dtype=L.int64), minlength=3)),
    ("bincount_weights32", lambda L: L.bincount(L.tensor([1, 1, 3]), L.tensor([0.5, 0.25, 2.0]))),
    ("bincount_weights64", lambda L: L.bincount(L.tensor([0, 2]), weights=L.tensor(
        [1.5, 2.0], dtype=L.float64))),
    ("bincount_int_weights", lambda L: L.bincount(L.tensor([0, 2, 2]), L.tensor([1, 2, 3]))),
    ("histc", lambda L: L.histc(L.tensor([1.0, 2, 1, 5, 9, 2.5]), bins=4)),
    ("histc_range", lambda L: L.tensor([0.0, 1, 2, 3, 4, -1, 5], dtype=L.float64).histc(
        bins=4, min=0, max=4)),
    ("histc_one_value", lambda L: L.histc(L.tensor([1.0, 1.0]), bins=3)),
    ("searchsorted", lambda L: L.searchsorted(L.tensor([1, 3, 5, 7]), L.tensor([[3, 6], [0, 9]]))),
    ("searchsorted_right", lambda L: L.searchsorted(L.tensor([1.0, 3, 3, 7]),
                                                    L.tensor([3.0, 8]), right=True)),
    ("searchsorted_side", lambda L: L.searchsorted(L.tensor([1.0, 3, 3, 7]), L.tensor([3.0]),
                                                   side="right")),
    ("searchsorted_scalar", lambda L: L.searchsorted(L.tensor([1, 3, 5]), 4)),
    ("searchsorted_rows", lambda L: L.searchsorted(L.tensor([[1, 3, 5], [2, 4, 6]]),
                                                   L.tensor([[3, 4], [3, 7]]))),
    ("searchsorted_int32_sorter", lambda L: L.searchsorted(
        L.tensor([5, 1, 3]), L.tensor([3, 4]), out_int32=True, sorter=L.tensor([1, 2, 0]))),
    ("bucketize", lambda L: L.bucketize(L.tensor([[3, 6], [0, 9]]), L.tensor([1, 3, 5, 7]))),
    ("bucketize_right_float", lambda L: L.bucketize(L.tensor([1.0, 3.0, 3.5]),
                                                    L.tensor([1.0, 3.0]), right=True)),
    ("unique_consecutive", lambda L: L.unique_consecutive(L.tensor([1, 1, 2, 2, 3, 1, 1, 2]))),
    ("unique_consecutive_all", lambda L: L.tensor([[1.0, 1], [2, 2], [2, 1]]).unique_consecutive(
        return_inverse=True, return_counts=True)),
    ("unique_consecutive_dim", lambda L: L.unique_consecutive(
        L.tensor([[1, 1], [1, 1], [2, 3], [1, 1]]), return_inverse=True, return_counts=True,
        dim=0)),
    ("unique_consecutive_dim1", lambda L: L.unique_consecutive(
        L.tensor([[1, 1, 2], [0, 0, 0]]), return_counts=True, dim=-1)),
    ("unique_consecutive_empty", lambda L: L.unique_consecutive(
        L.tensor([]), return_inverse=True, return_counts=True)),
]


@pytest.mark.parametrize("name, fn", BINS, ids=[c[0] for c in BINS])
def test_counting_and_binning_match_torch(name, fn):
    _same(fn(fg), fn(torch))


def test_histc_of_random_float64_values_matches_torch():
    x = np.random.default_rng(0).normal(size=500)
    for kwargs in ({"bins": 7}, {"bins": 10, "min": -1, "max": 1.5}):
        _same(fg.histc(fg.tensor(x), **kwargs), torch.histc(torch.tensor(x), **kwargs))


# ---- memory layout --------------------------------------------------------------------------

VIEWS = [
    ("whole", lambda t: t),
    ("transposed", lambda t: t.t()),
    ("row_slice", lambda t: t[1:]),
    ("column", lambda t: t[:, 2]),
    ("step", lambda t: t[::2, 1:]),
    ("select", lambda t: t.select(0, 2)),
    ("expanded", lambda t: t[:1].expand(3, 4, 6)),
    ("scalar", lambda t: t.select(0, 1).select(0, 3)),
]


@pytest.mark.parametrize("name, view", VIEWS, ids=[v[0] for v in VIEWS])
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64])
def test_layout_methods_match_torch(name, view, dtype):
    x = np.arange(24).reshape(4, 6).astype(dtype)
    base_f, base_t = fg.tensor(x), torch.tensor(x)
    ours, theirs = view(base_f), view(base_t)
    assert ours.stride() == theirs.stride()
    for d in range(-ours.ndim, ours.ndim):
        assert ours.stride(d) == theirs.stride(d)
    assert ours.is_contiguous() == theirs.is_contiguous()
    assert ours.storage_offset() == theirs.storage_offset()
    assert ours.nelement() == theirs.nelement()
    assert ours.element_size() == theirs.element_size()
    assert isinstance(ours.data_ptr(), int)
    assert ours.data_ptr() - base_f.data_ptr() == theirs.data_ptr() - base_t.data_ptr()


def test_data_ptr_is_the_address_of_the_first_element():
    t = fg.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=fg.float64)
    assert t.data_ptr() == t.numpy().ctypes.data
    assert t[1].data_ptr() == t.data_ptr() + 2 * 8


def test_type_as_and_mT_match_torch():
    x = _distinct(0, np.float32, (2, 3, 4))
    for other in (np.zeros(1, np.float64), np.zeros(1, np.int64), np.zeros(1, np.float32)):
        o, t = fg.tensor(x).type_as(fg.tensor(other)), torch.tensor(x).type_as(torch.tensor(other))
        assert o.numpy().dtype == t.numpy().dtype
        np.testing.assert_array_equal(o.numpy(), t.numpy())
    np.testing.assert_array_equal(fg.tensor(x).mT.numpy(), torch.tensor(x).mT.numpy())


# ---- bad arguments --------------------------------------------------------------------------

BAD = [
    ("amax_empty", lambda: fg.amax(fg.zeros(0)), RuntimeError, "empty"),
    ("amax_dim_range", lambda: fg.amax(fg.zeros(2, 3), 5), IndexError, "amax: dim"),
    ("amin_empty_dim", lambda: fg.zeros(2, 0).amin(1), IndexError, "amin"),
    ("aminmax_tuple_dim", lambda: fg.aminmax(fg.zeros(2, 3), dim=(0, 1)), TypeError, "dim"),
    ("var_mean_int", lambda: fg.var_mean(fg.tensor([1, 2])), TypeError, "var_mean: input"),
    ("count_nonzero_dim", lambda: fg.count_nonzero(fg.zeros(2), 1), IndexError,
     "count_nonzero: dim"),
    ("nan_to_num_str", lambda: fg.nan_to_num(fg.zeros(2), nan="x"), TypeError, "nan"),
    ("clamp_min_none", lambda: fg.clamp_min(fg.zeros(2), None), TypeError, "min"),
    ("select_range", lambda: fg.select(fg.zeros(2, 3), 1, 3), IndexError, "select: index"),
    ("select_0d", lambda: fg.select(fg.tensor(1.0), 0, 0), IndexError, "0-d"),
    ("unbind_dim", lambda: fg.unbind(fg.zeros(2, 3), 2), IndexError, "unbind: dim"),
    ("unbind_list", lambda: fg.unbind([[1, 2]]), TypeError, "unbind: input"),
    ("select_index_float", lambda: fg.select(fg.zeros(2), 0, 1.0), TypeError, "select: index"),
    ("mT_1d", lambda: fg.zeros(3).mT, ValueError, "mT"),
    ("stride_0d", lambda: fg.tensor(1.0).stride(0), IndexError, "stride"),
    ("stride_dim", lambda: fg.zeros(2, 3).stride(2), IndexError, "stride: dim"),
    ("index_add_bounds", lambda: fg.zeros(3, 2).index_add(0, fg.tensor([0, 5]), fg.ones(2, 2)),
     IndexError, "index_add: index"),
    ("index_add_negative", lambda: fg.zeros(3, 2).index_add(0, fg.tensor([-1]), fg.ones(1, 2)),
     IndexError, "index_add: index"),
    ("index_add_dtype", lambda: fg.zeros(3, 2).index_add(
        0, fg.tensor([0]), fg.ones(1, 2, dtype=fg.float64)), RuntimeError, "source"),
    ("index_add_shape", lambda: fg.zeros(3, 2).index_add(0, fg.tensor([0, 1]), fg.ones(3, 2)),
     ValueError, "source"),
    ("index_add_float_index", lambda: fg.zeros(3, 2).index_add(
        0, fg.tensor([0.0]), fg.ones(1, 2)), TypeError, "index"),
    ("scatter_add_bounds", lambda: fg.zeros(3, 2).scatter_add(0, fg.tensor([[0, 3]]),
                                                              fg.ones(2, 2)),
     IndexError, "scatter_add: index"),
    ("scatter_add_ndim", lambda: fg.zeros(3, 2).scatter_add(0, fg.tensor([0, 1]), fg.ones(2, 2)),
     ValueError, "dimensions"),
    ("scatter_add_larger_index", lambda: fg.zeros(3, 2).scatter_add(
        0, fg.tensor([[0, 1, 1]]), fg.ones(2, 3)), ValueError, "index"),
    ("index_fill_bounds", lambda: fg.zeros(3, 2).index_fill(0, fg.tensor([3]), 1.0), IndexError,
     "index_fill: index"),
    ("index_fill_value", lambda: fg.zeros(3, 2).index_fill(0, fg.tensor([0]), fg.ones(2)),
     ValueError, "value"),
    ("masked_scatter_mask", lambda: fg.zeros(3).masked_scatter(fg.ones(3), fg.ones(3)),
     TypeError, "mask"),
    ("masked_scatter_short", lambda: fg.zeros(3).masked_scatter(fg.tensor([True] * 3),
                                                                fg.ones(2)),
     ValueError, "source"),
    ("bincount_negative", lambda: fg.bincount(fg.tensor([-1, 2])), ValueError, "non-negative"),
    ("bincount_float", lambda: fg.bincount(fg.tensor([1.0])), TypeError, "bincount: input"),
    ("bincount_2d", lambda: fg.bincount(fg.tensor([[1]])), TypeError, "1-d"),
    ("bincount_minlength", lambda: fg.bincount(fg.tensor([1]), minlength=-1), ValueError,
     "minlength"),
    ("bincount_weights_shape", lambda: fg.bincount(fg.tensor([1, 2]), fg.tensor([1.0])),
     ValueError, "weights"),
    ("histc_int", lambda: fg.histc(fg.tensor([1, 2]), bins=3), TypeError, "histc: input"),
    ("histc_bins", lambda: fg.histc(fg.tensor([1.0]), bins=0), ValueError, "bins"),
    ("histc_range", lambda: fg.histc(fg.tensor([1.0]), bins=2, min=3, max=1), ValueError, "max"),
    ("searchsorted_side", lambda: fg.searchsorted(fg.tensor([1, 2]), fg.tensor([1]),
                                                  side="up"), ValueError, "side"),
    ("searchsorted_contradiction", lambda: fg.searchsorted(
        fg.tensor([1, 2]), fg.tensor([1]), right=True, side="left"), ValueError, "side"),
    ("searchsorted_rows", lambda: fg.searchsorted(fg.tensor([[1, 2]]), fg.tensor([1])),
     ValueError, "sorted_sequence"),
    ("bucketize_2d", lambda: fg.bucketize(fg.tensor([1]), fg.tensor([[1, 2]])), ValueError,
     "boundaries"),
    ("unique_consecutive_dim", lambda: fg.unique_consecutive(fg.zeros(2), dim=1), IndexError,
     "unique_consecutive: dim"),
]


@pytest.mark.parametrize("name, call, error, words", BAD, ids=[b[0] for b in BAD])
def test_bad_arguments_raise_clear_errors(name, call, error, words):
    with pytest.raises(error, match=words):
        call()
