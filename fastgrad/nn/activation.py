"""Activation modules. Each is the module form of a function in functional.py.

A Module that a preceding Linear can fuse with (Sequential runs them as one C call) says so with
`fused_activation()`: the kernel activation's name and its parameter, or None where this
instance cannot fuse. Modules without the method never fuse.
"""
from . import _checks
from . import functional as F
from .module import Module
from ..functions.activation import KERNEL_SOFTPLUS_THRESHOLD


class ReLU(Module):
    """max(0, x) elementwise, as torch.nn.ReLU (`inplace` is accepted and ignored)."""
    def __init__(self, inplace=False):
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
    def __init__(self, negative_slope=0.01, inplace=False):
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
    def __init__(self, approximate="none"):
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
    def __init__(self, alpha=1.0, inplace=False):
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
    def __init__(self, inplace=False):
        super().__init__()

    def forward(self, x):
        return F.silu(x)

    def fused_activation(self):
        """(kernel activation name, its parameter) for a preceding Linear to fuse with, or None."""
        return ("silu", 0.0)


class Softplus(Module):
    """log(1 + exp(beta * x)) / beta, linear above `threshold`, as torch.nn.Softplus."""
    def __init__(self, beta=1.0, threshold=20.0):
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
    def __init__(self, dim=None):
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
