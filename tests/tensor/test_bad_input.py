"""Bad arguments to the PyTorch-named ops raise a clear exception naming the argument, where
PyTorch 2.13 also refuses them (checked alongside)."""
import numpy as np
import pytest

import fastgrad as fg
from conftest import torch_or_skip

torch = torch_or_skip()

# (expression run with L = fastgrad and L = torch, fastgrad's exception, words in its message)
CASES = [
    ("x.unsqueeze(3)", IndexError, "unsqueeze: dim=3"),
    ("x.unsqueeze(-4)", IndexError, "unsqueeze: dim"),
    ("x.squeeze(2)", IndexError, "squeeze: dim=2"),
    ("x.sum(dim=2)", IndexError, "dimension 2"),
    ("L.sum(x, dim=-3)", IndexError, "sum: dim=-3"),
    ("L.mean(x, (0, 0))", ValueError, "repeated"),
    ("x.max(2)", IndexError, "max: dim=2"),
    ("x.min(dim=-3)", IndexError, "min: dim"),
    ("x.argmax(5)", IndexError, "argmax: dim=5"),
    ("x.argmin(-3)", IndexError, "argmin: dim"),
    ("x.prod(2)", IndexError, "prod: dim=2"),
    ("x.norm(dim=4)", IndexError, "norm: dim"),
    ("x.std(3)", IndexError, "var: dim"),
    ("x.var(dim=(0, 2))", IndexError, "var: dim"),
    ("x.unsqueeze(1.5)", TypeError, "must be an int"),
    ("L.cat([x, x], dim=2)", IndexError, "cat: dim=2"),
    ("L.cat([x, L.ones(2, 4)], dim=0)", ValueError, r"tensor 1 has shape \(2, 4\)"),
    ("L.cat(x)", TypeError, "cat: tensors"),
    ("L.cat([])", ValueError, "non-empty"),
    ("L.stack([x, L.ones(3, 2)])", ValueError, r"stack: tensor 1 has shape \(3, 2\)"),
    ("L.stack([x, x], dim=3)", IndexError, "stack: dim=3"),
    ("x.expand(3, 4)", ValueError, "expand"),
    ("x.expand(3)", ValueError, "expand: the number of sizes"),
    ("x.repeat(2)", ValueError, "repeat: the number of repeats"),
    ("x.view(5, -1)", ValueError, "reshape"),
    ("x.mm(L.ones(3))", ValueError, r"mm: both operands must be 2-d"),
    ("L.ones(2, 2, 2).t()", ValueError, "t: expects"),
    ("L.matmul(x, L.ones(4, 2))", ValueError, "matmul"),
    ("x.clamp()", ValueError, "clamp: at least one"),
    ("x.masked_fill(L.ones(2, 3), 0.0)", TypeError, "mask must be a bool"),
    ("x.masked_fill(L.ones(4, 3) > 0, 0.0)", ValueError, "masked_fill: mask of shape"),
    ("L.where(L.ones(2, 3), x, x)", TypeError, "condition must be a bool"),
    ("L.where(L.ones(5, 3) > 0, x, x)", ValueError, "where: shapes"),
    ("x.norm(p='fro ')", ValueError, "norm: p"),
    ("L.mean(L.ones(2, dtype=L.long))", TypeError, "mean: input must be a float"),
    ("x.to('cuda')", RuntimeError, "fastgrad runs on the CPU"),
    ("x.to(L.float32, L.float64, L.float32)", TypeError, "Tensor.to"),
    ("L.round(x, decimals=1.5)", TypeError, "decimals"),
]


@pytest.mark.parametrize("expr, exc, words", CASES, ids=[c[0] for c in CASES])
def test_bad_argument_raises_naming_it_where_torch_refuses_too(expr, exc, words):
    with pytest.raises(exc, match=words):
        eval(expr, {"L": fg, "x": fg.ones(2, 3)})
    if "cuda" in expr:
        return  # torch would look for a CUDA build; fastgrad's refusal is the point
    with pytest.raises(Exception):
        eval(expr, {"L": torch, "x": torch.ones(2, 3)})


def test_zero_dim_tensor_takes_dim_zero_or_minus_one_as_torch():
    for lib in (fg, torch):
        x = lib.ones(3).sum()  # 0-d
        assert x.unsqueeze(0).shape == (1,) and x.unsqueeze(-1).shape == (1,)
        with pytest.raises(IndexError):
            x.unsqueeze(2)


def test_nuclear_norm_is_refused_by_name():
    with pytest.raises(ValueError, match="norm: p"):
        fg.ones(2, 3).norm(p="nuc")
