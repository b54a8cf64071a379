"""Scans, order statistics and indexing (cumsum, cumprod, diff, logsumexp, sort, argsort, topk,
kthvalue, median, mode, gather, index_select, masked_select, nonzero): values and indices
against PyTorch 2.13 in float32, float64 and int64, gradients in float64 against PyTorch's
autograd and float64 finite differences (fg.gradcheck), and bad arguments."""
import numpy as np
import pytest

import fastgrad as fg
from conftest import torch_or_skip

torch = torch_or_skip()

# (id, fn(lib, x)): the same source run with lib = torch and lib = fastgrad. Inputs are drawn
# without ties (a permutation of distinct values), so every index is well defined.
CASES = [
    ("cumsum", lambda L, x: L.cumsum(x, 1)),
    ("cumsum_neg", lambda L, x: x.cumsum(-1)),
    ("cumsum_dim0_kw", lambda L, x: x.cumsum(dim=0)),
    ("cumprod", lambda L, x: L.cumprod(x, 1)),
    ("cumprod_neg", lambda L, x: x.cumprod(dim=-2)),
    ("diff", lambda L, x: L.diff(x)),
    ("diff_n2_dim0", lambda L, x: x.diff(n=2, dim=0)),
    ("diff_n0", lambda L, x: L.diff(x, n=0) * 2),
    ("diff_prepend_append", lambda L, x: L.diff(x, dim=1, prepend=x[:, :1] * 2, append=x[:, :2])),
    ("sort", lambda L, x: L.sort(x)),
    ("sort_dim0_desc", lambda L, x: x.sort(0, descending=True)),
    ("sort_stable_kw", lambda L, x: L.sort(x, dim=-1, stable=True)),
    ("argsort", lambda L, x: L.argsort(x, dim=1)),
    ("argsort_desc", lambda L, x: x.argsort(0, descending=True)),
    ("topk", lambda L, x: L.topk(x, 2)),
    ("topk_smallest_dim0", lambda L, x: x.topk(3, dim=0, largest=False)),
    ("topk_k0", lambda L, x: L.topk(x, 0, dim=1)),
    ("kthvalue", lambda L, x: L.kthvalue(x, 2)),
    ("kthvalue_dim0_keepdim", lambda L, x: x.kthvalue(4, 0, True)),
    ("median_all", lambda L, x: L.median(x)),
    ("median_dim", lambda L, x: x.median(1)),
    ("median_dim0_keepdim", lambda L, x: L.median(x, dim=0, keepdim=True)),
    ("median_even_length", lambda L, x: x[:, :4].median(-1)),
    ("mode_distinct", lambda L, x: L.mode(x)),
    ("gather", lambda L, x: L.gather(x, 1, L.tensor([[0, 2, 2], [4, 1, 0], [3, 3, 3], [1, 0, 4]]))),
    ("gather_dim0_smaller", lambda L, x: x.gather(0, L.tensor([[3, 0], [1, 1]]))),
    ("gather_neg_dim", lambda L, x: x.gather(-2, L.tensor([[0, 1, 2, 3, 0]]))),
    ("index_select", lambda L, x: L.index_select(x, 1, L.tensor([4, 0, 4, 2]))),
    ("index_select_dim0", lambda L, x: x.index_select(0, L.tensor([2, 2, 1]))),
    ("index_select_empty", lambda L, x: x.index_select(-1, L.tensor([], dtype=L.int64))),
    ("masked_select", lambda L, x: L.masked_select(x, x > 0.2)),
    ("masked_select_broadcast_mask", lambda L, x: x.masked_select(L.tensor([True, False, True,
                                                                            False, True]))),
]
IDS = [c[0] for c in CASES]
INTEGER_CASES = [c for c in CASES if not c[0].startswith(("masked_select", "cumprod"))]
# torch's logsumexp is float only in its gradient, integers give float32 (checked below)
FLOAT_CASES = CASES + [
    ("logsumexp", lambda L, x: L.logsumexp(x, 1)),
    ("logsumexp_dims_keepdim", lambda L, x: x.logsumexp((0, -1), keepdim=True)),
]


def _distinct(seed, dtype, shape=(4, 5)):
    """Values with no ties: a shuffled, signed range, scaled (integers keep the range)."""
    rng = np.random.default_rng(seed)
    values = rng.permutation(np.prod(shape)).reshape(shape) - np.prod(shape) // 2
    return values.astype(dtype) if dtype == np.int64 else (values / 7.0).astype(dtype)


