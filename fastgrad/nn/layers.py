"""Layers: Linear and the containers and shape modules around it."""
import math
from typing import TYPE_CHECKING, Any

import numpy as np

from ..device import check as check_device
from ..dtypes import get_default_dtype
from . import functional as F
from . import init
from .. import _engine
from ..functions.dense import ACT
from .module import Module
from .parameter import Parameter
from ..tensor import Tensor


class Linear(Module):
    """y = x W^T + b with W of shape (out_features, in_features), initialised as PyTorch does:
    W and b uniform in +-1/sqrt(in_features) (kaiming_uniform_ with a = sqrt(5))."""

    def __init__(self, in_features: int, out_features: int, bias: bool = True,
                 device: Any = None, dtype: Any = None) -> None:
        super().__init__()
        check_device(device, "Linear: device")
        for name, v in (("in_features", in_features), ("out_features", out_features)):
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 0:
                raise ValueError(f"Linear: {name} must be a non-negative int, got {v!r}")
        self.in_features, self.out_features = int(in_features), int(out_features)
        dtype = np.dtype(dtype or get_default_dtype())
        self.weight = Parameter(np.empty((out_features, in_features), dtype=dtype))
        self.bias = Parameter(np.empty(out_features, dtype=dtype)) if bias else None
        if not bias:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        """Draw weight and bias from U(-k, k), k = 1/sqrt(in_features), as PyTorch does."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            bound = 1 / math.sqrt(self.in_features) if self.in_features > 0 else 0
            init.uniform_(self.bias, -bound, bound)

    if TYPE_CHECKING:  # compiled: _engine.linear_forward, every layer of every step
        def forward(self, x: Any) -> Any:
            """x @ weight.T + bias."""
    else:
        forward = _engine.linear_forward

    def extra_repr(self):
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")


class Sequential(Module):
    """Modules applied in order, registered as "0", "1", ... (PyTorch's state-dict keys).

    Consecutive Linear layers, each optionally followed by an activation the C kernels know,
    run as one DenseStackFunction node: one binding call for the whole run forward and one
    backward, and none of the per-op autograd bookkeeping in between. The result is the same as
    running the modules one by one (the tests check it).
    """

    if TYPE_CHECKING:  # a Sequential returns a Tensor, for type checkers
        def __call__(self, input: Any) -> Tensor: ...

    def __init__(self, *modules: Module) -> None:
        super().__init__()
        for i, m in enumerate(modules):
            if not isinstance(m, Module):
                raise TypeError(f"Sequential: argument {i} is a {type(m).__name__}, not a Module")
            self.add_module(str(i), m)

    def __len__(self):
        return len(self._modules)

    def __getitem__(self, idx):
        mods = list(self._modules.values())
        if isinstance(idx, slice):
            return Sequential(*mods[idx])
        return mods[idx]

    def __iter__(self):
        return iter(self._modules.values())

    def append(self, module):
        """Add `module` at the end; returns self."""
        self.add_module(str(len(self._modules)), module)
        return self

    if TYPE_CHECKING:  # compiled: _engine.sequential_forward, x through the plan below
        def forward(self, x: Any) -> Any: ...
    else:
        forward = _engine.sequential_forward

    def _build_plan(self):
        """The modules as a list of callables: each run of (Linear, activation or none) pairs
        becomes one _DenseRun, any other module stays itself. Rebuilt when any module's
        attributes change (Module.generation), so swapped layers or weights are seen."""
        plan, run = [], []
        mods = list(self._modules.values())
        i = 0
        while i < len(mods):
            m = mods[i]
            if _is_stock_linear(m):
                nxt = mods[i + 1] if i + 1 < len(mods) else None
                fused = _fused_activation(nxt)
                run.append((m, fused))
                i += 1 if fused is None else 2
                if fused is None and nxt is not None and not _is_stock_linear(nxt):
                    plan.append(_DenseRun(run))  # an activation the kernels do not cover
                    run = []                     # (e.g. Softplus with threshold != 20)
                continue
            if run:
                plan.append(_DenseRun(run))
                run = []
            plan.append(m)
            i += 1
        if run:
            plan.append(_DenseRun(run))
        object.__setattr__(self, "_plan", plan)
        object.__setattr__(self, "_plan_generation", Module.generation)


def _is_stock_linear(module):
    """A Linear that computes what the fused kernels compute: exactly the Linear class, with
    neither its class's nor this instance's forward replaced or wrapped."""
    return (type(module) is Linear and Linear.forward is _LINEAR_FORWARD
            and "forward" not in module.__dict__)


def _fused_activation(module):
    """(kernel activation name, parameter) when `module` may run inside a dense run, else None.

    A subclass that overrides forward computes something else, so it fuses only if it also
    says so by its own fused_activation (or one of a class at least as derived); an instance
    whose forward was replaced (a patch, a wrapper) never fuses."""
    fuse = getattr(module, "fused_activation", None)
    if fuse is None or "forward" in getattr(module, "__dict__", {}):
        return None
    mro = type(module).__mro__
    owner = lambda name: next(c for c in mro if name in c.__dict__)  # noqa: E731
    return fuse() if issubclass(owner("fused_activation"), owner("forward")) else None


_LINEAR_FORWARD = Linear.forward  # the stock one, which the fused kernels reproduce
_engine.register_module(Module)  # its generation tells Sequential's forward a plan is stale


def _DenseRun(pairs):
    """Consecutive (Linear, fused activation) pairs, called as one DenseStackFunction node
    (_engine.DenseRun, which Sequential's forward calls without a Python call)."""
    return _engine.DenseRun([ACT[fused[0] if fused else "none"] for _, fused in pairs],
                            [float(fused[1]) if fused else 0.0 for _, fused in pairs],
                            tuple(p for linear, _ in pairs for p in (linear.weight, linear.bias)))


class Identity(Module):
    """Returns its input unchanged; takes and ignores any arguments, as torch.nn.Identity."""
    def __init__(self, *args, **kwargs) -> None:
        super().__init__()

    def forward(self, x):
        return x


class Flatten(Module):
    """Flattens dimensions start_dim..end_dim into one, as torch.nn.Flatten."""
    def __init__(self, start_dim=1, end_dim=-1) -> None:
        super().__init__()
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, x):
        return x.flatten(self.start_dim, self.end_dim)


class Unflatten(Module):
    """Splits dimension `dim` into unflattened_size (which may hold one -1), as
    torch.nn.Unflatten; the inverse of Flatten."""
    def __init__(self, dim, unflattened_size) -> None:
        super().__init__()
        if isinstance(dim, bool) or not isinstance(dim, (int, np.integer)):
            raise TypeError(f"Unflatten: dim must be an int, got {type(dim).__name__}")
        sizes = tuple(unflattened_size) if hasattr(unflattened_size, "__iter__") else None
        if not sizes or any(isinstance(s, bool) or not isinstance(s, (int, np.integer))
                            for s in sizes):
            raise TypeError(f"Unflatten: unflattened_size must be a non-empty tuple of ints, "
                            f"got {unflattened_size!r}")
        self.dim, self.unflattened_size = int(dim), tuple(int(s) for s in sizes)

    def forward(self, x):
        shape = tuple(x.shape)
        d = self.dim + len(shape) if self.dim < 0 else self.dim
        if not 0 <= d < len(shape):
            raise IndexError(f"Unflatten: dim {self.dim} is out of range for input shape {shape}")
        known = int(np.prod([s for s in self.unflattened_size if s != -1]))
        sizes = self.unflattened_size
        if -1 in sizes and known:
            sizes = tuple(shape[d] // known if s == -1 else s for s in sizes)
        if int(np.prod(sizes)) != shape[d]:
            raise ValueError(f"Unflatten: unflattened_size {self.unflattened_size} does not "
                             f"multiply to the size {shape[d]} of dimension {self.dim} of input "
                             f"shape {shape}")
        return x.reshape(*shape[:d], *sizes, *shape[d + 1:])

    def extra_repr(self):
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"


class Bilinear(Module):
    """y = x1^T A x2 + b for each output, A of weight's shape (out_features, in1_features,
    in2_features), initialised as PyTorch does: U(-k, k), k = 1/sqrt(in1_features)."""
    def __init__(self, in1_features, in2_features, out_features, bias=True, device=None,
                 dtype=None) -> None:
        super().__init__()
        check_device(device, "Bilinear: device")
        for name, v in (("in1_features", in1_features), ("in2_features", in2_features),
                        ("out_features", out_features)):
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 0:
                raise ValueError(f"Bilinear: {name} must be a non-negative int, got {v!r}")
        self.in1_features, self.in2_features = int(in1_features), int(in2_features)
        self.out_features = int(out_features)
        dtype = np.dtype(dtype or np.float32)
        self.weight = Parameter(np.empty((out_features, in1_features, in2_features), dtype))
        if bias:
            self.bias = Parameter(np.empty(out_features, dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        """weight and bias from U(-k, k), k = 1/sqrt(in1_features)."""
        bound = 1 / math.sqrt(self.in1_features) if self.in1_features > 0 else 0
        init.uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input1, input2):
        return F.bilinear(input1, input2, self.weight, self.bias)

    def extra_repr(self):
        return (f"in1_features={self.in1_features}, in2_features={self.in2_features}, "
                f"out_features={self.out_features}, bias={self.bias is not None}")


class CosineSimilarity(Module):
    """Cosine of the angle between x1 and x2 along dim, as torch.nn.CosineSimilarity."""
    def __init__(self, dim=1, eps=1e-8) -> None:
        super().__init__()
        self.dim, self.eps = dim, eps

    def forward(self, x1, x2):
        return F.cosine_similarity(x1, x2, self.dim, self.eps)


class PairwiseDistance(Module):
    """||x1 - x2 + eps||_p along the last dimension, as torch.nn.PairwiseDistance."""
    def __init__(self, p=2.0, eps=1e-6, keepdim=False) -> None:
        super().__init__()
        self.norm, self.eps, self.keepdim = p, eps, keepdim

    def forward(self, x1, x2):
        return F.pairwise_distance(x1, x2, self.norm, self.eps, self.keepdim)
