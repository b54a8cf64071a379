"""Every tensor op: forward against NumPy, derivative against finite differences (gradcheck in
float64), and both against PyTorch when it is installed."""
import numpy as np
import pytest

import fastgrad as fg
from conftest import torch_or_skip


def t64(rng, *shape, positive=False):
    a = rng.standard_normal(shape)
    if positive:
        a = np.abs(a) + 0.5
    return fg.tensor(a, requires_grad=True, dtype=np.float64)


# (name, function, input shapes, needs positive inputs); broadcasting cases included.
UNARY = [
    ("neg", lambda a: -a, False),
    ("exp", lambda a: a.exp(), False),
    ("log", lambda a: a.log(), True),
    ("sqrt", lambda a: a.sqrt(), True),
    ("abs", lambda a: a.abs(), False),
    ("tanh", lambda a: a.tanh(), False),
    ("sigmoid", lambda a: a.sigmoid(), False),
    ("relu", lambda a: a.relu(), False),
    ("pow_const", lambda a: a ** 3, False),
    ("sum", lambda a: a.sum(), False),
    ("sum_axis", lambda a: a.sum(axis=1), False),
    ("sum_dim_keepdim", lambda a: a.sum(0, keepdim=True), False),
    ("mean", lambda a: a.mean(), False),
    ("mean_axis", lambda a: a.mean(axis=0, keepdims=True), False),
    ("max", lambda a: a.max(), False),
    ("max_axis", lambda a: a.max(axis=1), False),
    ("max_dim_values", lambda a: a.max(dim=0)[0], False),
    ("reshape", lambda a: a.reshape(4, 3) * fg.tensor(np.arange(12.0).reshape(4, 3)), False),
    ("T", lambda a: a.T * fg.tensor(np.arange(12.0).reshape(4, 3)), False),
    ("transpose", lambda a: a.transpose(0, 1) @ fg.tensor(np.ones((3, 2))), False),
    ("getitem_slice", lambda a: a[1:, ::2], False),
    ("getitem_int_array", lambda a: a[np.array([0, 2, 0])], False),
    ("getitem_mask", lambda a: a[a.data > 0], False),
]


@pytest.mark.parametrize("name,fn,positive", UNARY, ids=[u[0] for u in UNARY])
def test_unary_gradcheck(name, fn, positive, rng):
    x = t64(rng, 3, 4, positive=positive)
    assert fg.gradcheck(fn, (x,))


BINARY = [
    ("add", lambda a, b: a + b, (3, 4), (3, 4)),
    ("add_broadcast_row", lambda a, b: a + b, (3, 4), (4,)),
    ("sub_broadcast_col", lambda a, b: a - b, (3, 4), (3, 1)),
    ("mul_broadcast", lambda a, b: a * b, (2, 3, 4), (3, 1)),
    ("div", lambda a, b: a / b, (3, 4), (3, 4)),
    ("pow_tensor", lambda a, b: a ** b, (3, 4), (3, 4)),
    ("matmul", lambda a, b: a @ b, (3, 4), (4, 5)),
    ("matmul_transposed_views", lambda a, b: a.T @ b.T, (4, 3), (5, 4)),
    ("matmul_batched", lambda a, b: a @ b, (2, 3, 4), (4, 2)),
    ("matmul_vector", lambda a, b: a @ b, (3, 4), (4,)),
]


@pytest.mark.parametrize("name,fn,sa,sb", BINARY, ids=[b[0] for b in BINARY])
def test_binary_gradcheck(name, fn, sa, sb, rng):
    positive = name.startswith("pow") or name == "div"
    a, b = t64(rng, *sa, positive=positive), t64(rng, *sb, positive=positive)
    assert fg.gradcheck(fn, (a, b))


@pytest.mark.parametrize("name,fn,sa,sb", BINARY, ids=[b[0] for b in BINARY])
def test_binary_forward_matches_numpy(name, fn, sa, sb, rng):
    a = np.abs(rng.standard_normal(sa)) + 0.5
    b = np.abs(rng.standard_normal(sb)) + 0.5
    out = fn(fg.tensor(a, dtype=np.float64), fg.tensor(b, dtype=np.float64))
    ref = {"add": np.add, "sub": np.subtract, "mul": np.multiply, "div": np.divide,
           "pow": np.power}
    key = name.split("_")[0]
    if key in ref:
        assert np.allclose(out.data, ref[key](a, b))
    elif name == "matmul_transposed_views":
        assert np.allclose(out.data, a.T @ b.T)
    else:
        assert np.allclose(out.data, a @ b)


def test_matmul_float32_uses_gemm_and_matches_float64_reference(rng):
    a = rng.standard_normal((37, 129)).astype(np.float32)
    b = rng.standard_normal((129, 65)).astype(np.float32)
    out = (fg.tensor(a) @ fg.tensor(b)).data
    ref = a.astype(np.float64) @ b.astype(np.float64)
    bound = 2 * 129 * 2.0 ** -24 * (np.abs(a).astype(np.float64) @ np.abs(b))
    assert out.dtype == np.float32 and np.all(np.abs(out - ref) <= bound + 1e-30)


def test_matmul_shape_mismatch_names_both_shapes():
    with pytest.raises(ValueError, match=r"\(2, 3\).*\(4, 5\)"):
        fg.tensor(np.ones((2, 3))) @ fg.tensor(np.ones((4, 5)))


