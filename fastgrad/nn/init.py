"""Weight initialisers, in place, drawing from fastgrad's seeded generator (fg.manual_seed).

Each fills `tensor.data` in place and returns the tensor, as torch.nn.init does. Draws are made
in float64 and cast, so a float32 and a float64 model with the same seed start alike.
"""
import math
import warnings

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


def _zero_elements(tensor):
    """True, with PyTorch's warning, for a tensor with no elements: its fans are zero and there
    is nothing to draw (nn.Linear(0, n) is a valid layer)."""
    if 0 not in _shape(tensor):
        return False
    warnings.warn("Initializing zero-element tensors is a no-op")
    return True


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
    if _zero_elements(tensor):
        return tensor
    bound = math.sqrt(3.0) * _kaiming_std(tensor, a, mode, nonlinearity)
    return uniform_(tensor, -bound, bound)


def kaiming_normal_(tensor, a=0.0, mode="fan_in", nonlinearity="leaky_relu"):
    """He normal, in place: N(0, std^2), std = gain / sqrt(fan) (fan by mode, gain by nonlinearity, a)."""
    if _zero_elements(tensor):
        return tensor
    return normal_(tensor, 0.0, _kaiming_std(tensor, a, mode, nonlinearity))


def _draws_from(gen):
    """The NumPy generator behind a `generator=` argument: fastgrad's own by default, or that
    of a fastgrad.Generator."""
    if gen is None:
        return generator()
    if isinstance(gen, np.random.Generator):
        return gen
    if hasattr(gen, "_rng"):
        return gen._rng
    raise TypeError(f"generator must be a fastgrad.Generator or None, got {type(gen).__name__}")


def eye_(tensor):
    """Fill the 2-d `tensor` in place with the identity: ones on the diagonal, zeros elsewhere
    (non-square too); returns it (torch.nn.init.eye_)."""
    shape = _shape(tensor)
    if len(shape) != 2:
        raise ValueError(f"eye_: tensor must be 2-dimensional, got shape {tuple(shape)}")
    return _fill(tensor, np.eye(shape[0], shape[1]))


def _normal_cdf(x):
    return 0.5 * (1.0 + math.erf(x / math.sqrt(2.0)))


def trunc_normal_(tensor, mean=0.0, std=1.0, a=-2.0, b=2.0, generator=None):
    """Fill `tensor` in place from N(mean, std^2) restricted to [a, b] (a and b are values,
    not numbers of std); returns it (torch.nn.init.trunc_normal_).

    Draws from N(mean, std^2) and keeps those inside [a, b] until every element has one;
    where [a, b] holds under 1% of the mass, the inverse of the normal CDF maps uniform draws
    into [a, b] instead, so a far tail does not loop for long."""
    for name, v in (("mean", mean), ("std", std), ("a", a), ("b", b)):
        if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)):
            raise TypeError(f"trunc_normal_: {name} must be a number, got {type(v).__name__}")
    if not std > 0:
        raise ValueError(f"trunc_normal_: std must be positive, got {std}")
    if not a < b:
        raise ValueError(f"trunc_normal_: a ({a}) must be smaller than b ({b})")
    gen = _draws_from(generator)
    shape = _shape(tensor)
    n = int(np.prod(shape))
    lo, hi = _normal_cdf((a - mean) / std), _normal_cdf((b - mean) / std)
    if hi - lo < 0.01:
        from statistics import NormalDist
        u = gen.uniform(lo, hi, size=n)
        inv = np.vectorize(NormalDist(mean, std).inv_cdf, otypes=[np.float64])
        values = np.clip(inv(np.clip(u, 1e-300, 1 - 1e-16)), a, b)
    else:
        kept = []
        while sum(k.size for k in kept) < n:
            draw = gen.normal(mean, std, size=max(2 * n, 16))
            kept.append(draw[(draw >= a) & (draw <= b)])
        values = np.concatenate(kept)[:n]
    return _fill(tensor, values.reshape(shape))


def orthogonal_(tensor, gain=1.0, generator=None):
    """Fill `tensor` (at least 2-d, viewed as rows x the product of the other dimensions) in
    place with a (semi-)orthogonal matrix times gain: orthonormal rows, or orthonormal columns
    when there are more rows than columns; returns it (torch.nn.init.orthogonal_).

    The matrix is the Q of the QR decomposition of a standard normal matrix, with its columns'
    signs set by R's diagonal, which makes it uniformly (Haar) distributed."""
    shape = _shape(tensor)
    if len(shape) < 2:
        raise ValueError(f"orthogonal_: only tensors with 2 or more dimensions are supported, "
                         f"got shape {tuple(shape)}")
    rows = shape[0]
    cols = int(np.prod(shape[1:]))
    if rows * cols == 0:
        return tensor
    gen = _draws_from(generator)
    flat = gen.normal(0.0, 1.0, size=(rows, cols))
    if rows < cols:
        flat = flat.T
    q, r = np.linalg.qr(flat)
    q = q * np.sign(np.diag(r))
    if rows < cols:
        q = q.T
    return _fill(tensor, (gain * q).reshape(shape))
