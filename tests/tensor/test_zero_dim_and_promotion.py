"""0-d tensors stay 0-d, default dtypes and type promotion follow PyTorch, integers that do not
fit int64 and unsupported dtypes raise (r09, r10, repro_0d_*, repro_tensor_default_dtype,
repro_tensor_integer_wraparound); small integer powers are multiplications with the same
values and gradients."""
import numpy as np
import pytest

import fastgrad as fg
from fastgrad.nn import functional as F

torch = pytest.importorskip("torch")


@pytest.mark.parametrize("make", [
    lambda lib: lib.tensor(3.0), lambda lib: lib.tensor(np.array(2.0)), lambda lib: lib.tensor(3),
    lambda lib: lib.zeros(()), lambda lib: lib.ones(()), lambda lib: lib.randn(()),
    lambda lib: lib.full((), 0.3), lambda lib: lib.tensor(np.float32(1.5)),
    lambda lib: lib.tensor([1.0, 2.0]).sum(), lambda lib: lib.tensor([[1.0, 2.0]]).mean(),
    lambda lib: lib.tensor([1.0, 5.0]).max(), lambda lib: lib.tensor(2.0) * lib.tensor(3.0),
    lambda lib: lib.tensor(2.0) + 1])
def test_zero_dim_stays_zero_dim_with_torchs_dtype(make):
    ours, theirs = make(fg), make(torch)
    assert ours.shape == tuple(theirs.shape) == ()
    assert str(ours.dtype) == str(theirs.dtype).replace("torch.", "")


@pytest.mark.parametrize("name", ["relu", "tanh", "sigmoid", "gelu", "softplus", "silu", "elu"])
def test_activations_of_a_zero_dim_tensor_stay_zero_dim_with_torchs_gradient(name):
    # repro_activation_of_0d_tensor: a hinge on a scalar penalty
    results = []
    for lib, fn in ((fg, getattr(F, name)), (torch, getattr(torch.nn.functional, name))):
        w = lib.tensor([0.3, -0.2, 0.1], requires_grad=True)
        s = (w * w).sum()
        h = fn(1.0 - s)
        assert tuple(h.shape) == ()
        h.backward()
        results.append((h.item(), w.grad.numpy().copy()))
    assert results[0][0] == pytest.approx(results[1][0], rel=1e-6)
    np.testing.assert_allclose(results[0][1], results[1][1], rtol=1e-5)


def test_backward_with_a_zero_dim_gradient_and_a_scalar_parameter_state_dict():
    x = fg.randn(3, requires_grad=True)
    loss = (x * x).sum()
    loss.backward(fg.tensor(2.0))  # the PyTorch idiom
    np.testing.assert_allclose(x.grad.numpy(), 4 * x.numpy(), rtol=1e-6)

    class P(fg.nn.Module):
        def __init__(self):
            super().__init__()
            self.a = fg.nn.Parameter(fg.randn(()))
    p = P()
    p.load_state_dict({"a": torch.nn.Parameter(torch.tensor(0.25))})  # r09
    assert p.a.shape == () and p.a.item() == 0.25


@pytest.mark.parametrize("data", [[0.5, 1.5], 0.5, [[1, 2]], 3, True, [True, False],
                                  np.array([0.5]), np.array([1.0], np.float32),
                                  np.array([1, 2], np.int32), np.array([3], np.uint8),
                                  np.array([[1]], np.int16), np.int32(7), np.int8(-2),
                                  np.float64(2.0)])
def test_default_dtype_of_tensor_matches_torch(data):
    # repro_tensor_default_dtype: Python floats become float32, NumPy float64 stays float64
    ours, theirs = fg.tensor(data), torch.tensor(data)
    expected = str(theirs.dtype).replace("torch.", "")
    assert str(ours.dtype) == expected
    assert str(fg.Tensor(data).dtype) == expected


CASES = {
    "f32 * python float": (lambda lib, x: x * 2.5),
    "f32 * np.float64": (lambda lib, x: x * np.float64(2.0)),
    "np.float64 * f32": (lambda lib, x: np.float64(2.0) * x),
    "f32 + int tensor": (lambda lib, x: x + lib.tensor([1, 2, 3, 4])),
    "f32 ** int tensor": (lambda lib, x: x.reshape(-1, 1) ** lib.tensor([1, 2, 3])),
    "int tensor * python float": (lambda lib, x: lib.tensor([1, 2]) * 2.5),
    "int tensor / int": (lambda lib, x: lib.tensor([1, 2]) / 2),
    "f32 + f64 0-d tensor": (lambda lib, x: x + lib.tensor(np.array(1.5))),
    "f32 + f64 tensor": (lambda lib, x: x + lib.tensor(np.ones(4))),
    "bool + int": (lambda lib, x: lib.tensor([True, False]) + 1),
    "python int - f32": (lambda lib, x: 1 - x),
    "f64 0-d * f32 0-d": (lambda lib, x: lib.tensor(np.array(2.0)) * lib.tensor(3.0)),
}


