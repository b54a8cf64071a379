"""The padding Modules (ZeroPad2d, ReflectionPad1d, ...), each F.pad with a fixed mode over
the last 1, 2 or 3 dimensions, PyTorch's names and arguments."""
import numpy as np

from . import _checks
from . import functional as F
from .module import Module


class _Pad(Module):
    """F.pad over the last `_dims` dimensions; padding is an int (the same on every side) or
    a tuple of 2 * _dims ints (left, right, top, bottom, front, back)."""
    _dims, _mode = 1, "constant"

    def __init__(self, padding) -> None:
        super().__init__()
        n = 2 * self._dims
        if isinstance(padding, (int, np.integer)) and not isinstance(padding, bool):
            padding = (int(padding),) * n
        elif (not isinstance(padding, (tuple, list)) or len(padding) != n
              or any(isinstance(p, bool) or not isinstance(p, (int, np.integer)) for p in padding)):
            raise TypeError(f"{type(self).__name__}: padding must be an int or a tuple of {n} "
                            f"ints, got {padding!r}")
        self.padding = tuple(int(p) for p in padding)

    def forward(self, x):
        return F.pad(x, self.padding, self._mode)

    def extra_repr(self):
        return f"{self.padding}"


class _ConstantPad(_Pad):
    """Pads with a constant `value`."""
    def __init__(self, padding, value) -> None:
        super().__init__(padding)
        self.value = _checks.number(value, "value", type(self).__name__)

    def forward(self, x):
        return F.pad(x, self.padding, "constant", self.value)

    def extra_repr(self):
        return f"padding={self.padding}, value={self.value}"


class _ZeroPad(_ConstantPad):
    """Pads with zeros."""
    def __init__(self, padding) -> None:
        super().__init__(padding, 0.0)

    def extra_repr(self):
        return f"{self.padding}"


class ConstantPad1d(_ConstantPad):
    """Pads the last dimension with `value` (torch.nn.ConstantPad1d)."""
    _dims = 1


class ConstantPad2d(_ConstantPad):
    """Pads the last 2 dimensions with `value` (torch.nn.ConstantPad2d)."""
    _dims = 2


class ConstantPad3d(_ConstantPad):
    """Pads the last 3 dimensions with `value` (torch.nn.ConstantPad3d)."""
    _dims = 3


class ZeroPad1d(_ZeroPad):
    """Pads the last dimension with zeros (torch.nn.ZeroPad1d)."""
    _dims = 1


class ZeroPad2d(_ZeroPad):
    """Pads the last 2 dimensions with zeros (torch.nn.ZeroPad2d)."""
    _dims = 2


class ZeroPad3d(_ZeroPad):
    """Pads the last 3 dimensions with zeros (torch.nn.ZeroPad3d)."""
    _dims = 3


class ReflectionPad1d(_Pad):
    """Pads the last dimension with its mirror image, edge excluded (torch.nn.ReflectionPad1d)."""
    _dims, _mode = 1, "reflect"


class ReflectionPad2d(_Pad):
    """Pads the last 2 dimensions with their mirror images (torch.nn.ReflectionPad2d)."""
    _dims, _mode = 2, "reflect"


class ReflectionPad3d(_Pad):
    """Pads the last 3 dimensions with their mirror images (torch.nn.ReflectionPad3d)."""
    _dims, _mode = 3, "reflect"


class ReplicationPad1d(_Pad):
    """Pads the last dimension with copies of its edge (torch.nn.ReplicationPad1d)."""
    _dims, _mode = 1, "replicate"


class ReplicationPad2d(_Pad):
    """Pads the last 2 dimensions with copies of their edges (torch.nn.ReplicationPad2d)."""
    _dims, _mode = 2, "replicate"


class ReplicationPad3d(_Pad):
    """Pads the last 3 dimensions with copies of their edges (torch.nn.ReplicationPad3d)."""
    _dims, _mode = 3, "replicate"


class CircularPad1d(_Pad):
    """Pads the last dimension by wrapping it around (torch.nn.CircularPad1d)."""
    _dims, _mode = 1, "circular"


class CircularPad2d(_Pad):
    """Pads the last 2 dimensions by wrapping them around (torch.nn.CircularPad2d)."""
    _dims, _mode = 2, "circular"


class CircularPad3d(_Pad):
    """Pads the last 3 dimensions by wrapping them around (torch.nn.CircularPad3d)."""
    _dims, _mode = 3, "circular"
