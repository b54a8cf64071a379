"""cross, cdist, block_diag, cartesian_prod and kron against PyTorch 2.13: values in float32
and float64, gradients in float64 against torch's autograd and against finite differences
(fg.gradcheck), and the errors for bad input naming the argument."""
import warnings

import numpy as np
import pytest

import fastgrad as fg
from conftest import torch_or_skip

torch = torch_or_skip()

INF = float("inf")
EUCLID_EXACT = "donot_use_mm_for_euclid_dist"  # torch's exact path, the one fastgrad takes

# (id, fn(lib, *tensors), input shapes): the same source run with lib = torch and lib = fastgrad.
CASES = [
    ("cross_last", lambda L, a, b: L.cross(a, b, dim=-1), [(4, 3), (4, 3)]),
    ("cross_dim0", lambda L, a, b: L.cross(a, b, dim=0), [(3, 2, 5), (3, 2, 5)]),
    ("cross_default_first_3", lambda L, a, b: L.cross(a, b), [(2, 3, 3), (2, 3, 3)]),
    ("cross_broadcast", lambda L, a, b: L.cross(a, b, dim=1), [(4, 3), (1, 3)]),
    ("tensor_cross", lambda L, a, b: a.cross(b, dim=1), [(2, 3), (2, 3)]),
    ("kron_matrices", lambda L, a, b: L.kron(a, b), [(2, 3), (4, 2)]),
    ("kron_vectors", lambda L, a, b: L.kron(a, b), [(3,), (2,)]),
    ("kron_mixed_ndim", lambda L, a, b: L.kron(a, b), [(2,), (2, 3, 2)]),
    ("kron_scalar", lambda L, a, b: L.kron(a, b), [(), (2, 3)]),
    ("tensor_kron", lambda L, a, b: a.kron(b), [(2, 2), (3, 1)]),
    ("block_diag", lambda L, a, b, c: L.block_diag(a, b, c), [(), (3,), (2, 4)]),
    ("block_diag_one", lambda L, a: L.block_diag(a), [(2, 3)]),
    ("block_diag_empty_rows", lambda L, a, b: L.block_diag(a, b), [(0, 2), (2, 3)]),
    ("cartesian_prod", lambda L, a, b, c: L.cartesian_prod(a, b, c), [(2,), (3,), (2,)]),
    ("cartesian_prod_one", lambda L, a: L.cartesian_prod(a), [(4,)]),
    ("cdist_p2", lambda L, a, b: L.cdist(a, b), [(5, 3), (4, 3)]),
    ("cdist_p1", lambda L, a, b: L.cdist(a, b, p=1), [(5, 3), (4, 3)]),
    ("cdist_p0", lambda L, a, b: L.cdist(a, b, p=0), [(5, 3), (4, 3)]),
    ("cdist_p_half", lambda L, a, b: L.cdist(a, b, p=0.5), [(3, 4), (2, 4)]),
    ("cdist_p3", lambda L, a, b: L.cdist(a, b, p=3), [(3, 4), (2, 4)]),
    ("cdist_pinf", lambda L, a, b: L.cdist(a, b, p=INF), [(3, 4), (2, 4)]),
    ("cdist_batched", lambda L, a, b: L.cdist(a, b, p=2), [(2, 3, 4), (2, 5, 4)]),
    ("cdist_batch_broadcast", lambda L, a, b: L.cdist(a, b, p=1.5), [(2, 1, 3, 4), (3, 2, 4)]),
]
IDS = [c[0] for c in CASES]


def _inputs(shapes, dtype, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(s).astype(dtype) for s in shapes]


def _run(lib, fn, arrays, requires_grad=False):
    make = torch.tensor if lib is torch else fg.tensor
    ts = [make(a, requires_grad=requires_grad) for a in arrays]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch.cross without dim: a deprecation warning
        return ts, fn(lib, *ts)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_values_match_torch(case, dtype):
    _, fn, shapes = case
    arrays = _inputs(shapes, dtype)
    _, ours = _run(fg, fn, arrays)
    _, ref = _run(torch, fn, arrays)
    assert ours.shape == tuple(ref.shape)
    assert str(ours.dtype).split(".")[-1] == str(ref.dtype).split(".")[-1]
    tol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(ours.numpy(), ref.detach().numpy(), rtol=tol, atol=tol)


DIFFERENTIABLE = [c for c in CASES if not c[0].startswith("cdist_p0")]


@pytest.mark.parametrize("case", DIFFERENTIABLE, ids=[c[0] for c in DIFFERENTIABLE])
def test_gradients_match_torch_and_finite_differences(case):
    _, fn, shapes = case
    arrays = _inputs(shapes, np.float64, seed=1)
    ts, out = _run(fg, fn, arrays, requires_grad=True)
    tts, tout = _run(torch, fn, arrays, requires_grad=True)
    w = np.random.default_rng(2).standard_normal(tuple(tout.shape))
    (out * fg.tensor(w)).sum().backward()
    (tout * torch.tensor(w)).sum().backward()
    for t, tt in zip(ts, tts):
        np.testing.assert_allclose(t.grad.numpy(), tt.grad.numpy(), rtol=1e-10, atol=1e-12)
    assert fg.gradcheck(lambda *xs: fn(fg, *xs), [fg.tensor(a, requires_grad=True)
                                                  for a in arrays])


