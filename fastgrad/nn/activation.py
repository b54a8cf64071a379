"""Activation modules. Each is the module form of a function in functional.py.

A Module that a preceding Linear can fuse with (Sequential runs them as one C call) says so with
`fused_activation()`: the kernel activation's name and its parameter, or None where this
instance cannot fuse. Modules without the method never fuse.
"""
import warnings

import numpy as np

from . import _checks
from . import functional as F
from .module import Module
from .parameter import Parameter
from ..functions.activation import KERNEL_SOFTPLUS_THRESHOLD


class ReLU(Module):
    """max(0, x) elementwise, as torch.nn.ReLU (`inplace` is accepted and ignored)."""
    def __init__(self, inplace=False) -> None:
        super().__init__()

    def forward(self, x):
        return F.relu(x)

    def fused_activation(self):
        """(kernel activation name, its parameter) for a preceding Linear to fuse with, or None."""
        return ("relu", 0.0)


class Tanh(Module):
    """tanh(x) elementwise, as torch.nn.Tanh."""
    def forward(self, x):
        return F.tanh(x)

    def fused_activation(self):
        """(kernel activation name, its parameter) for a preceding Linear to fuse with, or None."""
        return ("tanh", 0.0)


class Sigmoid(Module):
    """1 / (1 + exp(-x)) elementwise, as torch.nn.Sigmoid."""
    def forward(self, x):
        return F.sigmoid(x)

    def fused_activation(self):
        """(kernel activation name, its parameter) for a preceding Linear to fuse with, or None."""
        return ("sigmoid", 0.0)


class LeakyReLU(Module):
    """x where x > 0, else negative_slope * x, as torch.nn.LeakyReLU."""
    def __init__(self, negative_slope=0.01, inplace=False) -> None:
        super().__init__()
        self.negative_slope = _checks.number(negative_slope, "negative_slope", "LeakyReLU")

    def forward(self, x):
        return F.leaky_relu(x, self.negative_slope)

    def extra_repr(self):
        return f"negative_slope={self.negative_slope}"

    def fused_activation(self):
        """(kernel activation name, its parameter) for a preceding Linear to fuse with, or None."""
        return ("leaky_relu", self.negative_slope)


class GELU(Module):
    """x * Phi(x), approximate="tanh" for the tanh formula, as torch.nn.GELU."""
    def __init__(self, approximate="none") -> None:
        super().__init__()
        self.approximate = _checks.gelu_approximate(approximate, "GELU")

    def forward(self, x):
        return F.gelu(x, self.approximate)

    def extra_repr(self):
        return f"approximate={self.approximate!r}"

    def fused_activation(self):
        """(kernel activation name, its parameter) for a preceding Linear to fuse with, or None."""
        return ("gelu" if self.approximate == "none" else "gelu_tanh", 0.0)


class ELU(Module):
    """x where x > 0, else alpha * (exp(x) - 1), as torch.nn.ELU."""
    def __init__(self, alpha=1.0, inplace=False) -> None:
        super().__init__()
        self.alpha = _checks.number(alpha, "alpha", "ELU")

    def forward(self, x):
        return F.elu(x, self.alpha)

    def extra_repr(self):
        return f"alpha={self.alpha}"

    def fused_activation(self):
        """(kernel activation name, its parameter) for a preceding Linear to fuse with, or None."""
        return ("elu", self.alpha)


class SiLU(Module):
    """x * sigmoid(x) (swish), as torch.nn.SiLU."""
    def __init__(self, inplace=False) -> None:
        super().__init__()

    def forward(self, x):
        return F.silu(x)

    def fused_activation(self):
        """(kernel activation name, its parameter) for a preceding Linear to fuse with, or None."""
        return ("silu", 0.0)


class Softplus(Module):
    """log(1 + exp(beta * x)) / beta, linear above `threshold`, as torch.nn.Softplus."""
    def __init__(self, beta=1.0, threshold=20.0) -> None:
        super().__init__()
        self.beta = _checks.softplus_beta(beta, "Softplus")
        self.threshold = _checks.number(threshold, "threshold", "Softplus")

    def forward(self, x):
        return F.softplus(x, self.beta, self.threshold)

    def extra_repr(self):
        return f"beta={self.beta}, threshold={self.threshold}"

    def fused_activation(self):
        """(kernel activation name, its parameter) for a preceding Linear to fuse with, or None."""
        # The C dense kernel has PyTorch's default threshold built in; any other runs unfused.
        return ("softplus", self.beta) if self.threshold == KERNEL_SOFTPLUS_THRESHOLD else None


class Softmax(Module):
    """exp(x) / sum(exp(x)) along `dim`, as torch.nn.Softmax."""
    def __init__(self, dim=None) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, x):
        return F.softmax(x, self.dim)

    def extra_repr(self):
        return f"dim={self.dim}"


class LogSoftmax(Softmax):
    """log(softmax(x)) along `dim`, computed stably, as torch.nn.LogSoftmax."""
    def forward(self, x):
        return F.log_softmax(x, self.dim)


class _Elementwise(Module):
    """An activation of the kernels' table without a parameter: forward through the
    functional of the same name, fused with a preceding Linear in a Sequential."""
    _kernel_name = "none"

    def __init__(self, inplace=False) -> None:
        super().__init__()

    def forward(self, x):
        return getattr(F, self._kernel_name)(x)

    def fused_activation(self):
        """(kernel activation name, its parameter) for a preceding Linear to fuse with, or None."""
        return (self._kernel_name, 0.0)


class ReLU6(_Elementwise):
    """min(max(x, 0), 6) elementwise, as torch.nn.ReLU6."""
    _kernel_name = "relu6"


