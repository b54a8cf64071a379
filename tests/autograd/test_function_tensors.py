"""autograd.Function on Tensors, as PyTorch's (r07): the tutorial's MyReLU and LegendrePolynomial3
run unchanged and give torch's values and gradients."""
import numpy as np
import pytest

import fastgrad as fg

torch = pytest.importorskip("torch")


def _my_relu(lib):
    class MyReLU(lib.autograd.Function):  # pytorch/tutorials beginner_source/examples_autograd
        @staticmethod
        def forward(ctx, input):
            ctx.save_for_backward(input)
            return input.clamp(min=0)

        @staticmethod
        def backward(ctx, grad_output):
            input, = ctx.saved_tensors
            grad_input = grad_output.clone()
            grad_input[input < 0] = 0
            return grad_input
    return MyReLU


def _legendre3(lib):
    class LegendrePolynomial3(lib.autograd.Function):
        @staticmethod
        def forward(ctx, input):
            ctx.save_for_backward(input)
            return 0.5 * (5 * input ** 3 - 3 * input)

        @staticmethod
        def backward(ctx, grad_output):
            input, = ctx.saved_tensors
            return grad_output * 1.5 * (5 * input ** 2 - 1)
    return LegendrePolynomial3


@pytest.mark.parametrize("make", [_my_relu, _legendre3])
def test_tutorial_functions_match_torch(rng, make):
    xv = rng.standard_normal(7).astype(np.float32)
    results = []
    for lib in (fg, torch):
        x = lib.tensor(xv, requires_grad=True)
        y = make(lib).apply(x)
        (y * lib.tensor(np.arange(7.0, dtype=np.float32))).sum().backward()
        results.append((y.detach().numpy(), x.grad.numpy()))
    np.testing.assert_allclose(results[0][0], results[1][0], rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(results[0][1], results[1][1], rtol=1e-6, atol=1e-7)


def test_forward_and_backward_see_tensors_and_forward_records_nothing():
    seen = {}

    class Probe(fg.autograd.Function):
        @staticmethod
        def forward(ctx, x, scale):
            seen["forward"] = (type(x), fg.is_grad_enabled(), scale)
            y = x * scale
            seen["inner"] = y.grad_fn
            return y

        @staticmethod
        def backward(ctx, g):
            seen["backward"] = type(g)
            return g * 2, None

    x = fg.ones(2, requires_grad=True)
    y = Probe.apply(x, 2)
    y.sum().backward()
    assert seen["forward"] == (fg.Tensor, False, 2) and seen["inner"] is None
    assert seen["backward"] is fg.Tensor and y.grad_fn.name == "ProbeBackward0"
    assert x.grad.tolist() == [2.0, 2.0]


def test_a_gradient_for_a_non_tensor_argument_is_refused():
    class Scale(fg.autograd.Function):
        @staticmethod
        def forward(ctx, x, k):
            return x * k

        @staticmethod
        def backward(ctx, g):
            return g, g  # k is a number: its gradient must be None

    x = fg.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="position 2"):
        Scale.apply(x, 3.0).sum().backward()


def test_changing_a_saved_input_before_backward_raises_as_torch():
    for lib in (fg, torch):
        x = lib.ones(3, requires_grad=True)
        y = _legendre3(lib).apply(x)
        with lib.no_grad():
            x.mul_(2)
        with pytest.raises(RuntimeError, match="modified by an in-?place operation"):
            y.sum().backward()


def test_gradcheck_of_a_tensor_function_in_float64(rng):
    x = fg.tensor(rng.standard_normal(5), requires_grad=True)
    assert fg.gradcheck(lambda t: _legendre3(fg).apply(t), (x,))
