"""fastgrad.nn: modules, Linear, Sequential, activations and losses against PyTorch and NumPy."""
import math

import numpy as np
import pytest

import fastgrad as fg
from fastgrad import nn
from fastgrad.nn import functional as F
from conftest import torch_or_skip


def mlp(dtype=np.float32):
    fg.manual_seed(0)
    return nn.Sequential(nn.Linear(5, 7), nn.ReLU(), nn.Linear(7, 3)).to(dtype)


# ---- Module bookkeeping ------------------------------------------------------------------------

def test_state_dict_keys_and_shapes_are_pytorchs():
    sd = mlp().state_dict()
    assert list(sd) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert sd["0.weight"].shape == (7, 5) and sd["2.bias"].shape == (3,)


def test_parameters_children_train_eval():
    m = mlp()
    assert len(list(m.parameters())) == 4
    assert [type(c).__name__ for c in m.children()] == ["Linear", "ReLU", "Linear"]
    m.eval()
    assert not any(x.training for x in m.modules())
    m.train()
    assert all(x.training for x in m.modules())


def test_load_state_dict_copies_in_place_and_checks():
    a, b = mlp(), nn.Sequential(nn.Linear(5, 7), nn.ReLU(), nn.Linear(7, 3))
    w = b[0].weight.data
    b.load_state_dict(a.state_dict())
    assert w is b[0].weight.data and np.array_equal(w, a[0].weight.data)
    bad = dict(a.state_dict())
    bad["0.weight"] = np.zeros((5, 7), np.float32)
    with pytest.raises(ValueError, match=r"0\.weight.*\(5, 7\).*\(7, 5\)"):
        b.load_state_dict(bad)
    with pytest.raises(ValueError, match=r"missing keys: \['2\.bias'\]"):
        b.load_state_dict({k: v for k, v in a.state_dict().items() if k != "2.bias"})
    with pytest.raises(ValueError, match="unexpected keys: \\['extra'\\]"):
        b.load_state_dict({**a.state_dict(), "extra": np.zeros(1)})
    res = b.load_state_dict({"extra": np.zeros(1)}, strict=False)
    assert res.unexpected_keys == ["extra"] and len(res.missing_keys) == 4


def test_to_double_and_float():
    m = mlp().double()
    assert all(p.dtype == np.float64 for p in m.parameters())
    assert m(np.ones((2, 5))).dtype == np.float64
    assert all(p.dtype == np.float32 for p in m.float().parameters())


def test_zero_grad():
    m = mlp()
    m(np.ones((2, 5), np.float32)).sum().backward()
    assert all(p.grad is not None for p in m.parameters())
    m.zero_grad()
    assert all(p.grad is None for p in m.parameters())


# ---- Linear -------------------------------------------------------------------------------------

def test_linear_default_init_bounds_match_pytorch():
    fg.manual_seed(3)
    lin = nn.Linear(400, 300)
    bound = 1 / math.sqrt(400)
    for p in (lin.weight.data, lin.bias.data):
        assert p.min() >= -bound and p.max() <= bound
        assert p.max() > 0.95 * bound and p.min() < -0.95 * bound  # uniform, filling the range


def test_manual_seed_makes_init_repeatable():
    fg.manual_seed(7)
    a = nn.Linear(4, 4).weight.data.copy()
    fg.manual_seed(7)
    assert np.array_equal(a, nn.Linear(4, 4).weight.data)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(1, 5), (13, 5), (2, 3, 5)])
def test_linear_forward_backward_against_numpy(dtype, shape, rng):
    lin = nn.Linear(5, 4).to(dtype)
    x = fg.tensor(rng.standard_normal(shape), requires_grad=True, dtype=dtype)
    y = lin(x)
    W, b = lin.weight.data.astype(np.float64), lin.bias.data.astype(np.float64)
    x64 = x.data.astype(np.float64)
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


def test_linear_input_mismatch_names_both_shapes():
    with pytest.raises(ValueError, match=r"\(2, 6\).*\(4, 5\)"):
        nn.Linear(5, 4)(np.ones((2, 6), np.float32))


