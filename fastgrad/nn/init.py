"""Weight initialisers, in place, drawing from fastgrad's seeded generator (fg.manual_seed).

Each fills `tensor.data` in place and returns the tensor, as torch.nn.init does. Draws are made
in float64 and cast, so a float32 and a float64 model with the same seed start alike.
"""
import math

import numpy as np

from ..random import generator


def _fill(tensor, values):
    """Writes into the existing array, so views of it (state dicts, optimizers) stay valid."""
    data = tensor if isinstance(tensor, np.ndarray) else tensor._data
    np.copyto(data, values, casting="unsafe")
    return tensor


def _shape(tensor):
    return tensor.shape


def _fans(tensor):
    shape = _shape(tensor)
    if len(shape) < 2:
        raise ValueError(f"fan in and fan out need a tensor of at least 2 dimensions, got shape {shape}")
    receptive = int(np.prod(shape[2:])) if len(shape) > 2 else 1
    return shape[1] * receptive, shape[0] * receptive


def calculate_gain(nonlinearity, param=None):
    """The recommended gain for an activation (torch.nn.init.calculate_gain)."""
    linear = ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
              "conv_transpose3d", "sigmoid")
    if nonlinearity in linear:
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else float(param)
        return math.sqrt(2.0 / (1 + slope ** 2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"unsupported nonlinearity {nonlinearity!r}")


def uniform_(tensor, a=0.0, b=1.0):
    """Fill `tensor` in place from U(a, b); returns it."""
    return _fill(tensor, generator().uniform(a, b, size=_shape(tensor)))


def normal_(tensor, mean=0.0, std=1.0):
    """Fill `tensor` in place from N(mean, std^2); returns it."""
    return _fill(tensor, generator().normal(mean, std, size=_shape(tensor)))


def constant_(tensor, val):
    """Fill `tensor` in place with `val`; returns it."""
    return _fill(tensor, val)


def zeros_(tensor):
    """Fill `tensor` in place with zeros; returns it."""
    return _fill(tensor, 0.0)


def ones_(tensor):
    """Fill `tensor` in place with ones; returns it."""
    return _fill(tensor, 1.0)


def xavier_uniform_(tensor, gain=1.0):
    """Glorot uniform: U(-a, a) with a = gain * sqrt(6 / (fan_in + fan_out)), in place."""
    fan_in, fan_out = _fans(tensor)
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform_(tensor, -bound, bound)


def xavier_normal_(tensor, gain=1.0):
    """Glorot normal: N(0, std^2) with std = gain * sqrt(2 / (fan_in + fan_out)), in place."""
    fan_in, fan_out = _fans(tensor)
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / (fan_in + fan_out)))


def _kaiming_std(tensor, a, mode, nonlinearity):
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"mode must be 'fan_in' or 'fan_out', got {mode!r}")
    fan_in, fan_out = _fans(tensor)
    fan = fan_in if mode == "fan_in" else fan_out
    if fan == 0:
        raise ValueError(f"kaiming init of a tensor with zero {mode} (shape {_shape(tensor)})")
    return calculate_gain(nonlinearity, a) / math.sqrt(fan)


def kaiming_uniform_(tensor, a=0.0, mode="fan_in", nonlinearity="leaky_relu"):
    """He uniform, in place: U(-b, b), b = gain * sqrt(3 / fan) (fan by mode, gain by nonlinearity, a)."""
    bound = math.sqrt(3.0) * _kaiming_std(tensor, a, mode, nonlinearity)
    return uniform_(tensor, -bound, bound)


def kaiming_normal_(tensor, a=0.0, mode="fan_in", nonlinearity="leaky_relu"):
    """He normal, in place: N(0, std^2), std = gain / sqrt(fan) (fan by mode, gain by nonlinearity, a)."""
    return normal_(tensor, 0.0, _kaiming_std(tensor, a, mode, nonlinearity))
