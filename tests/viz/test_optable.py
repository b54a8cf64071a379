"""The formula table covers every op fastgrad defines, so no node is drawn without its
local derivative."""
import importlib
import inspect
import pkgutil

import fastgrad
from fastgrad import _kernels, autograd
from fastgrad.viz.optable import OPS, local_formula, rule

# The base class of fastgrad's own ops (a user's Function may derive from it too).
BASE = getattr(autograd, "ArrayFunction", autograd.Function)
# Read as layers (DenseStack, activations by their kernel name) or a base class of others.
EXPANDED = {"DenseStackFunction", "ActivationFunction", "ElementwiseLossFunction", "StepFunction"}
OPTIONAL = ("fastgrad.sklearn", "fastgrad.distributed", "fastgrad.nn.parallel")


def fastgrad_ops():
    """Every op class defined in fastgrad's modules (those of optional extras left out)."""
    ops = {}
    for info in pkgutil.walk_packages(fastgrad.__path__, "fastgrad."):
        if info.name.startswith(OPTIONAL) or info.name.endswith("__main__"):
            continue
        module = importlib.import_module(info.name)
        for name, obj in vars(module).items():
            if (inspect.isclass(obj) and issubclass(obj, BASE)
                    and obj.__module__ == module.__name__
                    and obj not in (BASE, autograd.Function)):
                ops[name] = module.__name__
    return ops


def test_every_function_and_activation_has_formulas():
    ops = fastgrad_ops()
    assert {"Add", "MatMul", "CrossEntropyFunction", "LayerNormFunction"} <= set(ops)
    missing = sorted(f"{name} ({ops[name]})" for name in set(ops) - EXPANDED - set(OPS))
    missing += sorted(set(_kernels.ACTIVATIONS) - set(OPS))
    assert not missing, f"add these ops' formulas to fastgrad/viz/optable.py: {missing}"


def test_formulas_by_position():
    assert local_formula("Mul", 0) == "b" and local_formula("Mul", 1) == "a"
    assert rule("Div", 1) == "d(a / b)/db = −a/b²"
    # cat(dim, *inputs): every input, however many, gets the same rule
    assert rule("Cat", 5) == rule("Cat", 1) == "d(the inputs joined along dim)/dinput = " \
        "1 on its own slice, else 0"
    assert local_formula("Mul", 2) is None and local_formula("NoSuchOp", 0) is None
