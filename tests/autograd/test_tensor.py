"""Tensor: NumPy interop, graph bookkeeping and the backward walk (the chain rule)."""
import numpy as np
import pytest

import fastgrad as fg


def test_default_dtypes_follow_spec():
    assert fg.Tensor([1.0, 2.0]).dtype == np.float32
    assert fg.Tensor(np.zeros(3)).dtype == np.float64  # float64 kept
    assert fg.Tensor(np.zeros(3, dtype=np.int32)).dtype == np.int32  # as torch.tensor keeps it
    assert fg.Tensor([1, 2], dtype="float64").dtype == np.float64


def test_numpy_interop():
    a = np.arange(6, dtype=np.float32).reshape(2, 3)
    t = fg.tensor(a)
    assert t.shape == (2, 3) and t.ndim == 2 and t.dtype == np.float32
    assert np.array_equal(np.asarray(t), a) and np.array_equal(t.numpy(), a)
    assert fg.tensor([[3.5]]).item() == 3.5
    with pytest.raises(ValueError, match="one element"):
        t.item()


def test_tensor_copies_and_is_contiguous():
    a = np.arange(12, dtype=np.float32).reshape(3, 4).T
    t = fg.tensor(a)
    assert t.numpy().flags.c_contiguous
    a[0, 0] = 100
    assert t.data[0, 0] == 0


def test_int_tensor_cannot_require_grad():
    with pytest.raises(TypeError, match="float"):
        fg.Tensor([1, 2], requires_grad=True)


def test_chain_rule_through_nested_function():
    # z = f(g(x)) with g(x) = 3x + 1, f(y) = y^2: dz/dx = dz/dy * dy/dx = 2(3x+1) * 3
    x = fg.tensor([0.5, -2.0], requires_grad=True, dtype=np.float64)
    y = x * 3 + 1
    z = (y * y).sum()
    z.backward()
    assert np.allclose(x.grad, 2 * (3 * x.data + 1) * 3)


def test_gradients_accumulate_across_backward_calls():
    x = fg.tensor([1.0, 2.0], requires_grad=True)
    (x * x).sum().backward()
    (x * x).sum().backward()
    assert np.allclose(x.grad, 2 * 2 * x.data)
    x.zero_grad()
    assert x.grad is None


def test_a_tensor_used_twice_gets_the_sum_of_both_paths():
    x = fg.tensor(3.0, requires_grad=True, dtype=np.float64)
    y = x * x + x * 2  # dy/dx = 2x + 2
    y.backward()
    assert x.grad == pytest.approx(8.0)


def test_diamond_graph_order():
    # b and c both read a; d reads both. A wrong topological order would apply a's backward
    # before all its gradient has arrived.
    a0 = fg.tensor([1.5], requires_grad=True, dtype=np.float64)
    a = a0 * 2
    b = a * a
    c = a * 3
    d = (b * c).sum()  # d = 3 a^3, dd/da0 = 9 a^2 * 2
    d.backward()
    assert np.allclose(a0.grad, 9 * (2 * 1.5) ** 2 * 2)


def test_deep_graph_has_no_recursion_limit():
    x = fg.tensor([1.0], requires_grad=True, dtype=np.float64)
    y = x
    for _ in range(5000):
        y = y + 1e-3
    y.sum().backward()
    assert x.grad[0] == 1.0


def test_backward_needs_scalar_or_gradient():
    x = fg.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    with pytest.raises(RuntimeError, match="scalar"):
        y.backward()
    with pytest.raises(ValueError, match=r"\(3,\).*\(2,\)"):
        y.backward(np.ones(3))
    y.backward(np.array([1.0, 10.0]))
    assert np.allclose(x.grad, [2.0, 20.0])


def test_backward_twice_needs_retain_graph():
    x = fg.tensor([1.0], requires_grad=True)
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    assert np.allclose(x.grad, [4.0])
    with pytest.raises(RuntimeError, match="second time"):
        y.backward()


def test_no_grad_builds_no_graph_and_is_a_decorator():
    x = fg.tensor([1.0], requires_grad=True)
    with fg.no_grad():
        y = x * 2
    assert not y.requires_grad and y.grad_fn is None

    @fg.no_grad()
    def f(t):
        return t * 2
    assert not f(x).requires_grad
    assert (x * 2).requires_grad  # restored afterwards


def test_detach_cuts_the_graph():
    x = fg.tensor([2.0], requires_grad=True)
    y = (x * 3).detach()
    assert not y.requires_grad
    z = (y * x).sum()
    z.backward()
    assert np.allclose(x.grad, [6.0])  # y is a constant here


def test_retain_grad_and_hooks():
    x = fg.tensor([1.0, 2.0], requires_grad=True, dtype=np.float64)
    y = x * 3
    y.retain_grad()
    seen = []
    y.register_hook(lambda g: seen.append(g.numpy().copy()))
    handle = x.register_hook(lambda g: g * 10)  # a hook may replace the gradient
    (y * y).sum().backward()
    assert np.allclose(y.grad, 2 * y.data)
    assert np.allclose(seen[0], 2 * y.data)
    assert np.allclose(x.grad, 10 * 2 * y.data * 3)
    handle.remove()
    x.zero_grad()
    (x * 1).sum().backward()
    assert np.allclose(x.grad, [1.0, 1.0])


def test_grad_of_non_leaf_is_not_kept_by_default():
    x = fg.tensor([1.0], requires_grad=True)
    y = x * 2
    (y * 1).sum().backward()
    assert y.grad is None and x.grad is not None


def test_comparisons_are_elementwise_and_tensors_stay_hashable():
    a = fg.tensor([1.0, 2.0, 3.0])
    assert np.array_equal((a == fg.tensor([1.0, 0.0, 3.0])).data, [True, False, True])
    assert np.array_equal((a > 1.5).data, [False, True, True])
    assert len({a, fg.tensor([1.0])}) == 2


def test_mixed_numpy_operands():
    x = fg.tensor([1.0, 2.0], requires_grad=True)
    y = (np.array([3.0, 4.0], dtype=np.float32) * x).sum()  # ndarray on the left
    y.backward()
    assert isinstance(y, fg.Tensor) and np.allclose(x.grad, [3.0, 4.0])


# ---- sizes: negative or absurd sizes are refused, never attempted ---------------------------
# 10**6 x 10**6 float32 is 4 TB and 2**62 rows overflow the address space: no machine can hold
# either, so a crash or an OOM kill (instead of an exception) would fail the test run.
@pytest.mark.parametrize("make", [
    lambda: fg.zeros(-1),
    lambda: fg.zeros(2 ** 62, 4),
    lambda: fg.ones(10 ** 6, 10 ** 6),
    lambda: fg.randn(-3, 2),
    lambda: fg.rand(10 ** 6, 10 ** 6),
    lambda: fg.full((10 ** 6, 10 ** 6), 1.0),
    lambda: fg.arange(10 ** 14),
], ids=["zeros-neg", "zeros-2^62", "ones-4TB", "randn-neg", "rand-4TB", "full-4TB",
        "arange-1e14"])
def test_impossible_sizes_raise_instead_of_crashing(make):
    with pytest.raises((ValueError, MemoryError)):
        make()
