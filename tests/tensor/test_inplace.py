"""In-place ops and .grad/.data as Tensors, each scenario run under PyTorch too (r01, r02, r03):
the manual-SGD idiom trains, PyTorch's leaf and version rules raise where its do."""
import numpy as np
import pytest

import fastgrad as fg
from fastgrad import nn

torch = pytest.importorskip("torch")


def _linear_pair(rng):
    """A fastgrad Linear and a torch Linear with the same weights."""
    w = rng.standard_normal((2, 3)).astype(np.float32)
    b = rng.standard_normal(2).astype(np.float32)
    ours = nn.Linear(3, 2)
    ours.load_state_dict({"weight": w, "bias": b})
    theirs = torch.nn.Linear(3, 2)
    theirs.load_state_dict({"weight": torch.from_numpy(w.copy()), "bias": torch.from_numpy(b)})
    return ours, theirs


@pytest.mark.parametrize("zero", ["zero_", "none"])
def test_r01_r03_manual_sgd_idiom_trains_as_torch(rng, zero):
    ours, theirs = _linear_pair(rng)
    x = rng.standard_normal((8, 3)).astype(np.float32)
    for lib, model in ((fg, ours), (torch, theirs)):
        xt = lib.tensor(x)
        for _ in range(5):
            loss = (model(xt) ** 2).mean()
            loss.backward()
            with lib.no_grad():
                for p in model.parameters():
                    p -= 0.1 * p.grad
                    if zero == "zero_":
                        p.grad.zero_()
                    else:
                        p.grad = None
    for name in ("weight", "bias"):
        np.testing.assert_allclose(getattr(ours, name).numpy(),
                                   getattr(theirs, name).detach().numpy(), rtol=1e-5, atol=1e-6)


def test_r02_named_leaf_update_keeps_it_a_leaf_that_trains(rng):
    start = np.float32(rng.standard_normal())
    results = []
    for lib in (fg, torch):
        a = lib.tensor(start, requires_grad=True)
        for _ in range(3):
            (a * 3.0).sum().backward()
            with lib.no_grad():
                a -= 0.1 * a.grad
                a.grad = None
        assert a.requires_grad and a.grad_fn is None and a.shape == ()
        results.append(a.item())
    assert results[0] == pytest.approx(results[1], rel=1e-6)


def test_in_place_on_a_leaf_that_requires_grad_raises_outside_no_grad():
    for lib in (fg, torch):
        w = lib.ones(3, requires_grad=True)
        with pytest.raises(RuntimeError, match="leaf"):
            w += 1
        with pytest.raises(RuntimeError, match="leaf"):
            w.mul_(2)


@pytest.mark.parametrize("change", ["isub", "add_", "optimizer"])
def test_changing_a_saved_tensor_before_backward_raises_as_torch(change):
    for lib in (fg, torch):
        w = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
        opt = lib.optim.SGD([w], lr=0.1)
        (w * w).sum().backward()  # a gradient for the optimizer
        loss = (w * w).sum()  # saves w for its derivative
        with lib.no_grad():
            if change == "isub":
                w -= 1
            elif change == "add_":
                w.add_(1)
        if change == "optimizer":
            opt.step()
        with pytest.raises(RuntimeError, match="modified by an in-?place operation"):
            loss.backward()


def test_changing_a_tensor_that_was_not_saved_is_allowed_as_in_torch():
    grads = []
    for lib in (fg, torch):
        w = lib.tensor([1.0, 2.0], requires_grad=True)
        loss = (w + 1).sum()  # addition saves nothing
        with lib.no_grad():
            w += 5
        loss.backward()
        grads.append(np.asarray(w.grad))
    np.testing.assert_array_equal(grads[0], grads[1])


def test_in_place_with_a_tensor_that_requires_grad_is_recorded_as_torch(rng):
    wv = rng.standard_normal(3)
    grads = []
    for lib in (fg, torch):
        w = lib.tensor(wv, requires_grad=True)
        acc = lib.zeros(3, dtype=lib.float64)
        acc += w * w  # acc, a leaf that needs no gradient, becomes w^2's node: d/dw = 2 w
        assert acc.requires_grad and acc.grad_fn is not None
        acc.sum().backward()
        grads.append(np.asarray(w.grad))
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-12)
    np.testing.assert_allclose(grads[0], 2 * wv, rtol=1e-12)


def test_in_place_on_a_non_leaf_in_the_graph_is_refused_clearly():
    # PyTorch rewrites the graph here; fastgrad refuses rather than risk a wrong gradient.
    w = fg.ones(3, requires_grad=True)
    h = w * 2
    with pytest.raises(RuntimeError, match="out-of-place"):
        h *= w


