"""What every fastgrad.linalg op shares: argument checks with PyTorch's messages, the
LinAlgError a singular or indefinite matrix raises, and the packing that lets one Function
return several matrices (Q and R, eigenvalues and eigenvectors, U, S and Vh).

The engine records one output per Function, so an op with several outputs returns them
flattened side by side along the last dimension; `unpack` cuts that row back into tensors with
differentiable narrow/reshape, and backward receives the gradients of all of them packed the
same way (zeros for an output the loss does not use).
"""
import functools

import numpy as np

from ..ops import Reshape
from ..ops_math import _with_out, as_tensor_input
from ..ops_shape import narrow, transpose


class LinAlgError(RuntimeError):
    """A matrix that the factorization cannot handle: singular (inv, solve) or not positive
    definite (cholesky) (torch.linalg.LinAlgError, a RuntimeError as there)."""


def float_matrix(x, name, where, square=False):
    """x as a float tensor of at least 2 dimensions (batches of matrices), square if asked;
    a clear error naming the argument otherwise."""
    t = as_tensor_input(x, name)
    if t.dtype.kind != "f":
        raise TypeError(f"{where}: {name} must be a float32 or float64 tensor, got dtype "
                        f"{t.dtype}")
    if t.ndim < 2:
        raise ValueError(f"{where}: {name} must have at least 2 dimensions (a matrix or a "
                         f"batch of matrices), got shape {tuple(t.shape)}")
    if square and t.shape[-1] != t.shape[-2]:
        raise ValueError(f"{where}: {name} must be batches of square matrices, but they are "
                         f"{t.shape[-2]} by {t.shape[-1]} matrices")
    return t


def mT(t):
    """The transpose of each matrix of a batch (Tensor.mT)."""
    return transpose(t, -2, -1)


def mt(a):
    """The same on a NumPy array, for the local derivatives."""
    return np.swapaxes(a, -1, -2)


def pack(*arrays, batch):
    """arrays (each with leading dimensions `batch`) flattened and joined along one last
    dimension: a Function's single output standing for several."""
    # sizes spelled out: an empty batch leaves -1 nothing to infer from
    return np.concatenate([np.reshape(a, batch + (int(np.prod(a.shape[len(batch):])),))
                           for a in arrays], axis=-1)


def unpack_array(packed, shapes):
    """The arrays of the trailing shapes `shapes` that pack joined, as views of packed."""
    batch, start, out = packed.shape[:-1], 0, []
    for shape in shapes:
        n = int(np.prod(shape))
        out.append(packed[..., start:start + n].reshape(batch + tuple(shape)))
        start += n
    return out


def unpack(packed, shapes):
    """The tensors of trailing shapes `shapes` cut from a packed output, differentiably."""
    batch, start, out = tuple(packed.shape[:-1]), 0, []
    for shape in shapes:
        n = int(np.prod(shape))
        out.append(Reshape.apply(narrow(packed, -1, start, n), batch + tuple(shape)))
        start += n
    return out


def sum_to_shape(g, shape):
    """g summed over the leading dimensions it gained by broadcasting against `shape`."""
    shape = tuple(shape)
    if g.shape == shape:
        return g
    extra = g.ndim - len(shape)
    g = g.sum(axis=tuple(range(extra))) if extra else g
    axes = tuple(i for i, n in enumerate(shape) if n == 1 and g.shape[i] != 1)
    return g.sum(axis=axes, keepdims=True) if axes else g


def singular_error(where, name, err):
    """LinAlgError for a singular input, in PyTorch's words."""
    return LinAlgError(f"{where}: the {name} matrix (or one of the batch) is singular, so it "
                       f"has no inverse ({err})")


def svd_of(a, where, **kwargs):
    """np.linalg.svd(a, **kwargs), its failure (NaN or inf in A) a LinAlgError in PyTorch's
    words rather than NumPy's ValueError."""
    try:
        return np.linalg.svd(a, **kwargs)
    except np.linalg.LinAlgError:
        raise LinAlgError(f"{where}: the SVD failed to converge because the input A contains "
                          "non-finite values (NaN or inf)") from None


def check_batches_broadcast(where, A, B):
    """Raises naming both shapes when A's and B's batch dimensions (all but the last two)
    do not broadcast, as a solve with A and B needs."""
    try:
        np.broadcast_shapes(tuple(A.shape[:-2]), tuple(B.shape[:-2]))
    except ValueError:
        raise ValueError(f"{where}: the batch shapes of A {tuple(A.shape)} and B "
                         f"{tuple(B.shape)} do not broadcast") from None


def same_ndim(a, b):
    """a and b with leading 1s so both have the same number of dimensions: NumPy before 2.0
    reads a b with one dimension fewer than a in np.linalg.solve as a stack of vectors."""
    n = max(a.ndim, b.ndim)
    return a.reshape((1,) * (n - a.ndim) + a.shape), b.reshape((1,) * (n - b.ndim) + b.shape)


def accepts_out(fn):
    """fn with PyTorch's out= keyword (ops_math's rules: the result written into a given
    tensor, no gradient through such a call, an empty out resized)."""
    @functools.wraps(fn)
    def with_out(*args, out=None, **kwargs):
        return _with_out(f"linalg.{fn.__name__}", out, args, lambda: fn(*args, **kwargs))
    return with_out
