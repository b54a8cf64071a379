"""fastgrad: dense neural networks trained on the CPU, fast.

The chain rule is the engine: every op knows its local derivative and Tensor.backward()
multiplies and accumulates them from the loss back to every weight. The heavy arithmetic runs
in C kernels (fastgrad._kernels); the API follows PyTorch's names.
"""
from . import _source_tree

_source_tree.check()  # a clear message when run from a clone that was never built

from . import _kernels  # noqa: E402
from ._grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from .tensor import Tensor, tensor
from . import autograd
from .factory import arange, from_numpy, full, ones, ones_like, rand, randn, zeros, zeros_like
from .factory import (as_tensor, empty, empty_like, eye, full_like, is_tensor, linspace, rand_like,
                      randint, randn_like, randperm)
from ._grad_mode import inference_mode
from .ops_math import (abs, allclose, clamp, clip, cos, eq, equal, exp, ge, gt, isclose, le, log,
                       log1p, lt, masked_fill, matmul, maximum, minimum, mm, ne, pow, round, sin,
                       sqrt, where)
from .ops_math import (add, sub, subtract, mul, multiply, div, divide, true_divide, floor_divide,
                       neg, negative, reciprocal, square, rsqrt, sign, floor, ceil, trunc, fix,
                       frac, remainder, fmod, exp2, expm1, log2, log10, erf, sinh, cosh, asin,
                       acos, atan, arcsin, arccos, arctan, atan2, arctan2, hypot, lerp, addcmul,
                       addcdiv, isnan, isinf, isfinite, any, all)
from .ops_reduce import argmax, argmin, max, mean, min, norm, prod, std, sum, unique, var
from .ops_shape import (cat, clone, concatenate, flatten, permute, reshape, squeeze, stack, t,
                        transpose, unsqueeze)
from .ops_linalg import (addmm, addmv, addr, baddbmm, bmm, dot, einsum, ger, inner, mv, outer,
                         tensordot)
from .ops_linalg import block_diag, cartesian_prod, cdist, cross, kron
from .ops_shape import (broadcast_tensors, broadcast_to, chunk, diag, diagonal, flip, fliplr,
                        flipud, meshgrid, moveaxis, movedim, narrow, roll, split, swapaxes,
                        swapdims, tile, trace, tril, triu, unbind, unflatten)
from .factory import logspace
from .dtypes import get_default_dtype, set_default_dtype
from .nn.functional import log_softmax, relu, sigmoid, softmax, tanh
from .size import Size
from .device import device, get_default_device, set_default_device
from . import accelerator, backends, cuda
from .gradcheck import GradcheckError, gradcheck
from .random import manual_seed
from . import data, datasets, nn, optim
from . import distributed
from .io import load, save
from . import utils
from .generator import Generator
from . import distributions
from .ops_scatter import scatter  # also gives Tensor its scatter_ and scatter
from .ops_reduce import cumprod, cumsum, diff, logsumexp
from .ops_scatter import detach, gather, index_select, masked_select, nonzero
from .ops_sort import argsort, kthvalue, median, mode, sort, topk
from .ops_reduce import amax, amin, aminmax, count_nonzero, std_mean, var_mean
from .ops_math import clamp_max, clamp_min, nan_to_num
from .ops_scatter import index_add, index_fill, masked_scatter, scatter_add
from .ops_shape import select, unbind
from .ops_bins import bincount, bucketize, histc, searchsorted, unique_consecutive
from . import linalg
# PyTorch's top-level linear-algebra names (this import also gives Tensor its det, svd, ...)
from .linalg.aliases import (cholesky, cholesky_inverse, cholesky_solve, det, inverse_ as inverse,
                             logdet, matrix_exp, matrix_power, pinverse, qr, slogdet, svd)
from .linalg.lu import lu_unpack
# the in-place forms as functions, as torch.exp_(t)
from .ops_math import (abs_, acos_, arccos_, arcsin_, arctan_, asin_, atan_, ceil_, clamp_,
                       clamp_max_, clamp_min_, clip_, cos_, cosh_, detach_, erf_, exp2_, exp_,
                       expm1_, fill_, fix_, floor_, frac_, log10_, log1p_, log2_, log_,
                       nan_to_num_, neg_, negative_, reciprocal_, relu_, round_, rsqrt_, sigmoid_,
                       sin_, sinh_, sqrt_, square_, tanh_, trunc_, zero_)

