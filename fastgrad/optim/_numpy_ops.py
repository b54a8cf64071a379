"""In-place NumPy helpers that evaluate like PyTorch's CPU kernels, operation for operation."""
import numpy as np


def lerp_(start, end, weight, scratch):
    """start += weight * (end - start), with torch.lerp's two branches for accuracy."""
    np.subtract(end, start, out=scratch)
    if abs(weight) < 0.5:
        scratch *= weight
        start += scratch
    else:  # end - (end - start) * (1 - weight)
        scratch *= 1 - weight
        np.subtract(end, scratch, out=start)


def addcmul_(target, a, b, value, scratch):
    """target += value * a * b (torch.addcmul_ evaluates (value * a) * b)."""
    np.multiply(a, value, out=scratch)
    scratch *= b
    target += scratch


def addcdiv_(target, a, b, value, scratch):
    """target += value * a / b (torch.addcdiv_ evaluates (value * a) / b)."""
    np.multiply(a, value, out=scratch)
    scratch /= b
    target += scratch


def decayed_grad(param, grad, weight_decay, maximize):
    """grad (negated when maximize) + weight_decay * param, as a new array when it changes."""
    if maximize:
        grad = np.negative(grad)
    if weight_decay != 0:
        grad = grad + np.multiply(param, weight_decay)  # torch: grad.add(param, alpha=wd)
    return grad


def weight_decayed_grad(param, grad, group):
    """The gradient an Adam-family step uses: with decoupled_weight_decay (AdamW's rule) the
    parameter shrinks by 1 - lr * weight_decay in place and the gradient is left alone;
    otherwise weight_decay * param is added to it (decayed_grad)."""
    if group.get("decoupled_weight_decay") and group["weight_decay"] != 0:
        param *= 1 - group["lr"] * group["weight_decay"]
        return decayed_grad(param, grad, 0, group["maximize"])
    return decayed_grad(param, grad, group["weight_decay"], group["maximize"])


def scalar_type():
    """The NumPy type PyTorch keeps an optimizer's scalar state in (its _get_scalar_dtype):
    float64 when the default dtype is float64, else float32."""
    from ..dtypes import get_default_dtype
    return np.float64 if get_default_dtype() is np.float64 else np.float32


def as_scalar_state(value):
    """value rounded as PyTorch's scalar state tensor would hold it, as a Python float."""
    return float(scalar_type()(value))
