"""AdaptiveLogSoftmaxWithLoss against PyTorch's with the same weights: output, loss and the
gradients of the input and every parameter, an unbatched sample, log_prob (rows summing to
probability 1), predict (also where the head picks a cluster), bad arguments."""
import numpy as np
import pytest

import fastgrad as fg
from fastgrad import nn

torch = pytest.importorskip("torch")


def pair(cutoffs=(4, 10), n_classes=20, **kwargs):
    theirs = torch.nn.AdaptiveLogSoftmaxWithLoss(16, n_classes, list(cutoffs), **kwargs).double()
    ours = nn.AdaptiveLogSoftmaxWithLoss(16, n_classes, list(cutoffs), **kwargs).double()
    assert list(ours.state_dict()) == list(theirs.state_dict())
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    return ours, theirs


@pytest.mark.parametrize("kwargs", [dict(), dict(div_value=2.0, head_bias=True),
                                    dict(cutoffs=(3,), n_classes=6)])
def test_forward_and_gradients_equal_torch(kwargs):
    ours, theirs = pair(**kwargs)
    rng = np.random.default_rng(0)
    n_classes = kwargs.get("n_classes", 20)
    x, y = rng.standard_normal((11, 16)), rng.integers(0, n_classes, 11)
    xo, xt = fg.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    ro, rt = ours(xo, y), theirs(xt, torch.tensor(y))
    np.testing.assert_allclose(ro.output.numpy(), rt.output.detach().numpy(), rtol=1e-12)
    assert ro.loss.item() == pytest.approx(rt.loss.item(), rel=1e-12)
    ro.loss.backward()
    rt.loss.backward()
    np.testing.assert_allclose(np.asarray(xo.grad), xt.grad.numpy(), rtol=1e-10, atol=1e-14)
    for (name, p), q in zip(ours.named_parameters(), theirs.parameters()):
        np.testing.assert_allclose(np.asarray(p.grad), q.grad.numpy(), rtol=1e-10, atol=1e-14,
                                   err_msg=name)


def test_unbatched_sample_equals_torch():
    ours, theirs = pair()
    x = np.random.default_rng(1).standard_normal(16)
    ro, rt = ours(fg.tensor(x), np.array(15)), theirs(torch.tensor(x), torch.tensor(15))
    assert ro.output.shape == () and ro.output.item() == pytest.approx(rt.output.item(),
                                                                       rel=1e-12)


def test_log_prob_and_predict_equal_torch():
    ours, theirs = pair(head_bias=True)
    with torch.no_grad():  # make the head prefer the clusters for some rows
        theirs.head.bias[4:] += 3.0
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    x = np.random.default_rng(2).standard_normal((30, 16))
    full = ours.log_prob(fg.tensor(x)).numpy()
    np.testing.assert_allclose(full, theirs.log_prob(torch.tensor(x)).detach().numpy(),
                               rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(np.exp(full).sum(axis=1), 1.0, rtol=1e-12)
    predicted = ours.predict(fg.tensor(x)).numpy()
    assert (predicted >= 4).any()
    np.testing.assert_array_equal(predicted, theirs.predict(torch.tensor(x)).numpy())


def test_bad_arguments():
    with pytest.raises(ValueError, match="cutoffs"):
        nn.AdaptiveLogSoftmaxWithLoss(8, 20, [10, 4])
    with pytest.raises(ValueError, match="cutoffs"):
        nn.AdaptiveLogSoftmaxWithLoss(8, 20, [4, 20])
    with pytest.raises(ValueError, match="cutoffs"):
        nn.AdaptiveLogSoftmaxWithLoss(8, 20, [])
    ours, _ = pair()
    with pytest.raises(ValueError, match="Target values"):
        ours(fg.tensor(np.zeros((2, 16))), np.array([3, 20]))
    with pytest.raises(RuntimeError, match="batch dimension"):
        ours(fg.tensor(np.zeros((2, 16))), np.array([3, 2, 1]))
