"""DenseStack, the one-node form of Linear/activation chains inside Sequential: it must give
exactly what the same modules give one op at a time, in every gradient-bookkeeping case."""
import numpy as np
import pytest

import fastgrad as fg
from fastgrad import nn
from fastgrad.nn import functional as F


def net(*acts, sizes=(5, 7, 6, 3)):
    fg.manual_seed(1)
    mods = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        mods.append(nn.Linear(a, b))
        if i < len(acts) and acts[i] is not None:
            mods.append(acts[i]())
    return nn.Sequential(*mods).double()


def one_by_one(model, x):
    for m in model:
        x = m(x)
    return x


def grads(model):
    return [None if p.grad is None else p.grad.numpy().copy() for p in model.parameters()]


@pytest.mark.parametrize("acts", [(nn.ReLU, nn.Tanh), (nn.Sigmoid, None), (None, nn.ReLU)])
def test_matches_modules_one_by_one(acts, rng):
    model = net(*acts)
    x = fg.tensor(rng.standard_normal((4, 5)), requires_grad=True, dtype=np.float64)
    out = model(x)
    out.backward(np.arange(12.0).reshape(4, 3))
    fused, fused_dx = grads(model), x.grad.numpy().copy()
    model.zero_grad()
    x.zero_grad()
    ref = one_by_one(model, x)
    ref.backward(np.arange(12.0).reshape(4, 3))
    assert np.allclose(out.data, ref.data, rtol=1e-13, atol=1e-14)
    for a, b in zip(fused, grads(model)):
        assert np.allclose(a, b, rtol=1e-13, atol=1e-14)
    assert np.allclose(fused_dx, x.grad, rtol=1e-13, atol=1e-14)


def test_against_finite_differences(rng):
    model = net(nn.Tanh, nn.Sigmoid)
    x = fg.tensor(rng.standard_normal((3, 5)), requires_grad=True, dtype=np.float64)
    assert fg.gradcheck(lambda t: model(t), (x,))  # dL/dx through all three layers
    model.zero_grad()  # gradcheck's backward calls accumulated into the parameters too
    model(x).sum().backward()
    eps = 1e-6
    for p in model.parameters():  # and dL/dp for one element of every parameter
        k = p.numpy().size // 2
        flat = p.numpy().reshape(-1)
        orig = flat[k]
        flat[k] = orig + eps
        plus = model(x).numpy().sum()
        flat[k] = orig - eps
        minus = model(x).numpy().sum()
        flat[k] = orig
        assert p.grad.numpy().reshape(-1)[k] == pytest.approx((plus - minus) / (2 * eps), rel=1e-6, abs=1e-8)


def test_gradients_accumulate_over_backward_calls(rng):
    model = net(nn.ReLU, nn.ReLU)
    x = rng.standard_normal((6, 5))
    model(x).sum().backward()
    once = grads(model)
    model(x).sum().backward()
    for a, b in zip(once, grads(model)):
        assert np.allclose(2 * a, b, rtol=1e-13)


def test_weight_with_grad_and_bias_without(rng):
    model = net(nn.ReLU, nn.ReLU)
    x = rng.standard_normal((6, 5))
    model(x).sum().backward()
    once = grads(model)
    model[0].bias.grad = None  # one parameter of a layer reset, its partner kept
    model(x).sum().backward()
    assert np.allclose(model[0].bias.grad, once[1], rtol=1e-13)
    assert np.allclose(model[0].weight.grad, 2 * once[0], rtol=1e-13)


def test_frozen_layer_gets_no_gradient(rng):
    model = net(nn.ReLU, nn.ReLU)
    model[0].weight.requires_grad_(False)
    model(rng.standard_normal((6, 5))).sum().backward()
    assert model[0].weight.grad is None and model[0].bias.grad is not None


def test_hook_on_a_weight_sees_the_gradient(rng):
    model = net(nn.ReLU, nn.ReLU)
    seen = []
    model[2].weight.register_hook(lambda g: seen.append(g.numpy().copy()) or g * 2)
    x = rng.standard_normal((6, 5))
    model(x).sum().backward()
    doubled = model[2].weight.grad.numpy().copy()
    model.zero_grad()
    h = F.relu(F.linear(x, model[0].weight, model[0].bias))
    F.relu(F.linear(h, model[2].weight, model[2].bias))  # same path, one op at a time
    assert np.allclose(doubled, 2 * seen[0])


def test_shared_layer_used_twice_sums_both_uses(rng):
    shared = nn.Linear(4, 4).double()
    model = nn.Sequential(shared, nn.Tanh(), shared)
    x = fg.tensor(rng.standard_normal((3, 4)), requires_grad=True, dtype=np.float64)
    model(x).sum().backward()
    fused = shared.weight.grad.numpy().copy()
    shared.zero_grad()
    F.linear(F.tanh(F.linear(x, shared.weight, shared.bias)), shared.weight, shared.bias).sum().backward()
    assert np.allclose(fused, shared.weight.grad, rtol=1e-13)


def test_three_dimensional_input_and_mismatch_message(rng):
    model = net(nn.ReLU, nn.ReLU)
    out = model(rng.standard_normal((2, 3, 5)))
    assert out.shape == (2, 3, 3)
    with pytest.raises(ValueError, match=r"\(2, 4\).*\(7, 5\)"):
        model(np.ones((2, 4)))


def test_layers_of_different_dtypes_are_refused():
    model = nn.Sequential(nn.Linear(3, 3), nn.Linear(3, 3))
    model[1].double()
    with pytest.raises(TypeError, match="dtype"):
        model(np.ones((1, 3), np.float32))


def test_plan_follows_module_changes(rng):
    model = net(nn.ReLU, nn.ReLU)
    x = rng.standard_normal((2, 5))
    model(x)
    model.add_module("5", nn.Tanh())  # appended after the last Linear: fused into the stack now
    assert np.all(np.abs(model(x).data) <= 1)


def test_plan_sees_changed_settings_and_swapped_parameters(rng):
    """Sequential caches its fused runs; any assignment to a module must show in the next call."""
    model = nn.Sequential(nn.Linear(5, 4), nn.LeakyReLU(0.01), nn.Linear(4, 3)).double()
    x = rng.standard_normal((6, 5))
    model(x)
    model[1].negative_slope = 0.5
    np.testing.assert_allclose(model(x).data, one_by_one(model, x).data, rtol=1e-14)
    model[2].weight = nn.Parameter(np.zeros((3, 4)))
    np.testing.assert_array_equal(model(x).data, np.broadcast_to(model[2].bias.data, (6, 3)))
    model[2].bias = None
    np.testing.assert_array_equal(model(x).data, np.zeros((6, 3)))