def _numpy(t):
    return np.array(t.detach().numpy())


def _outputs(out):
    """Every tensor an op returns, as NumPy arrays (values and indices, or one tensor)."""
    return [_numpy(o) for o in (out if isinstance(out, tuple) else (out,))]


def _run(lib, fn, array):
    return fn(lib, lib.tensor(array.copy()))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name, fn", FLOAT_CASES, ids=[c[0] for c in FLOAT_CASES])
def test_values_and_indices_match_torch(name, fn, dtype):
    x = _distinct(len(name), dtype)
    ours, theirs = _run(fg, fn, x), _run(torch, fn, x)
    assert isinstance(ours, tuple) == isinstance(theirs, tuple)
    for o, t in zip(_outputs(ours), _outputs(theirs)):
        assert o.shape == t.shape and o.dtype == t.dtype
        np.testing.assert_allclose(o, t, rtol=1e-6 if dtype == np.float32 else 1e-13,
                                   atol=1e-6 if dtype == np.float32 else 1e-13)
    if isinstance(theirs, tuple):
        assert type(theirs).__name__ == type(ours).__name__ or ours.name == type(theirs).__name__
        np.testing.assert_array_equal(_numpy(ours.indices), _numpy(theirs.indices))
        np.testing.assert_array_equal(_numpy(ours.values), _numpy(theirs.values))


@pytest.mark.parametrize("name, fn", INTEGER_CASES, ids=[c[0] for c in INTEGER_CASES])
def test_int64_values_and_indices_match_torch(name, fn):
    x = _distinct(len(name), np.int64)
    for o, t in zip(_outputs(_run(fg, fn, x)), _outputs(_run(torch, fn, x))):
        assert o.dtype == t.dtype == np.int64
        np.testing.assert_array_equal(o, t)


def _grads(lib, fn, array):
    """The input's gradient under a fixed upstream gradient of the (first) output."""
    x = lib.tensor(array.copy(), dtype=lib.float64, requires_grad=True)
    out = fn(lib, x)
    values = out[0] if isinstance(out, tuple) else out
    if values.dtype != lib.float64:  # argsort: no gradient
        return None
    upstream = np.cos(np.arange(values.numel(), dtype=np.float64)).reshape(tuple(values.shape))
    values.backward(upstream if lib is fg else torch.tensor(upstream))
    return _numpy(x.grad)


@pytest.mark.parametrize("name, fn", FLOAT_CASES, ids=[c[0] for c in FLOAT_CASES])
def test_gradients_match_torch_and_finite_differences(name, fn):
    x = _distinct(len(name) + 1, np.float64)
    ours, theirs = _grads(fg, fn, x), _grads(torch, fn, x)
    if theirs is None:
        assert ours is None
        return
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-14)
    if name in ("topk_k0", "index_select_empty"):
        return  # an empty output has no Jacobian for finite differences to check

    def first(t):
        out = fn(fg, t)
        return out[0] if isinstance(out, tuple) else out
    assert fg.gradcheck(first, [fg.tensor(x, requires_grad=True)])


# ---- ties, zeros and NaN, where PyTorch's choice is documented behaviour -------------------------

def test_sort_with_ties_is_stable_both_ways_as_torch():
    x = np.array([[2, 1, 2, 3, 1, 2, 3], [0, 0, 0, 1, 1, 0, 1]], dtype=np.float64)
    for descending in (False, True):
        ours = fg.sort(fg.tensor(x), dim=1, descending=descending, stable=True)
        theirs = torch.sort(torch.tensor(x), dim=1, descending=descending, stable=True)
        np.testing.assert_array_equal(ours.values.numpy(), theirs.values.numpy())
        np.testing.assert_array_equal(ours.indices.numpy(), theirs.indices.numpy())
        kwargs = dict(dim=1, descending=descending, stable=True)
        np.testing.assert_array_equal(fg.argsort(fg.tensor(x), **kwargs).numpy(),
                                      torch.argsort(torch.tensor(x), **kwargs).numpy())
        np.testing.assert_array_equal(fg.tensor(x).sort(1, descending)[1].numpy(),
                                      torch.tensor(x).sort(1, descending)[1].numpy())


