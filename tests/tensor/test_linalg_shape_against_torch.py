"""Products (bmm, dot, mv, outer, addmm, einsum), slicing and arranging (flip, roll, narrow,
split, chunk, broadcast_to, broadcast_tensors, meshgrid, tril, triu, diag, diagonal, trace),
logspace and the default dtype, against PyTorch 2.13: values in float32 and float64,
gradients in float64 against torch's autograd and against finite differences (fg.gradcheck),
and the errors for bad shapes naming the argument."""
import numpy as np
import pytest

import fastgrad as fg
from conftest import torch_or_skip

torch = torch_or_skip()

# (id, fn(lib, *tensors), input shapes): the same source run with lib = torch and lib = fastgrad.
# fn returns a tensor or a tuple of tensors.
CASES = [
    ("bmm", lambda L, a, b: L.bmm(a, b), [(2, 3, 4), (2, 4, 5)]),
    ("tensor_bmm", lambda L, a, b: a.bmm(b), [(3, 2, 2), (3, 2, 4)]),
    ("dot", lambda L, a, b: L.dot(a, b), [(5,), (5,)]),
    ("tensor_dot", lambda L, a, b: a.dot(b), [(3,), (3,)]),
    ("mv", lambda L, a, v: L.mv(a, v), [(3, 4), (4,)]),
    ("tensor_mv", lambda L, a, v: a.mv(v), [(2, 3), (3,)]),
    ("outer", lambda L, a, b: L.outer(a, b), [(3,), (4,)]),
    ("tensor_outer", lambda L, a, b: a.outer(b), [(2,), (5,)]),
    ("ger", lambda L, a, b: L.ger(a, b), [(2,), (3,)]),
    ("addmm", lambda L, c, a, b: L.addmm(c, a, b), [(3, 5), (3, 4), (4, 5)]),
    ("addmm_broadcast_scaled", lambda L, c, a, b: L.addmm(c, a, b, beta=0.5, alpha=-2.0),
     [(5,), (3, 4), (4, 5)]),
    ("addmm_beta0", lambda L, c, a, b: c.addmm(a, b, beta=0, alpha=3), [(1, 5), (3, 4), (4, 5)]),
    ("baddbmm", lambda L, c, a, b: L.baddbmm(c, a, b, beta=0.5, alpha=2), [(1, 3), (2, 3, 4),
                                                                            (2, 4, 3)]),
    ("tensor_baddbmm", lambda L, c, a, b: c.baddbmm(a, b), [(2, 3, 3), (2, 3, 4), (2, 4, 3)]),
    ("addmv", lambda L, c, a, v: L.addmv(c, a, v, alpha=-1), [(3,), (3, 4), (4,)]),
    ("tensor_addmv", lambda L, c, a, v: c.addmv(a, v, beta=2), [(1,), (3, 4), (4,)]),
    ("addr", lambda L, c, a, b: L.addr(c, a, b, beta=0.5), [(3, 4), (3,), (4,)]),
    ("tensor_addr", lambda L, c, a, b: c.addr(a, b, alpha=3), [(4,), (3,), (4,)]),
    ("tensordot_int", lambda L, a, b: L.tensordot(a, b, dims=2), [(2, 3, 4), (3, 4, 5)]),
    ("tensordot_zero", lambda L, a, b: L.tensordot(a, b, 0), [(2,), (3,)]),
    ("tensordot_lists", lambda L, a, b: L.tensordot(a, b, dims=([0, 2], [2, 1])),
     [(2, 3, 4), (5, 4, 2)]),
    ("inner", lambda L, a, b: L.inner(a, b), [(2, 3), (4, 3)]),
    ("tensor_inner_vectors", lambda L, a, b: a.inner(b), [(3,), (3,)]),
    ("inner_scalar", lambda L, a, b: L.inner(a, b), [(), (2, 3)]),
    ("einsum_matmul", lambda L, a, b: L.einsum("ij,jk->ik", a, b), [(2, 3), (3, 4)]),
    ("einsum_list", lambda L, a, b: L.einsum("ij,jk->ik", [a, b]), [(2, 3), (3, 4)]),
    ("einsum_spaces", lambda L, a, b: L.einsum("ij, jk -> ik", a, b), [(2, 3), (3, 4)]),
    ("einsum_implicit", lambda L, a, b: L.einsum("kj,ji", a, b), [(2, 3), (3, 4)]),
    ("einsum_transpose", lambda L, a: L.einsum("ij->ji", a), [(2, 3)]),
    ("einsum_trace", lambda L, a: L.einsum("ii->", a), [(3, 3)]),
    ("einsum_diagonal", lambda L, a: L.einsum("ii->i", a), [(3, 3)]),
    ("einsum_sum_one_operand", lambda L, a, b: L.einsum("ij,j->j", a, b), [(2, 3), (3,)]),
    ("einsum_batch", lambda L, a, b: L.einsum("bij,bjk->bik", a, b), [(2, 3, 4), (2, 4, 2)]),
    ("einsum_outer3", lambda L, a, b, c: L.einsum("i,j,k->ijk", a, b, c), [(2,), (3,), (4,)]),
    ("einsum_chain3", lambda L, a, b, c: L.einsum("ij,jk,kl->il", a, b, c),
     [(2, 3), (3, 4), (4, 2)]),
    ("einsum_bilinear", lambda L, x, w, y: L.einsum("bi,oij,bj->bo", x, w, y),
     [(2, 3), (4, 3, 2), (2, 2)]),
    ("einsum_ellipsis", lambda L, a, b: L.einsum("...ij,...jk->...ik", a, b),
     [(2, 3, 4), (4, 5)]),
    ("einsum_ellipsis_sum", lambda L, a: L.einsum("i...->", a), [(2, 3, 4)]),
    ("einsum_size1_broadcast", lambda L, a, b: L.einsum("ij,ij->ij", a, b), [(1, 3), (2, 3)]),
    ("einsum_repeated_and_free", lambda L, a: L.einsum("iij->j", a), [(2, 2, 3)]),
    ("einsum_shared_operand", lambda L, a: L.einsum("ij,jk->ik", a, a) + L.einsum("ij->ji", a)
     + L.einsum("ij->", a), [(3, 3)]),
    ("einsum_sublist", lambda L, a, b: L.einsum(a, [0, 1], b, [1, 2], [0, 2]),
     [(2, 3), (3, 4)]),
    ("einsum_sublist_implicit_ellipsis", lambda L, a, b: L.einsum(a, [..., 1], b, [1, 0]),
     [(2, 3, 4), (4, 5)]),
    ("tril", lambda L, a: L.tril(a), [(4, 3)]),
    ("tril_k", lambda L, a: a.tril(-1), [(2, 3, 4)]),
    ("triu", lambda L, a: L.triu(a, 1), [(3, 4)]),
    ("triu_neg", lambda L, a: a.triu(diagonal=-1), [(4, 4)]),
    ("diag_vector", lambda L, v: L.diag(v), [(3,)]),
    ("diag_vector_k", lambda L, v: v.diag(-2), [(3,)]),
    ("diag_matrix", lambda L, a: L.diag(a), [(3, 4)]),
    ("diag_matrix_k", lambda L, a: a.diag(1), [(3, 4)]),
    ("diagonal", lambda L, a: L.diagonal(a), [(3, 4)]),
    ("diagonal_dims", lambda L, a: a.diagonal(offset=1, dim1=-1, dim2=0), [(3, 2, 4)]),
    ("diagonal_negative_offset", lambda L, a: L.diagonal(a, -1, 1, 2), [(2, 4, 3)]),
    ("trace", lambda L, a: L.trace(a), [(3, 4)]),
    ("tensor_trace", lambda L, a: a.trace(), [(4, 4)]),
    ("flip", lambda L, a: L.flip(a, (0, 2)), [(2, 3, 4)]),
    ("flip_negative_list", lambda L, a: a.flip([-1]), [(2, 3)]),
    ("flip_varargs", lambda L, a: a.flip(0, 1), [(2, 3)]),
    ("fliplr", lambda L, a: L.fliplr(a), [(2, 3, 2)]),
    ("tensor_flipud", lambda L, a: a.flipud(), [(3, 2)]),
    ("movedim", lambda L, a: L.movedim(a, 0, -1), [(2, 3, 4)]),
    ("movedim_many", lambda L, a: a.movedim((0, 1), (3, 0)), [(2, 3, 4, 5)]),
    ("moveaxis", lambda L, a: L.moveaxis(a, -1, 1), [(2, 3, 4)]),
    ("swapaxes", lambda L, a: L.swapaxes(a, 0, 2), [(2, 3, 4)]),
    ("tensor_swapdims", lambda L, a: a.swapdims(-1, 0), [(2, 3)]),
    ("tile", lambda L, a: L.tile(a, (2,)), [(2, 3)]),
    ("tile_more_dims", lambda L, a: a.tile(2, 1, 2), [(2, 3)]),
    ("unflatten", lambda L, a: L.unflatten(a, 1, (2, -1)), [(3, 6)]),
    ("tensor_unflatten", lambda L, a: a.unflatten(-1, (3, 2)), [(2, 6)]),
    ("unbind", lambda L, a: L.unbind(a, 1), [(2, 3, 2)]),
    ("tensor_unbind", lambda L, a: a.unbind(), [(3, 2)]),
    ("roll_flat", lambda L, a: L.roll(a, 2), [(3, 4)]),
    ("roll_dim", lambda L, a: a.roll(-1, 1), [(3, 4)]),
    ("roll_dims", lambda L, a: L.roll(a, shifts=(1, 5), dims=(0, -1)), [(3, 4)]),
    ("narrow", lambda L, a: L.narrow(a, 1, 1, 2), [(3, 4)]),
    ("narrow_negative", lambda L, a: a.narrow(-1, -3, 2), [(3, 4)]),
    ("split_int", lambda L, a: L.split(a, 2), [(5, 3)]),
    ("split_sections", lambda L, a: a.split([1, 3, 0], dim=-1), [(2, 4)]),
    ("split_overlapping_grad", lambda L, a: tuple(p * a[:, :1] for p in a.split(1, 1)),
     [(2, 3)]),
    ("chunk", lambda L, a: L.chunk(a, 3), [(7, 2)]),
    ("chunk_fewer", lambda L, a: a.chunk(4, dim=1), [(2, 6)]),
    ("chunk_more_than_size", lambda L, a: a.chunk(5), [(3, 2)]),
    ("chunk_empty_dim", lambda L, a: a.chunk(3, dim=1), [(2, 0)]),
    ("broadcast_to", lambda L, a: L.broadcast_to(a, (2, 3, 4)), [(3, 1)]),
    ("tensor_broadcast_to", lambda L, a: a.broadcast_to((4, -1)), [(1, 3)]),
    ("broadcast_tensors", lambda L, a, b, c: L.broadcast_tensors(a, b, c),
     [(3, 1), (1, 4), (4,)]),
    ("meshgrid_ij", lambda L, a, b: L.meshgrid(a, b, indexing="ij"), [(3,), (4,)]),
    ("meshgrid_xy", lambda L, a, b, c: L.meshgrid(a, b, c, indexing="xy"), [(3,), (4,), (2,)]),
    ("meshgrid_list", lambda L, a, b: L.meshgrid([a, b], indexing="xy"), [(3,), (2,)]),
]
IDS = [c[0] for c in CASES]


