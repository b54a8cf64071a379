"""Reading and writing a parameter's gradient as the NumPy array the engine accumulates into.

DistributedDataParallel copies each gradient into a flat buffer and the averaged values back;
it works on the arrays behind `.grad` and `.data`, as the optimizers do.
"""
import numpy as np

from ...tensor import Tensor


def grad_array(p):
    """The array behind p.grad, or None."""
    return p._grad


def set_grad(p, array):
    """Gives p (whose .grad is None) the gradient `array`."""
    p._grad = array


def array_of(x):
    """The array behind a parameter or a buffer (a Tensor or a NumPy array)."""
    return x._data if isinstance(x, Tensor) else np.asarray(x)
