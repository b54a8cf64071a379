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
stack node, the old one extended by that step (extend_activation, extend_linear below).
"""
import weakref

import numpy as np

from .. import _kernels
from .._grad_mode import is_grad_enabled, state as _grad_mode
from .._engine import grad_targets, new_tensor, node_like, unchanged_since
from ..autograd import ArrayFunction as Function
from ..tensor import Tensor

ACT = _kernels.ACTIVATIONS
NONE = ACT["none"]
READS_X = {code for name, code in ACT.items() if _kernels.ACTIVATION_READS[name] == "x"}
PRE, POST = 0, 1  # where a fused node's intermediate sits in its layer: before/after the act


def real_input(x):
    """The layer input as an array of real numbers: complex input would silently lose its
    imaginary part and object arrays turn into NaN, so both are refused."""
    x = np.asarray(x)
    if x.dtype.kind not in "biuf":
        raise TypeError(f"linear: input must hold real numbers, got dtype {x.dtype}")
    return x


class DenseStackFunction(Function):
    @staticmethod
    def forward(ctx, x, acts, params, *weights):
        """acts, params: each layer's activation code and its parameter (lists, one entry per
        layer); weights: W_1, b_1, W_2, b_2, ... with None for a missing bias."""
        x = real_input(x)
        Ws, bs = list(weights[0::2]), list(weights[1::2])
        dtype = Ws[0].dtype
        if x.ndim == 0:
            raise ValueError("linear: input must have at least one dimension")
        h = x if x.ndim == 2 else x.reshape(-1, x.shape[-1])
        if h.dtype != dtype or not h.flags.c_contiguous:
            h = np.ascontiguousarray(h, dtype=dtype)
        keep_z = True in ctx.needs_input_grad and is_grad_enabled()
        try:
            ys, zs = _kernels.dense_stack_forward(h, Ws, bs, acts, params, keep_z)
        except (TypeError, ValueError):
            _explain_shapes(x, Ws, bs)  # the same fault in the words of the layers
            raise
        ctx.save_for_backward(h, ys, zs, Ws)
        ctx.acts, ctx.params, ctx.x_shape = acts, params, x.shape
        out = ys[-1]
        return out if x.ndim == 2 else out.reshape(x.shape[:-1] + (out.shape[1],))

    @staticmethod
    def backward(ctx, g):
        h, ys, zs, Ws = ctx.saved_tensors
        needs = ctx.needs_input_grad  # x, acts, params, then one entry per weight
        grads = [None] * (len(needs) - 3)
        targets, acc = grad_targets(ctx.parents[3:], needs[3:], grads)
        dWs, dbs, accumulate = targets[0::2], targets[1::2], []
        for dW, db, acc_W, acc_b in zip(dWs, dbs, acc[0::2], acc[1::2]):
            if acc_W != acc_b and dW is not None and db is not None:
                # The kernel takes one accumulate flag a layer: give the new one a zeroed target.
                (db if acc_W else dW)[...] = 0
            accumulate.append(acc_W or acc_b)
        # A copy: the kernel overwrites dY with dZ, and g may be shared with another node.
        dy = (g.reshape(ys[-1].shape).copy() if g.dtype == ys[-1].dtype
              else g.reshape(ys[-1].shape).astype(ys[-1].dtype, order="C"))
        dx = _kernels.dense_stack_backward(h, ys, zs, Ws, ctx.acts, ctx.params, dy, needs[0],
                                           dWs, dbs, accumulate)
        dx = dx.reshape(ctx.x_shape) if dx is not None else None
        return (dx, None, None) + tuple(grads)


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

def _stack_output(t):
    """The stack node that made t, when a further step may be fused onto it: grad mode is on,
    t is the node's output, nothing was changed in place since the node saved its arrays, and
    t wants no gradient of its own (hook, retain_grad); else None."""
    ctx = t.grad_fn
    if (ctx.fn is not DenseStackFunction or t._hooks or t._retains_grad or ctx._released
            or not _grad_mode.enabled or not unchanged_since(ctx)):
        return None
    top = ctx.saved_tensors[1][-1]
    data = t._data
    return ctx if data is top or data.base is top else None


def extend_activation(h, act, param):
    """act(h) recorded in h's stack node when h (which has a grad_fn) is the output of a stack
    whose top layer has no activation yet: that layer takes this one. None where it cannot be
    (the caller records an activation node as usual)."""
    stack = _stack_output(h)
    if stack is None or stack.acts[-1] != NONE:
        return None
    x, ys, zs, Ws = stack.saved_tensors
    z = ys[-1]
    y = np.empty(z.shape, z.dtype)  # z is C-contiguous (the kernel made it): as empty_like
    _kernels.act_forward(act, param, z, y)  # ActivationFunction's own call
    ctx = node_like(stack, DenseStackFunction, stack.parents, stack.needs_input_grad)
    ctx.saved_tensors = (x, ys[:-1] + [y], zs[:-1] + [z if act in READS_X else None], Ws)
    ctx.acts, ctx.params = stack.acts[:-1] + [act], stack.params[:-1] + [param]
    ctx.x_shape = stack.x_shape
    ctx.swallowed = (stack.swallowed or ()) + ((weakref.ref(h), len(Ws) - 1, PRE),)
    return new_tensor(y if h._data is z else y.reshape(h._data.shape), ctx)


def extend_linear(x, weight, bias, act, param):
    """dense(x, weight, bias, act) recorded as one more layer of x's stack node when x (which
    has a grad_fn) is a stack's output of the weight's dtype; None where it cannot be (the
    caller applies DenseStackFunction as usual, which also words any error)."""
    stack = _stack_output(x)
    if stack is None:
        return None
    h, ys, zs, Ws = stack.saved_tensors
    top = ys[-1]
    if isinstance(weight, Tensor):
        W, need_W = weight._data, weight.requires_grad
    else:
        W, need_W, weight = weight, False, None  # an array: no gradient, no parent
    if isinstance(bias, Tensor):
        b, need_b = bias._data, bias.requires_grad
    else:
        b, need_b, bias = bias, False, None
    if W.dtype is not top.dtype and W.dtype != top.dtype:
        return None
    try:  # DenseStackFunction.forward's own call on the same array
        new_ys, new_zs = _kernels.dense_stack_forward(top, [W], [b], [act], [param], True)
    except (TypeError, ValueError):
        return None
    ctx = node_like(stack, DenseStackFunction, stack.parents + (weight, bias),
                    stack.needs_input_grad + (need_W, need_b))
    ctx.saved_tensors = (h, ys + new_ys, zs + new_zs, Ws + [W])
    ctx.acts, ctx.params = stack.acts + [act], stack.params + [param]
    ctx.x_shape = stack.x_shape
    ctx.swallowed = (stack.swallowed or ()) + ((weakref.ref(x), len(Ws) - 1, POST),)
    out = new_ys[0]
    shape = x._data.shape
    return new_tensor(out if len(shape) == 2 else out.reshape(shape[:-1] + (out.shape[1],)),
                      ctx)


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
