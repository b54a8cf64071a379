"""Tensor.size(), f-string formatting and indexing with a tensor, as PyTorch 2.13 (r06, r08)."""
import numpy as np
import pytest

import fastgrad as fg
from conftest import torch_or_skip

torch = torch_or_skip()


def test_r06_size_is_a_method_returning_torch_size_values():
    """/work/shared/repro/parity/r06_size_is_int.py"""
    f, t = fg.ones(3, 28, 28), torch.ones(3, 28, 28)
    assert f.size() == t.size() and isinstance(f.size(), tuple)
    for d in (0, 1, 2, -1, -3):
        assert f.size(d) == t.size(d)
    assert f.size(dim=1) == t.size(dim=1)
    assert f.size().numel() == t.size().numel() == f.numel()
    assert f.size()[1:] == t.size()[1:] and type(f.size()[1:]) is fg.Size
    assert repr(f.size()) == repr(t.size()).replace("torch", "fastgrad")
    n, *rest = f.size()  # unpacking, as training loops do
    assert (n, rest) == (3, [28, 28])


@pytest.mark.parametrize("dim", [3, -4])
def test_size_of_a_missing_dimension_names_dim(dim):
    with pytest.raises(IndexError, match="dim"):
        fg.ones(3, 28, 28).size(dim)
    with pytest.raises(IndexError):
        torch.ones(3, 28, 28).size(dim)


def test_r08_format_spec_and_list_index_as_torch():
    """/work/shared/repro/parity/r08_format_and_index.py"""
    classes = ["a", "b", "c"]
    scores = [0.1, 0.9, 0.0]
    for spec in [".5f", ".2e", "8.3f", ""]:
        assert format(fg.ones(3).sum(), spec) == format(torch.ones(3).sum(), spec)
    assert f"{fg.tensor(2.5).sum():>10.2f}" == f"{torch.tensor(2.5):>10.2f}"
    assert classes[fg.tensor(scores).argmax(0)] == classes[torch.tensor(scores).argmax(0)] == "b"
    assert classes[fg.tensor(scores).argmax()] == "b"
    assert list(range(10))[fg.tensor([4])] == list(range(10))[torch.tensor([4])]


def test_format_spec_on_a_vector_and_index_with_a_float_fail_as_in_torch():
    for lib in (fg, torch):
        with pytest.raises((TypeError, ValueError)):  # torch: TypeError; fastgrad: str's error
            f"{lib.ones(3):.2f}"
        with pytest.raises(TypeError):
            ["a", "b"][lib.tensor(1.0)]
        with pytest.raises(TypeError):
            ["a", "b"][lib.tensor([0, 1])]
    assert f"{fg.ones(2)}" == str(fg.ones(2))


def test_numel_dim_tolist_item_detach_match_torch():
    a = np.arange(6, dtype=np.float32).reshape(2, 3)
    f, t = fg.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    assert f.numel() == t.numel() and f.dim() == t.dim()
    assert f.tolist() == t.tolist()
    assert f[1, 2].item() == t[1, 2].item()
    d = (f * 2).detach()
    assert d.requires_grad is False and d.grad_fn is None
    np.testing.assert_array_equal(d.numpy(), (t * 2).detach().numpy())
