"""Function: an operation that knows its forward and its local derivative.

Every op in fastgrad, built-in or user-defined, is a Function subclass with two static methods
on NumPy arrays:

    forward(ctx, *inputs)  -> output array         (ctx.save_for_backward(...) what backward needs)
    backward(ctx, grad)    -> one gradient per input (None where an input needs none)

`backward` receives dLoss/dOutput and returns dLoss/dInput = dLoss/dOutput * dOutput/dInput:
the chain rule, one link at a time. `MyOp.apply(*tensors)` runs forward and, when grad mode is
on and some input requires grad, records a Context linking the output to its inputs.
"""
import numpy as np

from ._grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from .tensor import Tensor

__all__ = ["Function", "Context", "no_grad", "enable_grad", "set_grad_enabled",
           "is_grad_enabled"]


class Context:
    """One node of the graph: the op, its inputs, and what it saved for its derivative."""

    __slots__ = ("fn", "parents", "needs_input_grad", "saved_tensors", "_released", "__dict__")

    def __init__(self, fn, parents, needs_input_grad):
        self.fn = fn
        self.parents = parents
        self.needs_input_grad = needs_input_grad
        self.saved_tensors = ()
        self._released = False

    @property
    def name(self):
        return self.fn.__name__ + "Backward"

    def save_for_backward(self, *arrays):
        self.saved_tensors = arrays

    def backward(self, grad):
        if self._released:
            raise RuntimeError(f"{self.name}: trying to backward through the graph a second "
                               "time; pass retain_graph=True to the first backward()")
        grads = self.fn.backward(self, grad)
        # One gradient per input; a user's backward may return Tensors (unwrapped by the walk).
        return grads if isinstance(grads, tuple) else (grads,)

    def release(self):
        """Frees what forward saved once backward has used it (PyTorch's retain_graph=False)."""
        self.saved_tensors = ()
        self._released = True


class Function:
    """Base class of every op; subclass it and call `YourOp.apply(*args)`."""

    @staticmethod
    def forward(ctx, *inputs):
        raise NotImplementedError("a Function subclass must define forward(ctx, *inputs)")

    @staticmethod
    def backward(ctx, grad):
        raise NotImplementedError("a Function subclass must define backward(ctx, grad)")

    @classmethod
    def apply(cls, *args):
        # This runs for every op of every step: three list passes beat one loop of appends.
        parents = tuple([a if isinstance(a, Tensor) else None for a in args])
        needs = tuple([a is not None and a.requires_grad for a in parents])
        ctx = Context(cls, parents, needs)
        out = cls.forward(ctx, *[a if p is None else p.data for a, p in zip(args, parents)])
        if not isinstance(out, np.ndarray):
            out = np.asarray(out)
        if True in needs and out.dtype.kind == "f" and is_grad_enabled():
            return Tensor._from_op(out, ctx)
        return Tensor._from_op(out, None)