def test_linear_accepts_int_and_noncontiguous_input(rng):
    lin = nn.Linear(3, 2)
    x = np.arange(12).reshape(4, 3)
    ref = x.astype(np.float64) @ lin.weight.data.T.astype(np.float64) + lin.bias.data
    assert np.allclose(lin(x).data, ref, atol=1e-5)
    xf = np.asfortranarray(rng.standard_normal((6, 4)))[:, ::-1][:, :3]
    assert np.allclose(lin(xf).data, xf @ lin.weight.data.T + lin.bias.data, atol=1e-5)


def test_sequential_fusion_equals_separate_ops(rng):
    m = mlp(np.float64)
    x = fg.tensor(rng.standard_normal((6, 5)), requires_grad=True, dtype=np.float64)
    fused = m(x)
    fused.sum().backward()
    grads = [p.grad.copy() for p in m.parameters()] + [x.grad.copy()]
    m.zero_grad()
    x.zero_grad()
    h = F.relu(F.linear(x, m[0].weight, m[0].bias))  # the same network, one op at a time
    unfused = F.linear(h, m[2].weight, m[2].bias)
    unfused.sum().backward()
    assert np.allclose(fused.data, unfused.data, rtol=1e-13, atol=1e-13)
    for g, p in zip(grads, list(m.parameters()) + [x]):
        assert np.allclose(g, p.grad, rtol=1e-13, atol=1e-13)


# ---- losses ------------------------------------------------------------------------------------

def log_softmax64(x):
    x = x.astype(np.float64)
    m = x.max(axis=1, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(axis=1, keepdims=True))


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("smoothing", [0.0, 0.1])
def test_cross_entropy_against_numpy(reduction, smoothing, rng):
    x = rng.standard_normal((9, 4)) * 3
    y = rng.integers(0, 4, 9)
    y[2] = -100  # ignored
    logits = fg.tensor(x, requires_grad=True, dtype=np.float64)
    loss = F.cross_entropy(logits, y, reduction=reduction, label_smoothing=smoothing)
    q = np.full((9, 4), smoothing / 4)
    keep = y != -100
    q[np.arange(9)[keep], y[keep]] += 1 - smoothing
    rows = -(q * log_softmax64(x)).sum(axis=1) * keep
    ref = {"mean": rows.sum() / keep.sum(), "sum": rows.sum(), "none": rows}[reduction]
    assert np.allclose(loss.data, ref, rtol=1e-12)
    assert fg.gradcheck(lambda t: F.cross_entropy(t, y, reduction=reduction,
                                                  label_smoothing=smoothing), (logits,))


def test_cross_entropy_is_stable_for_huge_logits():
    x = fg.tensor([[1000.0, -1000.0, 0.0]], requires_grad=True)
    loss = F.cross_entropy(x, np.array([1]))
    loss.backward()
    assert np.isfinite(loss.item()) and loss.item() == pytest.approx(2000.0)
    assert np.all(np.isfinite(x.grad))


def test_cross_entropy_bad_targets():
    x = fg.tensor(np.zeros((3, 4), np.float32))
    with pytest.raises(IndexError, match="4"):
        F.cross_entropy(x, np.array([0, 4, 1]))
    with pytest.raises(ValueError, match="3"):
        F.cross_entropy(x, np.array([0, 1]))
    with pytest.raises(TypeError, match="integer"):
        F.cross_entropy(x, np.array([0.5, 1.0, 2.0]))


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_mse_against_numpy(reduction, rng):
    p, t = rng.standard_normal((5, 3)), rng.standard_normal((5, 3))
    pred = fg.tensor(p, requires_grad=True, dtype=np.float64)
    loss = nn.MSELoss(reduction=reduction)(pred, t)
    d2 = (p - t) ** 2
    assert np.allclose(loss.data, {"mean": d2.mean(), "sum": d2.sum(), "none": d2}[reduction])
    assert fg.gradcheck(lambda a: F.mse_loss(a, t, reduction=reduction), (pred,))


def test_mse_refuses_silent_broadcast():
    with pytest.raises(ValueError, match=r"\(4, 1\).*\(4,\)"):
        F.mse_loss(fg.tensor(np.zeros((4, 1))), np.zeros(4))


def test_bad_reduction():
    with pytest.raises(ValueError, match="reduction"):
        nn.MSELoss(reduction="avg")


# ---- against PyTorch ---------------------------------------------------------------------------

