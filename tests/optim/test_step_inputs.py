"""An optimizer step refuses a gradient that does not fit its parameter, and changes nothing."""
import numpy as np
import pytest

from fastgrad import nn, optim


def test_optimizer_refuses_a_gradient_of_the_wrong_shape():
    layer = nn.Linear(4, 3)
    opt = optim.Adam(layer.parameters())
    with pytest.raises(RuntimeError, match=r"\(7,\).*\(3, 4\)"):  # as PyTorch's setter
        layer.weight.grad = np.ones(7, np.float32)
    layer.weight._grad = np.ones(7, np.float32)  # past the setter: the step still refuses it
    layer.bias.grad = np.ones(3, np.float32)
    before = layer.weight.numpy().copy()
    with pytest.raises(ValueError, match=r"\(7,\).*\(3, 4\)"):
        opt.step()
    np.testing.assert_array_equal(layer.weight.data, before)
