"""fastgrad.nn: modules, layers, activations, losses (PyTorch's names and behaviour)."""
from . import functional, init
from .activation import ReLU, Sigmoid, Tanh
from .layers import Flatten, Identity, Linear, Sequential
from .loss import CrossEntropyLoss, MSELoss
from .module import Module
from .parameter import Parameter

__all__ = ["Module", "Parameter", "Linear", "Sequential", "Identity", "Flatten", "ReLU", "Tanh",
           "Sigmoid", "MSELoss", "CrossEntropyLoss", "functional", "init"]
