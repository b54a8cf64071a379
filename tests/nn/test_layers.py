"""Dropout, LayerNorm, BatchNorm1d: values and gradients against PyTorch and NumPy, gradcheck,
train/eval behaviour, running statistics over several steps, state-dict round trips with
torch modules, seeded repeatability, bad arguments."""
import math

import numpy as np
import pytest

import fastgrad as fg
import fastgrad.nn as nn
import fastgrad.nn.functional as F
from conftest import torch_or_skip

TOL = {np.float32: dict(rtol=1e-4, atol=2e-5), np.float64: dict(rtol=1e-10, atol=1e-12)}
DTYPES = [np.float32, np.float64]


def _randomise(module, rng):
    for p in module.parameters():
        p.data[...] = rng.standard_normal(p.shape)


def _copy_to_torch(torch, ours, theirs):
    theirs.load_state_dict({k: torch.tensor(np.array(v)) for k, v in ours.state_dict().items()})


# ---- Dropout ------------------------------------------------------------------------------------

def test_dropout_zeroes_about_p_and_scales_the_rest(rng):
    fg.manual_seed(3)
    x = fg.Tensor(np.ones(20000), requires_grad=True)
    y = nn.Dropout(0.3)(x)
    kept = y.data != 0
    np.testing.assert_allclose(y.data[kept], 1 / 0.7, rtol=1e-6)
    assert abs(kept.mean() - 0.7) < 0.015  # binomial sd here is 0.003
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, y.data)  # d/dx of x * mask/(1-p) is the same mask


def test_dropout_is_repeatable_under_manual_seed(rng):
    x = fg.Tensor(rng.standard_normal((5, 6)))
    d = nn.Dropout(0.5)
    fg.manual_seed(11)
    a = d(x).data
    fg.manual_seed(11)
    np.testing.assert_array_equal(d(x).data, a)
    assert not np.array_equal(d(x).data, a)  # the generator moved on


def test_dropout_is_identity_in_eval_and_for_p0(rng):
    x = fg.Tensor(rng.standard_normal((3, 4)))
    assert nn.Dropout(0.9).eval()(x) is x
    np.testing.assert_array_equal(nn.Dropout(0.0)(x).data, x.data)
    np.testing.assert_array_equal(F.dropout(x, 0.4, training=False).data, x.data)
    np.testing.assert_array_equal(nn.Dropout(1.0)(x).data, np.zeros((3, 4)))


@pytest.mark.parametrize("p", [-0.1, 1.5])
def test_dropout_rejects_bad_p(p):
    with pytest.raises(ValueError, match="between 0 and 1"):
        nn.Dropout(p)
    with pytest.raises(ValueError, match="between 0 and 1"):
        F.dropout(fg.Tensor(np.ones(3)), p)


# ---- LayerNorm ----------------------------------------------------------------------------------

@pytest.mark.parametrize("shape,normalized", [((4, 6), 6), ((2, 3, 5), (5,)), ((2, 3, 5), (3, 5))])
@pytest.mark.parametrize("affine", [True, False])
@pytest.mark.parametrize("dtype", DTYPES)
def test_layer_norm_matches_torch(shape, normalized, affine, dtype, rng):
    torch = torch_or_skip()
    ours = nn.LayerNorm(normalized, elementwise_affine=affine, dtype=dtype)
    _randomise(ours, rng)
    theirs = torch.nn.LayerNorm(normalized, elementwise_affine=affine, dtype=torch.float64 if dtype == np.float64 else torch.float32)
    _copy_to_torch(torch, ours, theirs)
    x = (rng.standard_normal(shape) * 3 + 1).astype(dtype)
    g = rng.standard_normal(shape).astype(dtype)
    xf = fg.Tensor(x, requires_grad=True)
    ours(xf).backward(g)
    xt = torch.tensor(x, requires_grad=True)
    yt = theirs(xt)
    yt.backward(torch.tensor(g))
    np.testing.assert_allclose(ours(fg.Tensor(x)).data, yt.detach().numpy(), **TOL[dtype])
    np.testing.assert_allclose(xf.grad, xt.grad.numpy(), **TOL[dtype])
    if affine:
        np.testing.assert_allclose(ours.weight.grad, theirs.weight.grad.numpy(), **TOL[dtype])
        np.testing.assert_allclose(ours.bias.grad, theirs.bias.grad.numpy(), **TOL[dtype])