def _inputs(shapes, seed=0):
    rng = np.random.default_rng(seed)
    return [np.asarray(rng.standard_normal(s)) for s in shapes]


def _outputs(out):
    return out if isinstance(out, tuple) else (out,)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_value_matches_torch(case, dtype):
    _, fn, shapes = case
    arrays = [a.astype(dtype) for a in _inputs(shapes)]
    ours = _outputs(fn(fg, *[fg.tensor(a) for a in arrays]))
    theirs = _outputs(fn(torch, *[torch.tensor(a) for a in arrays]))
    assert len(ours) == len(theirs)
    for o, t in zip(ours, theirs):
        assert o.shape == tuple(t.shape)
        assert str(o.dtype) == str(t.dtype).replace("torch.", "")
        tol = 1e-5 if dtype == "float32" else 1e-12
        np.testing.assert_allclose(o.numpy(), t.numpy(), rtol=tol, atol=tol)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_gradient_matches_torch(case):
    _, fn, shapes = case
    arrays = _inputs(shapes)
    ours = [fg.tensor(a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    out_fg, out_torch = _outputs(fn(fg, *ours)), _outputs(fn(torch, *theirs))
    rng = np.random.default_rng(1)
    weights = [rng.standard_normal(tuple(t.shape)) for t in out_torch]  # a loss weighing every
    sum(((o * fg.tensor(w)).sum() for o, w in zip(out_fg, weights)), fg.tensor(0.0,
        dtype=fg.float64)).backward()
    sum((t * torch.tensor(w)).sum() for t, w in zip(out_torch, weights)).backward()
    for o, t in zip(ours, theirs):
        expected = np.zeros(o.shape) if t.grad is None else t.grad.numpy()
        got = np.zeros(o.shape) if o.grad is None else o.grad.numpy()
        np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_gradient_matches_finite_differences(case):
    _, fn, shapes = case
    inputs = [fg.tensor(a, requires_grad=True) for a in _inputs(shapes, seed=2)]
    assert fg.gradcheck(lambda *xs: fg.cat([o.reshape(-1) for o in _outputs(fn(fg, *xs))]),
                        inputs)


# ---- errors: the argument named, as the message a user reads ------------------------------------

ERRORS = [
    ("bmm_2d", lambda: fg.bmm(fg.ones(2, 3), fg.ones(2, 3, 4)), ValueError, "input"),
    ("bmm_batch", lambda: fg.bmm(fg.ones(2, 3, 4), fg.ones(3, 4, 5)), ValueError, "mat2"),
    ("bmm_inner", lambda: fg.bmm(fg.ones(2, 3, 4), fg.ones(2, 3, 5)), ValueError, "mat2"),
    ("dot_matrix", lambda: fg.dot(fg.ones(2), fg.ones(2, 2)), ValueError, "tensor"),
    ("dot_lengths", lambda: fg.dot(fg.ones(2), fg.ones(3)), ValueError, "3"),
    ("mv_vec", lambda: fg.mv(fg.ones(2, 3), fg.ones(2)), ValueError, "vec"),
    ("mv_matrix", lambda: fg.mv(fg.ones(3), fg.ones(3)), ValueError, "input"),
    ("outer_vec2", lambda: fg.outer(fg.ones(3), fg.ones(3, 1)), ValueError, "vec2"),
    ("addmm_input", lambda: fg.addmm(fg.ones(4), fg.ones(2, 3), fg.ones(3, 5)), ValueError,
     "input"),
    ("addmm_mat2", lambda: fg.addmm(fg.ones(2, 5), fg.ones(2, 3), fg.ones(4, 5)), ValueError,
     "mat2"),
    ("einsum_count", lambda: fg.einsum("ij,jk->ik", fg.ones(2, 3)), ValueError, "operands"),
    ("einsum_rank", lambda: fg.einsum("ijk->i", fg.ones(2, 3)), ValueError, "operand 0"),
    ("einsum_sizes", lambda: fg.einsum("ij,jk", fg.ones(2, 3), fg.ones(4, 2)), ValueError,
     "'j'"),
    ("einsum_output_unknown", lambda: fg.einsum("ij->ik", fg.ones(2, 3)), ValueError, "'k'"),
    ("einsum_output_repeated", lambda: fg.einsum("ij->ii", fg.ones(2, 3)), ValueError, "'i'"),
    ("einsum_bad_char", lambda: fg.einsum("i1->i", fg.ones(2, 3)), ValueError, "'1'"),
    ("einsum_two_arrows", lambda: fg.einsum("i->i->i", fg.ones(2)), ValueError, "'->'"),
    ("einsum_not_string", lambda: fg.einsum(3, fg.ones(2)), TypeError, "equation"),
    ("einsum_sublist_type", lambda: fg.einsum(fg.ones(2), fg.ones(2)), TypeError,
     "sublist of operand 0"),
    ("einsum_sublist_range", lambda: fg.einsum(fg.ones(2), [52]), ValueError, "52"),
    ("baddbmm_input", lambda: fg.baddbmm(fg.ones(2, 2), fg.ones(2, 3, 4), fg.ones(2, 4, 3)),
     ValueError, "input"),
    ("addmv_vec", lambda: fg.addmv(fg.ones(3), fg.ones(3, 4), fg.ones(3)), ValueError, "vec"),
    ("addr_vec2", lambda: fg.addr(fg.ones(3, 4), fg.ones(3), fg.ones(4, 1)), ValueError,
     "vec2"),
    ("tensordot_sizes", lambda: fg.tensordot(fg.ones(2, 3), fg.ones(2, 3), 1), ValueError,
     "dimension 1 of a"),
    ("tensordot_dims", lambda: fg.tensordot(fg.ones(2, 3), fg.ones(3, 2), 3), ValueError,
     "dims=3"),
    ("inner_sizes", lambda: fg.inner(fg.ones(2, 3), fg.ones(2)), ValueError, "other"),
    ("fliplr_vector", lambda: fg.fliplr(fg.ones(3)), ValueError, "input"),
    ("movedim_lengths", lambda: fg.movedim(fg.ones(2, 3), (0, 1), 0), ValueError,
     "destination"),
    ("movedim_repeat", lambda: fg.movedim(fg.ones(2, 3), (0, 0), (0, 1)), ValueError, "source"),
    ("unflatten_sizes", lambda: fg.unflatten(fg.ones(2, 6), 1, (4, -1)), ValueError, "sizes"),
    ("unbind_0d", lambda: fg.unbind(fg.tensor(1.0)), IndexError, "0-d"),  # as torch
    ("tril_vector", lambda: fg.tril(fg.ones(3)), ValueError, "input"),
    ("triu_float_k", lambda: fg.triu(fg.ones(3, 3), 0.5), TypeError, "diagonal"),
    ("diag_3d", lambda: fg.diag(fg.ones(2, 2, 2)), ValueError, "input"),
    ("diagonal_same_dims", lambda: fg.diagonal(fg.ones(2, 2), 0, 1, -1), ValueError, "dim1"),
    ("diagonal_dim_range", lambda: fg.diagonal(fg.ones(2, 2), 0, 0, 2), IndexError, "dim2"),
    ("trace_3d", lambda: fg.trace(fg.ones(2, 2, 2)), ValueError, "input"),
    ("flip_repeated", lambda: fg.flip(fg.ones(2, 2), (0, -2)), ValueError, "dims"),
    ("flip_range", lambda: fg.flip(fg.ones(2, 2), (2,)), IndexError, "dims"),
    ("roll_lengths", lambda: fg.roll(fg.ones(2, 2), (1, 2), 0), ValueError, "dims"),
    ("narrow_long", lambda: fg.narrow(fg.ones(3, 4), 1, 2, 3), ValueError, "length"),
    ("narrow_start", lambda: fg.narrow(fg.ones(3, 4), 0, 5, 0), IndexError, "start"),
    ("split_sum", lambda: fg.split(fg.ones(5), [2, 2]), ValueError, "split_size_or_sections"),
    ("split_zero", lambda: fg.split(fg.ones(5), 0), ValueError, "split_size_or_sections"),
    ("chunk_zero", lambda: fg.chunk(fg.ones(5), 0), ValueError, "chunks"),
    ("broadcast_to", lambda: fg.broadcast_to(fg.ones(3), (2, 4)), ValueError, "expand"),
    ("broadcast_tensors", lambda: fg.broadcast_tensors(fg.ones(3), fg.ones(4)), ValueError,
     "(3,), (4,)"),
    ("meshgrid_indexing", lambda: fg.meshgrid(fg.ones(2), indexing="yx"), ValueError,
     "indexing"),
    ("meshgrid_2d", lambda: fg.meshgrid(fg.ones(2), fg.ones(2, 2)), ValueError, "tensor 1"),
    ("set_default_dtype_int", lambda: fg.set_default_dtype(fg.int64), TypeError,
     "set_default_dtype"),
    ("logspace_steps", lambda: fg.logspace(0, 1, -1), ValueError, "steps"),
]


@pytest.mark.parametrize("case", ERRORS, ids=[e[0] for e in ERRORS])
def test_bad_input_raises_naming_the_argument(case):
    _, call, error, words = case
    with pytest.raises(error, match=__import__("re").escape(words)):
        call()


def test_torch_refuses_the_same_inputs():
    """The error cases are errors in PyTorch too (its RuntimeError where ours is a ValueError)."""
    for call in (lambda: torch.bmm(torch.ones(2, 3, 4), torch.ones(3, 4, 5)),
                 lambda: torch.dot(torch.ones(2), torch.ones(3)),
                 lambda: torch.einsum("ij,jk", torch.ones(2, 3), torch.ones(4, 2)),
                 lambda: torch.narrow(torch.ones(3, 4), 1, 2, 3),
                 lambda: torch.split(torch.ones(5), [2, 2]),
                 lambda: torch.set_default_dtype(torch.int64)):
        with pytest.raises((RuntimeError, TypeError, ValueError, IndexError)):
            call()


# ---- integer inputs, logspace, the default dtype ------------------------------------------------

def test_integer_inputs_keep_their_dtype():
    a = np.arange(12).reshape(3, 4)
    for fn in (lambda L, x: L.tril(x), lambda L, x: L.flip(x, (1,)), lambda L, x: L.trace(x),
               lambda L, x: L.einsum("ij->j", x), lambda L, x: L.roll(x, 1, 0),
               lambda L, x: L.mv(x, x[0])):
        o, t = fn(fg, fg.tensor(a)), fn(torch, torch.tensor(a))
        assert str(o.dtype) == str(t.dtype).replace("torch.", "")
        np.testing.assert_array_equal(o.numpy(), t.numpy())


@pytest.mark.parametrize("args, kwargs", [((0, 2, 5), {}), ((-1, 1, 4), {"base": 2.0}),
                                          ((1, 0, 1), {}), ((0, 3, 4), {"dtype": "float64"})])
def test_logspace_matches_torch(args, kwargs):
    o = fg.logspace(*args, **kwargs)
    t = torch.logspace(*args, **{k: getattr(torch, v) if k == "dtype" else v
                                 for k, v in kwargs.items()})
    assert str(o.dtype) == str(t.dtype).replace("torch.", "")
    np.testing.assert_allclose(o.numpy(), t.numpy(), rtol=1e-6)


@pytest.fixture
def default_float64():
    fg.set_default_dtype(fg.float64)
    torch.set_default_dtype(torch.float64)
    yield
    fg.set_default_dtype(fg.float32)
    torch.set_default_dtype(torch.float32)


def _made_by(L):
    return {"zeros": L.zeros(2), "randn": L.randn(2), "linspace": L.linspace(0, 1, 3),
            "logspace": L.logspace(0, 1, 3), "arange_float": L.arange(0.0, 1.0, 0.5),
            "arange_int": L.arange(3), "full_float": L.full((2,), 1.5),
            "tensor_floats": L.tensor([1.5, 2.0]), "tensor_ints": L.tensor([1, 2]),
            "int_times_float": L.tensor([1, 2]) * 2.5, "int_div_int": L.tensor([1, 2]) / 2,
            "linear_weight": L.nn.Linear(2, 3).weight,
            "layernorm_weight": L.nn.LayerNorm(3).weight,
            "groupnorm_weight": L.nn.GroupNorm(2, 4).weight,
            "rmsnorm_weight": L.nn.RMSNorm(3).weight,
            "batchnorm_running_mean": L.nn.BatchNorm1d(3).running_mean,
            "exp_int": L.exp(L.tensor([1, 2])), "sqrt_int": L.tensor([1, 4]).sqrt(),
            "normal_sample": L.distributions.Normal(0.0, 1.0).sample((2,)),
            "clip_grad_norm_no_grads": L.nn.utils.clip_grad_norm_([], 1.0),
            "numpy_float32": L.tensor(np.ones(2, np.float32)),
            "true_divide_ints": L.true_divide(L.tensor([1, 2]), 2),
            "exp2_int": L.exp2(L.tensor([1, 2])),
            "logsumexp_int": L.logsumexp(L.tensor([1, 2]), 0)}


def test_default_dtype_starts_float32():
    assert fg.get_default_dtype() == fg.float32
    for name, t in _made_by(fg).items():
        assert str(t.dtype) == str(_made_by(torch)[name].dtype).replace("torch.", ""), name


def test_set_default_dtype_drives_factories_like_torch(default_float64):
    assert fg.get_default_dtype() == fg.float64 == np.float64
    ours, theirs = _made_by(fg), _made_by(torch)
    for name in ours:
        assert str(ours[name].dtype) == str(theirs[name].dtype).replace("torch.", ""), name
    assert "dtype" not in repr(fg.ones(2))  # the default dtype goes unnamed, as in PyTorch


def test_einsum_of_large_operands_matches_torch():
    """Large operands take NumPy's optimized (BLAS) path; the result and gradients stay torch's."""
    rng = np.random.default_rng(3)
    arrays = [rng.standard_normal((4, 32, 40)), rng.standard_normal((4, 40, 32))]
    ours = [fg.tensor(a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    o, t = fg.einsum("bij,bjk->bik", *ours), torch.einsum("bij,bjk->bik", *theirs)
    np.testing.assert_allclose(o.detach().numpy(), t.detach().numpy(), rtol=1e-10, atol=1e-10)
    w = rng.standard_normal(tuple(t.shape))
    (o * fg.tensor(w)).sum().backward()
    (t * torch.tensor(w)).sum().backward()
    for x, y in zip(ours, theirs):
        np.testing.assert_allclose(x.grad.numpy(), y.grad.numpy(), rtol=1e-10, atol=1e-10)


# ---- out= ---------------------------------------------------------------------------------------

OUT_CASES = [
    ("bmm", lambda L, a, b: (a.reshape(2, 3, 2), b.reshape(2, 2, 3)), (2, 3, 3)),
    ("dot", lambda L, a, b: (a[0], b[:, 0]), ()),
    ("mv", lambda L, a, b: (a, b[:, 0]), (3,)),
    ("outer", lambda L, a, b: (a[0], b[0]), (4, 3)),
    ("addmm", lambda L, a, b: (a[:, :1], a, b), (3, 3)),
    ("baddbmm", lambda L, a, b: (a[:1, :1], a.reshape(2, 3, 2), b.reshape(2, 2, 3)), (2, 3, 3)),
    ("addmv", lambda L, a, b: (a[:, 0], a, b[:, 0]), (3,)),
    ("addr", lambda L, a, b: (a[:, :3], a[:, 0], b[0]), (3, 3)),
    ("tensordot", lambda L, a, b: (a, b.t()), ()),
    ("inner", lambda L, a, b: (a, b.t()), (3, 3)),
]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case", OUT_CASES, ids=[c[0] for c in OUT_CASES])
def test_out_matches_torch(case, dtype):
    name, args, shape = case
    a, b = (x.astype(dtype) for x in _inputs([(3, 4), (4, 3)], seed=4))
    ours = fg.zeros(shape, dtype=getattr(fg, dtype))
    theirs = torch.zeros(shape, dtype=getattr(torch, dtype))
    kwargs = {"dims": 2} if name == "tensordot" else {}
    got = getattr(fg, name)(*args(fg, fg.tensor(a), fg.tensor(b)), out=ours, **kwargs)
    getattr(torch, name)(*args(torch, torch.tensor(a), torch.tensor(b)), out=theirs, **kwargs)
    assert got is ours
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-5)


def test_out_refuses_what_torch_refuses():
    with pytest.raises(RuntimeError, match="automatic differentiation"):
        fg.mv(fg.ones(2, 2, requires_grad=True), fg.ones(2), out=fg.zeros(2))
    with pytest.raises(RuntimeError, match="shape"):
        fg.dot(fg.ones(2), fg.ones(2), out=fg.zeros(3))
    with pytest.raises(TypeError, match="out"):
        fg.bmm(fg.ones(1, 2, 2), fg.ones(1, 2, 2), out=np.zeros((1, 2, 2)))
    with pytest.raises(RuntimeError):
        torch.mv(torch.ones(2, 2, requires_grad=True), torch.ones(2), out=torch.zeros(2))
