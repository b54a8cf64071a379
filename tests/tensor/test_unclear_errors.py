"""Bad arguments that used to surface as KeyError, AttributeError, ZeroDivisionError or a
comparison error deep inside fastgrad (repro_unclear_errors) get a clear exception naming the
argument; PyTorch refuses each of them too."""
import numpy as np
import pytest

import fastgrad as fg
from fastgrad import nn
from fastgrad.nn import functional as F

torch = pytest.importorskip("torch")


def test_dense_with_an_unknown_activation_names_it():
    with pytest.raises(ValueError, match="activation must be one of .* got 'foo'"):
        F.dense(fg.randn(2, 3), fg.randn(4, 3), activation="foo")


def test_linear_with_a_list_weight_says_it_wants_a_tensor():
    with pytest.raises(TypeError):
        torch.nn.functional.linear(torch.randn(2, 3), [[1.0, 2.0, 3.0]])
    with pytest.raises(TypeError, match="weight must be a Tensor, got list"):
        F.linear(fg.randn(2, 3), [[1.0, 2.0, 3.0]])
    with pytest.raises(TypeError, match="bias must be a Tensor, got list"):
        F.linear(fg.randn(2, 3), fg.randn(1, 3), [0.0])


def test_transpose_with_one_dim_is_refused():
    with pytest.raises(TypeError):
        torch.randn(3, 4).transpose(0)
    with pytest.raises(TypeError, match="both dim0 and dim1"):
        fg.randn(3, 4).transpose(0)
    np.testing.assert_array_equal(fg.randn(3, 4).transpose().shape, (4, 3))


def test_soft_target_cross_entropy_with_no_classes():
    with pytest.raises(ValueError, match="no classes"):
        F.cross_entropy(fg.randn(2, 0), np.zeros((2, 0), np.float32))


def test_data_set_to_a_list_is_refused_as_torch_refuses_it():
    with pytest.raises(TypeError):
        torch.nn.Linear(2, 2).weight.data = [[1.0, 2.0], [3.0, 4.0]]
    layer = nn.Linear(2, 2)
    with pytest.raises(TypeError, match="data must be a Tensor, got list"):
        layer.weight.data = [[1.0, 2.0], [3.0, 4.0]]
    layer.weight.data = fg.ones(2, 2)  # a Tensor is taken
    np.testing.assert_array_equal(layer.weight.numpy(), np.ones((2, 2)))
