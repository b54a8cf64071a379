"""The constructors PyTorch tutorials use, against PyTorch 2.13: values, shapes and dtypes."""
import numpy as np
import pytest

import fastgrad as fg
from conftest import torch_or_skip

torch = torch_or_skip()


@pytest.mark.parametrize("expr", [
    "L.linspace(0, 1, 5)", "L.linspace(-3.5, 2, 11)", "L.linspace(0, 1, 1)",
    "L.arange(5)", "L.arange(2, 9, 3)", "L.arange(0, 1, 0.1)", "L.arange(-1.0, 1.0, 0.25)",
    "L.arange(10, dtype=L.float32)", "L.eye(3)", "L.eye(2, 4)", "L.eye(3, dtype=L.long)",
    "L.zeros(2, 3)", "L.zeros((2, 3))", "L.ones([4])", "L.empty(2, 3).shape",
    "L.full((2, 3), 7)", "L.full((2,), 1.5)", "L.full((2,), True)",
    "L.zeros_like(L.ones(2, 3, dtype=L.long))", "L.ones_like(L.ones(2, dtype=L.float64))",
    "L.full_like(L.ones(2, 3), 4.5)", "L.full_like(L.ones(3, dtype=L.long), 2)",
    "L.empty_like(L.ones(2, dtype=L.float64)).dtype", "L.rand_like(L.ones(2, 3)).shape",
    "L.randn_like(L.ones(2, 3, dtype=L.float64)).dtype", "L.randint(10, (3, 4)).dtype",
    "L.randint(3, 10, (5,)).shape", "L.randperm(7).dtype", "L.randn(2, 3, device='cpu').dtype",
    "L.zeros(0, 3)", "L.as_tensor([1, 2, 3])", "L.as_tensor([1.0, 2.0], dtype=L.float64)",
    "L.is_tensor(L.ones(2))", "L.is_tensor(np.ones(2))",
])
def test_constructor_matches_torch(expr):
    f = eval(expr, {"L": fg, "np": np})
    t = eval(expr, {"L": torch, "np": np})
    if isinstance(t, torch.Tensor):
        assert f.dtype == t.numpy().dtype
        assert tuple(f.shape) == tuple(t.shape)
        np.testing.assert_allclose(f.numpy(), t.numpy(), rtol=1e-6, atol=1e-7)
    elif isinstance(t, torch.dtype):
        assert f == torch.empty(0, dtype=t).numpy().dtype
    else:
        assert tuple(f) == tuple(t) if isinstance(t, tuple) else f == t


def test_random_constructors_draw_from_the_seeded_generator():
    fg.manual_seed(3)
    a = (fg.rand_like(fg.ones(50)), fg.randint(2, 5, (200,)), fg.randperm(20))
    fg.manual_seed(3)
    b = (fg.rand_like(fg.ones(50)), fg.randint(2, 5, (200,)), fg.randperm(20))
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x.numpy(), y.numpy())
    assert 0 <= a[0].numpy().min() and a[0].numpy().max() < 1
    assert set(np.unique(a[1].numpy())) == {2, 3, 4}
    np.testing.assert_array_equal(np.sort(a[2].numpy()), np.arange(20))


def test_as_tensor_and_from_numpy_share_memory_as_torch():
    a = np.arange(4, dtype=np.float32)
    assert np.shares_memory(fg.as_tensor(a).numpy(), a)
    assert np.shares_memory(fg.from_numpy(a).numpy(), a)
    x = fg.ones(3)
    assert fg.as_tensor(x) is x
    with pytest.raises(TypeError, match="from_numpy"):
        fg.from_numpy([1.0, 2.0])


def test_requires_grad_on_constructors():
    for make in (lambda: fg.linspace(0, 1, 3, requires_grad=True),
                 lambda: fg.eye(2, requires_grad=True),
                 lambda: fg.randn_like(fg.ones(2), requires_grad=True),
                 lambda: fg.full_like(fg.ones(2), 2.0, requires_grad=True)):
        t = make()
        (t * t).sum().backward()
        np.testing.assert_allclose(np.asarray(t.grad), 2 * t.numpy())


@pytest.mark.parametrize("call, exc, words", [
    (lambda: fg.zeros(-1), ValueError, "non-negative"),
    (lambda: fg.zeros(2.5), TypeError, "ints"),
    (lambda: fg.linspace(0, 1, -2), ValueError, "steps"),
    (lambda: fg.arange(0, 5, 0), ValueError, "step"),
    (lambda: fg.arange("a"), TypeError, "arange: end"),
    (lambda: fg.arange(0, 2, "a"), TypeError, "arange: step"),
    (lambda: fg.eye(-2), ValueError, "eye: n"),
    (lambda: fg.randint(5, 5, (2,)), ValueError, "high"),
    (lambda: fg.randint(5), TypeError, "size"),
    (lambda: fg.randint(1.5, (2,)), TypeError, "high"),
    (lambda: fg.randperm(-1), ValueError, "randperm: n"),
])
def test_bad_constructor_arguments_are_named(call, exc, words):
    with pytest.raises(exc, match=words):
        call()


def test_inference_mode_records_no_graph_and_restores_grad_mode():
    x = fg.ones(2, requires_grad=True)
    with fg.inference_mode():
        y = x * 2
    assert not y.requires_grad and fg.is_grad_enabled()
    with fg.inference_mode(False):
        assert (x * 2).requires_grad

    @fg.inference_mode()
    def f(t):
        return t * 2

    @fg.inference_mode
    def g(t):
        return t * 2
    assert not f(x).requires_grad and not g(x).requires_grad and fg.is_grad_enabled()
    with torch.inference_mode():
        assert not (torch.ones(2, requires_grad=True) * 2).requires_grad


@pytest.mark.parametrize("expr", [
    "x.new_zeros(2, 3)", "x.new_zeros((2,))", "x.new_ones(3)", "x.new_ones(2, dtype=L.long)",
    "x.new_full((2, 2), 7)", "x.new_full((2,), 1.5)", "x.new_empty(2, 3).shape",
    "x.new_tensor([1, 2])", "x.new_tensor([[1.5]])", "i.new_zeros(2)", "i.new_tensor([1.7])"])
def test_new_constructors_take_the_tensors_dtype_as_torch(expr):
    def env(L):
        return {"L": L, "x": L.ones(2, dtype=L.float64), "i": L.ones(2, dtype=L.long)}
    f, t = eval(expr, env(fg)), eval(expr, env(torch))
    if isinstance(t, torch.Tensor):
        assert f.dtype == t.numpy().dtype and tuple(f.shape) == tuple(t.shape)
        np.testing.assert_array_equal(f.numpy(), t.numpy())
    else:
        assert tuple(f) == tuple(t)