def test_nan_sorts_as_largest_and_makes_the_median_nan():
    x = np.array([[1.0, np.nan, -3.0, 4.0, np.nan], [2.0, 0.5, -1.0, 7.0, 3.0]])
    for fn in (lambda L, t: L.sort(t, 1), lambda L, t: L.sort(t, 1, descending=True),
               lambda L, t: L.topk(t, 3), lambda L, t: L.kthvalue(t, 4, 1),
               lambda L, t: L.median(t, 1)):
        for o, t in zip(fn(fg, fg.tensor(x)), fn(torch, torch.tensor(x))):
            np.testing.assert_array_equal(o.numpy(), t.numpy())
    assert np.isnan(fg.median(fg.tensor(x)).item())
    assert np.isnan(torch.median(torch.tensor(x)).item())


def test_mode_prefers_the_smallest_most_frequent_value_and_its_last_index():
    x = np.array([[3, 1, 3, 1, 2, 5], [5, 5, 2, 2, 7, 2], [4, 4, 4, 0, 0, 0]], dtype=np.int64)
    for dim, keepdim in ((1, False), (-1, True)):
        ours, theirs = fg.mode(fg.tensor(x), dim, keepdim), torch.mode(torch.tensor(x), dim,
                                                                       keepdim)
        np.testing.assert_array_equal(ours.values.numpy(), theirs.values.numpy())
        np.testing.assert_array_equal(ours.indices.numpy(), theirs.indices.numpy())
    xf = fg.tensor(x.astype(np.float64), requires_grad=True)
    xt = torch.tensor(x.astype(np.float64), requires_grad=True)
    fg.mode(xf, 0).values.sum().backward()
    torch.mode(xt, 0).values.sum().backward()
    np.testing.assert_array_equal(xf.grad.numpy(), xt.grad.numpy())


def test_median_of_all_shares_the_gradient_among_ties_as_torch():
    x = np.array([[3.0, 1.0, 3.0, 1.0, 2.0], [5.0, 5.0, 2.0, 2.0, 7.0]])
    xf, xt = fg.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    fg.median(xf).backward()
    torch.median(xt).backward()
    np.testing.assert_allclose(xf.grad.numpy(), xt.grad.numpy(), rtol=1e-15)


@pytest.mark.parametrize("zeros", [[(0, 2)], [(1, 0), (1, 3)], [(0, 4), (2, 4)], []])
def test_cumprod_gradient_with_zeros_matches_torch(zeros):
    x = _distinct(3, np.float64, (3, 5)) + 0.05  # no accidental zero
    for position in zeros:
        x[position] = 0.0
    for dim in (1, 0):
        xf, xt = fg.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        upstream = np.sin(np.arange(x.size)).reshape(x.shape) + 1.5
        fg.cumprod(xf, dim).backward(upstream)
        torch.cumprod(xt, dim).backward(torch.tensor(upstream))
        assert np.isfinite(xf.grad.numpy()).all()
        np.testing.assert_allclose(xf.grad.numpy(), xt.grad.numpy(), rtol=1e-12, atol=1e-14)
        assert fg.gradcheck(lambda t, d=dim: fg.cumprod(t, d), [fg.tensor(x, requires_grad=True)])


def test_gather_and_index_select_add_the_gradient_of_repeated_positions():
    x = _distinct(5, np.float64, (3, 4))
    index = np.array([[0, 0, 0, 3], [2, 2, 1, 1]])
    for fn in (lambda L, t: L.gather(t, 1, L.tensor(index)),
               lambda L, t: L.index_select(t, 1, L.tensor([1, 1, 1, 0]))):
        assert np.array_equal(_grads(fg, fn, x), _grads(torch, fn, x))


def test_masked_select_gradient_through_a_broadcast_input():
    x = _distinct(2, np.float64, (1, 5))
    mask = np.array([[True, False, True, True, False], [False, True, True, False, False]])
    fn = lambda L, t: L.masked_select(t, L.tensor(mask))  # noqa: E731
    np.testing.assert_array_equal(_numpy(fn(fg, fg.tensor(x))), _numpy(fn(torch, torch.tensor(x))))
    np.testing.assert_array_equal(_grads(fg, fn, x), _grads(torch, fn, x))


def test_logsumexp_is_stable_and_integers_give_float32():
    x = np.array([[1000.0, 1000.0, -5.0], [-np.inf, -np.inf, -np.inf]])
    np.testing.assert_allclose(fg.logsumexp(fg.tensor(x), 1).numpy(),
                               torch.logsumexp(torch.tensor(x), 1).numpy(), rtol=1e-15)
    for row in ([-np.inf, 1.0], [np.inf, 1.0], [-np.inf, -np.inf]):  # gradients, NaN and all
        xf = fg.tensor(row, dtype=fg.float64, requires_grad=True)
        xt = torch.tensor(row, dtype=torch.float64, requires_grad=True)
        fg.logsumexp(xf, 0).backward()
        torch.logsumexp(xt, 0).backward()
        np.testing.assert_array_equal(xf.grad.numpy(), xt.grad.numpy())
    ints = np.array([1, 2, 3], dtype=np.int64)
    ours, theirs = fg.logsumexp(fg.tensor(ints), 0), torch.logsumexp(torch.tensor(ints), 0)
    assert ours.dtype == np.float32 and theirs.dtype == torch.float32
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6)


