"""Activations of a 0-d tensor stay 0-d and differentiate, forward and backward, as PyTorch's
(repro_activation_of_0d_tensor: a hinge on a scalar penalty)."""
import numpy as np
import pytest

import fastgrad as fg
from fastgrad.nn import functional as F

torch = pytest.importorskip("torch")

CASES = ["relu", "tanh", "sigmoid", "gelu", "elu", "silu", "softplus", "leaky_relu"]


@pytest.mark.parametrize("name", CASES)
@pytest.mark.parametrize("value", [-0.7, 0.3])
def test_activation_of_a_0d_tensor_matches_torch(name, value):
    x = fg.tensor(value, dtype=fg.float64, requires_grad=True)
    y = getattr(F, name)(x)
    y.backward()
    tx = torch.tensor(value, dtype=torch.float64, requires_grad=True)
    ty = getattr(torch.nn.functional, name)(tx)
    ty.backward()
    assert y.shape == () and x.grad.shape == ()
    np.testing.assert_allclose(y.item(), ty.item(), rtol=1e-12)
    np.testing.assert_allclose(x.grad.item(), tx.grad.item(), rtol=1e-12)


def test_hinge_on_a_scalar_penalty():
    w0 = np.array([0.3, -0.2, 0.4])
    w = fg.tensor(w0, requires_grad=True)
    F.relu(1.0 - (w * w).sum()).backward()
    tw = torch.tensor(w0, requires_grad=True)
    torch.relu(1.0 - (tw * tw).sum()).backward()
    np.testing.assert_allclose(w.grad.numpy(), tw.grad.numpy(), rtol=1e-12)