def test_layer_norm_matches_numpy_reference(rng):
    x = rng.standard_normal((4, 7)) * 5
    ln = nn.LayerNorm(7, eps=1e-3, dtype=np.float64)
    _randomise(ln, rng)
    want = (x - x.mean(1, keepdims=True)) / np.sqrt(x.var(1, keepdims=True) + 1e-3)
    want = want * ln.weight.data + ln.bias.data
    np.testing.assert_allclose(ln(fg.Tensor(x)).data, want, rtol=1e-12)


def test_layer_norm_gradcheck(rng):
    w = fg.Tensor(rng.standard_normal((3, 4)), requires_grad=True)
    b = fg.Tensor(rng.standard_normal((3, 4)), requires_grad=True)
    x = fg.Tensor(rng.standard_normal((2, 3, 4)), requires_grad=True)
    r = fg.Tensor(rng.standard_normal((2, 3, 4)))
    assert fg.gradcheck(lambda a, ww, bb: (F.layer_norm(a, (3, 4), ww, bb) * r).sum(), (x, w, b))


# ---- BatchNorm1d --------------------------------------------------------------------------------

def _torch_bn(torch, dtype, **kw):
    return torch.nn.BatchNorm1d(dtype=torch.float64 if dtype == np.float64 else torch.float32, **kw)


@pytest.mark.parametrize("shape", [(8, 3), (5, 3, 4)])
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("momentum", [0.1, None])
def test_batch_norm_training_steps_and_eval_match_torch(shape, dtype, momentum, rng):
    torch = torch_or_skip()
    ours = nn.BatchNorm1d(3, momentum=momentum, dtype=dtype)
    _randomise(ours, rng)
    theirs = _torch_bn(torch, dtype, num_features=3, momentum=momentum)
    _copy_to_torch(torch, ours, theirs)
    for _ in range(4):
        x = (rng.standard_normal(shape) * 2 + 0.5).astype(dtype)
        g = rng.standard_normal(shape).astype(dtype)
        xf, xt = fg.Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        ours.zero_grad()
        theirs.zero_grad()
        y, yt = ours(xf), theirs(xt)
        y.backward(g)
        yt.backward(torch.tensor(g))
        np.testing.assert_allclose(y.data, yt.detach().numpy(), **TOL[dtype])
        np.testing.assert_allclose(xf.grad, xt.grad.numpy(), **TOL[dtype])
        np.testing.assert_allclose(ours.weight.grad, theirs.weight.grad.numpy(), **TOL[dtype])
        np.testing.assert_allclose(ours.bias.grad, theirs.bias.grad.numpy(), **TOL[dtype])
    theirs_sd = theirs.state_dict()
    assert list(ours.state_dict()) == list(theirs_sd)
    for k, v in ours.state_dict().items():
        np.testing.assert_allclose(v, theirs_sd[k].numpy(), **TOL[dtype])
    assert ours.num_batches_tracked.dtype == np.int64 and int(ours.num_batches_tracked) == 4
    ours.eval()
    theirs.eval()
    x = rng.standard_normal(shape).astype(dtype)
    g = rng.standard_normal(shape).astype(dtype)
    xf, xt = fg.Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    y, yt = ours(xf), theirs(xt)
    y.backward(g)
    yt.backward(torch.tensor(g))
    np.testing.assert_allclose(y.data, yt.detach().numpy(), **TOL[dtype])
    np.testing.assert_allclose(xf.grad, xt.grad.numpy(), **TOL[dtype])
    assert int(ours.num_batches_tracked) == 4  # eval leaves the statistics alone


def test_batch_norm_running_update_uses_unbiased_variance(rng):
    x = rng.standard_normal((6, 2)) * 3
    bn = nn.BatchNorm1d(2, momentum=0.25, dtype=np.float64)
    bn(fg.Tensor(x))
    np.testing.assert_allclose(bn.running_mean, 0.25 * x.mean(0), rtol=1e-13)
    np.testing.assert_allclose(bn.running_var, 0.75 + 0.25 * x.var(0, ddof=1), rtol=1e-13)
    want = (x - x.mean(0)) / np.sqrt(x.var(0) + 1e-5)  # normalised with the biased variance
    np.testing.assert_allclose(bn(fg.Tensor(x)).data, want, rtol=1e-12)


