"""Normal: the Gaussian distribution with mean loc and standard deviation scale."""
import math

import numpy as np

from .. import random as _random
from ..tensor import Tensor
from .distribution import Distribution, as_float_tensor, sample_shape_tuple

_HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)


class Normal(Distribution):
    """N(loc, scale^2), elementwise over the broadcast shape of loc and scale (PyTorch's
    Normal). rsample, log_prob and entropy are differentiable in loc and scale."""

    has_rsample = True

    def __init__(self, loc, scale, validate_args=None):
        loc = as_float_tensor(loc, "loc", "Normal")
        scale = as_float_tensor(scale, "scale", "Normal")
        if not (np.asarray(scale.data) > 0).all():
            raise ValueError("Normal: scale must be positive")
        try:
            shape = np.broadcast_shapes(loc.shape, scale.shape)
        except ValueError:
            raise ValueError(f"Normal: loc of shape {loc.shape} and scale of shape "
                             f"{scale.shape} do not broadcast") from None
        # both broadcast to the batch shape, as PyTorch's (gradients still reach the inputs)
        self.loc, self.scale = _broadcast(loc, shape), _broadcast(scale, shape)
        super().__init__(batch_shape=shape)

    @property
    def mean(self):
        """loc."""
        return self.loc

    @property
    def stddev(self):
        """scale."""
        return self.scale

    @property
    def variance(self):
        """scale squared."""
        return self.scale * self.scale

    def _noise(self, sample_shape):
        shape = sample_shape_tuple(sample_shape) + self.batch_shape
        dtype = np.result_type(self.loc.dtype, self.scale.dtype)
        eps = _random.generator().standard_normal(shape).astype(dtype)
        return Tensor(eps, dtype=dtype)

    def rsample(self, sample_shape=()):
        """loc + eps * scale with eps ~ N(0, 1) from fastgrad's generator: a sample that
        gradients flow through to loc and scale (the reparameterisation trick)."""
        return self.loc + self._noise(sample_shape) * self.scale

    def sample(self, sample_shape=()):
        """A sample of shape sample_shape + batch_shape, cut from the graph."""
        return self.rsample(sample_shape).detach()

    def log_prob(self, value):
        """log density at value: -(value - loc)^2 / (2 scale^2) - log(scale) - log(2 pi) / 2."""
        if not isinstance(value, Tensor):
            value = as_float_tensor(value, "value", "Normal.log_prob")
        z = (value - self.loc) / self.scale
        return z * z * -0.5 - self.scale.log() - _HALF_LOG_2PI

    def entropy(self):
        """1/2 + log(2 pi)/2 + log(scale), broadcast to batch_shape."""
        return self.scale.log() + (0.5 + _HALF_LOG_2PI)

    def cdf(self, value):
        """P(X <= value), computed without a gradient."""
        v = np.asarray(value.data if isinstance(value, Tensor) else value, np.float64)
        loc, scale = np.asarray(self.loc.data), np.asarray(self.scale.data)
        z = (v - loc) / (scale * math.sqrt(2))
        erf = np.vectorize(math.erf, otypes=[np.float64])
        return Tensor(0.5 * (1 + erf(z)), dtype=self.loc.dtype)


def _broadcast(t, shape):
    """t broadcast to shape, through an addition so that its gradient is summed back."""
    if t.shape == shape:
        return t
    return t + Tensor(np.zeros(shape, t.dtype), dtype=t.dtype)
