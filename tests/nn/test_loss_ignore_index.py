"""ignore_index of cross_entropy and nll_loss: an integer that fits int64, as PyTorch takes it.

A float was truncated (1.5 ignored class 1) and a value beyond int64 ended in an OverflowError;
both are refused with PyTorch's exception types, and an integer of any NumPy type works.
"""
import numpy as np
import pytest

import fastgrad
from fastgrad.nn import functional as F

torch = pytest.importorskip("torch")

def log_softmax(x):
    return x.log_softmax(-1) if isinstance(x, torch.Tensor) else F.log_softmax(x, dim=-1)


LOSSES = [("cross_entropy", lambda x: x), ("nll_loss", log_softmax)]
BAD = [1.5, 1.0, True, np.float32(1.0), "1", 2 ** 63, -2 ** 63 - 1, 2 ** 64 - 100,
       np.uint64(2 ** 64 - 100)]


def torch_error_type(name, value):
    logits = torch.randn(2, 3).log_softmax(-1)
    try:
        getattr(torch.nn.functional, name)(logits, torch.tensor([1, 2]), ignore_index=value)
    except (TypeError, ValueError) as exc:
        return type(exc)
    return None


@pytest.mark.parametrize("name,prepare", LOSSES, ids=[n for n, _ in LOSSES])
@pytest.mark.parametrize("value", BAD, ids=[repr(v) for v in BAD])
def test_ignore_index_that_is_not_an_int64_is_refused_as_pytorch_does(name, prepare, value):
    logits = prepare(fastgrad.randn(2, 3))
    expected = torch_error_type(name, value)
    assert expected is not None
    with pytest.raises(expected, match="ignore_index"):
        getattr(F, name)(logits, np.array([1, 2]), ignore_index=value)


@pytest.mark.parametrize("name,prepare", LOSSES, ids=[n for n, _ in LOSSES])
@pytest.mark.parametrize("value", [1, -100, np.int64(1), np.int32(2), np.uint8(1)],
                         ids=["1", "-100", "int64", "int32", "uint8"])
def test_integer_ignore_index_of_any_type_matches_pytorch(name, prepare, value):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, 3)).astype(np.float32)
    target = np.array([1, 2, 1, 0])
    ours = getattr(F, name)(prepare(fastgrad.tensor(x)), target, ignore_index=value)
    theirs = getattr(torch.nn.functional, name)(prepare(torch.from_numpy(x)),
                                                torch.from_numpy(target), ignore_index=int(value))
    np.testing.assert_allclose(float(ours.item()), float(theirs), rtol=1e-6)


def test_uint64_label_beyond_int64_is_out_of_range_not_the_default_ignore_index():
    target = np.array([1, 2 ** 64 - 100], dtype=np.uint64)  # -100 once wrapped to int64
    with pytest.raises(IndexError, match="out of range"):
        F.cross_entropy(fastgrad.randn(2, 3), target)