def test_batch_norm_without_running_stats_uses_batch_stats_in_eval(rng):
    torch = torch_or_skip()
    x = rng.standard_normal((6, 3, 2))
    ours = nn.BatchNorm1d(3, affine=False, track_running_stats=False, dtype=np.float64).eval()
    theirs = torch.nn.BatchNorm1d(3, affine=False, track_running_stats=False, dtype=torch.float64).eval()
    assert ours.state_dict() == {} and len(theirs.state_dict()) == 0
    np.testing.assert_allclose(ours(fg.Tensor(x)).data, theirs(torch.tensor(x)).numpy(), rtol=1e-10)


@pytest.mark.parametrize("training", [True, False])
def test_batch_norm_gradcheck(training, rng):
    w = fg.Tensor(rng.uniform(0.5, 2, 3), requires_grad=True)
    b = fg.Tensor(rng.standard_normal(3), requires_grad=True)
    x = fg.Tensor(rng.standard_normal((4, 3, 2)), requires_grad=True)
    r = fg.Tensor(rng.standard_normal((4, 3, 2)))
    mean, var = rng.standard_normal(3), rng.uniform(0.5, 2, 3)
    fn = lambda a, ww, bb: (F.batch_norm(a, None if training else mean, None if training else var,
                                         ww, bb, training=training) * r).sum()
    assert fg.gradcheck(fn, (x, w, b))


def test_state_dicts_round_trip_with_torch(rng):
    torch = torch_or_skip()
    bn = nn.BatchNorm1d(4)
    ln = nn.LayerNorm(4)
    for ours, theirs in ((bn, torch.nn.BatchNorm1d(4)), (ln, torch.nn.LayerNorm(4))):
        for _ in range(3):  # torch state moved away from its defaults
            theirs.train()(torch.randn(5, 4, generator=torch.Generator().manual_seed(0)))
        with torch.no_grad():
            for p in theirs.parameters():
                p.copy_(torch.tensor(rng.standard_normal(tuple(p.shape)), dtype=p.dtype))
        assert list(ours.state_dict()) == list(theirs.state_dict())
        ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
        back = type(theirs)(4)
        back.load_state_dict({k: torch.tensor(np.array(v)) for k, v in ours.state_dict().items()})
        for k, v in theirs.state_dict().items():
            assert back.state_dict()[k].dtype == v.dtype
            np.testing.assert_array_equal(back.state_dict()[k].numpy(), v.numpy())


def test_layers_in_a_sequential_train_like_torch(rng):
    torch = torch_or_skip()
    fg.manual_seed(0)
    ours = nn.Sequential(nn.Linear(5, 8), nn.BatchNorm1d(8), nn.GELU(), nn.LayerNorm(8),
                         nn.Linear(8, 3))
    theirs = torch.nn.Sequential(torch.nn.Linear(5, 8), torch.nn.BatchNorm1d(8), torch.nn.GELU(),
                                 torch.nn.LayerNorm(8), torch.nn.Linear(8, 3))
    _copy_to_torch(torch, ours, theirs)
    opt = fg.optim.SGD(ours.parameters(), lr=0.1)
    opt_t = torch.optim.SGD(theirs.parameters(), lr=0.1)
    for _ in range(5):
        x = rng.standard_normal((16, 5)).astype(np.float32)
        t = rng.integers(0, 3, 16)
        opt.zero_grad()
        F.cross_entropy(ours(fg.Tensor(x)), t).backward()
        opt.step()
        opt_t.zero_grad()
        torch.nn.functional.cross_entropy(theirs(torch.tensor(x)), torch.tensor(t)).backward()
        opt_t.step()
    for k, v in theirs.state_dict().items():
        np.testing.assert_allclose(ours.state_dict()[k], v.numpy(), rtol=1e-4, atol=1e-5)


def test_bad_arguments_raise():
    with pytest.raises(ValueError, match="num_features"):
        nn.BatchNorm1d(0)
    with pytest.raises(ValueError, match=r"\(N, 3\).*\(4, 5\)"):
        nn.BatchNorm1d(3)(fg.Tensor(np.zeros((4, 5))))
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        nn.BatchNorm1d(3)(fg.Tensor(np.zeros((1, 3))))
    with pytest.raises(ValueError, match="normalized_shape"):
        nn.LayerNorm(4)(fg.Tensor(np.zeros((2, 5))))
    with pytest.raises(ValueError, match="normalized_shape"):
        nn.LayerNorm(0)
    with pytest.raises(ValueError, match="momentum"):
        nn.BatchNorm1d(3, momentum=2.0)


