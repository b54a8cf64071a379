"""Function: an operation that knows its forward and its local derivative.

A user-defined op is a `Function` subclass with two static methods on Tensors, as in PyTorch:

    forward(ctx, *inputs)  -> output Tensor          (ctx.save_for_backward(...) what backward needs)
    backward(ctx, grad)    -> one gradient per input (None where an input needs none)

`backward` receives dLoss/dOutput and returns dLoss/dInput = dLoss/dOutput * dOutput/dInput:
the chain rule, one link at a time. `MyOp.apply(*tensors)` runs forward and, when grad mode is
on and some input requires grad, records a Context linking the output to its inputs.

fastgrad's own ops subclass `ArrayFunction`, the same contract on the NumPy arrays inside the
tensors: no Tensor is made for an input or a gradient, which is what keeps small steps fast.
"""
from . import _engine
from ._engine import Context
from ._grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled

__all__ = ["Function", "ArrayFunction", "Context", "no_grad", "enable_grad",
           "set_grad_enabled", "is_grad_enabled"]


class ArrayFunction:
    """Base class of fastgrad's own ops: forward and backward on NumPy arrays."""

    @staticmethod
    def forward(ctx, *inputs):
        """The op's output from its inputs; save what backward needs on ctx."""
        raise NotImplementedError("a Function subclass must define forward(ctx, *inputs)")

    @staticmethod
    def backward(ctx, grad):
        """The gradient of each input (None where none is needed) from the output's gradient."""
        raise NotImplementedError("a Function subclass must define backward(ctx, grad)")

    # forward on the tensors' arrays, recording a Context (the graph node) linking the output
    # to its inputs when a gradient will be wanted; compiled, as every op of every step runs it
    apply = classmethod(_engine.apply)


class Function(ArrayFunction):
    """A user-defined op (torch.autograd.Function): subclass it with static forward(ctx, ...)
    and backward(ctx, grad) on Tensors and call `YourOp.apply(*args)`. backward must return
    one gradient per argument of forward (None for an argument that is not a Tensor or needs
    none); a wrong number or shape raises."""

    apply = classmethod(_engine.apply_tensors)
