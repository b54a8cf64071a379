"""The formula table covers every op fastgrad defines, so no node is drawn without its
local derivative."""
import inspect

import fastgrad.functions.activation
import fastgrad.functions.loss
import fastgrad.functions.normalization
import fastgrad.ops
from fastgrad import _kernels
from fastgrad import autograd
from fastgrad.viz.optable import OPS, local_formula

# The base class of fastgrad's own ops (a user's Function may derive from it too).
BASE = getattr(autograd, "ArrayFunction", autograd.Function)
EXPANDED = {"DenseStackFunction", "ActivationFunction", "ElementwiseLossFunction"}


def test_every_function_and_activation_has_formulas():
    modules = (fastgrad.ops, fastgrad.functions.activation, fastgrad.functions.loss,
               fastgrad.functions.normalization)
    ops = {name for m in modules for name, obj in vars(m).items()
           if inspect.isclass(obj) and issubclass(obj, BASE)
           and obj not in (BASE, autograd.Function)}
    assert {"Add", "MatMul", "CrossEntropyFunction", "LayerNormFunction"} <= ops
    missing = sorted(ops - EXPANDED - set(OPS)) + sorted(set(_kernels.ACTIVATIONS) - set(OPS))
    assert not missing, f"add these ops' formulas to fastgrad/viz/optable.py: {missing}"
    assert local_formula("Mul", 0) == "b" and local_formula("Mul", 1) == "a"
