"""scatter_ and scatter: writing values into a tensor at positions given along one dimension
(PyTorch's Tensor.scatter_ / torch.scatter), e.g. a one-hot target transform:
`torch.zeros(10).scatter_(0, torch.tensor(label), value=1)`.

For dim=0 on a 2-d tensor: self[index[i][j]][j] = src[i][j] (value where src is a number);
reduce='add' or 'multiply' combines with what is there instead of replacing it. Like
`t[i] = v`, the write is not recorded in the graph; on a tensor that needs one it raises.
"""
import numbers

import numpy as np

from . import _engine
from .tensor import Tensor, _check_inplace


def _positions(dim, index, shape, where):
    """The full index tuple that index addresses along dim, checked against shape."""
    idx = np.asarray(index.numpy() if isinstance(index, Tensor) else index)
    if idx.dtype.kind not in "iu":
        raise TypeError(f"{where}: index must hold integers, not {idx.dtype}")
    if idx.ndim == 0 and len(shape) == 1:
        idx = idx.reshape(1)  # a single position in a vector, as PyTorch accepts
    if idx.ndim != len(shape):
        raise ValueError(f"{where}: index has {idx.ndim} dimensions but the tensor has "
                         f"{len(shape)}")
    if isinstance(dim, bool) or not isinstance(dim, numbers.Integral) or \
            not -len(shape) <= dim < len(shape):
        raise IndexError(f"{where}: dim {dim!r} is out of range for {len(shape)} dimensions")
    dim = dim % len(shape)
    for d, (n, m) in enumerate(zip(idx.shape, shape)):
        if d != dim and n > m:
            raise ValueError(f"{where}: index shape {idx.shape} is larger than the tensor's "
                             f"{tuple(shape)} in dimension {d}")
    if idx.size and (idx.min() < -shape[dim] or idx.max() >= shape[dim]):
        raise IndexError(f"{where}: index {int(idx.min())}..{int(idx.max())} is out of bounds "
                         f"for dimension {dim} of size {shape[dim]}")
    grid = list(np.indices(idx.shape, sparse=True))
    grid[dim] = idx
    return tuple(grid), idx.shape


def _source(src, value, shape, where):
    """The values to write, one per index position."""
    if (src is None) == (value is None):
        raise TypeError(f"{where}: give exactly one of src and value")
    if src is None or isinstance(src, numbers.Number):
        return src if src is not None else value
    array = np.asarray(src.numpy() if isinstance(src, Tensor) else src)
    if any(n > m for n, m in zip(shape, array.shape)) or array.ndim != len(shape):
        raise ValueError(f"{where}: src of shape {array.shape} is smaller than index "
                         f"{shape}")
    return array[tuple(slice(0, n) for n in shape)]


def scatter_(self, dim, index, src=None, value=None, *, reduce=None):
    """Writes src (a tensor) or value (a number) into self at index along dim, in place
    (torch.Tensor.scatter_); reduce: None, 'add' or 'multiply'."""
    if _check_inplace(self, src):
        raise RuntimeError("scatter_: fastgrad does not record scatter_ in the graph; call it "
                           "under `with fastgrad.no_grad():` or on a tensor without gradients")
    positions, shape = _positions(dim, index, self.shape, "scatter_")
    values = _source(src, value, shape, "scatter_")
    data = self.numpy()
    if reduce is None:
        data[positions] = values
    elif reduce == "add":
        np.add.at(data, positions, np.broadcast_to(values, shape))
    elif reduce == "multiply":
        np.multiply.at(data, positions, np.broadcast_to(values, shape))
    else:
        raise ValueError(f"scatter_: reduce must be None, 'add' or 'multiply', got {reduce!r}")
    _engine.modified(self)  # saved-for-backward checks see the change
    return self


def scatter(input, dim, index, src=None, value=None, *, reduce=None):
    """A copy of input with scatter_ applied (torch.scatter); not differentiable."""
    if isinstance(input, Tensor) and input.requires_grad:
        raise RuntimeError("scatter: fastgrad's scatter has no gradient; detach() the input")
    out = Tensor(np.array(input.numpy() if isinstance(input, Tensor) else input))
    return scatter_(out, dim, index, src, value, reduce=reduce)


Tensor.scatter_ = scatter_
Tensor.scatter = scatter