class SELU(_Elementwise):
    """scale * (x if x > 0 else alpha * (exp(x) - 1)), PyTorch's constants, as torch.nn.SELU."""
    _kernel_name = "selu"


class Mish(_Elementwise):
    """x * tanh(softplus(x)), as torch.nn.Mish."""
    _kernel_name = "mish"


class Softsign(_Elementwise):
    """x / (1 + |x|), as torch.nn.Softsign."""
    _kernel_name = "softsign"

    def __init__(self) -> None:
        super().__init__()


class Hardsigmoid(_Elementwise):
    """min(max(x + 3, 0), 6) / 6, as torch.nn.Hardsigmoid."""
    _kernel_name = "hardsigmoid"


class Hardswish(_Elementwise):
    """x * hardsigmoid(x), as torch.nn.Hardswish."""
    _kernel_name = "hardswish"


class LogSigmoid(_Elementwise):
    """log(sigmoid(x)), computed stably, as torch.nn.LogSigmoid."""
    _kernel_name = "logsigmoid"

    def __init__(self) -> None:
        super().__init__()


class Tanhshrink(_Elementwise):
    """x - tanh(x), as torch.nn.Tanhshrink."""
    _kernel_name = "tanhshrink"

    def __init__(self) -> None:
        super().__init__()


class CELU(Module):
    """x if x > 0 else alpha * (exp(x / alpha) - 1), as torch.nn.CELU."""
    def __init__(self, alpha=1.0, inplace=False) -> None:
        super().__init__()
        self.alpha = _checks.celu_alpha(alpha, "CELU")

    def forward(self, x):
        return F.celu(x, self.alpha)

    def extra_repr(self):
        return f"alpha={self.alpha}"

    def fused_activation(self):
        """(kernel activation name, its parameter) for a preceding Linear to fuse with, or None."""
        return ("celu", self.alpha)


class Hardtanh(Module):
    """min(max(x, min_val), max_val) elementwise, as torch.nn.Hardtanh."""
    def __init__(self, min_val=-1.0, max_val=1.0, inplace=False, min_value=None,
                 max_value=None) -> None:
        super().__init__()
        if min_value is not None or max_value is not None:  # PyTorch's old names
            warnings.warn("Hardtanh: keyword arguments min_value and max_value are "
                          "deprecated; use min_val and max_val", FutureWarning, stacklevel=2)
            min_val = min_val if min_value is None else min_value
            max_val = max_val if max_value is None else max_value
        self.min_val, self.max_val = _checks.hardtanh_bounds(min_val, max_val, "Hardtanh")

    def forward(self, x):
        return F.hardtanh(x, self.min_val, self.max_val)

    def extra_repr(self):
        return f"min_val={self.min_val}, max_val={self.max_val}"


class Threshold(Module):
    """x where x > threshold, else value, as torch.nn.Threshold."""
    def __init__(self, threshold, value, inplace=False) -> None:
        super().__init__()
        self.threshold = _checks.number(threshold, "threshold", "Threshold")
        self.value = _checks.number(value, "value", "Threshold")

    def forward(self, x):
        return F.threshold(x, self.threshold, self.value)

    def extra_repr(self):
        return f"threshold={self.threshold}, value={self.value}"


class PReLU(Module):
    """x where x > 0, else weight * x, with a learnable weight of num_parameters slopes (one
    per channel, axis 1, or one for all), each initialised to `init`, as torch.nn.PReLU."""
    def __init__(self, num_parameters=1, init=0.25, device=None, dtype=None) -> None:
        super().__init__()
        if (isinstance(num_parameters, bool) or not isinstance(num_parameters, (int, np.integer))
                or num_parameters < 1):
            raise ValueError(f"PReLU: num_parameters must be a positive int, got "
                             f"{num_parameters!r}")
        self.num_parameters = int(num_parameters)
        self.init = _checks.number(init, "init", "PReLU")
        self.weight = Parameter(np.full(self.num_parameters, self.init,
                                        dtype=np.dtype(dtype or np.float32)))

    def reset_parameters(self):
        """Set every slope back to init."""
        self.weight.data[...] = self.init

    def forward(self, x):
        return F.prelu(x, self.weight)

    def extra_repr(self):
        return f"num_parameters={self.num_parameters}"


class Softmin(Softmax):
    """softmax(-x) along `dim`, as torch.nn.Softmin."""
    def forward(self, x):
        return F.softmin(x, self.dim)


class Hardshrink(Module):
    """x where |x| > lambd, else 0, as torch.nn.Hardshrink."""
    def __init__(self, lambd=0.5) -> None:
        super().__init__()
        self.lambd = _checks.number(lambd, "lambd", "Hardshrink")

    def forward(self, x):
        return F.hardshrink(x, self.lambd)

    def extra_repr(self):
        return f"{self.lambd}"


class Softshrink(Module):
    """x shrunk toward 0 by lambd, and 0 within lambd of it, as torch.nn.Softshrink."""
    def __init__(self, lambd=0.5) -> None:
        super().__init__()
        self.lambd = _checks.number(lambd, "lambd", "Softshrink")
        if self.lambd < 0:
            raise ValueError(f"Softshrink: lambd must be greater or equal to 0, got {lambd}")

    def forward(self, x):
        return F.softshrink(x, self.lambd)

    def extra_repr(self):
        return str(self.lambd)


class GLU(Module):
    """a * sigmoid(b) for the halves a, b of the input along dim, as torch.nn.GLU."""
    def __init__(self, dim=-1) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, x):
        return F.glu(x, self.dim)

    def extra_repr(self):
        return f"dim={self.dim}"