@pytest.mark.parametrize("op", [
    lambda t, lib: t.add_(2.5), lambda t, lib: t.add_(lib.arange(4.0), alpha=2),
    lambda t, lib: t.sub_(1.5), lambda t, lib: t.mul_(-2), lambda t, lib: t.div_(4),
    lambda t, lib: t.zero_(), lambda t, lib: t.fill_(7.25), lambda t, lib: t.clamp_(-0.5, 0.5),
    lambda t, lib: t.clamp_(min=0), lambda t, lib: t.clamp_(max=0.1),
    lambda t, lib: t.__iadd__(1), lambda t, lib: t.__itruediv__(3),
    lambda t, lib: t.__imul__(lib.tensor([1.0, 2.0, 3.0, 4.0]))])
def test_in_place_values_match_torch(rng, op):
    x = rng.standard_normal((3, 4)).astype(np.float32)
    ours, theirs = fg.tensor(x), torch.tensor(x)
    assert op(ours, fg) is ours
    op(theirs, torch)
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6)
    assert ours.dtype == np.float32


def test_copy_and_setitem_match_torch(rng):
    x = rng.standard_normal((3, 4)).astype(np.float32)
    ours, theirs = fg.tensor(x), torch.tensor(x)
    ours.copy_(fg.tensor(np.arange(4.0)))  # broadcast, cast to float32
    theirs.copy_(torch.arange(4.0, dtype=torch.float64))
    ours[ours > 1.5] = -1
    theirs[theirs > 1.5] = -1
    ours[0, 1:3] = fg.tensor([9.0, 8.0])
    theirs[0, 1:3] = torch.tensor([9.0, 8.0])
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    assert ours.dtype == np.float32


def test_a_float_result_into_an_integer_tensor_raises_as_torch():
    for lib in (fg, torch):
        t = lib.tensor([1, 2, 3])
        with pytest.raises(RuntimeError):
            t += 1.5
        with pytest.raises(RuntimeError):
            t /= 2
        t += 2  # integer into integer is fine
        assert t.tolist() == [3, 4, 5]


def test_a_result_of_another_shape_raises():
    t = fg.zeros(3)
    with pytest.raises(RuntimeError, match=r"\(2, 3\)"):
        t += fg.ones(2, 3)
    np.testing.assert_array_equal(t.numpy(), np.zeros(3))


def test_uniform_and_normal_fill_in_place_from_the_seeded_generator():
    a, b = fg.zeros(1000), fg.zeros(1000)
    fg.manual_seed(5)
    a.uniform_(-2, 3)
    fg.manual_seed(5)
    b.uniform_(-2, 3)
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert -2 <= a.numpy().min() and a.numpy().max() < 3 and a.numpy().std() > 1
    n = fg.zeros(20000, dtype=fg.float64).normal_(1.5, 0.5).numpy()
    assert abs(n.mean() - 1.5) < 0.02 and abs(n.std() - 0.5) < 0.02


def test_grad_and_data_are_tensors_sharing_memory_as_in_torch():
    for lib in (fg, torch):
        p = lib.tensor([1.0, 2.0], requires_grad=True)
        (p * p).sum().backward()
        g = p.grad
        assert isinstance(g, lib.Tensor) and isinstance(p.data, lib.Tensor)
        assert p.grad is g and not g.requires_grad
        p.data.add_(1)  # through .data: outside the graph, shares memory
        assert p.tolist() == [2.0, 3.0]
        (p * p).sum().backward()  # accumulates into the same gradient tensor
        assert g.tolist() == [6.0, 10.0]
        assert np.asarray(p.grad).tolist() == [6.0, 10.0]
        p.grad = None
        assert p.grad is None


@pytest.mark.parametrize("shape", [(2, 5, 4), (3, 1, 2, 4)])
def test_changing_an_input_that_was_saved_as_a_view_raises_as_torch(shape):
    # Linear saves a 3-d input as its rows: a view of the same memory, which PyTorch's shared
    # version counter covers
    x_values = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    for lib in (fg, torch):
        lin = lib.nn.Linear(4, 3)
        x = lib.tensor(x_values)
        y = lin(x)
        x.mul_(2)
        with pytest.raises(RuntimeError, match="modified by an in-?place operation"):
            y.sum().backward()


def test_changing_an_unrelated_tensor_of_the_same_shape_does_not_raise():
    lin = fg.nn.Linear(4, 3)
    x, other = fg.randn(2, 5, 4), fg.randn(2, 5, 4)
    y = lin(x)
    other.mul_(2)
    y.sum().backward()
    ref = fg.nn.Linear(4, 3)
    ref.load_state_dict(lin.state_dict())
    ref(x).sum().backward()
    np.testing.assert_array_equal(lin.weight.grad.numpy(), ref.weight.grad.numpy())
