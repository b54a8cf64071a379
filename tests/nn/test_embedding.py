"""nn.Embedding and F.embedding against PyTorch (same weights copied in): values, weight
gradients with repeated indices, padding_idx, scale_grad_by_freq, max_norm, from_pretrained,
state-dict keys, gradcheck, bad arguments."""
import numpy as np
import pytest

import fastgrad as fg
import fastgrad.nn as nn
import fastgrad.nn.functional as F
from conftest import torch_or_skip

INDICES = np.array([[0, 2, 2, 5], [1, 0, 5, 5], [3, 3, 3, 4]])


def _pair(torch, rng, dtype=np.float64, **kwargs):
    ours = nn.Embedding(6, 3, dtype=dtype, **kwargs)
    theirs = torch.nn.Embedding(6, 3, dtype=getattr(torch, np.dtype(dtype).name), **kwargs)
    w = rng.standard_normal((6, 3)).astype(dtype)
    ours.load_state_dict({"weight": w})
    theirs.load_state_dict({"weight": torch.tensor(w)})
    return ours, theirs


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("kwargs", [{}, {"padding_idx": 5}, {"padding_idx": -1},
                                    {"scale_grad_by_freq": True},
                                    {"padding_idx": 0, "scale_grad_by_freq": True}])
def test_matches_torch(dtype, kwargs, rng):
    torch = torch_or_skip()
    ours, theirs = _pair(torch, rng, dtype, **kwargs)
    assert list(ours.state_dict()) == list(theirs.state_dict()) == ["weight"]
    assert ours.padding_idx == theirs.padding_idx
    g = rng.standard_normal(INDICES.shape + (3,)).astype(dtype)
    y = ours(fg.tensor(INDICES))
    yt = theirs(torch.tensor(INDICES))
    y.backward(g)
    yt.backward(torch.tensor(g))
    assert y.shape == (3, 4, 3) and y.dtype == dtype
    np.testing.assert_array_equal(y.data, yt.detach().numpy())
    tol = 1e-6 if dtype == np.float32 else 1e-14
    np.testing.assert_allclose(ours.weight.grad, theirs.weight.grad.numpy(), rtol=tol, atol=tol)


def test_padding_row_starts_at_zero_and_gets_no_gradient(rng):
    fg.manual_seed(0)
    e = nn.Embedding(10, 4, padding_idx=2)
    np.testing.assert_array_equal(e.weight.data[2], 0)
    rows = np.delete(e.weight.data, 2, axis=0)
    assert rows.std() > 0.5  # N(0, 1) elsewhere
    e(fg.tensor([2, 2, 1])).sum().backward()
    np.testing.assert_array_equal(e.weight.grad[2], 0)
    np.testing.assert_array_equal(e.weight.grad[1], 1)  # d sum / d row read once: ones


def test_gradcheck_with_repeated_indices(rng):
    w = fg.Tensor(rng.standard_normal((5, 2)), requires_grad=True)
    idx = fg.tensor([[1, 1], [4, 0]])
    assert fg.gradcheck(lambda t: (F.embedding(idx, t) ** 2).sum(), (w,))
    # (padding_idx withholds a true derivative on purpose: checked against torch above)


def test_max_norm_renormalises_rows_read_like_torch(rng):
    torch = torch_or_skip()
    ours, theirs = _pair(torch, rng, max_norm=0.8)
    idx = np.array([0, 2, 2])
    y = ours(fg.tensor(idx))
    yt = theirs(torch.tensor(idx))
    np.testing.assert_allclose(y.data, yt.detach().numpy(), rtol=1e-12)
    # only the rows read are changed, in place, as PyTorch does
    np.testing.assert_allclose(ours.weight.data, theirs.weight.detach().numpy(), rtol=1e-12)
    assert np.linalg.norm(ours.weight.data[[0, 2]], axis=1).max() <= 0.8 + 1e-9


@pytest.mark.parametrize("freeze", [True, False])
def test_from_pretrained(freeze):
    torch = torch_or_skip()
    w = np.arange(12.0).reshape(4, 3)
    e = nn.Embedding.from_pretrained(fg.tensor(w), freeze=freeze, padding_idx=1)
    et = torch.nn.Embedding.from_pretrained(torch.tensor(w), freeze=freeze, padding_idx=1)
    assert e.weight.requires_grad == et.weight.requires_grad == (not freeze)
    np.testing.assert_array_equal(e.weight.data, et.weight.detach().numpy())  # row 1 kept
    assert e.weight.dtype == np.float64
    w[0, 0] = 99.0  # a copy, as PyTorch's
    assert e.weight.data[0, 0] == 0.0
    np.testing.assert_array_equal(e(fg.tensor([3, 1])).data, w[[3, 1]])


def _bag(mod):
    class Bag(mod.Module):
        def __init__(self):
            super().__init__()
            self.emb = mod.Embedding(7, 4)
            self.out = mod.Linear(4, 2)

        def forward(self, idx):
            return self.out(self.emb(idx).mean(1))
    return Bag()


def test_in_a_model_matches_torch_and_keeps_keys():
    torch = torch_or_skip()
    ours, theirs = _bag(nn), _bag(torch.nn)
    ours.load_state_dict(theirs.state_dict())
    assert list(ours.state_dict()) == list(theirs.state_dict())
    idx = np.array([[1, 2, 3], [6, 6, 0]])
    np.testing.assert_allclose(ours(fg.tensor(idx)).data,
                               theirs(torch.tensor(idx)).detach().numpy(), rtol=1e-5, atol=1e-6)


def test_bad_arguments_name_the_argument(rng):
    e = nn.Embedding(4, 2)
    with pytest.raises(IndexError, match="index 4 .*num_embeddings=4"):
        e(fg.tensor([0, 4]))
    with pytest.raises(IndexError, match="out of range"):
        e(fg.tensor([-1]))
    with pytest.raises(TypeError, match="integer indices"):
        e(fg.tensor([0.0, 1.0]))
    with pytest.raises(ValueError, match="padding_idx"):
        nn.Embedding(4, 2, padding_idx=4)
    with pytest.raises(ValueError, match="padding_idx"):
        F.embedding(fg.tensor([0]), e.weight, padding_idx=-5)
    with pytest.raises(ValueError, match="num_embeddings"):
        nn.Embedding(-1, 2)
    with pytest.raises(NotImplementedError, match="sparse"):
        nn.Embedding(4, 2, sparse=True)
    with pytest.raises(ValueError, match="embeddings must be 2-d"):
        nn.Embedding.from_pretrained(fg.zeros(3))
    with pytest.raises(ValueError, match="weight must be a 2-d"):
        F.embedding(fg.tensor([0]), fg.zeros(3))
