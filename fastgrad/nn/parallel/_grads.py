"""Reading and writing a parameter's gradient as a NumPy array, whichever .grad holds.

.grad may be a NumPy array or a Tensor around one; DistributedDataParallel only needs the
array underneath, to copy it into a flat buffer and the averaged values back.
"""
import numpy as np

from ...tensor import Tensor


def grad_array(p):
    """The array behind p.grad, or None."""
    g = p.grad
    if g is None or isinstance(g, np.ndarray):
        return g
    return g.numpy()


def set_grad(p, array):
    """Gives p (whose .grad is None) the gradient `array`, in the form .grad takes."""
    if _grads_are_tensors():
        p.grad = Tensor(array)
    else:
        p.grad = array


def _grads_are_tensors():
    """Asks the engine once what a leaf's accumulated gradient looks like."""
    global _ANSWER
    if _ANSWER is None:
        probe = Tensor(np.zeros(1), requires_grad=True)
        probe.sum().backward()
        _ANSWER = not isinstance(probe.grad, np.ndarray)
    return _ANSWER


_ANSWER = None
