"""fastgrad._engine: the compiled autograd core. Recording an op (apply), the graph node
(Context), the walk back (run_backward, through Tensor.backward) and where an op that writes
its inputs' gradients itself should put them (grad_targets). Each result is checked against
the chain rule worked by hand in NumPy."""
import threading

import numpy as np
import pytest

import fastgrad as fg
from fastgrad import _engine
from fastgrad.autograd import ArrayFunction as Function, Context


class Scale(Function):
    """y = a * x with a a plain number: a non-tensor argument passes through as it is."""

    @staticmethod
    def forward(ctx, x, a):
        ctx.a = a  # a node takes attributes of its own
        return x * a

    @staticmethod
    def backward(ctx, g):
        return g * ctx.a, None


class ReturnsList(Function):
    @staticmethod
    def forward(ctx, x):
        return [float(v) for v in x]  # not an array: apply makes it one

    @staticmethod
    def backward(ctx, g):
        return fg.tensor(g)  # one bare Tensor: unwrapped by the walk


# ---- apply and Context ---------------------------------------------------------------------

def test_apply_records_a_node_linking_output_to_inputs():
    x = fg.tensor([1.0, 2.0], requires_grad=True)
    y = Scale.apply(x, 3.0)
    ctx = y.grad_fn
    assert isinstance(ctx, Context)
    assert ctx.fn is Scale and ctx.name == "ScaleBackward0"
    assert ctx.parents == (x, None) and ctx.needs_input_grad == (True, False)
    assert ctx.a == 3.0 and y.requires_grad and not y.is_leaf
    np.testing.assert_array_equal(y.data, np.array([3.0, 6.0], np.float32))


def test_apply_records_nothing_without_a_reason_to():
    x = fg.tensor([1.0, 2.0])  # needs no gradient
    assert Scale.apply(x, 2.0).grad_fn is None
    w = fg.tensor([1.0, 2.0], requires_grad=True)
    with fg.no_grad():
        assert Scale.apply(w, 2.0).grad_fn is None
    ints = fg.tensor([1, 2])
    assert Scale.apply(ints, 2).grad_fn is None  # integer output: no gradient to carry


def test_apply_turns_a_non_array_output_into_an_array():
    x = fg.tensor([1.0, 2.0], dtype=np.float64, requires_grad=True)
    y = ReturnsList.apply(x)
    assert type(y.numpy()) is np.ndarray and y.dtype == np.float64
    y.backward(np.array([0.5, 2.0]))
    np.testing.assert_array_equal(x.grad, [0.5, 2.0])


def test_context_can_be_made_and_used_by_hand():
    ctx = Context(Scale, [None, None], [False, False])
    ctx.a = 4.0
    ctx.save_for_backward(np.ones(2))
    assert ctx.parents == (None, None) and len(ctx.saved_tensors) == 1
    assert ctx.backward(np.array([1.0, 2.0]))[0].tolist() == [4.0, 8.0]
    ctx.release()
    assert ctx.saved_tensors == ()
    with pytest.raises(RuntimeError, match="second time"):
        ctx.backward(np.array([1.0, 2.0]))


def test_grad_mode_is_read_per_thread_at_each_apply():
    x = fg.tensor([1.0], requires_grad=True)
    seen = []

    def other():
        seen.append(Scale.apply(x, 2.0).grad_fn is not None)

    with fg.no_grad():  # this thread only
        t = threading.Thread(target=other)
        t.start()
        t.join()
        assert Scale.apply(x, 2.0).grad_fn is None
    assert seen == [True]


# ---- the walk -------------------------------------------------------------------------------

def test_walk_sums_over_paths_and_runs_with_grad_mode_off():
    x = fg.tensor([1.0, -2.0], dtype=np.float64, requires_grad=True)
    modes = []

    class Probe(Function):
        @staticmethod
        def forward(ctx, a):
            return a.copy()

        @staticmethod
        def backward(ctx, g):
            modes.append(fg.is_grad_enabled())
            return g

    y = Scale.apply(x, 3.0) * Probe.apply(x)  # d/dx (3x * x) = 6x
    y.sum().backward()
    np.testing.assert_allclose(x.grad, 6 * np.array([1.0, -2.0]))
    assert modes == [False] and fg.is_grad_enabled()


def test_topological_order_puts_every_consumer_first():
    x = fg.tensor([1.0], requires_grad=True)
    a = Scale.apply(x, 2.0)
    b = Scale.apply(a, 3.0)
    c = a + b  # a feeds b and c: a must come after both
    order = _engine.topological_order(c)
    assert [id(t) for t in order] == [id(c), id(b), id(a)]
    chain = Scale.apply(Scale.apply(x, 2.0), 5.0)
    assert len(_engine.topological_order(chain)) == 2


def test_walk_restores_grad_mode_after_an_error():
    class Broken(Function):
        @staticmethod
        def forward(ctx, a):
            return a

        @staticmethod
        def backward(ctx, g):
            raise ValueError("broken derivative")

    x = fg.tensor([1.0], requires_grad=True)
    with pytest.raises(ValueError, match="broken derivative"):
        Broken.apply(x).sum().backward()
    assert fg.is_grad_enabled()


# ---- grad_targets ---------------------------------------------------------------------------

def _leaf(shape, dtype=np.float32):
    return fg.Tensor(np.zeros(shape, dtype), requires_grad=True)


def test_a_leaf_without_grad_gets_a_new_grad_to_write():
    w = _leaf((2, 3))
    grads = [None]
    targets, acc = _engine.grad_targets((w,), (True,), grads)
    assert targets[0] is w._grad and acc == [0] and grads == [None]
    assert w._grad.shape == (2, 3) and w._grad.dtype == np.float32 and w._grad.flags.c_contiguous


def test_a_leaf_with_a_usable_grad_is_added_to():
    w = _leaf(4, np.float64)
    w._grad = np.ones(4)
    targets, acc = _engine.grad_targets((w,), (True,), [None])
    assert targets[0] is w._grad and acc == [1]


@pytest.mark.parametrize("bad", ["dtype", "shape", "strided", "readonly", "subclass"])
def test_a_grad_that_cannot_be_written_in_place_is_not_used(bad):
    w = _leaf(4)
    g = {"dtype": np.ones(4, np.float64), "shape": np.ones((1, 4), np.float32),
         "strided": np.ones(8, np.float32)[::2], "readonly": np.ones(4, np.float32),
         "subclass": np.ones(4, np.float32).view(np.matrix)}[bad]
    if bad == "readonly":
        g.flags.writeable = False
    w._grad = g
    grads = [None]
    targets, acc = _engine.grad_targets((w,), (True,), grads)
    # The walk accumulates the returned array into .grad as it does for any op.
    assert acc == [0] and grads[0] is targets[0] and w._grad is g
    assert targets[0].shape == (4,) and targets[0].dtype == np.float32


def test_non_leaves_and_hooked_leaves_get_arrays_for_the_walk():
    x = _leaf(3)
    y = x * 2  # not a leaf
    h = _leaf(3)
    h.register_hook(lambda g: g)
    grads = [None, None, None]
    targets, acc = _engine.grad_targets((y, h, _leaf(3)), (True, True, False), grads)
    assert grads[0] is targets[0] and grads[1] is targets[1] and targets[2] is None
    assert y._grad is None and h._grad is None and acc == [0, 0, 0]


def test_a_tensor_passed_twice_is_new_at_its_last_entry_and_added_to_before():
    w = _leaf(2)
    targets, acc = _engine.grad_targets((w, w), (True, True), [None, None])
    assert targets[0] is targets[1] is w._grad
    assert acc == [1, 0]  # the last entry is written first
