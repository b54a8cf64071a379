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
"""
import numpy as np

from .. import _kernels
from .._grad_mode import is_grad_enabled
from .._engine import grad_targets
from ..autograd import ArrayFunction as Function

ACT = _kernels.ACTIVATIONS


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