def test_mlp_matches_pytorch_forward_backward_and_state_dict(rng):
    torch = torch_or_skip()
    ours = mlp()
    theirs = torch.nn.Sequential(torch.nn.Linear(5, 7), torch.nn.ReLU(), torch.nn.Linear(7, 3))
    theirs.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in ours.state_dict().items()})
    x = rng.standard_normal((8, 5)).astype(np.float32)
    y = rng.integers(0, 3, 8)
    loss = nn.CrossEntropyLoss()(ours(x), y)
    loss.backward()
    tloss = torch.nn.CrossEntropyLoss()(theirs(torch.from_numpy(x)), torch.from_numpy(y))
    tloss.backward()
    assert loss.item() == pytest.approx(tloss.item(), rel=1e-5)
    for (name, p), tp in zip(ours.named_parameters(), theirs.parameters()):
        assert np.allclose(p.grad, tp.grad.numpy(), rtol=1e-4, atol=1e-6), name
    # and back: a PyTorch state dict loads one-to-one
    fresh = nn.Sequential(nn.Linear(5, 7), nn.ReLU(), nn.Linear(7, 3))
    fresh.load_state_dict(theirs.state_dict())
    assert np.allclose(fresh(x).data, theirs(torch.from_numpy(x)).detach().numpy(), atol=1e-6)


@pytest.mark.parametrize("name", ["relu", "tanh", "sigmoid"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_activations_match_pytorch(name, dtype, rng):
    torch = torch_or_skip()
    x = rng.standard_normal((4, 6)).astype(dtype) * 4
    ours = fg.tensor(x, requires_grad=True)
    theirs = torch.tensor(x, requires_grad=True)
    out, tout = getattr(F, name)(ours), getattr(torch, name)(theirs)
    g = rng.standard_normal(x.shape).astype(dtype)
    out.backward(g)
    tout.backward(torch.from_numpy(g))
    tol = 1e-6 if dtype == np.float32 else 1e-14
    assert np.allclose(out.data, tout.detach().numpy(), atol=tol)
    assert np.allclose(ours.grad, theirs.grad.numpy(), atol=tol)


@pytest.mark.parametrize("smoothing", [0.0, 0.2])
def test_cross_entropy_matches_pytorch(smoothing, rng):
    torch = torch_or_skip()
    x = rng.standard_normal((16, 10)).astype(np.float32) * 5
    y = rng.integers(0, 10, 16)
    ours = fg.tensor(x, requires_grad=True)
    theirs = torch.tensor(x, requires_grad=True)
    loss = F.cross_entropy(ours, y, label_smoothing=smoothing)
    tloss = torch.nn.functional.cross_entropy(theirs, torch.from_numpy(y),
                                              label_smoothing=smoothing)
    loss.backward()
    tloss.backward()
    assert loss.item() == pytest.approx(tloss.item(), rel=1e-5)
    assert np.allclose(ours.grad, theirs.grad.numpy(), atol=1e-7)


def test_reassigned_buffer_stays_in_the_state_dict():
    m = nn.Module()
    m.register_buffer("running", np.zeros(3))
    m.running = np.ones(3)  # as BatchNorm-like code does
    assert np.array_equal(m.state_dict()["running"], np.ones(3))
    m.running = nn.Linear(1, 1)  # a module replaces it for real
    assert "running" not in m.state_dict()


def test_parameters_follow_named_parameters_order_once_each():
    shared = nn.Linear(3, 3)
    inner = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), shared)
    model = nn.Sequential(inner, nn.Linear(3, 2, bias=False), shared)
    names = [p for _, p in model.named_parameters()]
    assert [id(p) for p in model.parameters()] == [id(p) for p in names]
    assert len(names) == 5  # inner's 2 + shared's 2 + the bias-less Linear's weight
    assert [id(p) for p in model.parameters(recurse=False)] == []


def test_zero_grad_sees_parameters_added_after_an_earlier_call():
    model = nn.Sequential(nn.Linear(2, 2))
    model.zero_grad()
    model.append(nn.Linear(2, 1))
    for p in model.parameters():
        p.grad = np.ones_like(p.data)
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())
    model[1].weight = nn.Parameter(np.zeros((1, 2), np.float32))
    model[1].weight.grad = np.ones((1, 2), np.float32)
    model.zero_grad(set_to_none=False)
    np.testing.assert_array_equal(model[1].weight.grad, np.zeros((1, 2)))
