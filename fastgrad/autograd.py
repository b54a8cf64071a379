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
import numpy as np

from . import _engine
from ._engine import Context
from ._grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from .gradcheck import gradcheck
from ._engine import seed_gradient, walk_from
from .tensor import Tensor

__all__ = ["Function", "ArrayFunction", "Context", "no_grad", "enable_grad",
           "set_grad_enabled", "is_grad_enabled", "grad", "backward", "gradcheck"]


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


# ---- the walk as a function: several outputs at once, gradients returned ---------------------

def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         only_inputs=True, allow_unused=None, is_grads_batched=False, materialize_grads=False):
    """The gradients of outputs with respect to inputs, returned as a tuple of new Tensors
    instead of accumulated into .grad (torch.autograd.grad).

    outputs and inputs are Tensors or sequences of them; grad_outputs gives d(loss)/d(output)
    for each output (None for one that holds a single element). No leaf's .grad changes;
    hooks on the tensors the walk passes run, and retain_grad() tensors get their .grad, as
    in PyTorch. An input the outputs do not depend on raises unless allow_unused is true
    (then its gradient is None, or zeros with materialize_grads).
    """
    if create_graph:
        _refuse_create_graph()
    if is_grads_batched:
        raise NotImplementedError("grad(is_grads_batched=True) is not supported: call grad "
                                  "once per row of grad_outputs")
    outputs = _tensors(outputs, "outputs")
    inputs = _tensors(inputs, "inputs")
    if not inputs:
        raise RuntimeError("grad requires at least one input")
    if allow_unused is None:
        allow_unused = materialize_grads
    elif materialize_grads and not allow_unused:
        raise ValueError("grad: materialize_grads=True needs allow_unused to be True or None")
    for i, t in enumerate(inputs):
        if not t.requires_grad:
            raise RuntimeError(f"grad: inputs[{i}] does not require grad, so it has no "
                               "gradient")
    root, gradient = _root(outputs, grad_outputs, "grad", "grad_outputs")
    captured = _engine.run_backward(root, gradient, bool(retain_graph), inputs)
    result = []
    for i, t in enumerate(inputs):
        g = captured.get(id(t))
        if g is None and not allow_unused:
            raise RuntimeError(f"grad: inputs[{i}] was not used to compute the outputs; pass "
                               "allow_unused=True to get None for it")
        if g is None:
            result.append(Tensor(np.zeros_like(t._data)) if materialize_grads else None)
        else:  # a copy: the walk may hand the same array to several inputs
            result.append(Tensor(np.array(g, dtype=t._data.dtype, copy=True)))
    return tuple(result)


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None):
    """Accumulates the gradients of tensors (one backward() from all of them at once) into
    the leaves' .grad (torch.autograd.backward). grad_tensors gives d(loss)/d(tensor) for each
    (None for one that holds a single element). With inputs, only their .grad changes, even
    where one is not a leaf."""
    if create_graph:
        _refuse_create_graph()
    tensors = _tensors(tensors, "tensors")
    root, gradient = _root(tensors, grad_tensors, "backward", "grad_tensors")
    if inputs is None:
        walk_from(root, gradient, bool(retain_graph))
        return
    inputs = _tensors(inputs, "inputs")
    if not inputs:
        raise RuntimeError("backward: the inputs argument cannot be empty")
    captured = _engine.run_backward(root, gradient, bool(retain_graph), inputs)
    for t in inputs:
        g = captured.get(id(t))
        if g is not None and not (t._retains_grad and t.grad_fn is not None):  # got it already
            _engine.accumulate_leaf(t, g)


def _refuse_create_graph():
    raise NotImplementedError(
        "create_graph=True (a graph of the backward pass, for higher-order gradients) is not "
        "supported: fastgrad's derivatives run on NumPy arrays and record no graph")


def _tensors(x, name):
    """x as a tuple of Tensors: one Tensor, or a sequence of them."""
    items = (x,) if isinstance(x, Tensor) else x
    try:
        items = tuple(items)
    except TypeError:
        raise TypeError(f"{name} must be a Tensor or a sequence of Tensors, got "
                        f"{type(x).__name__}") from None
    for i, t in enumerate(items):
        if not isinstance(t, Tensor):
            raise TypeError(f"{name}[{i}] must be a Tensor, got {type(t).__name__}")
    return items


class _Outputs(ArrayFunction):
    """The node above several outputs that one walk starts from: it hands each output its
    own starting gradient."""

    @staticmethod
    def backward(ctx, grad):
        """Each output's gradient, whatever arrives from above (nothing does)."""
        return ctx.output_grads


def _root(outputs, output_grads, what, arg):
    """Where the walk starts: the single output and its gradient, or a node above them all."""
    if output_grads is None or isinstance(output_grads, (Tensor, np.ndarray)):
        output_grads = (output_grads,) * len(outputs) if output_grads is None else (output_grads,)
    output_grads = tuple(output_grads)
    if len(output_grads) != len(outputs):
        raise ValueError(f"{what}: {arg} has {len(output_grads)} entries for {len(outputs)} "
                         "outputs")
    seeds = tuple(seed_gradient(t, g, f"{what}()", f"{arg}[{i}]")
                  for i, (t, g) in enumerate(zip(outputs, output_grads)))
    if len(outputs) == 1 and outputs[0].grad_fn is not None:
        return outputs[0], seeds[0]
    ctx = Context(_Outputs, outputs, (True,) * len(outputs))
    ctx.output_grads = seeds
    return _engine.new_tensor(np.zeros(()), ctx), np.zeros(())
