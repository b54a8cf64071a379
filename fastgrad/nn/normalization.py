"""LayerNorm and BatchNorm1d, with PyTorch's parameter and buffer names (weight, bias,
running_mean, running_var, num_batches_tracked) so state dicts move one-to-one."""
import numpy as np

from ..dtypes import get_default_dtype
from . import functional as F
from .module import Module
from .parameter import Parameter


def _count(value, name, cls):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
        raise ValueError(f"{cls}: {name} must be a positive int, got {value!r}")
    return int(value)


def _normalized_shape(normalized_shape, cls):
    """normalized_shape (an int or a sequence of them) as a non-empty tuple of counts."""
    shape = ((normalized_shape,) if isinstance(normalized_shape, (int, np.integer))
             else tuple(normalized_shape))
    if not shape:
        raise ValueError(f"{cls}: normalized_shape must not be empty")
    return tuple(_count(d, "normalized_shape", cls) for d in shape)


def _affine(module, shape, weight, bias, dtype):
    """Registers module.weight (ones) and module.bias (zeros) of `shape` where wanted, None
    otherwise, in dtype (the default float dtype when None)."""
    dtype = np.dtype(dtype or get_default_dtype())
    if weight:
        module.weight = Parameter(np.ones(shape, dtype=dtype))
    else:
        module.register_parameter("weight", None)
    if weight and bias:
        module.bias = Parameter(np.zeros(shape, dtype=dtype))
    else:
        module.register_parameter("bias", None)


class LayerNorm(Module):
    """Normalises over the last dimensions (normalized_shape), then a learnable scale and shift."""
    def __init__(self, normalized_shape, eps=1e-5, elementwise_affine=True, bias=True,
                 dtype=None) -> None:
        super().__init__()
        self.normalized_shape = _normalized_shape(normalized_shape, "LayerNorm")
        self.eps, self.elementwise_affine = float(eps), bool(elementwise_affine)
        _affine(self, self.normalized_shape, elementwise_affine, bias, dtype)

    def forward(self, x):
        return F.layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}")


class BatchNorm1d(Module):
    """Normalises each channel of (N, C) or (N, C, L) input. Train mode: batch statistics,
    and the running ones move toward them (momentum; None = cumulative average). Eval mode:
    the running statistics, unless track_running_stats=False."""

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True,
                 track_running_stats=True, dtype=None) -> None:
        super().__init__()
        self.num_features = _count(num_features, "num_features", "BatchNorm1d")
        if momentum is not None and not 0.0 <= float(momentum) <= 1.0:
            raise ValueError(f"BatchNorm1d: momentum must be in [0, 1] or None, got {momentum}")
        self.eps, self.momentum = float(eps), momentum
        self.affine, self.track_running_stats = bool(affine), bool(track_running_stats)
        _affine(self, num_features, affine, True, dtype)
        dtype = np.dtype(dtype or get_default_dtype())
        if track_running_stats:
            self.register_buffer("running_mean", np.zeros(num_features, dtype=dtype))
            self.register_buffer("running_var", np.ones(num_features, dtype=dtype))
            self.register_buffer("num_batches_tracked", np.zeros((), dtype=np.int64))
        else:
            self.running_mean = self.running_var = self.num_batches_tracked = None

    def reset_running_stats(self):
        """Set running_mean to 0, running_var to 1 and num_batches_tracked to 0."""
        if self.track_running_stats:
            self.running_mean[...] = 0
            self.running_var[...] = 1
            self.num_batches_tracked[...] = 0

    def forward(self, x):
        shape = tuple(x.shape)
        if len(shape) not in (2, 3) or shape[1] != self.num_features:
            raise ValueError(f"BatchNorm1d: expected input of shape (N, {self.num_features}) "
                             f"or (N, {self.num_features}, L), got {shape}")
        momentum = 0.0 if self.momentum is None else float(self.momentum)
        if self.training and self.track_running_stats:
            # In place: assigning the attribute would unregister the buffer.
            np.add(self.num_batches_tracked, 1, out=self.num_batches_tracked)
            if self.momentum is None:
                momentum = 1.0 / float(self.num_batches_tracked)
        use_batch = self.training or not self.track_running_stats
        running = self.training or not use_batch  # buffers read (eval) or updated (train)
        return F.batch_norm(x, self.running_mean if running else None,
                            self.running_var if running else None, self.weight, self.bias,
                            use_batch, momentum, self.eps)

    def extra_repr(self):
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.affine}, track_running_stats={self.track_running_stats}")


class GroupNorm(Module):
    """Normalises each of num_groups groups of channels per sample, then a learnable
    per-channel scale and shift, as torch.nn.GroupNorm."""
    def __init__(self, num_groups, num_channels, eps=1e-5, affine=True, device=None,
                 dtype=None, bias=True) -> None:
        super().__init__()
        self.num_groups = _count(num_groups, "num_groups", "GroupNorm")
        self.num_channels = _count(num_channels, "num_channels", "GroupNorm")
        if self.num_channels % self.num_groups:
            raise ValueError(f"GroupNorm: num_channels ({num_channels}) must be divisible by "
                             f"num_groups ({num_groups})")
        self.eps, self.affine = float(eps), bool(affine)
        _affine(self, self.num_channels, affine, bias, dtype)

    def forward(self, x):
        return F.group_norm(x, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}"


class RMSNorm(Module):
    """x / sqrt(mean(x^2) + eps) over the last dimensions (normalized_shape), times a
    learnable weight, as torch.nn.RMSNorm; eps None is the dtype's machine epsilon."""
    def __init__(self, normalized_shape, eps=None, elementwise_affine=True, device=None,
                 dtype=None) -> None:
        super().__init__()
        self.normalized_shape = _normalized_shape(normalized_shape, "RMSNorm")
        self.eps = None if eps is None else float(eps)
        self.elementwise_affine = bool(elementwise_affine)
        if elementwise_affine:
            self.weight = Parameter(np.ones(self.normalized_shape,
                                            dtype=np.dtype(dtype or get_default_dtype())))
        else:
            self.register_parameter("weight", None)

    def forward(self, x):
        return F.rms_norm(x, self.normalized_shape, self.weight, self.eps)

    def extra_repr(self):
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}")