def test_scans_of_integers_and_bools_give_int64_as_torch():
    for array in (np.array([1, 2, 3], dtype=np.int32), np.array([True, False, True])):
        for name in ("cumsum", "cumprod"):
            ours = getattr(fg, name)(fg.tensor(array), 0)
            theirs = getattr(torch, name)(torch.tensor(array), 0)
            assert ours.dtype == np.int64 and theirs.dtype == torch.int64
            np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    ours = fg.cumsum(fg.tensor([1.5, 2.0]), 0, dtype=fg.float64)
    assert ours.dtype == np.float64
    np.testing.assert_array_equal(fg.diff(fg.tensor([True, False, False])).numpy(),
                                  torch.diff(torch.tensor([True, False, False])).numpy())


def test_diff_with_n0_is_a_copy_as_torch():
    x = fg.tensor([1.0, 2.0])
    fg.diff(x, n=0).add_(1)
    np.testing.assert_array_equal(x.numpy(), [1.0, 2.0])


def test_nonzero_matches_torch():
    x = np.array([[0.0, 1.5, 0.0], [2.0, 0.0, -1.0]])
    for array in (x, x[0], np.array(3.0), np.array(0.0), np.zeros((2, 0))):
        ours, theirs = fg.nonzero(fg.tensor(array)), torch.nonzero(torch.tensor(array))
        assert ours.dtype == np.int64 and ours.shape == tuple(theirs.shape)
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
        ours = fg.tensor(array).nonzero(as_tuple=True)
        theirs = torch.tensor(array).nonzero(as_tuple=True)
        assert len(ours) == len(theirs)
        for o, t in zip(ours, theirs):
            np.testing.assert_array_equal(o.numpy(), t.numpy())


def test_zero_dim_inputs_as_torch():
    for fn in (lambda L, t: L.sort(t), lambda L, t: L.topk(t, 1), lambda L, t: L.median(t, 0),
               lambda L, t: L.kthvalue(t, 1), lambda L, t: L.mode(t, -1),
               lambda L, t: L.cumsum(t, 0), lambda L, t: L.cumprod(t, -1),
               lambda L, t: L.gather(t, 0, L.tensor(0)), lambda L, t: L.median(t),
               lambda L, t: L.index_select(t, 0, L.tensor([0])),
               lambda L, t: L.index_select(t, -1, L.tensor(0)),
               lambda L, t: L.logsumexp(t, 0)):
        for o, t in zip(_outputs(fn(fg, fg.tensor(2.5))), _outputs(fn(torch, torch.tensor(2.5)))):
            assert o.shape == t.shape
            np.testing.assert_allclose(o, t)


def test_return_types_are_named_pairs():
    x = fg.tensor(_distinct(0, np.float64))
    for name, out in (("sort", x.sort()), ("topk", x.topk(2)), ("kthvalue", x.kthvalue(1)),
                      ("median", x.median(0)), ("mode", x.mode())):
        values, indices = out
        assert out.values is values and out.indices is indices and out.name == name
        assert indices.dtype == np.int64
        np.testing.assert_array_equal(x.gather(-1 if name != "median" else 0,
                                               indices if name in ("sort", "topk")
                                               else indices.unsqueeze(-1 if name != "median"
                                                                      else 0)).numpy()
                                      .squeeze(), values.numpy().squeeze())
    assert fg.detach(x) is not x and np.shares_memory(fg.detach(x).numpy(), x.numpy())


@pytest.mark.parametrize("fn", [lambda L, x: L.sort(x)[0], lambda L, x: L.topk(x, 2)[0],
                                lambda L, x: L.kthvalue(x, 2)[0], lambda L, x: L.mode(x)[0],
                                lambda L, x: L.median(x), lambda L, x: L.cumsum(x, 0),
                                lambda L, x: L.cumprod(x, 0), lambda L, x: L.logsumexp(x, 1),
                                lambda L, x: L.gather(x, 0, L.tensor([[0]])),
                                lambda L, x: L.index_select(x, 0, L.tensor([1])),
                                lambda L, x: L.masked_select(x, x > 0)])
