"""More of torch.nn.functional: smooth_l1_loss and one_hot (re-exported by functional.py)."""
import numbers

import numpy as np

from ..tensor import Tensor
from . import _checks


def smooth_l1_loss(input, target, reduction="mean", beta=1.0):
    """0.5 x^2 / beta where |x| < beta, else |x| - 0.5 beta, with x = input - target
    (PyTorch's smooth_l1_loss): the Huber loss with delta = beta, divided by beta, and the L1
    loss when beta is 0."""
    from .functional import huber_loss, l1_loss
    beta = _checks.number(beta, "beta", "smooth_l1_loss")
    if beta < 0:
        raise ValueError(f"smooth_l1_loss: beta must be non-negative, got {beta}")
    if beta == 0:
        return l1_loss(input, target, reduction=reduction)
    return huber_loss(input, target, reduction=reduction, delta=beta) / beta


def one_hot(tensor, num_classes=-1):
    """An int64 Tensor with one more last dimension of size num_classes, 1 at each class
    index and 0 elsewhere (PyTorch's one_hot); num_classes=-1 means max(tensor) + 1."""
    labels = np.asarray(tensor.data if isinstance(tensor, Tensor) else tensor)
    if labels.dtype.kind not in "iu":
        raise TypeError(f"one_hot: tensor must hold integer class indices, not {labels.dtype}")
    if isinstance(num_classes, bool) or not isinstance(num_classes, numbers.Integral):
        raise TypeError(f"one_hot: num_classes must be an int, got {type(num_classes).__name__}")
    if num_classes == -1:
        if labels.size == 0:
            raise RuntimeError("one_hot: cannot infer num_classes from an empty tensor")
        num_classes = int(labels.max()) + 1
    if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
        raise RuntimeError(f"one_hot: class values must be in [0, {num_classes}), got "
                           f"{int(labels.min())}..{int(labels.max())}")
    out = np.zeros(labels.shape + (int(num_classes),), np.int64)
    np.put_along_axis(out, labels[..., None].astype(np.intp), 1, axis=-1)
    return Tensor(out, dtype=np.int64)