@pytest.mark.parametrize("case", list(CASES))
def test_type_promotion_of_binary_ops_matches_torch(case):
    # r10: float32 with a Python or NumPy scalar (or an integer tensor) stays float32
    x32 = np.linspace(-1, 1, 4, dtype=np.float32)
    ours = CASES[case](fg, fg.tensor(x32))
    theirs = CASES[case](torch, torch.tensor(x32))
    assert str(ours.dtype) == str(theirs.dtype).replace("torch.", "")
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6)


def test_promotion_keeps_the_gradient_of_the_cast_operand():
    x = fg.tensor([1.0, 2.0], requires_grad=True)  # float32
    y = x * fg.tensor(np.array([3.0, 4.0]))  # float64 with dimensions: the result is float64
    assert y.dtype == np.float64
    y.sum().backward()
    assert x.grad.dtype == np.float32 and x.grad.tolist() == [3.0, 4.0]


@pytest.mark.parametrize("data", [np.array([2**64 - 1], np.uint64), [2**63], [2**64], 2**70,
                                  np.array([2**63], np.uint64)])
def test_integers_that_do_not_fit_int64_raise_as_in_torch(data):
    # repro_tensor_integer_wraparound
    with pytest.raises(ValueError, match="int64"):
        fg.tensor(data)
    if not isinstance(data, np.ndarray):  # torch keeps uint64 arrays as uint64
        with pytest.raises((RuntimeError, OverflowError, ValueError)):
            torch.tensor(data)
    assert fg.tensor(np.array([2**63 - 1], np.uint64)).tolist() == [2**63 - 1]


@pytest.mark.parametrize("make", [lambda: fg.zeros(2, dtype=np.float16),
                                  lambda: fg.randn(2, dtype="float16"),
                                  lambda: fg.tensor(np.ones(2, np.float16)),
                                  lambda: fg.tensor([1 + 2j]),
                                  lambda: fg.tensor(np.ones(2, np.complex64))])
def test_float16_and_complex_raise_clearly(make):
    with pytest.raises(TypeError, match="float16|complex"):
        make()


@pytest.mark.parametrize("n", [-3, -2, -1, 0, 1, 2, 3, 4, 5, 8, 2.0, 3.0])
def test_integer_powers_match_torch_and_pass_gradcheck(rng, n):
    xv = (rng.uniform(0.5, 2.0, 6) * rng.choice([-1, 1], 6)).astype(np.float32)
    x, t = fg.tensor(xv, requires_grad=True), torch.tensor(xv, requires_grad=True)
    y, u = x ** n, t ** n
    (y * fg.tensor(np.arange(6.0, dtype=np.float32))).sum().backward()
    (u * torch.arange(6.0)).sum().backward()
    assert y.dtype == np.float32
    np.testing.assert_allclose(y.numpy(), u.detach().numpy(), rtol=2e-6)
    np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), rtol=2e-6)
    x64 = fg.tensor(xv.astype(np.float64), requires_grad=True)
    assert fg.gradcheck(lambda a: a ** n, (x64,))


def test_non_integer_and_large_powers_still_use_the_general_path(rng):
    xv = rng.uniform(0.5, 2.0, 5)
    for n in (0.5, 2.5, 9, -11):
        x = fg.tensor(xv, requires_grad=True)
        np.testing.assert_allclose((x ** n).numpy(), xv ** n, rtol=1e-12)
        assert fg.gradcheck(lambda a: a ** n, (x,))


@pytest.mark.parametrize("name", ["exp", "log", "sqrt", "sin", "cos", "log1p"])
@pytest.mark.parametrize("dtype", ["int64", "int32", "bool"])
@pytest.mark.parametrize("default", ["float32", "float64"])
def test_float_functions_of_integers_give_the_default_float_dtype(name, dtype, default):
    data = np.array([0, 1, 3, 7]).astype(dtype)
    before = fg.get_default_dtype()
    fg.set_default_dtype(getattr(fg, default))
    torch.set_default_dtype(getattr(torch, default))
    try:
        t = getattr(torch, name)(torch.tensor(data))
        for f in (getattr(fg, name)(fg.tensor(data, dtype=getattr(fg, dtype))),
                  getattr(fg.tensor(data, dtype=getattr(fg, dtype)), name)()):
            assert f.dtype == t.numpy().dtype
            np.testing.assert_allclose(f.numpy(), t.numpy(), rtol=1e-6)
    finally:
        fg.set_default_dtype(before)
        torch.set_default_dtype(torch.float32)
