"""DenseStack: dense layers y = act(x W^T + b), one or a whole run of them, as ONE graph node.

F.linear and F.dense are a stack of one layer; Sequential passes each run of Linear
(+activation) modules as one stack.

A Sequential of Linear/activation pairs is a nested function y = f_L(...f_2(f_1(x))). Its
chain rule, written out layer by layer from the top, is the whole backward pass:

    dz_l = dy_l * act_l'(z_l)          (the activation's local derivative)
    dW_l = dz_l^T y_(l-1)               (the weight's)
    db_l = sum over the batch of dz_l  (the bias')
    dy_(l-1) = dz_l W_l                (and on to the layer below)

Doing it in one node saves the per-op bookkeeping of autograd (which dominates small
networks): one C call per layer each way. Weight and bias gradients are accumulated straight
into each parameter's .grad by the kernel (C += A B), so there is no separate gradient array
to allocate, return and add up.
"""
import numpy as np

from .. import _kernels
from ..autograd import Function

ACT = _kernels.ACTIVATIONS
# Activations whose derivative is computed from the pre-activation z; the others (relu, tanh,
# sigmoid) take it from the output y, so the dense layer need not keep z for them.
_NEEDS_Z = {ACT[name] for name in ("leaky_relu", "gelu", "gelu_tanh", "elu", "silu", "softplus")}


def real_input(x):
    """The layer input as an array of real numbers: complex input would silently lose its
    imaginary part and object arrays turn into NaN, so both are refused."""
    x = np.asarray(x)
    if x.dtype.kind not in "biuf":
        raise TypeError(f"linear: input must hold real numbers, got dtype {x.dtype}")
    return x


class DenseStack(Function):
    @staticmethod
    def forward(ctx, x, layers, *weights):
        """layers: one (activation code, activation param, has_bias) per layer; weights:
        W_1, [b_1], W_2, [b_2], ... in that order."""
        dtype = weights[0].dtype
        x = real_input(x)
        if x.ndim == 0:
            raise ValueError("linear: input must have at least one dimension")
        lead = x.shape[:-1]
        h = np.ascontiguousarray(x.reshape(-1, x.shape[-1]), dtype=dtype)
        inputs, zs, ys, params, slots = [], [], [], [], []
        i = 0
        for act, param, has_bias in layers:
            W = weights[i]
            b = weights[i + 1] if has_bias else None
            slots.append((i, i + 1 if has_bias else None))  # where W and b sit in `weights`
            i += 1 + has_bias
            if W.ndim != 2:
                raise ValueError("linear: weight must be 2-d (out_features, in_features), got "
                                 f"shape {W.shape}")
            if b is not None and b.shape != (W.shape[0],):
                raise ValueError(f"linear: bias shape {b.shape} does not match weight shape "
                                 f"{W.shape}")
            if h.shape[1] != W.shape[1]:
                shown = x.shape if not inputs else lead + (h.shape[1],)
                raise ValueError(f"linear: input shape {shown} does not match weight shape "
                                 f"{W.shape} (layer {len(inputs)}'s input must have "
                                 f"{W.shape[1]} features)")
            z = np.empty((h.shape[0], W.shape[0]), dtype=dtype) if act in _NEEDS_Z else None
            y = np.empty((h.shape[0], W.shape[0]), dtype=dtype)
            _kernels.dense_forward(h, W, b, act, param, z, y)
            inputs.append(h)
            zs.append(z)
            ys.append(y)
            params.append((W, b))
            h = y
        ctx.save_for_backward(inputs, zs, ys, params, slots)
        ctx.layers, ctx.x_shape = layers, x.shape
        return h.reshape(lead + (h.shape[1],))

    @staticmethod
    def backward(ctx, g):
        inputs, zs, ys, params, slots = ctx.saved_tensors
        needs = ctx.needs_input_grad
        tensors = ctx.parents[2:]  # the Parameters, aligned with `weights`
        grads = [None] * len(tensors)

        dy = np.array(g.reshape(ys[-1].shape), dtype=ys[-1].dtype, copy=True)
        for layer in reversed(range(len(ctx.layers))):
            act, param, _ = ctx.layers[layer]
            (W, b), (wi, bi) = params[layer], slots[layer]
            need_dx = layer > 0 or needs[0]
            dx = np.empty_like(inputs[layer]) if need_dx else None
            dW, acc_W = _grad_target(tensors[wi], needs[2 + wi], grads, wi)
            db, acc_b = (None, 0) if bi is None else _grad_target(tensors[bi], needs[2 + bi],
                                                                   grads, bi)
            if acc_W != acc_b and dW is not None and db is not None:
                # The kernel takes one accumulate flag: give the fresh one a zeroed target.
                if not acc_W:
                    dW[...] = 0
                else:
                    db[...] = 0
            _kernels.dense_backward(inputs[layer], W, zs[layer], ys[layer], act, param, dy,
                                    dx, dW, db, int(acc_W or acc_b))
            dy = dx
        dx = dy.reshape(ctx.x_shape) if needs[0] else None
        return (dx, None) + tuple(grads)


def _grad_target(tensor, needed, grads, index):
    """Where the kernel should write this parameter's gradient, and whether to add to it.

    A plain leaf gets the gradient accumulated into its .grad directly (this is the leaf's
    "+=" of backward(), done by the GEMM as C += A B). A tensor with hooks, or a non-leaf,
    gets a fresh array returned through the ordinary walk instead.
    """
    if not needed:
        return None, 0
    direct = tensor.grad_fn is None and not tensor._hooks
    if direct:
        g = tensor.grad
        if g is None:
            g = tensor.grad = np.empty_like(tensor.data)
            return g, 0
        if (type(g) is np.ndarray and g.dtype == tensor.data.dtype and g.flags.c_contiguous
                and g.flags.writeable and g.shape == tensor.data.shape):
            return g, 1
    g = grads[index] = np.empty_like(tensor.data)
    return g, 0
