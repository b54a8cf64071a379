"""linear_cross_entropy / LinearCrossEntropyLoss against PyTorch: loss and the gradients of the
input, the linear weight and bias, with class weights, ignore_index and label smoothing."""
import numpy as np
import pytest

import fastgrad as fg
import fastgrad.nn as nn
import fastgrad.nn.functional as F

torch = pytest.importorskip("torch")

SETTINGS = [dict(), dict(reduction="sum", label_smoothing=0.1),
            dict(ignore_index=2, reduction="mean"), dict(reduction="none")]


@pytest.mark.parametrize("with_bias", [False, True])
@pytest.mark.parametrize("kwargs", SETTINGS, ids=[str(k) for k in SETTINGS])
def test_module_equals_torch(kwargs, with_bias):
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((7, 5)), rng.integers(0, 4, 7)
    w = np.linspace(0.5, 2, 4)
    theirs = torch.nn.LinearCrossEntropyLoss(5, 4, bias=with_bias, dtype=torch.float64,
                                             weight=torch.tensor(w), **kwargs)
    ours = nn.LinearCrossEntropyLoss(5, 4, bias=with_bias, dtype=np.float64,
                                     weight=fg.tensor(w), **kwargs)
    ours.linear.weight.numpy()[...] = theirs.linear.weight.detach().numpy()
    if with_bias:
        ours.linear.bias.numpy()[...] = theirs.linear.bias.detach().numpy()
    xf, xt = fg.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    lf, lt = ours(xf, y), theirs(xt, torch.tensor(y))
    scale = np.linspace(1, 2, int(np.prod(tuple(lt.shape))) or 1).reshape(tuple(lt.shape))
    (lf * fg.tensor(scale)).sum().backward()
    (lt * torch.tensor(scale)).sum().backward()
    np.testing.assert_allclose(lf.numpy(), lt.detach().numpy(), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(np.asarray(xf.grad), xt.grad.numpy(), rtol=1e-11, atol=1e-13)
    np.testing.assert_allclose(np.asarray(ours.linear.weight.grad),
                               theirs.linear.weight.grad.numpy(), rtol=1e-11, atol=1e-13)
    if with_bias:
        np.testing.assert_allclose(np.asarray(ours.linear.bias.grad),
                                   theirs.linear.bias.grad.numpy(), rtol=1e-11, atol=1e-13)


def test_functional_is_linear_then_cross_entropy():
    rng = np.random.default_rng(1)
    x, wt, y = rng.standard_normal((6, 3)), rng.standard_normal((5, 3)), rng.integers(0, 5, 6)
    expected = numpy_cross_entropy(x @ wt.T, y)
    assert F.linear_cross_entropy(fg.tensor(x), fg.tensor(wt), y).item() == \
        pytest.approx(expected, rel=1e-13)


def numpy_cross_entropy(logits, y):
    """NumPy: mean of -log softmax(logits)[y]."""
    z = logits - logits.max(1, keepdims=True)
    return float(np.mean(np.log(np.exp(z).sum(1)) - z[np.arange(len(y)), y]))


def test_unsupported_and_bad_arguments():
    with pytest.raises(NotImplementedError, match="out_features"):
        nn.LinearCrossEntropyLoss(5, 4, out_features=(3,))
    with pytest.raises(ValueError, match="weight"):
        nn.LinearCrossEntropyLoss(5, 4, weight=fg.tensor(np.ones(3)))
    with pytest.raises(ValueError, match="label_smoothing"):
        nn.LinearCrossEntropyLoss(5, 4, label_smoothing=2.0)
    with pytest.raises(NotImplementedError, match="linear_weight"):
        F.linear_cross_entropy(fg.tensor(np.ones((2, 3))), fg.tensor(np.ones((4, 2, 3))),
                               np.array([0, 1]))