def test_cdist_p0_has_zero_gradient_as_torch():
    a, b = _inputs([(3, 2), (4, 2)], np.float64)
    x = fg.tensor(a, requires_grad=True)
    fg.cdist(x, fg.tensor(b), p=0).sum().backward()
    tx = torch.tensor(a, requires_grad=True)
    torch.cdist(tx, torch.tensor(b), p=0).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), tx.grad.numpy())


@pytest.mark.parametrize("p", [0.5, 1, 2, 3, INF])
def test_cdist_zero_distances_and_ties_give_torchs_gradient(p):
    # row 0 of x1 equals row 1 of x2 (distance 0), and coordinates tie in |difference|
    x1 = np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 1.0]])
    x2 = np.array([[2.0, 3.0, 4.0], [1.0, 2.0, 3.0], [1.0, 1.0, 0.5]])
    a, b = fg.tensor(x1, requires_grad=True), fg.tensor(x2, requires_grad=True)
    fg.cdist(a, b, p=p).sum().backward()
    ta, tb = torch.tensor(x1, requires_grad=True), torch.tensor(x2, requires_grad=True)
    torch.cdist(ta, tb, p=p, compute_mode=EUCLID_EXACT).sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), ta.grad.numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(b.grad.numpy(), tb.grad.numpy(), rtol=1e-12, atol=1e-12)
    assert np.isfinite(a.grad.numpy()).all()


def test_cdist_large_sets_match_torchs_default_mode_in_float32():
    # beyond 25 rows torch's default p=2 path uses a matrix product; the values still agree
    a, b = _inputs([(40, 8), (30, 8)], np.float32)
    ours = fg.cdist(fg.tensor(a), fg.tensor(b)).numpy()
    np.testing.assert_allclose(ours, torch.cdist(torch.tensor(a), torch.tensor(b)).numpy(),
                               rtol=1e-4, atol=1e-4)


def test_block_diag_promotes_mixed_dtypes_as_torch():
    parts = [np.array(1, dtype=np.int64), np.ones((2, 2), dtype=np.float32),
             np.array([True, False])]
    ours = fg.block_diag(*[fg.tensor(p) for p in parts])
    ref = torch.block_diag(*[torch.tensor(p) for p in parts])
    assert str(ours.dtype).split(".")[-1] == str(ref.dtype).split(".")[-1]
    np.testing.assert_array_equal(ours.numpy(), ref.numpy())


def test_cartesian_prod_of_integers_matches_torch():
    a, b = np.array([1, 2, 3]), np.array([7, 8])
    ours = fg.cartesian_prod(fg.tensor(a), fg.tensor(b))
    ref = torch.cartesian_prod(torch.tensor(a), torch.tensor(b))
    np.testing.assert_array_equal(ours.numpy(), ref.numpy())
    assert str(ours.dtype).split(".")[-1] == "int64"


def test_out_argument_of_cross_and_kron():
    a, b = _inputs([(2, 3), (2, 3)], np.float32)
    out = fg.empty(0)
    fg.cross(fg.tensor(a), fg.tensor(b), dim=1, out=out)
    np.testing.assert_allclose(out.numpy(), np.cross(a, b), rtol=1e-6, atol=1e-6)
    out = fg.empty(0)
    fg.kron(fg.tensor(a), fg.tensor(b), out=out)
    np.testing.assert_allclose(out.numpy(), np.kron(a, b), rtol=1e-6)


@pytest.mark.parametrize("call, match", [
    (lambda: fg.cross(fg.ones(2, 3), fg.ones(2, 3), dim=0), "dim 0 must have size 3"),
    (lambda: fg.cross(fg.ones(2, 4), fg.ones(2, 4)), "no dimension of size 3"),
    (lambda: fg.cross(fg.ones(3), fg.ones(2, 3)), "same number of dimensions"),
    (lambda: fg.cross(fg.ones(2, 3), fg.ones(4, 3)), "other .* do not broadcast"),
    (lambda: fg.cross(fg.ones(2, 3), fg.ones(2, 3), dim=2), "dim"),
    (lambda: fg.cdist(fg.ones(3), fg.ones(2, 3)), "x1 must have at least 2 dimensions"),
    (lambda: fg.cdist(fg.ones(2, 3), fg.ones(2, 4)), "x1 and x2 .* same number of columns"),
    (lambda: fg.cdist(fg.ones(2, 3), fg.ones(2, 3), p=-1), "p must be a number >= 0"),
    (lambda: fg.cdist(fg.ones(2, 3), fg.ones(2, 3), p=float("nan")), "p must be"),
    (lambda: fg.cdist(fg.ones(2, 3), fg.ones(2, 3), p="2"), "p must be"),
    (lambda: fg.cdist(fg.ones(2, 3), fg.ones(2, 3), compute_mode="fast"), "compute_mode"),
    (lambda: fg.cdist(fg.ones(2, 2, 3), fg.ones(3, 2, 3)), "batch dimensions"),
    (lambda: fg.block_diag(fg.ones(2, 2), fg.ones(1, 2, 2)), r"tensors\[1\] must have 2"),
    (lambda: fg.cartesian_prod(fg.ones(2), fg.ones(2, 2)), r"tensors\[1\] must be 1-d"),
    (lambda: fg.cartesian_prod(), "at least one tensor"),
])
def test_bad_input_names_the_argument(call, match):
    with pytest.raises((ValueError, IndexError), match=match):
        call()


