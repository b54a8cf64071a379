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


# Activation modules a preceding Linear can fuse with (Sequential does this): module type ->
# (kernel activation name, its scalar parameter).
FUSABLE = {
    ReLU: lambda m: ("relu", 0.0),
    Tanh: lambda m: ("tanh", 0.0),
    Sigmoid: lambda m: ("sigmoid", 0.0),
}
