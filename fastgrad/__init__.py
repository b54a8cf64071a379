"""fastgrad: dense neural networks trained on the CPU, fast.

The chain rule is the engine: every op knows its local derivative and Tensor.backward()
multiplies and accumulates them from the loss back to every weight. The heavy arithmetic runs
in C kernels (fastgrad._kernels); the API follows PyTorch's names.
"""
from . import _kernels
from ._grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from .tensor import Tensor, tensor
from . import autograd
from .factory import arange, from_numpy, full, ones, ones_like, rand, randn, zeros, zeros_like
from .gradcheck import GradcheckError, gradcheck
from .random import manual_seed
from . import data, datasets, nn, optim
from .io import load, save
from . import utils
from .generator import Generator
from . import distributions

from numpy import float32, float64  # noqa: E402  (dtype=fg.float32 reads like PyTorch)

__version__ = "0.1.0"


def set_num_threads(n):
    """Threads the C kernels use (default: FASTGRAD_NUM_THREADS, else the CPUs available)."""
    _kernels.set_num_threads(n)


def get_num_threads():
    return _kernels.get_num_threads()


def isa():
    """The SIMD path the GEMM kernels use: 'avx512', 'avx2' or 'generic'."""
    return _kernels.isa()


__all__ = ["Tensor", "tensor", "no_grad", "enable_grad", "set_grad_enabled", "is_grad_enabled",
           "autograd", "gradcheck", "GradcheckError", "manual_seed", "set_num_threads",
           "get_num_threads", "isa", "save", "load", "nn", "optim", "data", "datasets",
           "zeros", "ones", "full", "rand", "randn", "arange", "zeros_like", "ones_like",
           "from_numpy", "float32", "float64",
           "utils", "Generator", "distributions"]
