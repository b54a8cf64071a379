"""EmbeddingFunction: rows of a weight matrix looked up by index, forward beside derivative."""
import numpy as np

from ..autograd import ArrayFunction as Function


class EmbeddingFunction(Function):
    """y = weight[indices]: one row of weight per index, so y has shape indices.shape +
    (embedding_dim,). Derivative: each row of g added to the weight row it was read from
    (several reads of one row add up); the padding_idx row gets none, and with
    scale_grad_by_freq each row's sum is divided by how often the batch read it."""

    @staticmethod
    def forward(ctx, weight, indices, padding_idx, scale_grad_by_freq):
        ctx.indices, ctx.padding_idx = indices, padding_idx
        ctx.scale_grad_by_freq, ctx.weight_shape = scale_grad_by_freq, weight.shape
        return weight[indices]

    @staticmethod
    def backward(ctx, g):
        flat = ctx.indices.reshape(-1)
        rows = np.asarray(g).reshape(flat.size, ctx.weight_shape[1])
        dw = np.zeros(ctx.weight_shape, dtype=rows.dtype)
        if ctx.scale_grad_by_freq:
            counts = np.bincount(flat, minlength=ctx.weight_shape[0])
            rows = rows / counts[flat, None].astype(rows.dtype)
        np.add.at(dw, flat, rows)
        if ctx.padding_idx is not None:
            dw[ctx.padding_idx] = 0
        return dw
