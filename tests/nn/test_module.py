"""fastgrad.nn.Module bookkeeping (state dicts, parameters, train/eval, dtype) and Sequential: an
MLP against PyTorch, fusion against the same ops one by one, any input layout."""

import numpy as np
import pytest

import fastgrad as fg
from fastgrad import nn
from fastgrad.nn import functional as F
from conftest import LAYOUTS, memory_layouts, torch_or_skip


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
    w = b[0].weight.numpy()
    b.load_state_dict(a.state_dict())
    assert w is b[0].weight.numpy() and np.array_equal(w, a[0].weight.numpy())
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


def test_sequential_fusion_equals_separate_ops(rng):
    m = mlp(np.float64)
    x = fg.tensor(rng.standard_normal((6, 5)), requires_grad=True, dtype=np.float64)
    fused = m(x)
    fused.sum().backward()
    grads = [p.grad.numpy().copy() for p in m.parameters()] + [x.grad.numpy().copy()]
    m.zero_grad()
    x.zero_grad()
    h = F.relu(F.linear(x, m[0].weight, m[0].bias))  # the same network, one op at a time
    unfused = F.linear(h, m[2].weight, m[2].bias)
    unfused.sum().backward()
    assert np.allclose(fused.data, unfused.data, rtol=1e-13, atol=1e-13)
    for g, p in zip(grads, list(m.parameters()) + [x]):
        assert np.allclose(g, p.grad, rtol=1e-13, atol=1e-13)


# ---- losses ------------------------------------------------------------------------------------


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


# ---- any input layout through Sequential and cross-entropy -----------------------------------

def _mlp(dtype=np.float32):
    fg.manual_seed(7)
    return nn.Sequential(nn.Linear(5, 6), nn.Tanh(), nn.Linear(6, 3)).to(dtype)


def _mlp_reference(model, x, y):
    """Forward, mean cross-entropy and every gradient of the MLP, in float64 NumPy."""
    W1, b1, W2, b2 = (p.numpy().astype(np.float64) for p in model.parameters())
    h = np.tanh(x @ W1.T + b1)
    z = h @ W2.T + b2
    p = np.exp(z - z.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    n = len(y)
    loss = -np.log(p[np.arange(n), y]).mean()
    dz = p.copy()
    dz[np.arange(n), y] -= 1
    dz /= n
    dh = dz @ W2 * (1 - h ** 2)
    return loss, [dh.T @ x, dh.sum(0), dz.T @ h, dz.sum(0)]


@pytest.mark.parametrize("layout", LAYOUTS)
def test_sequential_and_cross_entropy_take_any_layout(layout):
    rng = np.random.default_rng(3)
    x64 = rng.normal(size=(7, 5)) * 2
    x = memory_layouts(x64)[layout]
    y = rng.integers(0, 3, size=7)
    model = _mlp()
    loss = nn.CrossEntropyLoss()(model(x), y[::-1].copy()[::-1])  # labels through a view, too
    loss.backward()
    ref_loss, ref_grads = _mlp_reference(model, x.astype(np.float64), y)
    assert loss.dtype == np.float32  # a float32 model stays float32 whatever the input
    np.testing.assert_allclose(loss.item(), ref_loss, rtol=1e-5)
    for p, g in zip(model.parameters(), ref_grads):
        np.testing.assert_allclose(p.grad, g, rtol=1e-4, atol=1e-6)
