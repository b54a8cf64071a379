"""DenseStackFunction: dense layers y = act(x W^T + b), one or a run of them, as ONE node.

F.linear and F.dense are a stack of one layer; Sequential passes each run of Linear
(+activation) modules as one stack.

A Sequential of Linear/activation pairs is a nested function y = f_L(...f_2(f_1(x))). Its
chain rule, written out layer by layer from the top, is the whole backward pass:

    dz_l = dy_l * act_l'(z_l)          (the activation's local derivative)
    dW_l = dz_l^T y_(l-1)               (the weight's)
    db_l = sum over the batch of dz_l  (the bias')
    dy_(l-1) = dz_l W_l                (and on to the layer below)

Doing it in one node saves the per-op bookkeeping of autograd (which dominates small
networks), and the whole stack is one binding call each way (_kernels.dense_stack_forward and
dense_stack_backward loop over the layers). Weight and bias gradients are accumulated straight
into each parameter's .grad by the kernel (C += A B), so there is no separate gradient array
to allocate, return and add up.

A custom Module's forward (x = F.relu(self.fc1(x)); return self.fc2(x)) gets the same single
node, built as it runs: an activation of a stack's output, or a Linear on it, records a new
stack node, the old one extended by that step (see "fusing at forward time" below).
"""
from .. import _kernels
from .._engine import dense_backward, dense_forward, new_tensor, node_like, register_dense
from ..autograd import ArrayFunction as Function

ACT = _kernels.ACTIVATIONS
PRE, POST = 0, 1  # where a fused node's intermediate sits in its layer: before/after the act


class DenseStackFunction(Function):
    """Dense layers y = act(x W^T + b) as one node: apply(x, acts, params, W_1, b_1, ...).

    forward and backward are the engine's compiled bookkeeping (_engine.pyx, "the dense-stack
    node") around the two binding calls: forward shapes x (..., in) into a C-contiguous
    (batch, in) array of the weights' dtype, runs _kernels.dense_stack_forward and saves
    (h, ys, zs, Ws) with ctx.acts, ctx.params and ctx.x_shape; backward runs the chain rule of
    this module's docstring in _kernels.dense_stack_backward, writing dW and db into the
    leaves' .grad."""

    forward = staticmethod(dense_forward)
    backward = staticmethod(dense_backward)


# ---- fusing at forward time ----------------------------------------------------------------
# An activation applied to a stack's output, or a Linear applied to it, records a NEW stack
# node: the old one extended by that step, the same parents plus the new layer's weight and
# bias, the saved arrays shared. The values are computed by the very calls the separate nodes
# would make (same kernels, same bits); only the bookkeeping differs: one node, and backward
# one binding call, for the whole run, as a Sequential gets. The old node stays the output
# tensor's grad_fn, so a gradient that reaches that tensor by another path still flows (both
# nodes add into the same leaves, which linearity allows).
#
# The new node remembers the intermediate tensors it now computes inside it (weakly: one no
# longer referenced can ask for nothing). Three things look at them: the in-place check
# (Context._check_saved), the walk, which splits the node again (split below) when one has
# since asked for its gradient by register_hook or retain_grad, and the release of a walk's
# nodes, which releases theirs. A tensor that asked before the next op is never fused past.
#
# Fusion is tried only where grad mode is on, the input is the stack's output (not changed in
# place since, with no hook or retain_grad of its own) and, for a Linear, of the weight's
# dtype. The two steps are compiled in the engine (every layer of every step runs them):
#
#   _engine.dense_extend_activation(h, act, param): act(h) as the top layer's activation,
#       when it has none
#   _engine.dense_extend_linear(x, weight, bias, act, param): one more layer on top
#
# Each returns the new output tensor, or None where it cannot fuse (the caller, the engine's
# activate or dense_layer, records its own node as usual, which also words any error).


def split(ctx, i, t):
    """Splits fused node ctx below its intermediate ctx.swallowed[i], the tensor t, which has
    asked for its gradient since: ctx keeps the layers above t and takes t as its input, so the
    walk reaches t, and t's own node (which made it, still there) computes the rest. Called by
    the walk (_engine.topological_order) before it reads ctx's inputs."""
    from .activation import ActivationFunction, activation_node  # activation imports this file
    _, layer, place = ctx.swallowed[i]
    above = ctx.swallowed[i + 1:]
    x, ys, zs, Ws = ctx.saved_tensors
    if place == PRE:  # t is the layer's pre-activation: its activation becomes a node again
        act, param = ctx.acts[layer], ctx.params[layer]
        y = ys[layer].reshape(t._data.shape)
        if layer == len(Ws) - 1:  # ctx's output is act(t): ctx becomes that node
            activation_node(ctx, t, act, param, y)
            ctx.fn, ctx.swallowed = ActivationFunction, None
            return
        node = node_like(ctx, ActivationFunction, (), ())
        activation_node(node, t, act, param, y)
        t = new_tensor(y, node)  # the layer's output, as the layers above read it
    k = 3 + 2 * (layer + 1)  # the first weight above the split
    ctx.parents = (t, None, None) + ctx.parents[k:]
    ctx.needs_input_grad = (True, False, False) + ctx.needs_input_grad[k:]
    ctx.saved_tensors = (ys[layer], ys[layer + 1:], zs[layer + 1:], Ws[layer + 1:])
    ctx.acts, ctx.params = ctx.acts[layer + 1:], ctx.params[layer + 1:]
    ctx.x_shape = t._data.shape
    ctx.swallowed = tuple((ref, at - layer - 1, p) for ref, at, p in above) or None


DenseStackFunction.split = staticmethod(split)  # the walk calls ctx.fn.split


def _explain_shapes(x, Ws, bs):
    """Raises the layer-level message for a stack the binding refused, when the fault is one
    of the shapes a user picks (the binding's own message stands for the rest)."""
    if len({W.dtype for W in Ws} | {b.dtype for b in bs if b is not None}) > 1:
        raise TypeError("Sequential: all Linear layers in a row must share one dtype, got "
                        f"{sorted({str(W.dtype) for W in Ws})}; call model.to(dtype)")
    lead, features = x.shape[:-1], x.shape[-1]
    for layer, (W, b) in enumerate(zip(Ws, bs)):
        if W.ndim != 2:
            raise ValueError("linear: weight must be 2-d (out_features, in_features), got "
                             f"shape {W.shape}")
        if b is not None and b.shape != (W.shape[0],):
            raise ValueError(f"linear: bias shape {b.shape} does not match weight shape "
                             f"{W.shape}")
        if features != W.shape[1]:
            shown = x.shape if layer == 0 else lead + (features,)
            raise ValueError(f"linear: input shape {shown} does not match weight shape "
                             f"{W.shape} (layer {layer}'s input must have {W.shape[1]} "
                             "features)")
        features = W.shape[0]


register_dense(DenseStackFunction, _explain_shapes)