def test_graph_nodes_are_named_as_torch(fn):
    x = _distinct(0, np.float64)
    ours = fn(fg, fg.tensor(x, requires_grad=True)).grad_fn
    theirs = fn(torch, torch.tensor(x, requires_grad=True)).grad_fn
    assert ours.name == theirs.name()


# ---- bad arguments --------------------------------------------------------------------------

BAD = [
    ("gather_out_of_bounds", IndexError, "index",
     lambda x: fg.gather(x, 1, fg.tensor([[0, 5]]))),
    ("gather_negative", IndexError, "index", lambda x: x.gather(0, fg.tensor([[-1]]))),
    ("gather_float_index", TypeError, "index", lambda x: x.gather(0, fg.tensor([[0.0]]))),
    ("gather_rank", ValueError, "index", lambda x: x.gather(0, fg.tensor([0]))),
    ("gather_larger", ValueError, "index", lambda x: x.gather(0, fg.zeros(2, 9, dtype=fg.int64))),
    ("gather_bad_dim", IndexError, "dim", lambda x: x.gather(2, fg.tensor([[0]]))),
    ("index_select_out_of_bounds", IndexError, "index",
     lambda x: x.index_select(0, fg.tensor([0, 4]))),
    ("index_select_negative", IndexError, "index", lambda x: x.index_select(1, fg.tensor([-1]))),
    ("index_select_2d", ValueError, "index", lambda x: x.index_select(1, fg.tensor([[0]]))),
    ("index_select_zero_dim_two", ValueError, "index",
     lambda x: fg.index_select(fg.tensor(1.0), 0, fg.tensor([0, 0]))),
    ("index_select_float", TypeError, "index", lambda x: x.index_select(1, fg.tensor([1.0]))),
    ("masked_select_float_mask", TypeError, "mask", lambda x: x.masked_select(x)),
    ("masked_select_shape", ValueError, "mask",
     lambda x: x.masked_select(fg.tensor([True, False]))),
    ("topk_k_too_large", IndexError, "k", lambda x: x.topk(6)),
    ("topk_negative_k", IndexError, "k", lambda x: x.topk(-1)),
    ("topk_float_k", TypeError, "k", lambda x: x.topk(1.5)),
    ("kthvalue_k0", IndexError, "k", lambda x: x.kthvalue(0)),
    ("kthvalue_k_too_large", IndexError, "k", lambda x: x.kthvalue(5, 0)),
    ("sort_bad_dim", IndexError, "dim", lambda x: x.sort(2)),
    ("median_bad_dim", IndexError, "dim", lambda x: x.median(-3)),
    ("median_empty_dim", IndexError, "median", lambda x: fg.zeros(3, 0).median(1)),
    ("mode_empty_dim", IndexError, "mode", lambda x: fg.zeros(0, 2).mode(0)),
    ("cumsum_bad_dim", IndexError, "dim", lambda x: x.cumsum(2)),
    ("cumprod_dim_not_int", TypeError, "dim", lambda x: x.cumprod(0.5)),
    ("diff_zero_dim", ValueError, "diff", lambda x: fg.diff(fg.tensor(1.0))),
    ("diff_negative_n", ValueError, "n", lambda x: x.diff(-1)),
    ("logsumexp_bad_dim", IndexError, "dim", lambda x: x.logsumexp(3)),
]


@pytest.mark.parametrize("name, error, word, call", BAD, ids=[b[0] for b in BAD])
def test_bad_arguments_raise_naming_them(name, error, word, call):
    with pytest.raises(error, match=word):
        call(fg.tensor(_distinct(1, np.float64)))


NAMES = ["cumsum", "cumprod", "diff", "logsumexp", "sort", "argsort", "topk", "kthvalue",
         "median", "mode", "gather", "index_select", "masked_select", "nonzero"]


def test_each_op_is_a_documented_function_and_tensor_method():
    import inspect

    from fastgrad import ops_scatter, ops_sort
    for name in NAMES:
        assert inspect.getdoc(getattr(fg, name)) and inspect.getdoc(getattr(fg.Tensor, name)), name
    assert inspect.getdoc(fg.detach)
    for module in (ops_scatter, ops_sort):
        assert module.__doc__
        assert [n for n, obj in vars(module).items()
                if not n.startswith("_") and (inspect.isfunction(obj) or inspect.isclass(obj))
                and obj.__module__ == module.__name__ and not inspect.getdoc(obj)] == []
