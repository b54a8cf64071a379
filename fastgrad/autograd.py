"""Function: an operation that knows its forward and its local derivative.

Every op in fastgrad, built-in or user-defined, is a Function subclass with two static methods
on NumPy arrays:

    forward(ctx, *inputs)  -> output array         (ctx.save_for_backward(...) what backward needs)
    backward(ctx, grad)    -> one gradient per input (None where an input needs none)

`backward` receives dLoss/dOutput and returns dLoss/dInput = dLoss/dOutput * dOutput/dInput:
the chain rule, one link at a time. `MyOp.apply(*tensors)` runs forward and, when grad mode is
on and some input requires grad, records a Context linking the output to its inputs.
"""
from . import _engine
from ._engine import Context
from ._grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled

__all__ = ["Function", "Context", "no_grad", "enable_grad", "set_grad_enabled",
           "is_grad_enabled"]


class Function:
    """Base class of every op; subclass it and call `YourOp.apply(*args)`."""

    @staticmethod
    def forward(ctx, *inputs):
        raise NotImplementedError("a Function subclass must define forward(ctx, *inputs)")

    @staticmethod
    def backward(ctx, grad):
        raise NotImplementedError("a Function subclass must define backward(ctx, grad)")

    # forward on the tensors' arrays, recording a Context (the graph node) linking the output
    # to its inputs when a gradient will be wanted; compiled, as every op of every step runs it
    apply = classmethod(_engine.apply)