def test_max_ties_share_the_gradient_like_pytorch():
    x = fg.tensor([1.0, 3.0, 3.0], requires_grad=True)
    x.max().backward()
    assert np.allclose(x.grad, [0, 0.5, 0.5])
    y = fg.tensor([[1.0, 3.0, 3.0]], requires_grad=True)
    values, idx = y.max(dim=1)
    values.sum().backward()
    assert idx.data.tolist() == [1] and np.allclose(y.grad, [[0, 1, 0]])


def test_nan_propagates():
    x = fg.tensor([np.nan, 1.0, -1.0])
    assert np.isnan(x.relu().data[0]) and np.isnan(x.tanh().data[0])
    assert np.isnan(x.max().item())


def test_getitem_repeated_index_accumulates():
    x = fg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    x[np.array([0, 0, 2])].sum().backward()
    assert np.allclose(x.grad, [2, 0, 1])


def test_bad_axis_raises_index_error():
    with pytest.raises(IndexError, match="out of range"):
        fg.tensor(np.ones((2, 3))).sum(axis=2)


def test_reshape_error_names_shapes():
    with pytest.raises(ValueError, match=r"\(2, 3\).*\(4,\)"):
        fg.tensor(np.ones((2, 3))).reshape(4)


def test_ops_match_pytorch_values_and_gradients(rng):
    torch = torch_or_skip()
    a_np = rng.standard_normal((4, 5))
    b_np = np.abs(rng.standard_normal((5,))) + 0.5
    a, b = fg.tensor(a_np, requires_grad=True), fg.tensor(b_np, requires_grad=True)
    ta = torch.tensor(a_np, requires_grad=True)
    tb = torch.tensor(b_np, requires_grad=True)

    def expr(x, y, lib):
        s = (x * y + x / y - y).tanh() ** 2
        return (s.exp().sum(axis=1) if lib == "fg" else s.exp().sum(dim=1)).mean() + \
            (x.abs().max() if lib == "fg" else x.abs().max()) + (x @ y).sigmoid().sum()

    out, tout = expr(a, b, "fg"), expr(ta, tb, "torch")
    out.backward()
    tout.backward()
    assert np.allclose(out.item(), tout.item(), rtol=1e-10)
    assert np.allclose(a.grad, ta.grad.numpy(), rtol=1e-10, atol=1e-12)
    assert np.allclose(b.grad, tb.grad.numpy(), rtol=1e-10, atol=1e-12)


# ---- matmul of views, empty matmul -----------------------------------------------------------

# Each case: base shapes of A and B and the views taken of them; every view pair multiplies
# to (6, 4) @ (4, 3). The views work alike on a NumPy array and on a fastgrad Tensor.
MATMUL_VIEWS = {
    "transposed": ((4, 6), lambda t: t.T, (3, 4), lambda t: t.T),
    "negative-strides": ((6, 4), lambda t: t[::-1], (4, 3), lambda t: t[::-1, ::-1]),
    "strided": ((6, 8), lambda t: t[:, ::2], (8, 3), lambda t: t[::2]),
    "reversed-transposed": ((4, 6), lambda t: t[::-1, ::-1].T, (3, 4), lambda t: t.T[::-1]),
}


def _view_adjoint(view, shape, g):
    """Gradient w.r.t. the base array of sum(g * view(base)): each view entry sends its
    gradient back to the base element it reads (found by viewing an array of indices)."""
    where = view(np.arange(int(np.prod(shape))).reshape(shape))
    out = np.zeros(int(np.prod(shape)))
    np.add.at(out, where.ravel(), g.ravel())
    return out.reshape(shape)


@pytest.mark.parametrize("case", list(MATMUL_VIEWS))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_matmul_of_views_forward_and_backward(case, dtype):
    shape_a, view_a, shape_b, view_b = MATMUL_VIEWS[case]
    rng = np.random.default_rng(5)
    A, B = rng.normal(size=shape_a), rng.normal(size=shape_b)
    a = fg.tensor(A, dtype=dtype, requires_grad=True)
    b = fg.tensor(B, dtype=dtype, requires_grad=True)
    out = view_a(a) @ view_b(b)
    g = rng.normal(size=(6, 3))
    (out * fg.tensor(g, dtype=dtype)).sum().backward()

    A, B = a.numpy().astype(np.float64), b.numpy().astype(np.float64)  # the values actually used
    tol = 2e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(out.data, view_a(A) @ view_b(B), rtol=tol, atol=tol)
    np.testing.assert_allclose(a.grad, _view_adjoint(view_a, shape_a, g @ view_b(B).T),
                               rtol=tol, atol=tol)
    np.testing.assert_allclose(b.grad, _view_adjoint(view_b, shape_b, view_a(A).T @ g),
                               rtol=tol, atol=tol)


def test_empty_matmul_gives_zeros_of_the_right_shape():
    a = fg.tensor(np.ones((3, 0)), requires_grad=True)
    b = fg.tensor(np.ones((0, 2)), requires_grad=True)
    out = a @ b
    out.sum().backward()
    np.testing.assert_array_equal(out.data, np.ones((3, 0)) @ np.ones((0, 2)))
    assert a.grad.shape == (3, 0) and b.grad.shape == (0, 2)
