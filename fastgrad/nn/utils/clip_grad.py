"""Gradient clipping, in place on the parameters' .grad, as torch.nn.utils does it."""
import math
import numbers

import numpy as np

from ...dtypes import get_default_dtype
from ...tensor import Tensor


def _grads(parameters):
    """The gradient arrays (shared with .grad, so writes land in it) of the parameters that
    have one; `parameters` is one Tensor or an iterable of them."""
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    grads = []
    for p in parameters:
        if not isinstance(p, Tensor):
            raise TypeError(f"clip_grad: expected Tensors (parameters), got {type(p).__name__}")
        if p.grad is not None:
            grads.append(np.asarray(p.grad))
    return grads


def _number(value, name, fn):
    if isinstance(value, Tensor):
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{fn}: {name} must be a number, got {type(value).__name__}")
    return float(value)


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False,
                    foreach=None):
    """Scales all gradients together so that their joint norm is at most max_norm; returns
    that norm before clipping as a 0-d Tensor (PyTorch's clip_grad_norm_).

    The joint norm is the norm_type-norm of the per-parameter norms (inf: the largest
    |gradient|). Every gradient is multiplied by min(1, max_norm / (norm + 1e-6)).
    error_if_nonfinite: raise RuntimeError instead when that norm is NaN or infinite.
    foreach: accepted for PyTorch's signature.
    """
    max_norm = _number(max_norm, "max_norm", "clip_grad_norm_")
    norm_type = _number(norm_type, "norm_type", "clip_grad_norm_")
    grads = _grads(parameters)
    if not grads:
        return Tensor(np.array(0.0, get_default_dtype()))
    dtype = np.result_type(*grads)
    if norm_type == math.inf:
        norms = [np.abs(g).max() if g.size else 0.0 for g in grads]
        total = np.max(np.asarray(norms, dtype))
    else:
        norms = [np.linalg.norm(g.ravel(), ord=norm_type) for g in grads]
        total = np.linalg.norm(np.asarray(norms, dtype), ord=norm_type)
    total = np.asarray(total, dtype)
    if error_if_nonfinite and not np.isfinite(total):
        raise RuntimeError(f"clip_grad_norm_: the total norm of order {norm_type} of the "
                           "gradients is non-finite, so it cannot be clipped; pass "
                           "error_if_nonfinite=False to scale them anyway")
    coef = np.minimum(np.asarray(max_norm, dtype) / (total + np.asarray(1e-6, dtype)), 1.0)
    for g in grads:
        g *= coef.astype(g.dtype)
    return Tensor(total, dtype=dtype)


def clip_grad_value_(parameters, clip_value, foreach=None):
    """Clamps every gradient element to [-clip_value, clip_value] in place (PyTorch's
    clip_grad_value_); returns None."""
    clip_value = _number(clip_value, "clip_value", "clip_grad_value_")
    for g in _grads(parameters):
        np.clip(g, -clip_value, clip_value, out=g)
