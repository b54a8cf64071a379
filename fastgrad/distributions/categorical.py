"""Categorical: one of K classes, drawn with given probabilities (torch.distributions)."""
import numpy as np

from .. import random as _random
from ..nn import functional as F
from ..tensor import Tensor
from .distribution import Distribution, as_float_tensor, sample_shape_tuple


class Categorical(Distribution):
    """A distribution over the classes 0..K-1 of the last dimension of `probs` (non-negative,
    normalised here) or of `logits` (unnormalised log-probabilities); give exactly one.
    Earlier dimensions are independent distributions side by side (batch_shape).
    log_prob and entropy are differentiable in probs or logits."""

    def __init__(self, probs=None, logits=None, validate_args=None):
        if (probs is None) == (logits is None):
            raise ValueError("Categorical: give either probs or logits, not both or neither")
        given = as_float_tensor(probs if logits is None else logits,
                                "probs" if logits is None else "logits", "Categorical")
        if given.ndim < 1:
            raise ValueError("Categorical: probs or logits need at least one dimension")
        if logits is None:
            raw = np.asarray(given.data)
            if (raw < 0).any() or not np.isfinite(raw).all():
                raise ValueError("Categorical: probs must be finite and non-negative")
            if (raw.sum(-1) <= 0).any():
                raise ValueError("Categorical: probs must have a positive sum along the last "
                                 "dimension")
            self.probs = given / given.sum(-1, keepdim=True)
            # log of probabilities clamped at the dtype's eps, as PyTorch does, so that a
            # zero probability gives a finite logit (and 0 * logit = 0 in the entropy)
            p = np.asarray(self.probs.data)
            eps = np.finfo(p.dtype).eps
            lift = np.where(p < eps, eps - p, 0).astype(p.dtype)
            self.logits = (self.probs + Tensor(lift, dtype=p.dtype)).log()
        else:
            self.logits = F.log_softmax(given, dim=-1)  # log of the normalised probabilities
            self.probs = self.logits.exp()
        self._num_events = given.shape[-1]
        super().__init__(batch_shape=given.shape[:-1])

    @property
    def param_shape(self):
        """batch_shape + (number of classes,): the shape of probs and logits."""
        return self.batch_shape + (self._num_events,)

    def sample(self, sample_shape=()):
        """Class indices (int64) of shape sample_shape + batch_shape, drawn from fastgrad's
        process-wide generator (fastgrad.manual_seed repeats them); no gradient."""
        shape = sample_shape_tuple(sample_shape) + self.batch_shape
        cdf = np.cumsum(np.asarray(self.probs.data, np.float64), axis=-1)
        u = _random.generator().random(shape)[..., None] * cdf[..., -1:]
        index = (cdf < u).sum(-1)  # the first class whose cumulative probability reaches u
        return Tensor(np.minimum(index, self._num_events - 1).astype(np.int64), dtype=np.int64)

    def log_prob(self, value):
        """log P(value) for class indices broadcastable with batch_shape."""
        v = np.asarray(value.data if isinstance(value, Tensor) else value)
        if v.dtype.kind not in "iu" and not (v.dtype.kind == "f" and (v == np.round(v)).all()):
            raise ValueError("Categorical.log_prob: value must hold class indices")
        v = v.astype(np.intp)
        if v.size and (v.min() < 0 or v.max() >= self._num_events):
            raise ValueError(f"Categorical.log_prob: class indices must be in "
                             f"[0, {self._num_events}), got {v.min()}..{v.max()}")
        nb = len(self.batch_shape)
        # one index array per batch dimension, aligned on the right as broadcasting aligns
        grids = tuple(np.arange(n).reshape((-1,) + (1,) * (nb - 1 - i))
                      for i, n in enumerate(self.batch_shape))
        try:
            np.broadcast_shapes(v.shape, self.batch_shape)
        except ValueError:
            raise ValueError(f"Categorical.log_prob: value of shape {v.shape} does not "
                             f"broadcast with batch_shape {self.batch_shape}") from None
        return self.logits[grids + (v,)]

    def entropy(self):
        """-sum_k p_k log p_k over the classes, per distribution of the batch. Logits are
        clamped at the dtype's lowest finite value first, as PyTorch does, so that a class
        with logit -inf (probability 0) adds 0, not NaN."""
        lowest = float(np.finfo(self.logits.dtype).min)
        return -(self.probs * self.logits.clamp(min=lowest)).sum(-1)

    @property
    def mean(self):
        """Not defined for classes: raises, where PyTorch returns NaN."""
        raise NotImplementedError("Categorical has no mean (PyTorch's is NaN)")

    def enumerate_support(self):
        """The classes 0..K-1 as an int64 Tensor."""
        return Tensor(np.arange(self._num_events), dtype=np.int64)
