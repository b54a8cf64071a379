"""fg.autograd.Function: user-defined ops with their own forward and local derivative."""
import numpy as np
import pytest

import fastgrad as fg


class Cube(fg.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x ** 3

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * 3 * x ** 2


class ScaledAdd(fg.autograd.Function):
    """Takes a non-tensor argument, whose gradient is None."""

    @staticmethod
    def forward(ctx, a, b, alpha):
        ctx.alpha = alpha
        return a + alpha * b

    @staticmethod
    def backward(ctx, grad):
        return grad, ctx.alpha * grad, None


def test_user_function_forward_and_backward():
    x = fg.tensor([1.0, -2.0], requires_grad=True, dtype=np.float64)
    y = Cube.apply(x)
    assert np.allclose(y.data, [1.0, -8.0]) and y.grad_fn.name == "CubeBackward0"
    y.sum().backward()
    assert np.allclose(x.grad, [3.0, 12.0])


def test_user_function_passes_gradcheck():
    x = fg.tensor(np.linspace(-1, 1, 5), requires_grad=True, dtype=np.float64)
    assert fg.gradcheck(lambda t: Cube.apply(t), (x,))
    a = fg.tensor(np.ones(3), requires_grad=True, dtype=np.float64)
    b = fg.tensor(np.arange(3.0), requires_grad=True, dtype=np.float64)
    assert fg.gradcheck(lambda p, q: ScaledAdd.apply(p, q, 2.5), (a, b))


def test_needs_input_grad_and_no_record_without_grad():
    seen = {}

    class Probe(fg.autograd.Function):
        @staticmethod
        def forward(ctx, a, b):
            seen["needs"] = ctx.needs_input_grad
            return a * b

        @staticmethod
        def backward(ctx, grad):
            return grad, grad

    a = fg.tensor([1.0], requires_grad=True)
    out = Probe.apply(a, fg.tensor([2.0]))
    assert seen["needs"] == (True, False) and out.requires_grad
    assert not Probe.apply(fg.tensor([1.0]), fg.tensor([2.0])).requires_grad
    with fg.no_grad():
        assert not Probe.apply(a, a).requires_grad


def test_wrong_gradient_shape_is_reported():
    class Bad(fg.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, grad):
            return grad[:1]

    x = fg.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="BadBackward.*shape"):
        Bad.apply(x).sum().backward()


def test_gradcheck_catches_a_wrong_derivative():
    class WrongSquare(fg.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return grad * x  # should be 2x

    x = fg.tensor([0.5, 1.5], requires_grad=True, dtype=np.float64)
    with pytest.raises(fg.GradcheckError, match=r"input 0 at index \(1,\)"):
        fg.gradcheck(lambda t: WrongSquare.apply(t), (x,))
    assert fg.gradcheck(lambda t: WrongSquare.apply(t), (x,), raise_exception=False) is False


def test_input_whose_op_returns_no_gradient_is_skipped():
    class FirstOnly(fg.autograd.Function):
        @staticmethod
        def forward(ctx, a, b):
            return a + b

        @staticmethod
        def backward(ctx, grad):
            return grad, None  # declares b's gradient as not computed

    a = fg.tensor([1.0], requires_grad=True)
    b = fg.tensor([2.0], requires_grad=True)
    FirstOnly.apply(a, b).sum().backward()
    assert np.allclose(a.grad, [1.0]) and b.grad is None


def test_grad_mode_is_per_thread():
    import threading

    seen = {}

    def other():
        seen["default"] = fg.is_grad_enabled()
        x = fg.tensor([1.0], requires_grad=True)
        seen["records"] = (x * 2).requires_grad

    with fg.no_grad():  # this thread evaluates; another thread's training still records
        t = threading.Thread(target=other)
        t.start()
        t.join()
        assert not fg.is_grad_enabled()
    assert seen == {"default": True, "records": True} and fg.is_grad_enabled()
