"""Every public name of the PyTorch-parity modules says what it is (a docstring)."""
import inspect

import pytest

import fastgrad as fg
from fastgrad import (accelerator, cuda, device, dtypes, factory, ops_math, ops_reduce, ops_shape,
                      size)
from fastgrad.backends import cudnn, mps

MODULES = [accelerator, cuda, device, dtypes, factory, ops_math, ops_reduce, ops_shape, size,
           cudnn, mps]


@pytest.mark.parametrize("module", MODULES, ids=[m.__name__ for m in MODULES])
def test_public_names_have_docstrings(module):
    assert module.__doc__
    missing = [name for name, obj in vars(module).items()
               if not name.startswith("_") and (inspect.isfunction(obj) or inspect.isclass(obj))
               and obj.__module__ == module.__name__ and not inspect.getdoc(obj)]
    assert missing == []


def test_tensor_methods_of_this_part_have_docstrings():
    names = ["size", "cpu", "cuda", "to", "type", "float", "double", "long", "int", "bool", "pow",
             "sin", "cos", "log1p", "round", "clamp", "clip", "where", "masked_fill", "eq", "mm",
             "unsqueeze", "squeeze", "view_as", "expand", "repeat", "t", "clone", "contiguous",
             "prod", "norm", "var", "std", "max", "min", "argmax", "argmin"]
    assert [n for n in names if not inspect.getdoc(getattr(fg.Tensor, n))] == []
