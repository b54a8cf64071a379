"""Distribution: what every distribution shares (shapes, sample_shape handling)."""
import numbers

import numpy as np

from ..dtypes import get_default_dtype
from ..tensor import Tensor


def as_float_tensor(value, name, owner):
    """A parameter as a Tensor: Tensors as they are (so gradients reach them), numbers and
    arrays as new float Tensors (float32 unless a float64 array)."""
    if isinstance(value, Tensor):
        if value.dtype.kind != "f":
            raise TypeError(f"{owner}: {name} must be a float tensor, not {value.dtype}")
        return value
    if isinstance(value, bool) or not isinstance(value, (numbers.Real, np.ndarray, list, tuple)):
        raise TypeError(f"{owner}: {name} must be a Tensor or a number, got "
                        f"{type(value).__name__}")
    array = np.asarray(value)
    dtype = np.float64 if array.dtype == np.float64 and isinstance(value, np.ndarray) \
        else get_default_dtype()
    return Tensor(array.astype(dtype), dtype=dtype)


def sample_shape_tuple(sample_shape):
    """sample_shape as a tuple of ints (torch.Size((n,)), (n,), [n] or () all work)."""
    if isinstance(sample_shape, numbers.Integral):
        return (int(sample_shape),)
    try:
        return tuple(int(n) for n in sample_shape)
    except TypeError:
        raise TypeError(f"sample_shape must be a tuple of ints, got {sample_shape!r}") from None


class Distribution:
    """Base class: batch_shape (independent distributions side by side) and event_shape (the
    shape of one draw), as torch.distributions.Distribution."""

    has_rsample = False

    def __init__(self, batch_shape=(), event_shape=()):
        self._batch_shape = tuple(batch_shape)
        self._event_shape = tuple(event_shape)

    @property
    def batch_shape(self):
        """The shape of the independent distributions side by side."""
        return self._batch_shape

    @property
    def event_shape(self):
        """The shape of one draw of one distribution."""
        return self._event_shape

    def sample(self, sample_shape=()):
        """Draws of shape sample_shape + batch_shape + event_shape, without gradient."""
        raise NotImplementedError(f"{type(self).__name__} does not define sample()")

    def rsample(self, sample_shape=()):
        """Draws that gradients flow through (where the distribution has them)."""
        raise NotImplementedError(f"{type(self).__name__} has no reparameterised sample")

    def log_prob(self, value):
        """The log probability (density) of value."""
        raise NotImplementedError(f"{type(self).__name__} does not define log_prob()")

    def entropy(self):
        """The entropy of each distribution of the batch."""
        raise NotImplementedError(f"{type(self).__name__} does not define entropy()")

    def __repr__(self):
        return f"{type(self).__name__}(batch_shape={self.batch_shape})"