def test_cdist_of_integer_tensors_is_refused_as_torch():
    with pytest.raises(TypeError, match="x2 must be a floating tensor"):
        fg.cdist(fg.ones(2, 3), fg.tensor([[1, 2, 3]]))
    with pytest.raises(RuntimeError):
        torch.cdist(torch.ones(2, 3), torch.tensor([[1, 2, 3]]))


@pytest.mark.parametrize("mode", ["use_mm_for_euclid_dist", EUCLID_EXACT,
                                  "use_mm_for_euclid_dist_if_necessary"])
def test_cdist_p2_modes_values_and_gradients_match_torch(mode):
    a, b = _inputs([(30, 5), (27, 5)], np.float64, seed=3)
    x, y = fg.tensor(a, requires_grad=True), fg.tensor(b, requires_grad=True)
    tx, ty = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
    out, ref = fg.cdist(x, y, compute_mode=mode), torch.cdist(tx, ty, compute_mode=mode)
    np.testing.assert_allclose(out.detach().numpy(), ref.detach().numpy(), rtol=1e-10)
    w = np.random.default_rng(4).standard_normal((30, 27))
    (out * fg.tensor(w)).sum().backward()
    (ref * torch.tensor(w)).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(y.grad.numpy(), ty.grad.numpy(), rtol=1e-8, atol=1e-10)


def test_cdist_p2_exact_path_in_blocks_matches_numpy():
    # more rows than one block of differences holds (~4M): the blocks must join in order
    a, b = _inputs([(70, 300), (200, 300)], np.float64, seed=5)
    out = fg.cdist(fg.tensor(a), fg.tensor(b), compute_mode=EUCLID_EXACT).numpy()
    ref = np.sqrt(((a[:, None, :] - b[None, :, :]) ** 2).sum(-1))
    np.testing.assert_allclose(out, ref, rtol=1e-12)


def test_cdist_of_empty_sets_matches_torch():
    for p in (2, 1, 3, INF):
        ours = fg.cdist(fg.zeros(0, 3), fg.ones(2, 3), p=p)
        assert ours.shape == tuple(torch.cdist(torch.zeros(0, 3), torch.ones(2, 3), p=p).shape)
        ours = fg.cdist(fg.zeros(2, 0), fg.zeros(3, 0), p=p).numpy()
        np.testing.assert_array_equal(
            ours, torch.cdist(torch.zeros(2, 0), torch.zeros(3, 0), p=p).numpy())


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_block_diag_of_nothing_is_an_empty_row_in_the_default_dtype(dtype):
    fg.set_default_dtype(getattr(fg, dtype))
    torch.set_default_dtype(getattr(torch, dtype))
    try:
        ours, ref = fg.block_diag(), torch.block_diag()
    finally:
        fg.set_default_dtype(fg.float32)
        torch.set_default_dtype(torch.float32)
    assert ours.shape == tuple(ref.shape) and str(ours.dtype).split(".")[-1] == dtype


@pytest.mark.parametrize("p", [1, 3, INF])
def test_cdist_in_several_blocks_matches_torch_with_gradients(p):
    # 70 x 300 rows against 200: more differences than one block holds (~4M)
    a, b = _inputs([(70, 300), (200, 300)], np.float64, seed=6)
    x, y = fg.tensor(a, requires_grad=True), fg.tensor(b, requires_grad=True)
    tx, ty = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
    out, ref = fg.cdist(x, y, p=p), torch.cdist(tx, ty, p=p)
    np.testing.assert_allclose(out.detach().numpy(), ref.detach().numpy(), rtol=1e-10)
    w = np.random.default_rng(7).standard_normal((70, 200))
    (out * fg.tensor(w)).sum().backward()
    (ref * torch.tensor(w)).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(y.grad.numpy(), ty.grad.numpy(), rtol=1e-8, atol=1e-10)


def test_cdist_takes_numpy_scalars_for_p():
    a, b = _inputs([(3, 2), (4, 2)], np.float64)
    ours = fg.cdist(fg.tensor(a), fg.tensor(b), p=np.int64(3)).numpy()
    np.testing.assert_allclose(ours, torch.cdist(torch.tensor(a), torch.tensor(b), p=3).numpy())