# ---- Linear ----------------------------------------------------------------------------------

def test_linear_default_init_bounds_match_pytorch():
    fg.manual_seed(3)
    lin = nn.Linear(400, 300)
    bound = 1 / math.sqrt(400)
    for p in (lin.weight.numpy(), lin.bias.numpy()):
        assert p.min() >= -bound and p.max() <= bound
        assert p.max() > 0.95 * bound and p.min() < -0.95 * bound  # uniform, filling the range


def test_manual_seed_makes_init_repeatable():
    fg.manual_seed(7)
    a = nn.Linear(4, 4).weight.numpy().copy()
    fg.manual_seed(7)
    assert np.array_equal(a, nn.Linear(4, 4).weight.data)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(1, 5), (13, 5), (2, 3, 5)])
def test_linear_forward_backward_against_numpy(dtype, shape, rng):
    lin = nn.Linear(5, 4).to(dtype)
    x = fg.tensor(rng.standard_normal(shape), requires_grad=True, dtype=dtype)
    y = lin(x)
    W, b = lin.weight.numpy().astype(np.float64), lin.bias.numpy().astype(np.float64)
    x64 = x.numpy().astype(np.float64)
    tol = 1e-5 if dtype == np.float32 else 1e-12
    assert y.shape == shape[:-1] + (4,)
    assert np.allclose(y.data, x64 @ W.T + b, atol=tol)
    g = rng.standard_normal(y.shape)
    y.backward(g)
    g2, x2 = g.reshape(-1, 4), x64.reshape(-1, 5)
    assert np.allclose(x.grad, (g2 @ W).reshape(shape), atol=tol)
    assert np.allclose(lin.weight.grad, g2.T @ x2, atol=tol)
    assert np.allclose(lin.bias.grad, g2.sum(0), atol=tol)


def test_linear_gradcheck(rng):
    W = fg.tensor(rng.standard_normal((3, 4)), requires_grad=True, dtype=np.float64)
    b = fg.tensor(rng.standard_normal(3), requires_grad=True, dtype=np.float64)
    x = fg.tensor(rng.standard_normal((5, 4)), requires_grad=True, dtype=np.float64)
    assert fg.gradcheck(F.linear, (x, W, b))
    for act in ("relu", "tanh", "sigmoid"):
        assert fg.gradcheck(lambda x, W, b: F.dense(x, W, b, act), (x, W, b))


@pytest.mark.parametrize("wrap", [np.asarray, fg.tensor], ids=["array", "tensor"])
def test_linear_input_mismatch_names_both_shapes(wrap):
    with pytest.raises(ValueError, match=r"\(2, 6\).*\(4, 5\)"):
        nn.Linear(5, 4)(wrap(np.ones((2, 6), np.float32)))


def test_linear_accepts_int_and_noncontiguous_input(rng):
    lin = nn.Linear(3, 2)
    x = np.arange(12).reshape(4, 3)
    ref = x.astype(np.float64) @ lin.weight.numpy().T.astype(np.float64) + lin.bias.data
    assert np.allclose(lin(x).data, ref, atol=1e-5)
    xf = np.asfortranarray(rng.standard_normal((6, 4)))[:, ::-1][:, :3]
    assert np.allclose(lin(xf).data, xf @ lin.weight.data.T + lin.bias.data, atol=1e-5)


# 10**6 x 10**6 float32 weights are 4 TB and 10**12 squared overflows the address space: a
# crash or an OOM kill (instead of an exception) would fail the test run.
@pytest.mark.parametrize("size", [10 ** 12, 10 ** 6], ids=["1e12", "1e6"])
def test_impossible_linear_sizes_raise_instead_of_crashing(size):
    with pytest.raises((ValueError, MemoryError)):
        nn.Linear(size, size)


@pytest.mark.parametrize("size", [-1, 2.5, True, "3"])
def test_linear_rejects_sizes_that_are_not_non_negative_ints(size):
    with pytest.raises((ValueError, TypeError), match="in_features"):
        nn.Linear(size, 3)


@pytest.mark.parametrize("bad", [np.ones((2, 4), np.complex64), np.array([[None] * 4]),
                                 np.array([["a"] * 4])], ids=["complex", "object", "str"])
def test_linear_refuses_non_real_input(bad):
    with pytest.raises((TypeError, ValueError)):
        nn.Linear(4, 3)(bad)
