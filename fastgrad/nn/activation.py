"""Activation modules. Each is the module form of a function in functional.py."""
from . import functional as F
from .module import Module


class ReLU(Module):
    def __init__(self, inplace=False):
        super().__init__()

    def forward(self, x):
        return F.relu(x)


class Tanh(Module):
    def forward(self, x):
        return F.tanh(x)


class Sigmoid(Module):
    def forward(self, x):
        return F.sigmoid(x)


class LeakyReLU(Module):
    def __init__(self, negative_slope=0.01, inplace=False):
        super().__init__()
        self.negative_slope = F._number(negative_slope, "negative_slope", "LeakyReLU")

    def forward(self, x):
        return F.leaky_relu(x, self.negative_slope)

    def extra_repr(self):
        return f"negative_slope={self.negative_slope}"


class GELU(Module):
    def __init__(self, approximate="none"):
        super().__init__()
        if approximate not in ("none", "tanh"):
            raise ValueError(f"GELU: approximate must be 'none' or 'tanh', got {approximate!r}")
        self.approximate = approximate

    def forward(self, x):
        return F.gelu(x, self.approximate)

    def extra_repr(self):
        return f"approximate={self.approximate!r}"


class ELU(Module):
    def __init__(self, alpha=1.0, inplace=False):
        super().__init__()
        self.alpha = F._number(alpha, "alpha", "ELU")

    def forward(self, x):
        return F.elu(x, self.alpha)

    def extra_repr(self):
        return f"alpha={self.alpha}"


class SiLU(Module):
    def __init__(self, inplace=False):
        super().__init__()

    def forward(self, x):
        return F.silu(x)


class Softplus(Module):
    def __init__(self, beta=1.0, threshold=20.0):
        super().__init__()
        self.beta = F._number(beta, "beta", "Softplus")
        self.threshold = F._number(threshold, "threshold", "Softplus")
        if self.beta == 0:
            raise ValueError("Softplus: beta must be non-zero")

    def forward(self, x):
        return F.softplus(x, self.beta, self.threshold)

    def extra_repr(self):
        return f"beta={self.beta}, threshold={self.threshold}"


class Softmax(Module):
    def __init__(self, dim=None):
        super().__init__()
        self.dim = dim

    def forward(self, x):
        return F.softmax(x, self.dim)

    def extra_repr(self):
        return f"dim={self.dim}"


class LogSoftmax(Softmax):
    def forward(self, x):
        return F.log_softmax(x, self.dim)


def _softplus_fusable(m):
    # The C dense kernel has PyTorch's default threshold built in; any other runs unfused.
    return ("softplus", m.beta) if m.threshold == F._act.KERNEL_SOFTPLUS_THRESHOLD else None


# Activation modules a preceding Linear can fuse with (Sequential does this): module type ->
# (kernel activation name, its scalar parameter), or None where this instance cannot fuse.
FUSABLE = {
    ReLU: lambda m: ("relu", 0.0),
    Tanh: lambda m: ("tanh", 0.0),
    Sigmoid: lambda m: ("sigmoid", 0.0),
    LeakyReLU: lambda m: ("leaky_relu", m.negative_slope),
    GELU: lambda m: ("gelu" if m.approximate == "none" else "gelu_tanh", 0.0),
    ELU: lambda m: ("elu", m.alpha),
    SiLU: lambda m: ("silu", 0.0),
    Softplus: _softplus_fusable,
}
