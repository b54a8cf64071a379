"""Tensor.scatter_ and fg.scatter against torch: values, reduce modes, 0-d index on a vector
(the transforms tutorial's one-hot), and the errors PyTorch raises."""
import numpy as np
import pytest

import fastgrad as fg

torch = pytest.importorskip("torch")


@pytest.mark.parametrize("dim", [0, 1, -1])
@pytest.mark.parametrize("reduce", [None, "add", "multiply"])
def test_scatter_matches_torch(dim, reduce):
    r = np.random.default_rng(0)
    base = r.standard_normal((4, 5)).astype(np.float32)
    index = r.integers(0, base.shape[dim], (3, 4))  # smaller than base in the other dim
    src = r.standard_normal((4, 5)).astype(np.float32)
    kwargs = {} if reduce is None else {"reduce": reduce}
    want = torch.from_numpy(base.copy()).scatter_(dim, torch.from_numpy(index),
                                                  torch.from_numpy(src), **kwargs)
    got = fg.tensor(base.copy()).scatter_(dim, fg.tensor(index), fg.tensor(src), **kwargs)
    if reduce is None:
        # positions written once must agree; repeated ones hold one of the candidates
        counts = np.zeros(base.shape, int)
        grid = list(np.indices(index.shape))
        grid[dim % 2] = index
        np.add.at(counts, tuple(grid), 1)
        once = counts <= 1
        np.testing.assert_array_equal(np.asarray(got)[once], want.numpy()[once])
    else:
        np.testing.assert_allclose(np.asarray(got), want.numpy(), rtol=1e-6)


def test_scatter_value_and_zero_dim_index_as_in_the_transforms_tutorial():
    for label in range(10):
        got = fg.zeros(10, dtype=fg.float).scatter_(0, fg.tensor(label), value=1)
        want = torch.zeros(10, dtype=torch.float).scatter_(0, torch.tensor(label), value=1)
        np.testing.assert_array_equal(np.asarray(got), want.numpy())


def test_out_of_place_scatter_leaves_the_input():
    base = fg.zeros(2, 3)
    out = fg.scatter(base, 1, fg.tensor([[2], [0]]), value=5.0)
    want = torch.scatter(torch.zeros(2, 3), 1, torch.tensor([[2], [0]]), value=5.0)
    np.testing.assert_array_equal(np.asarray(out), want.numpy())
    assert not np.asarray(base).any()


def test_scatter_errors_name_the_problem():
    t = fg.zeros(3, 4)
    with pytest.raises(IndexError, match="out of bounds"):
        t.scatter_(0, fg.tensor([[3, 0, 0, 0]]), value=1.0)
    with pytest.raises(RuntimeError):  # torch's kind; fastgrad's errors are IndexError (SPEC)
        torch.zeros(3, 4).scatter_(0, torch.tensor([[3, 0, 0, 0]]), value=1.0)
    with pytest.raises(TypeError, match="integers"):
        t.scatter_(0, fg.tensor([[0.0]]), value=1.0)
    with pytest.raises(ValueError, match="dimensions"):
        t.scatter_(0, fg.tensor([0]), value=1.0)
    with pytest.raises(RuntimeError, match="no_grad"):
        fg.zeros(3, requires_grad=True).scatter_(0, fg.tensor([0]), value=1.0)


def test_scatter_into_a_saved_tensor_is_seen_by_backward_as_in_torch():
    def attempt(lib):
        x = lib.tensor([0.5, 1.0, 2.0], requires_grad=True)
        y = (x * x).sum()
        with lib.no_grad():
            x.scatter_(0, lib.tensor([1]), value=7.0)
        y.backward()
    with pytest.raises(RuntimeError):
        attempt(torch)
    with pytest.raises(RuntimeError, match="in-place"):
        attempt(fg)