# dtypes in PyTorch's names; fg.float, fg.int and fg.bool shadow the builtins here, as in torch
from .dtypes import bool_ as bool, float32, float64, int8, int16, int32, int64, uint8  # noqa: E402
from .dtypes import float16  # noqa: E402  (named, refused as dtype= until supported)
float, double, long, int, half = float32, float64, int64, int32, float16

from ._version import __version__  # noqa: E402
from . import _threadpool  # noqa: E402

_threadpool.register()  # threadpoolctl.threadpool_limits then limits fastgrad too


def set_num_threads(n):
    """Threads the C kernels use (default: FASTGRAD_NUM_THREADS, else OMP_NUM_THREADS, else the
    CPUs available). Like torch.set_num_threads."""
    _kernels.set_num_threads(n)


def get_num_threads():
    """The number of threads the C kernels use."""
    return _kernels.get_num_threads()


def isa():
    """The SIMD path the GEMM kernels use: 'avx512', 'avx2' or 'generic'."""
    return _kernels.isa()


__all__ = ["Tensor", "tensor", "no_grad", "enable_grad", "set_grad_enabled", "is_grad_enabled",
           "autograd", "gradcheck", "GradcheckError", "manual_seed", "set_num_threads",
           "get_num_threads", "isa", "save", "load", "nn", "optim", "data", "datasets",
           "zeros", "ones", "full", "rand", "randn", "arange", "zeros_like", "ones_like",
           "from_numpy", "float32", "float64",
           "addmm", "bmm", "dot", "einsum", "ger", "mv", "outer", "broadcast_tensors",
           "broadcast_to", "chunk", "diag", "diagonal", "flip", "meshgrid", "narrow", "roll",
           "split", "trace", "tril", "triu", "logspace", "get_default_dtype", "set_default_dtype",
           "addmv", "addr", "baddbmm", "inner", "tensordot", "fliplr", "flipud", "moveaxis",
           "movedim", "swapaxes", "swapdims", "tile", "unbind", "unflatten",
           "as_tensor", "empty", "empty_like", "eye", "full_like", "is_tensor", "linspace",
           "rand_like", "randint", "randn_like", "randperm", "inference_mode", "clamp", "clip",
           "cos", "eq", "exp", "ge", "gt", "le", "log", "log1p", "lt", "masked_fill", "matmul",
           "maximum", "minimum", "mm", "ne", "sin", "sqrt", "where", "argmax", "argmin", "mean",
           "norm", "prod", "std", "unique", "var", "cat", "concatenate", "clone", "squeeze",
           "stack", "t", "unsqueeze", "log_softmax", "relu", "sigmoid", "softmax", "tanh", "Size",
           "device", "get_default_device", "set_default_device", "accelerator", "backends",
           "cuda", "double", "long", "int8", "int16", "int32", "int64", "uint8", "float16",
           "half", "flatten", "permute", "reshape", "transpose", "allclose", "equal", "isclose",
           "utils", "Generator", "distributions", "scatter",
           "cumprod", "cumsum", "diff", "logsumexp", "detach", "gather", "index_select",
           "masked_select", "nonzero", "argsort", "kthvalue", "median", "mode", "sort", "topk",
           "add", "sub", "subtract", "mul", "multiply", "div", "divide", "true_divide",
           "floor_divide", "neg", "negative", "reciprocal", "square", "rsqrt", "sign", "floor",
           "ceil", "trunc", "fix", "frac", "remainder", "fmod", "exp2", "expm1", "log2", "log10",
           "erf", "sinh", "cosh", "asin", "acos", "atan", "arcsin", "arccos", "arctan", "atan2",
           "arctan2", "hypot", "lerp", "addcmul", "addcdiv", "isnan", "isinf", "isfinite", "any",
           "all",
           "amax", "amin", "aminmax", "count_nonzero", "std_mean", "var_mean",
           "clamp_max", "clamp_min", "nan_to_num", "index_add", "index_fill", "masked_scatter",
           "scatter_add", "select", "unbind", "bincount", "bucketize", "histc", "searchsorted",
           "unique_consecutive", "linalg", "cholesky", "det", "inverse", "logdet",
           "matrix_power", "pinverse", "qr", "slogdet", "svd", "matrix_exp", "cholesky_solve",
           "cholesky_inverse", "lu_unpack"]
